"""The two passes of W6 apart: kiln's complex64 FFT of a 2048 x 2048 array along its rows
(axis 1, contiguous lines) and along its columns (axis 0, lines adjacent in memory), medians of
15 warm calls, two rounds.

Usage: python benches/python/fft_axes.py
"""

import numpy as np

import kiln as xp
from timing import median, warm_times

a = (np.random.rand(2048, 2048) + 1j * np.random.rand(2048, 2048)).astype(np.complex64)
ka = xp.asarray(a)


def median_ms(fn) -> float:
    return median(warm_times(fn, repeats=15, warmup=3)) * 1e3


for _ in range(2):
    rows = median_ms(lambda: xp.fft.fft(ka, axis=1).eval())
    columns = median_ms(lambda: xp.fft.fft(ka, axis=0).eval())
    print(f"axis1 {rows:.1f} ms  axis0 {columns:.1f} ms")
