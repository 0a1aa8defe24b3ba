"""Real FFTs, kiln (`import kiln as xp`) against NumPy in one process: rfft along the last axis
of a 4096 x 4096 float64 array and of a 2^22 vector, irfft of their spectra, rfftn of the 2-D
array, and a complex fft
of the same data for scale; scipy.fft's rfft and irfft with 2 workers as a further peer. Medians of 9 warm
calls; "speed vs NumPy" is NumPy's time over kiln's (above 1: kiln faster).

Usage: python benches/python/rfft.py       (prints a Markdown table)
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sf

import kiln as xp
from timing import median, warm_times


def median_ms(fn, repeats: int = 9) -> float:
    return median(warm_times(fn, repeats, warmup=2)) * 1e3


def rows(shape: tuple[int, ...]) -> list[str]:
    a = np.random.default_rng(0).random(shape)
    ka = xp.asarray(a)
    c = a.astype(np.complex128)
    kc = xp.asarray(c)
    h = np.fft.rfft(a)
    kh = xp.asarray(h)
    cases = [
        ("rfft", lambda: np.fft.rfft(a), lambda: xp.fft.rfft(ka).eval()),
        ("irfft", lambda: np.fft.irfft(h), lambda: xp.fft.irfft(kh).eval()),
        ("fft of the complex copy", lambda: np.fft.fft(c), lambda: xp.fft.fft(kc).eval()),
    ]
    if a.ndim == 2:
        cases.insert(1, ("rfftn", lambda: np.fft.rfftn(a), lambda: xp.fft.rfftn(ka).eval()))
    out = []
    for name, numpy_fn, kiln_fn in cases:
        tn, tk = median_ms(numpy_fn), median_ms(kiln_fn)
        peers = {"rfft": lambda: sf.rfft(a, workers=2), "irfft": lambda: sf.irfft(h, workers=2)}
        scipy = f"{median_ms(peers[name]):.1f}" if name in peers else "-"
        out.append(f"| {name} {shape} float64 | {tn:.1f} | {tk:.1f} | {tn / tk:.2f} | {scipy} |")
    return out


def main() -> None:
    print("| transform | NumPy ms | kiln ms | kiln speed vs NumPy | scipy.fft workers=2 ms |")
    print("|---|---|---|---|---|")
    for shape in [(4096, 4096), (1 << 22,)]:
        for row in rows(shape):
            print(row)


if __name__ == "__main__":
    main()
