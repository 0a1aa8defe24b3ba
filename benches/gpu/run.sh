#!/usr/bin/env bash
# Build here, run on the GPU machine, in one device call: kiln-cuda's test binaries (device
# executor against the interpreter, NVRTC compile checks, host emulation), kiln's CUDA-device
# tests (random programs through the whole pipeline on the device), the Python package's device
# tests against NumPy, and the GPU workloads against CuPy, PyTorch and JAX
# (benches/gpu/workloads.py, table in $OUT/gpu-workloads.md).
#
# UNRUN so far: written in sessions without a GPU. Two phases:
#
#   bash benches/gpu/run.sh build     # here: builds the test binaries into target/gpu-carry
#   # then, through the device tool, with carry ["target/gpu-carry"]:
#   bash benches/gpu/run.sh device    # there: runs them (KILN_REQUIRE_GPU=1), table last
#
# The GPU machine has the CUDA driver and toolkit (libcuda, libnvrtc) but no Rust toolchain,
# which is why the binaries are built here. Logs go to $OUT when it is set.
set -euo pipefail
cd "$(dirname "$0")/../.."
carry=target/gpu-carry

case "${1:-}" in
  build)
    rm -rf "$carry" && mkdir -p "$carry"
    # Release-optimised tests would change nothing the tests check; the dev profile is
    # opt-level 1 with optimised dependencies, fast enough.
    cargo test -p kiln-cuda --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        print(m["target"]["name"], m["executable"])
'   | grep -v '^snapshots ' | while read -r name exe; do cp "$exe" "$carry/$name"; done
    cargo test -p kiln --test cuda_device --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "cuda_device":
        print(m["executable"])
'   | while read -r exe; do cp "$exe" "$carry/cuda_device"; done
    # The device tool carries at most 64 MiB: drop the debug info.
    strip "$carry"/*
    # The Python package (release build, abi3: the GPU machine's Python 3.12 loads it).
    venv="${KILN_VENV:-.ci-venv}"
    [ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "maturin>=1.16,<2"
    MATURIN_PEP517_ARGS="--profile release" "$venv/bin/python" -m pip install --quiet --no-deps \
      --no-build-isolation --target "$carry/py" crates/kiln-py
    strip "$carry"/py/kiln/*.so
    ls -la "$carry"
    du -sh "$carry"
    ;;
  device)
    out="${OUT:-/tmp}"
    export KILN_REQUIRE_GPU=1 KILN_REQUIRE_NVRTC=1
    [ -d /usr/local/cuda/lib64 ] && export LD_LIBRARY_PATH="/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    # cuBLAS and cuFFT (and NVRTC) from the machine's nvidia-* wheels, where the toolkit lacks them.
    for d in $(python3 -c 'import nvidia, os; [print(os.path.join(p, x, "lib")) for p in nvidia.__path__ for x in sorted(os.listdir(p))]' 2>/dev/null); do
      [ -d "$d" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d"
    done
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    status=0
    printf '%-20s %-8s %s\n' test result seconds > "$out/summary.txt"
    # (snapshots need the source tree at its build path: they run here, not there)
    for t in device nvrtc_compile host_emulation cuda_device; do
      [ -x "$carry/$t" ] || { printf '%-20s %-8s %s\n' "$t" missing - >> "$out/summary.txt"; status=1; continue; }
      start=$SECONDS
      if "$carry/$t" --test-threads 1 --nocapture > "$out/$t.log" 2>&1; then r=ok; else r=FAILED; status=1; fi
      printf '%-20s %-8s %s\n' "$t" "$r" "$((SECONDS - start))" >> "$out/summary.txt"
    done
    # The Python package: device tests against NumPy, then the workloads against the peers.
    export PYTHONPATH="$PWD/$carry/py${PYTHONPATH:+:$PYTHONPATH}" KILN_CACHE_DIR="$(mktemp -d)"
    start=$SECONDS
    if (cd crates/kiln-py && python3 -m pytest tests/test_devices.py -q -p no:cacheprovider) > "$out/pytest_devices.log" 2>&1; then r=ok; else r=FAILED; status=1; fi
    printf '%-20s %-8s %s\n' pytest_devices "$r" "$((SECONDS - start))" >> "$out/summary.txt"
    start=$SECONDS
    if OUT="$out" python3 benches/gpu/workloads.py > "$out/workloads.log" 2>&1; then r=ok; else r=FAILED; status=1; fi
    printf '%-20s %-8s %s\n' workloads "$r" "$((SECONDS - start))" >> "$out/summary.txt"
    cat "$out/gpu-workloads.md" 2>/dev/null || tail -20 "$out/workloads.log"
    grep -h "modules compiled\|device present\|library steps" "$out"/*.log || true
    grep -h -A20 "panicked" "$out"/*.log | head -60 || true
    cat "$out/summary.txt"
    exit $status
    ;;
  *)
    echo "usage: $0 build|device" >&2
    exit 2
    ;;
esac
