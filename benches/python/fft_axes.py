"""The two passes of W6 apart: kiln's complex64 FFT of a 2048 x 2048 array along its rows
(axis 1, contiguous lines) and along its columns (axis 0, lines adjacent in memory), medians of
15 warm calls, two rounds.

Usage: python benches/python/fft_axes.py
"""

import time, statistics, numpy as np, kiln as xp
a=(np.random.rand(2048,2048)+1j*np.random.rand(2048,2048)).astype(np.complex64); ka=xp.asarray(a)
def med(f,r=15):
    for _ in range(3): f()
    t=[]
    for _ in range(r):
        s=time.perf_counter(); f(); t.append(time.perf_counter()-s)
    return statistics.median(t)*1e3
for rnd in range(2):
    print("axis1 %.1f ms  axis0 %.1f ms" % (med(lambda: xp.fft.fft(ka, axis=1).eval()), med(lambda: xp.fft.fft(ka, axis=0).eval())))
