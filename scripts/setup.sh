#!/usr/bin/env bash
# Prepares a Debian 12 machine for dnncc development: installs the missing Debian packages and
# creates/updates the Python virtual environment .venv (tests, model zoo, benchmarks) from
# requirements.txt. Idempotent and fast when nothing changed. Run as root from anywhere:
#
#   bash scripts/setup.sh            # packages + .venv
#   SKIP_APT=1 bash scripts/setup.sh # only the .venv (e.g. when not root)
#   PYTHON=python3.11 bash scripts/setup.sh   # choose the interpreter for the venv
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
venv="$repo_root/.venv"
requirements="$repo_root/requirements.txt"
stamp="$venv/.dnncc-stamp"

log() { printf 'setup: %s\n' "$*"; }

# Debian packages: the C++ toolchain and libraries of the compiler, the cross C compilers and
# qemu-user (ARM tests), PoCL with the OpenCL ICD loader (OpenCL tests), plus what the venv needs.
debian_packages=(
  llvm-14-dev clang-14 libclang-rt-14-dev lld-14 libhalide14-0-dev
  libprotobuf-dev protobuf-compiler libonnx-dev
  libcli11-dev libfmt-dev libgtest-dev nlohmann-json3-dev libarchive-dev
  ninja-build cmake g++ ccache pkg-config
  gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross
  qemu-user valgrind
  pocl-opencl-icd ocl-icd-opencl-dev opencl-headers clinfo
  python3-venv python3-dev
)

install_debian_packages() {
  local missing=() pkg
  for pkg in "${debian_packages[@]}"; do
    if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    log "debian packages: all ${#debian_packages[@]} installed"
    return
  fi
  if ((EUID != 0)); then
    log "error: missing debian packages (${missing[*]}); run as root or install them yourself" >&2
    exit 1
  fi
  log "debian packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

setup_venv() {
  local want
  want="$(sha256sum "$requirements" | cut -d' ' -f1)"
  if [[ -x "$venv/bin/python" && -f "$stamp" && "$(<"$stamp")" == "$want" ]]; then
    log "venv: .venv is up to date with requirements.txt"
    return
  fi
  if [[ ! -x "$venv/bin/python" ]]; then
    log "venv: creating .venv with $("$python" --version 2>&1)"
    "$python" -m venv "$venv"
  fi
  log "venv: installing requirements.txt (a fresh venv downloads ~3 GB, mostly the CUDA wheels torch needs)"
  rm -f "$stamp"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  # Write the stamp last, so an interrupted install is retried on the next run.
  printf '%s\n' "$want" >"$stamp"
  log "venv: done ($("$venv/bin/python" -c 'import onnx, onnxruntime, numpy, torch; print(f"onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}, numpy {numpy.__version__}, torch {torch.__version__}")'))"
}

if [[ "${SKIP_APT:-0}" != 1 ]]; then
  install_debian_packages
fi
setup_venv
log "ok; activate the venv with: source .venv/bin/activate"
