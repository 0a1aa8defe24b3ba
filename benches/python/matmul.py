"""W7 of /work/shared/bench/workloads.md: a 2048 x 2048 float32 matmul, kiln (`import kiln as
xp`) against NumPy (its bundled OpenBLAS) and, when installed, PyTorch, in one process.

Each peer is timed warm (two warm-up calls) and reported as the median of its repeats. kiln's
time is build + eval of ``xp.matmul(a, b)`` on realized inputs (the result stays in kiln memory);
NumPy's is ``a @ b`` into a fresh array. Also reports GFLOP/s (2 n^3 flops) and kiln's ratio to
NumPy (NumPy time / kiln time: above 1 means kiln is faster), plus a float64 row and the
factorisations of the linalg extension at 512 x 512 (kiln/faer against NumPy/LAPACK).

Usage: python benches/python/matmul.py       (prints a Markdown table)
Environment: KILN_BENCH_QUICK=1 for fewer repeats.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from importlib import metadata

import numpy as np

import kiln as xp

QUICK = os.environ.get("KILN_BENCH_QUICK", "0") not in ("", "0")
BUDGET_S = 1.0 if QUICK else 3.0
MIN_REPEATS = 3 if QUICK else 7


def median_time(fn, warmup: int = 2) -> float:
    # Peers are timed in blocks, not in alternation: after each call OpenBLAS's worker threads
    # spin for ~2^28 cycles (OPENBLAS_THREAD_TIMEOUT), so a kiln call right after a NumPy call
    # runs on one core (measured: 0.59-0.63x alternating vs 0.75-0.78x in blocks, same build).
    for _ in range(warmup):
        fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < MIN_REPEATS or (len(times) < 100 and time.perf_counter() - start < BUDGET_S):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def matmul_row(n: int, dtype) -> list[str]:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    ka, kb = xp.asarray(a), xp.asarray(b)
    ka.eval()
    kb.eval()
    # Correctness first: the same product as NumPy's up to rounding.
    got = np.asarray(xp.matmul(ka, kb))
    want = a @ b
    err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
    t_np = median_time(lambda: a @ b)
    t_kiln = median_time(lambda: xp.matmul(ka, kb).eval())
    flops = 2.0 * n**3
    row = [
        f"W7 matmul {n}x{n} {np.dtype(dtype).name}",
        f"{t_np * 1e3:.1f}",
        f"{t_kiln * 1e3:.1f}",
        f"{t_np / t_kiln:.2f}",
        f"{flops / t_np / 1e9:.1f}",
        f"{flops / t_kiln / 1e9:.1f}",
        f"{err:.1e}",
    ]
    try:
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        row.append(f"{median_time(lambda: ta @ tb) * 1e3:.1f}")
    except ImportError:
        row.append("-")
    return row


def factorisation_rows(n: int) -> list[list[str]]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, n))
    spd = x @ x.T + n * np.eye(n)
    kx, kspd = xp.asarray(x), xp.asarray(spd)
    cases = [
        ("inv", lambda: np.linalg.inv(x), lambda: xp.linalg.inv(kx).eval()),
        ("solve", lambda: np.linalg.solve(x, spd), lambda: xp.linalg.solve(kx, kspd).eval()),
        ("cholesky", lambda: np.linalg.cholesky(spd), lambda: xp.linalg.cholesky(kspd).eval()),
        ("eigh", lambda: np.linalg.eigh(spd), lambda: xp.eval(*xp.linalg.eigh(kspd))),
        ("svd", lambda: np.linalg.svd(x), lambda: xp.eval(*xp.linalg.svd(kx))),
        ("qr", lambda: np.linalg.qr(x), lambda: xp.eval(*xp.linalg.qr(kx))),
    ]
    rows = []
    for name, numpy_fn, kiln_fn in cases:
        t_np, t_kiln = median_time(numpy_fn, warmup=1), median_time(kiln_fn, warmup=1)
        rows.append([f"{name} {n}x{n} float64", f"{t_np * 1e3:.1f}", f"{t_kiln * 1e3:.1f}", f"{t_np / t_kiln:.2f}"])
    return rows


def main() -> None:
    print(f"# W7 matmul and linalg factorisations, {time.strftime('%Y-%m-%d %H:%M')}\n")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; Python {sys.version.split()[0]}")
    print(
        f"Packages: kiln {version('kiln')}, numpy {version('numpy')} "
        f"(BLAS: {np.show_config(mode='dicts').get('Build Dependencies', {}).get('blas', {}).get('name', '?')}), "
        f"torch {version('torch')}"
    )
    print(f"Mode: {'quick' if QUICK else 'full'}; medians of warm repeats.\n")
    print("| workload | NumPy ms | kiln ms | kiln speed vs NumPy | NumPy GFLOP/s | kiln GFLOP/s | max rel. diff | PyTorch ms |")
    print("|---|---|---|---|---|---|---|---|")
    for n, dtype in [(2048, np.float32), (2048, np.float64), (512, np.float32)]:
        print("| " + " | ".join(matmul_row(n, dtype)) + " |", flush=True)
    if not hasattr(xp, "linalg"):
        print("\n(this kiln has no linalg extension: factorisations skipped)")
        return
    print("\n| factorisation | NumPy ms | kiln ms | kiln speed vs NumPy |")
    print("|---|---|---|---|")
    for row in factorisation_rows(512):
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
