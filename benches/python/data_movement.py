"""kiln against NumPy on the data-movement functions (sort, argsort, take, boolean masks,
concat, searchsorted, unique), side by side in one run. Prints a Markdown table of median times
and ratios (NumPy time / kiln time: above 1 means kiln is faster).

Run with the interpreter of a venv that has kiln and NumPy (e.g. the one benches/python/run.sh
builds):  /tmp/kiln-bench-venv/bin/python benches/python/data_movement.py
"""

from __future__ import annotations

import platform

import numpy as np

import kiln
from timing import median, warm_times

N = 1_000_000


def median_time(fn, repeats: int = 7) -> float:
    return median(warm_times(fn, repeats))


def main() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal(N)
    m = rng.standard_normal((1000, 1000)).astype(np.float32)
    idx = rng.integers(0, N, N)
    b32 = rng.standard_normal(4 * N).astype(np.float32)
    small = rng.integers(0, 1000, N)
    sorted_a = np.sort(a)
    queries = rng.standard_normal(N)
    ka, km, kidx, kb, ksmall = map(kiln.asarray, (a, m, idx, b32, small))
    ksorted, kq = kiln.asarray(sorted_a), kiln.asarray(queries)
    mask = a > 0
    kmask = ka > 0
    kmask.eval()

    cases = [
        ("sort f64 1e6", lambda: np.sort(a, kind="stable"), lambda: kiln.sort(ka).eval()),
        ("argsort f64 1e6", lambda: np.argsort(a, kind="stable"), lambda: kiln.argsort(ka).eval()),
        ("sort rows f32 1000x1000", lambda: np.sort(m, axis=1, kind="stable"), lambda: kiln.sort(km, axis=1).eval()),
        ("take f64 1e6 random", lambda: np.take(a, idx), lambda: kiln.take(ka, kidx).eval()),
        ("mask a[a > 0] f64 1e6", lambda: a[mask], lambda: ka[kmask].eval()),
        ("concat 2x4e6 f32", lambda: np.concatenate([b32, b32]), lambda: kiln.concat([kb, kb]).eval()),
        ("searchsorted 1e6 into 1e6", lambda: np.searchsorted(sorted_a, queries), lambda: kiln.searchsorted(ksorted, kq).eval()),
        ("unique_values int64 1e6", lambda: np.unique(small), lambda: kiln.unique_values(ksmall).eval()),
    ]
    print(f"kiln {kiln.__version__ if hasattr(kiln, '__version__') else '(dev)'}, NumPy {np.__version__}, "
          f"Python {platform.python_version()}, {platform.machine()}")
    print()
    print("| function | NumPy ms | kiln ms | NumPy / kiln |")
    print("|---|---|---|---|")
    for name, np_fn, kiln_fn in cases:
        t_np, t_k = median_time(np_fn), median_time(kiln_fn)
        print(f"| {name} | {1e3 * t_np:.2f} | {1e3 * t_k:.2f} | {t_np / t_k:.2f}x |")


if __name__ == "__main__":
    main()
