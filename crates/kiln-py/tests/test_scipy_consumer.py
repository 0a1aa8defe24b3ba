"""A real consumer of the fft extension: scipy.fft dispatches to kiln through the Array API
when SCIPY_ARRAY_API=1 (set before scipy is first imported), so kiln arrays in give kiln arrays
out. The workload is the image filter of benchmark W6: fftn -> fftshift -> zero a block ->
ifftshift -> ifftn, compared with NumPy."""

import os

os.environ["SCIPY_ARRAY_API"] = "1"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kiln  # noqa: E402

scipy_fft = pytest.importorskip("scipy.fft")


def _low_pass(xp, fft, image, keep):
    spectrum = fft.fftshift(fft.fftn(image))
    rows, cols = image.shape
    r0, c0 = rows // 2 - keep, cols // 2 - keep
    mask = np.zeros((rows, cols), dtype=np.float32)
    mask[r0 : r0 + 2 * keep, c0 : c0 + 2 * keep] = 1.0
    kept = spectrum * xp.asarray(mask)
    return fft.ifftn(fft.ifftshift(kept))


@pytest.mark.skipif(
    not hasattr(scipy_fft, "fftn"), reason="scipy.fft without fftn"
)
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_scipy_fft_filter_on_kiln_arrays_returns_kiln_arrays(dtype):
    import scipy  # noqa: F401 (only to check the array-API mode took effect)
    from scipy._lib._array_api import SCIPY_ARRAY_API  # type: ignore[attr-defined]

    assert SCIPY_ARRAY_API, "SCIPY_ARRAY_API was not set before scipy was imported"
    rng = np.random.default_rng(0)
    image = (rng.standard_normal((48, 40)) + 1j * rng.standard_normal((48, 40))).astype(dtype)
    x = kiln.asarray(image)
    got = _low_pass(kiln, scipy_fft, x, keep=6)
    assert isinstance(got, kiln.Array)
    assert got.dtype == getattr(kiln, np.dtype(dtype).name)
    want = _low_pass(np, np.fft, image, keep=6)
    tol = 1e-5 if dtype == np.complex64 else 1e-12
    np.testing.assert_allclose(np.asarray(got), want, rtol=0, atol=tol * np.abs(want).max())


def test_scipy_fft_functions_on_kiln_arrays():
    a = np.linspace(-1, 1, 24).reshape(4, 6)
    x = kiln.asarray(a)
    for name, kwargs in [
        ("fft", {}),
        ("ifft", {"n": 8}),
        ("rfft", {"axis": 0}),
        ("irfft", {}),
        ("rfftn", {}),
        ("fftshift", {}),
    ]:
        got = getattr(scipy_fft, name)(x, **kwargs)
        assert isinstance(got, kiln.Array), name
        want = getattr(np.fft, name)(a, **kwargs)
        np.testing.assert_allclose(np.asarray(got), want, rtol=0, atol=1e-12 * (1 + abs(want).max()))
