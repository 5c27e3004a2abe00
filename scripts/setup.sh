#!/usr/bin/env bash
# Prepares a Debian 12 machine for dnncc: installs the missing Debian packages and creates/updates
# the Python virtual environment .venv. Idempotent and fast when nothing changed. Run as root from
# anywhere:
#
#   bash scripts/setup.sh --main      # what building dnncc and the main job need: the build's
#                                     # Debian packages, .venv from requirements-build.txt (~30 MB)
#   bash scripts/setup.sh             # everything the tests, the model zoo's export and the
#                                     # benchmarks need too: qemu-user, PoCL, clang's sanitizers,
#                                     # .venv from requirements.txt (torch: ~3 GB of CUDA wheels)
#   SKIP_APT=1 bash scripts/setup.sh  # only the .venv (e.g. when not root)
#   PYTHON=python3.11 bash scripts/setup.sh   # choose the interpreter for the venv
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
venv="$repo_root/.venv"
scope=test
case "${1:-}" in
  --main) scope=main ;;
  "") ;;
  *) printf 'setup: unknown argument %s (expected --main or nothing)\n' "$1" >&2; exit 2 ;;
esac

log() { printf 'setup: %s\n' "$*"; }

# Debian packages. To build dnncc: the C++ toolchain and libraries of the compiler, the cross C
# compilers (the runtime archives and dnncc-exec for ARM are built with dnncc), dpkg-dev (cpack's
# .deb), python3-venv (the venv holding the NNEF parser's sources).
build_packages=(
  llvm-14-dev lld-14 libhalide14-0-dev
  libprotobuf-dev protobuf-compiler libonnx-dev
  libcli11-dev libfmt-dev libgtest-dev nlohmann-json3-dev libarchive-dev
  ninja-build cmake g++ ccache pkg-config dpkg-dev file
  gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross
  python3-venv python3-dev
)
# To test it too: clang with its sanitizer runtimes (asan/tsan/fuzz presets, AMD GPU code checks),
# qemu-user (ARM tests), PoCL with the OpenCL ICD loader (OpenCL tests), valgrind, stb_image
# (the example apps in examples/ decode and write images with it).
test_packages=(
  clang-14 libclang-rt-14-dev qemu-user valgrind libstb-dev
  pocl-opencl-icd ocl-icd-opencl-dev opencl-headers clinfo
)
debian_packages=("${build_packages[@]}")
if [[ $scope == test ]]; then
  debian_packages+=("${test_packages[@]}")
fi

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

# pip_install NAME REQUIREMENTS...: installs the requirement files into .venv unless the stamp
# .venv/.dnncc-stamp-NAME holds the files' hash already.
pip_install() {
  local name=$1 want stamp
  shift
  stamp="$venv/.dnncc-stamp-$name"
  want="$(cat "$@" | sha256sum | cut -d' ' -f1)"
  if [[ -x "$venv/bin/python" && -f "$stamp" && "$(<"$stamp")" == "$want" ]]; then
    log "venv: .venv is up to date with $(basename "$1")"
    return
  fi
  if [[ ! -x "$venv/bin/python" ]]; then
    log "venv: creating .venv with $("$python" --version 2>&1)"
    "$python" -m venv "$venv"
  fi
  log "venv: installing $(basename "$1")"
  rm -f "$stamp"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$1"
  # Write the stamp last, so an interrupted install is retried on the next run.
  printf '%s\n' "$want" >"$stamp"
}

setup_venv() {
  # requirements.txt includes requirements-build.txt.
  pip_install build "$repo_root/requirements-build.txt"
  if [[ $scope == test ]]; then
    log "venv: requirements.txt (a fresh venv downloads ~3 GB, mostly the CUDA wheels torch needs)"
    pip_install test "$repo_root/requirements.txt" "$repo_root/requirements-build.txt"
    log "venv: done ($("$venv/bin/python" -c 'import onnx, onnxruntime, numpy, torch; print(f"onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}, numpy {numpy.__version__}, torch {torch.__version__}")'))"
  fi
}

if [[ "${SKIP_APT:-0}" != 1 ]]; then
  install_debian_packages
fi
setup_venv
log "ok; activate the venv with: source .venv/bin/activate"
