#!/usr/bin/env bash
# Builds kiln's Python package into a virtual environment and runs its pytest suite; exits
# non-zero on any failure. This is the test command of the crate (it has no Rust tests: the
# extension needs a Python interpreter to load it).
#
# Usage: crates/kiln-py/run_tests.sh [VENV_DIR]     (default: crates/kiln-py/.venv-kiln-py)
# Environment:
#   PYTHON                  interpreter to create the venv with (3.11 or newer; default python3)
#   KILN_PY_PROFILE         cargo profile of the extension: dev (default, reuses the workspace's
#                           debug build) or release
#   KILN_HYPOTHESIS_PROFILE default (25 examples per property) or thorough (300)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:-$here/.venv-kiln-py}"
python="${PYTHON:-python3}"
profile="${KILN_PY_PROFILE:-dev}"

echo "== venv $venv"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "maturin>=1.16,<2" "numpy>=2.1" "pytest>=8" "hypothesis>=6" "array-api-compat>=1.11" "mypy>=1.10" "scipy>=1.14" "scikit-learn>=1.6"

echo "== pip install $here (cargo profile $profile)"
start=$(date +%s)
MATURIN_PEP517_ARGS="--profile $profile" "$venv/bin/python" -m pip install --quiet \
  --force-reinstall --no-deps --no-build-isolation "$here"
echo "== built and installed in $(( $(date +%s) - start )) s"

echo "== pytest"
cd "$here"
# The suite's kernels go to a throw-away disk cache, never the user's ~/.cache/kiln.
export KILN_CACHE_DIR="${KILN_CACHE_DIR:-$(mktemp -d)}"
"$venv/bin/python" -m pytest tests -q -p no:cacheprovider
