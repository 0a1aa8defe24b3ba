"""Benchmark W6 (benches/../workloads.md): a 2-D FFT of a 2048 x 2048 complex64 image, keep the
low frequencies (a centred block after fftshift), inverse 2-D FFT. kiln against numpy.fft,
scipy.fft with workers=1 and workers=2 (and JAX when installed), side by side in one run.
Prints a Markdown table of median times and ratios (peer time / kiln time: above 1 means kiln
is faster), plus the CPU model and package versions.

Run with the interpreter of a venv that has a release build of kiln, NumPy and SciPy:
    KILN_PY_PROFILE=release crates/kiln-py/run_tests.sh /tmp/kiln-fft-bench   # or benches/python/run.sh
    /tmp/kiln-fft-bench/bin/python -m pip install scipy
    /tmp/kiln-fft-bench/bin/python benches/python/fft.py [SIZE]
"""

from __future__ import annotations

import os
import platform
import sys

import numpy as np
import scipy
import scipy.fft

import kiln
from timing import median, warm_times

SIZE = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
KEEP = SIZE // 16  # half-width of the kept block of frequencies


def median_time(fn, repeats: int = 9) -> tuple[float, float]:
    times = warm_times(fn, repeats)
    return median(times), times[0]


def mask(xp_asarray):
    m = np.zeros((SIZE, SIZE), dtype=np.float32)
    c = SIZE // 2
    m[c - KEEP : c + KEEP, c - KEEP : c + KEEP] = 1.0
    return xp_asarray(m)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main() -> None:
    rng = np.random.default_rng(0)
    image = (rng.standard_normal((SIZE, SIZE)) + 1j * rng.standard_normal((SIZE, SIZE))).astype(
        np.complex64
    )
    np_mask = mask(np.asarray)
    k_image, k_mask = kiln.asarray(image), mask(kiln.asarray)
    k_image.eval()
    k_mask.eval()

    def numpy_w6():
        f = np.fft.fftshift(np.fft.fft2(image))
        return np.fft.ifft2(np.fft.ifftshift(f * np_mask))

    def scipy_w6(workers):
        def run():
            f = scipy.fft.fftshift(scipy.fft.fft2(image, workers=workers))
            return scipy.fft.ifft2(scipy.fft.ifftshift(f * np_mask), workers=workers)

        return run

    def kiln_w6():
        f = kiln.fft.fftshift(kiln.fft.fftn(k_image))
        y = kiln.fft.ifftn(kiln.fft.ifftshift(f * k_mask))
        y.eval()
        return y

    want = numpy_w6()
    got = np.asarray(kiln_w6())
    assert got.dtype == np.complex64 and want.dtype == np.complex64, (got.dtype, want.dtype)
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err < 1e-5, f"kiln's W6 differs from NumPy's: relative error {err:.2e}"

    cases = [("numpy.fft", numpy_w6), ("scipy.fft workers=1", scipy_w6(1)),
             ("scipy.fft workers=2", scipy_w6(2))]
    try:
        import jax
        import jax.numpy as jnp

        j_image, j_mask = jnp.asarray(image), jnp.asarray(np_mask)

        @jax.jit
        def jax_w6(x, m):
            f = jnp.fft.fftshift(jnp.fft.fft2(x))
            return jnp.fft.ifft2(jnp.fft.ifftshift(f * m))

        cases.append(("JAX jit", lambda: jax_w6(j_image, j_mask).block_until_ready()))
        jax_version = f", JAX {jax.__version__}"
    except ImportError:
        jax_version = ""

    t_kiln, best_kiln = median_time(kiln_w6)
    print(f"W6 {SIZE}x{SIZE} complex64, keep {2 * KEEP}x{2 * KEEP} low frequencies; "
          f"CPU {cpu_model()}, {os.cpu_count()} logical CPUs")
    print(f"NumPy {np.__version__}, SciPy {scipy.__version__}{jax_version}, "
          f"Python {platform.python_version()}; kiln vs NumPy max relative error {err:.1e}")
    print()
    print("| implementation | median ms | best ms | peer / kiln (median) |")
    print("|---|---|---|---|")
    print(f"| kiln | {1e3 * t_kiln:.1f} | {1e3 * best_kiln:.1f} | 1.00x |")
    for name, fn in cases:
        t, best = median_time(fn)
        print(f"| {name} | {1e3 * t:.1f} | {1e3 * best:.1f} | {t / t_kiln:.2f}x |")


if __name__ == "__main__":
    main()
