"""The fft extension against numpy.fft: every transform with random shapes (size-0 and size-1
dims), dtypes, lengths, axes and norms; frequencies and shifts; the module's presence on the
namespace; and the exceptions bad arguments raise."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kiln
import kiln.fft as kfft

NORMS = ["backward", "ortho", "forward"]
REAL = [np.float32, np.float64]
COMPLEX = [np.complex64, np.complex128]
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6)
ONE_AXIS = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
MANY_AXES = ["fftn", "ifftn", "rfftn", "irfftn"]
REAL_INPUT = {"rfft", "ihfft", "rfftn"}


def values(dtype):
    dtype = np.dtype(dtype)
    part = st.floats(-4, 4, width=32 if dtype in (np.float32, np.complex64) else 64)
    if dtype.kind == "c":
        return st.builds(complex, part, part)
    return part


def close(got, want, single):
    """kiln's result equals NumPy's up to the transform's rounding (relative to the largest
    entry: an FFT's error is spread over the whole line), with the standard's dtype."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    expected_dtype = want.dtype
    if single:
        # NumPy computes float32 input in float32 since 2.0; kiln keeps single precision too.
        expected_dtype = {np.dtype("complex128"): np.complex64, np.dtype("float64"): np.float32}.get(
            want.dtype, want.dtype
        )
    assert got.dtype == expected_dtype, f"dtype {got.dtype} != {expected_dtype}"
    scale = 1.0 + (np.abs(want).max() if want.size else 0.0)
    np.testing.assert_allclose(got, want, rtol=0, atol=(2e-5 if single else 1e-12) * scale)


@st.composite
def transform_case(draw, names):
    name = draw(st.sampled_from(names))
    dtype = draw(st.sampled_from(REAL if name in REAL_INPUT else COMPLEX + REAL))
    a = draw(hnp.arrays(dtype, shapes, elements=values(dtype)))
    norm = draw(st.sampled_from(NORMS))
    return name, a, norm


def run_both(name, a, kwargs):
    """NumPy's result, or its exception type; then kiln's with the same arguments."""
    try:
        want = getattr(np.fft, name)(a, **kwargs)
    except (ValueError, IndexError) as e:
        with pytest.raises(type(e)):
            getattr(kfft, name)(kiln.asarray(a), **kwargs)
        return
    if a.size == 0:
        # Every transform is linear and pads with zeros, so an empty input gives zeros. NumPy
        # 2.4's irfft/irfftn of an empty input padded to n returns uninitialised memory
        # (irfft(np.array([], np.complex64), n=1) gave -0.0024, then 4.7e-310, then -1.1e27).
        want = np.zeros_like(want)
    got = getattr(kfft, name)(kiln.asarray(a), **kwargs)
    close(got, want, a.dtype in (np.float32, np.complex64))


@given(transform_case(ONE_AXIS), st.data())
def test_one_axis_transforms_match_numpy(case, data):
    name, a, norm = case
    n = data.draw(st.none() | st.integers(1, 9))
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    run_both(name, a, {"n": n, "axis": axis, "norm": norm})


@given(transform_case(MANY_AXES), st.data())
def test_multi_axis_transforms_match_numpy(case, data):
    name, a, norm = case
    axes = data.draw(
        st.none() | st.lists(st.integers(0, a.ndim - 1), min_size=1, max_size=a.ndim, unique=True)
    )
    s = None
    if axes is not None and data.draw(st.booleans()):
        s = tuple(data.draw(st.integers(1, 8)) for _ in axes)
    kwargs = {"s": s, "axes": None if axes is None else tuple(axes), "norm": norm}
    run_both(name, a, kwargs)


@given(hnp.arrays(np.complex64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40),
                  elements=values(np.complex64)))
def test_strided_and_lazy_operands(a):
    # A transposed view and a lazy expression as the operand.
    x = kiln.asarray(a)
    got = kfft.fftn(kiln.matrix_transpose(x) * 2)
    close(got, np.fft.fftn(a.T * 2), single=True)


@given(st.integers(1, 12), st.floats(0.1, 10), st.sampled_from([None, np.float32, np.float64]))
def test_frequencies_match_numpy(n, d, dtype):
    kd = None if dtype is None else getattr(kiln, np.dtype(dtype).name)
    want_dtype = np.float64 if dtype is None else dtype
    for name in ("fftfreq", "rfftfreq"):
        got = getattr(kfft, name)(n, d=d, dtype=kd)
        want = getattr(np.fft, name)(n, d=d).astype(want_dtype)
        assert np.asarray(got).dtype == want_dtype
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


@given(hnp.arrays(np.int64, shapes, elements=st.integers(-9, 9)), st.data())
def test_shifts_match_numpy(a, data):
    axes = data.draw(
        st.none()
        | st.integers(-a.ndim, a.ndim - 1)
        | st.lists(st.integers(0, a.ndim - 1), min_size=1, max_size=a.ndim, unique=True).map(tuple)
    )
    for name in ("fftshift", "ifftshift"):
        got = getattr(kfft, name)(kiln.asarray(a), axes=axes)
        np.testing.assert_array_equal(np.asarray(got), getattr(np.fft, name)(a, axes=axes))


def test_namespace_has_the_extension():
    assert hasattr(kiln, "fft")
    assert kiln.fft is kfft
    assert sorted(kfft.__all__) == sorted(
        ["fft", "ifft", "fftn", "ifftn", "rfft", "irfft", "rfftn", "irfftn", "hfft", "ihfft",
         "fftfreq", "rfftfreq", "fftshift", "ifftshift"]
    )
    for name in kfft.__all__:
        assert getattr(kfft, name).__doc__, name
    # Results are kiln arrays and stay lazy until read.
    y = kfft.fft(kiln.ones(8, dtype=kiln.complex64))
    assert isinstance(y, kiln.Array) and y.dtype == kiln.complex64


def test_bad_arguments_raise_the_expected_exceptions():
    x = kiln.ones((2, 3), dtype=kiln.complex64)
    with pytest.raises(ValueError):
        kfft.fft(x, n=0)
    with pytest.raises(ValueError):
        kfft.fft(x, norm="sideways")
    with pytest.raises(TypeError):
        kfft.fft(x, n=2.5)
    with pytest.raises(IndexError):
        kfft.fft(x, axis=2)
    with pytest.raises(TypeError):
        kfft.fft(kiln.ones(3, dtype=kiln.int32))
    with pytest.raises(TypeError):
        kfft.rfft(x)
    with pytest.raises(TypeError):
        kfft.fft([1.0, 2.0])
    with pytest.raises(ValueError):
        kfft.fftn(x, axes=(0, 0))
    with pytest.raises(ValueError):
        kfft.fftn(x, s=(2,), axes=(0, 1))
    with pytest.raises(ValueError):
        kfft.irfft(kiln.ones(1, dtype=kiln.complex64))
    with pytest.raises(ValueError):
        kfft.fftfreq(0)
    with pytest.raises(TypeError):
        kfft.fftfreq(4, dtype=kiln.int32)
    with pytest.raises(ValueError):
        kfft.fftfreq(4, device="gpu")


@pytest.mark.parametrize("name", ["irfft", "irfftn", "fft", "ihfft", "hfft"])
def test_empty_input_padded_to_a_length_gives_zeros(name):
    dtype = np.float32 if name == "ihfft" else np.complex64
    kwargs = {"n": 3} if name in ONE_AXIS else {"s": (3,), "axes": (0,)}
    got = np.asarray(getattr(kfft, name)(kiln.asarray(np.array([], dtype)), **kwargs))
    assert got.size > 0 and np.all(got == 0)
