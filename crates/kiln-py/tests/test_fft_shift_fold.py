"""Shifts around transforms (folded into the transform steps by kiln) against numpy.fft:
``shift_out(transform(shift_in(x)))`` and the image filter of benchmark W6 on random shapes
(size-0 and size-1 dims), dtypes, axes and shift directions."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kiln
import kiln.fft as kfft

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6)
TRANSFORMS = ["fftn", "ifftn", "rfftn", "irfftn"]


def parts(dtype):
    width = 32 if dtype in (np.float32, np.complex64) else 64
    return st.floats(-4, 4, width=width)


@st.composite
def case(draw):
    name = draw(st.sampled_from(TRANSFORMS))
    real = name == "rfftn"
    dtype = draw(st.sampled_from([np.float32, np.float64] if real else [np.complex64, np.complex128]))
    element = parts(dtype) if real else st.builds(complex, parts(dtype), parts(dtype))
    a = draw(hnp.arrays(dtype, shapes, elements=element))
    def axis_set(least=0):
        order = draw(st.permutations(range(a.ndim)))
        return tuple(order[: draw(st.integers(least, a.ndim))])

    axes = axis_set(1)
    shift_in = draw(st.sampled_from(["fftshift", "ifftshift", None]))
    in_axes = axis_set()
    shift_out = draw(st.sampled_from(["fftshift", "ifftshift"]))
    out_axes = None if draw(st.booleans()) else axis_set()
    return name, a, axes, shift_in, in_axes, shift_out, out_axes


def apply(lib, a, name, axes, shift_in, in_axes, shift_out, out_axes):
    x = getattr(lib, shift_in)(a, axes=in_axes) if shift_in else a
    return getattr(lib, shift_out)(getattr(lib, name)(x, axes=axes), axes=out_axes)


@given(case())
def test_shifts_around_transforms_match_numpy(c):
    name, a, axes, shift_in, in_axes, shift_out, out_axes = c
    args = (name, axes, shift_in, in_axes, shift_out, out_axes)
    try:
        want = apply(np.fft, a, *args)
    except ValueError:
        try:
            apply(kfft, kiln.asarray(a), *args)
        except ValueError:
            return
        raise AssertionError("kiln accepted what NumPy rejects")
    got = np.asarray(apply(kfft, kiln.asarray(a), *args))
    single = a.dtype in (np.float32, np.complex64)
    assert got.shape == want.shape
    scale = 1.0 + (np.abs(want).max() if want.size else 0.0)
    np.testing.assert_allclose(got, want, rtol=0, atol=(2e-5 if single else 1e-12) * scale)


@given(
    hnp.arrays(np.complex64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=9),
               elements=st.builds(complex, parts(np.float32), parts(np.float32))),
    st.data(),
)
def test_image_filter_matches_numpy(image, data):
    rows, cols = image.shape
    mask = np.zeros(image.shape, dtype=np.float32)
    r0, r1 = sorted(data.draw(st.lists(st.integers(0, rows), min_size=2, max_size=2)))
    c0, c1 = sorted(data.draw(st.lists(st.integers(0, cols), min_size=2, max_size=2)))
    mask[r0:r1, c0:c1] = 1.0
    want = np.fft.ifftn(np.fft.ifftshift(np.fft.fftshift(np.fft.fftn(image)) * mask))
    k_image, k_mask = kiln.asarray(image), kiln.asarray(mask)
    got = np.asarray(kfft.ifftn(kfft.ifftshift(kfft.fftshift(kfft.fftn(k_image)) * k_mask)))
    assert got.dtype == np.complex64
    scale = 1.0 + np.abs(image).sum()
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-5 * scale)
