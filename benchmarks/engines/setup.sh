#!/usr/bin/env bash
# Creates or updates .venv-engines (the engines benchmarks/bench.py compares dnncc with, besides
# onnxruntime) from benchmarks/engines/requirements.txt. Idempotent; needs python3-venv (installed
# by scripts/setup.sh) and PyPI. Run from anywhere:
#
#   bash benchmarks/engines/setup.sh
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$repo_root/.venv-engines"
requirements="$repo_root/benchmarks/engines/requirements.txt"
stamp="$venv/.dnncc-stamp"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(<"$stamp")" == "$want" ]]; then
  echo "engines: .venv-engines is up to date"
  exit 0
fi
[[ -x "$venv/bin/python" ]] || "${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
echo "$want" >"$stamp"
echo "engines: .venv-engines ready"
