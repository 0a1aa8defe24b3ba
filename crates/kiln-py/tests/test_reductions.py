"""Differential tests of reductions and scans against NumPy: random shapes (0 and 1 extents),
axes (None, one, several, negative) and keepdims."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import kiln
from conftest import assert_matches
from strategies import FLOATS, INTS, arrays, kiln_dtype, shapes


@st.composite
def array_and_axis(draw, dtypes, nonempty=False):
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(shapes)
    if nonempty:
        assume(all(d > 0 for d in shape))
    x = draw(arrays(dtype, shape=shape, low=-10, high=10))
    axis = draw(
        st.none()
        | (st.integers(-x.ndim, x.ndim - 1) if x.ndim else st.none())
        | st.lists(st.integers(0, max(x.ndim - 1, 0)), unique=True, max_size=x.ndim).map(tuple)
    )
    return x, axis


@pytest.mark.parametrize("name", ["sum", "prod"])
@given(case=array_and_axis(FLOATS + INTS + [np.bool_]), keepdims=st.booleans())
def test_sum_prod(name, case, keepdims):
    x, axis = case
    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    # The Array API accumulates every signed integer in int64 and unsigned in uint64.
    if x.dtype.kind in "biu":
        acc = np.uint64 if x.dtype.kind == "u" else np.int64
        expected = getattr(np, name)(x, axis=axis, keepdims=keepdims, dtype=acc)
    assert_matches(getattr(kiln, name)(kiln.asarray(x), axis=axis, keepdims=keepdims), expected)


@given(case=array_and_axis(FLOATS), keepdims=st.booleans())
def test_sum_with_dtype(case, keepdims):
    x, axis = case
    result = kiln.sum(kiln.asarray(x), axis=axis, keepdims=keepdims, dtype=kiln.float64)
    assert_matches(result, np.sum(x, axis=axis, keepdims=keepdims, dtype=np.float64))


@pytest.mark.parametrize("name", ["max", "min"])
@given(case=array_and_axis(FLOATS + INTS, nonempty=True), keepdims=st.booleans())
def test_max_min(name, case, keepdims):
    x, axis = case
    assert_matches(getattr(kiln, name)(kiln.asarray(x), axis=axis, keepdims=keepdims), getattr(np, name)(x, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("name", ["mean", "var", "std"])
@given(case=array_and_axis(FLOATS, nonempty=True), keepdims=st.booleans(), correction=st.sampled_from([0.0, 1.0]))
def test_statistics(name, case, keepdims, correction):
    x, axis = case
    kwargs = {} if name == "mean" else {"correction": correction}
    np_kwargs = {} if name == "mean" else {"ddof": correction}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy warns when correction >= n
        expected = getattr(np, name)(x, axis=axis, keepdims=keepdims, **np_kwargs)
    assert_matches(getattr(kiln, name)(kiln.asarray(x), axis=axis, keepdims=keepdims, **kwargs), expected)


@pytest.mark.parametrize("name", ["any", "all"])
@given(case=array_and_axis(FLOATS + INTS + [np.bool_]), keepdims=st.booleans())
def test_any_all(name, case, keepdims):
    x, axis = case
    assert_matches(getattr(kiln, name)(kiln.asarray(x), axis=axis, keepdims=keepdims), getattr(np, name)(x, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(data=st.data(), keepdims=st.booleans())
def test_argmax_argmin(name, data, keepdims):
    dtype = data.draw(st.sampled_from(FLOATS + INTS))
    shape = data.draw(shapes.filter(lambda s: all(d > 0 for d in s)))
    x = data.draw(arrays(dtype, shape=shape, low=-5, high=5))  # narrow range: many ties
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None
    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    assert_matches(getattr(kiln, name)(kiln.asarray(x), axis=axis, keepdims=keepdims), expected.astype(np.int64))


@pytest.mark.parametrize("name", ["cumulative_sum", "cumulative_prod"])
@given(data=st.data())
def test_cumulative(name, data):
    dtype = data.draw(st.sampled_from(FLOATS + [np.int32, np.int64]))
    shape = data.draw(shapes.filter(lambda s: len(s) >= 1))
    x = data.draw(arrays(dtype, shape=shape, low=-3, high=3))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    np_name = "cumsum" if name == "cumulative_sum" else "cumprod"
    expected = getattr(np, np_name)(x, axis=axis, dtype=np.int64 if x.dtype.kind == "i" else None)
    assert_matches(getattr(kiln, name)(kiln.asarray(x), axis=axis), expected)


@given(case=array_and_axis(INTS + [np.bool_]), keepdims=st.booleans())
def test_count_nonzero(case, keepdims):
    x, axis = case
    expected = np.count_nonzero(x, axis=axis, keepdims=keepdims)
    assert_matches(kiln.count_nonzero(kiln.asarray(x), axis=axis, keepdims=keepdims), np.asarray(expected, dtype=np.int64))


@given(x=arrays(np.float64, shape=st.just((4, 5))), n=st.integers(0, 3), axis=st.sampled_from([0, 1, -1]))
def test_diff(x, n, axis):
    assert_matches(kiln.diff(kiln.asarray(x), axis=axis, n=n), np.diff(x, n=n, axis=axis))


def test_reduction_dtypes_follow_the_standard():
    assert kiln.sum(kiln.ones((3,), dtype=kiln.int8)).dtype == kiln.int64
    assert kiln.sum(kiln.ones((3,), dtype=kiln.uint16)).dtype == kiln.uint64
    assert kiln.sum(kiln.ones((3,), dtype=kiln.float32)).dtype == kiln.float32
    assert kiln.mean(kiln.ones((3,), dtype=kiln.float32)).dtype == kiln.float32
    assert kiln.argmax(kiln.ones((3,))).dtype == kiln.int64
    assert kiln.any(kiln.ones((3,))).dtype == kiln.bool
    assert kiln_dtype(np.int16) == kiln.int16
