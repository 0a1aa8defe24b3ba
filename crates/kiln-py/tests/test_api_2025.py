"""The 2025.12 additions and changes of the standard: isin, expand_dims with a tuple of axes,
permute_dims with negative axes, searchsorted with a scalar, tuples from broadcast_arrays,
meshgrid and devices(), against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kiln as xp

INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


@given(
    dtype=st.sampled_from(INT_DTYPES + ["float32", "float64"]),
    shape1=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
    n2=st.integers(0, 12),
    invert=st.booleans(),
    data=st.data(),
)
def test_isin_matches_numpy(dtype, shape1, n2, invert, data) -> None:
    elems = st.integers(-3, 6) if dtype.startswith("int") else st.integers(0, 6)
    if dtype.startswith("float"):
        elems = st.sampled_from([0.0, -0.0, 1.5, 2.0, np.nan, np.inf, -np.inf, 3.0])
    x1 = data.draw(hnp.arrays(dtype, shape1, elements=elems))
    x2 = data.draw(hnp.arrays(dtype, (n2,), elements=elems))
    got = xp.isin(xp.asarray(x1), xp.asarray(x2), invert=invert)
    want = np.isin(x1, x2, invert=invert)
    assert got.dtype == xp.bool and got.shape == x1.shape
    np.testing.assert_array_equal(np.asarray(got), want)


def test_isin_with_scalars_and_mixed_dtypes() -> None:
    x = xp.asarray([[1, 2], [3, 4]], dtype=xp.int16)
    assert np.asarray(xp.isin(x, 3)).tolist() == [[False, False], [True, False]]
    assert bool(xp.isin(3, x)) and not bool(xp.isin(7, x))
    assert bool(xp.isin(7, x, invert=True))
    other = xp.asarray([4, 1], dtype=xp.int64)
    assert np.asarray(xp.isin(x, other)).tolist() == [[True, False], [False, True]]
    with pytest.raises(TypeError):
        xp.isin(1, 2)
    with pytest.raises(TypeError):
        xp.isin(x, other, invert=1)


@given(
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
    data=st.data(),
)
def test_expand_dims_with_a_tuple_matches_numpy(shape, data) -> None:
    x = np.arange(int(np.prod(shape))).reshape(shape)
    k = data.draw(st.integers(1, 3))
    out_ndim = len(shape) + k
    axes = tuple(data.draw(st.lists(st.integers(-out_ndim - 1, out_ndim), min_size=k, max_size=k)))
    normalised = [a % out_ndim if -out_ndim <= a < out_ndim else None for a in axes]
    if None in normalised:
        with pytest.raises(IndexError):
            xp.expand_dims(xp.asarray(x), axis=axes)
    elif len(set(normalised)) != len(normalised):
        with pytest.raises(ValueError):
            xp.expand_dims(xp.asarray(x), axis=axes)
    else:
        got = xp.expand_dims(xp.asarray(x), axis=axes)
        np.testing.assert_array_equal(np.asarray(got), np.expand_dims(x, axes))


def test_permute_dims_takes_negative_axes() -> None:
    x = np.arange(24).reshape(2, 3, 4)
    got = xp.permute_dims(xp.asarray(x), (-1, 0, -2))
    np.testing.assert_array_equal(np.asarray(got), np.transpose(x, (2, 0, 1)))
    with pytest.raises(IndexError):
        xp.permute_dims(xp.asarray(x), (0, 1, -4))


def test_searchsorted_with_a_scalar_gives_a_0d_index() -> None:
    table = xp.asarray([1.0, 2.0, 4.0])
    for side, want in (("left", 2), ("right", 2)):
        out = xp.searchsorted(table, 3, side=side)
        assert out.shape == () and int(out) == want
    assert int(xp.searchsorted(table, 2.0, side="right")) == 2
    assert int(xp.searchsorted(table, 2.0, side="left")) == 1


def test_2025_tuple_returns() -> None:
    a, b = xp.asarray([1, 2, 3]), xp.asarray([[1], [2]])
    assert isinstance(xp.broadcast_arrays(a, b), tuple)
    assert isinstance(xp.meshgrid(a, a), tuple)
    assert isinstance(xp.__array_namespace_info__().devices(), tuple)
    assert xp.__array_api_version__ == "2025.12"
    assert a.__array_namespace__(api_version="2025.12") is xp
