#!/usr/bin/env bash
# Runs one fuzz target with libFuzzer (docs/security.md, "Fuzzing"):
#
#   bash scripts/fuzz.sh NAME SECONDS [libFuzzer options...]
#   bash scripts/fuzz.sh list
#
# NAME: onnx_import, compile, ir_parser, tensor_io, nnef_import, nnef_tensor_file. Builds the
# `fuzz` preset (clang 14, ASan + UBSan + coverage; build-fuzz/) when needed, fuzzes for SECONDS
# starting from the seed corpus tests/fuzz/corpus/NAME (plus the crash inputs found so far),
# keeps what it learns in build-fuzz/corpus/NAME (not in the repository), and writes a crash,
# leak or timeout input to tests/fuzz/crashes/NAME/, where the regular test suite replays it
# (fuzz.replay.NAME) once it is fixed. Ends with libFuzzer's summary line (executions, exec/s).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
targets=(onnx_import compile ir_parser tensor_io nnef_import nnef_tensor_file)
if [[ "${1:-}" == list || $# -lt 2 ]]; then
  printf '%s\n' "${targets[@]}"
  [[ "${1:-}" == list ]] && exit 0
  echo "usage: scripts/fuzz.sh NAME SECONDS [libFuzzer options...]" >&2
  exit 2
fi
name="$1" seconds="$2"
shift 2
if [[ ! " ${targets[*]} " == *" $name "* ]]; then
  echo "error: unknown fuzz target '$name' (scripts/fuzz.sh list)" >&2
  exit 2
fi
if ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed"; then
  apt-get install -y -qq --no-install-recommends libclang-rt-14-dev # libFuzzer, ASan, UBSan
fi
cd "$repo"
[[ -f build-fuzz/build.ninja ]] || cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "fuzz_$name"

work="build-fuzz/corpus/$name"
crashes="tests/fuzz/crashes/$name"
mkdir -p "$work" "$crashes"
seeds=("$crashes")
[[ -d "tests/fuzz/corpus/$name" ]] && seeds+=("tests/fuzz/corpus/$name")
[[ "$name" == ir_parser ]] && seeds+=(tests/ir)
[[ "$name" == compile ]] && seeds+=(tests/fuzz/corpus/onnx_import)
dict="tests/fuzz/$name.dict"
extra=()
[[ -f "$dict" ]] && extra+=("-dict=$dict")
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_odr_violation=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# -rss_limit_mb: the malformed-model bound (docs/security.md); -timeout: a hang is a finding.
exec "build-fuzz/bin/fuzz_$name" "$work" "${seeds[@]}" -max_total_time="$seconds" \
  -rss_limit_mb=2048 -timeout=10 -max_len=262144 -artifact_prefix="$crashes/" -print_final_stats=1 \
  "${extra[@]}" "$@"
