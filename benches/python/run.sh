#!/usr/bin/env bash
# Runs kiln's Python benchmark (benches/python/workloads.py): kiln against NumPy, numexpr and JAX
# on the CPU workloads of workloads.md, in a virtual environment of its own. Writes the results
# table (Markdown) to stdout; progress goes to stderr.
#
# Usage: benches/python/run.sh [VENV_DIR]     (default: /tmp/kiln-bench-venv)
# Environment:
#   PYTHON            interpreter to create the venv with (3.11 or newer; default python3)
#   KILN_PY_PROFILE   cargo profile of the extension (default release: benchmark optimised code)
#   KILN_BENCH_SKIP_BUILD=1   reuse the kiln already installed in the venv
#   KILN_BENCH_QUICK=1        fewer repeats, W4 at 1024x1024 only
#   KILN_BENCH_ONLY=W1,W9     a subset of the workloads
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${1:-/tmp/kiln-bench-venv}"
python="${PYTHON:-python3}"
profile="${KILN_PY_PROFILE:-release}"

{
  echo "== venv $venv"
  if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet "maturin>=1.16,<2" numpy numexpr "jax[cpu]"
  if [ "${KILN_BENCH_SKIP_BUILD:-0}" = "0" ]; then
    echo "== pip install crates/kiln-py (cargo profile $profile; a release build takes minutes)"
    start=$(date +%s)
    MATURIN_PEP517_ARGS="--profile $profile" "$venv/bin/python" -m pip install --quiet \
      --force-reinstall --no-deps --no-build-isolation "$root/crates/kiln-py"
    echo "== built and installed in $(( $(date +%s) - start )) s"
  fi
  echo "== benchmark"
} >&2
cd "$root"
"$venv/bin/python" benches/python/workloads.py
