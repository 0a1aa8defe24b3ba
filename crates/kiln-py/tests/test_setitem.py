"""Differential tests of ``Array.__setitem__`` against NumPy: basic keys (ints, slices with any
step, ``...``, None), scalar and broadcast array values, dtype casts, the functional-update
semantics (other handles keep the old values) and the errors of unsupported keys and values."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kiln
from conftest import assert_matches
from strategies import arrays, elements, shapes
from test_views import basic_index


def _region_value_shape(draw, region):
    """A shape that broadcasts to `region`: a suffix of it with some extents replaced by 1."""
    keep = draw(st.integers(0, len(region)))
    dims = list(region[len(region) - keep :])
    return tuple(1 if draw(st.booleans()) else d for d in dims)


@given(data=st.data(), dtype=st.sampled_from([np.int32, np.float64, np.uint8]))
def test_setitem_scalar_matches_numpy(data, dtype):
    x = data.draw(arrays(dtype, shape=shapes))
    key = data.draw(basic_index(x.shape))
    scalar = data.draw(elements(dtype, low=0, high=100))
    scalar = int(scalar) if np.dtype(dtype).kind in "iu" else float(scalar)
    a = kiln.asarray(x)
    a[key] = scalar
    expected = x.copy()
    expected[key] = scalar
    assert_matches(a, expected)


@given(data=st.data(), dtype=st.sampled_from([np.int32, np.float32, np.bool_]))
def test_setitem_broadcast_array_matches_numpy(data, dtype):
    x = data.draw(arrays(dtype, shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)))
    key = data.draw(basic_index(x.shape))
    region = x[key].shape
    v = data.draw(arrays(dtype, shape=st.just(_region_value_shape(data.draw, region))))
    a = kiln.asarray(x)
    a[key] = kiln.asarray(v)
    expected = x.copy()
    expected[key] = v
    assert_matches(a, expected)


@given(data=st.data())
def test_setitem_sequence_of_updates_then_arithmetic(data):
    x = data.draw(arrays(np.float64, shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)))
    a = kiln.asarray(x)
    expected = x.copy()
    for _ in range(3):
        key = data.draw(basic_index(x.shape))
        v = data.draw(arrays(np.float64, shape=st.just(_region_value_shape(data.draw, x[key].shape))))
        a[key] = kiln.asarray(v)
        expected[key] = v
    assert_matches(a * 2 + 1, expected * 2 + 1)


@pytest.mark.parametrize(
    "key",
    [np.s_[::2], np.s_[::-1], np.s_[7:1:-3], np.s_[-2::-4], np.s_[1:9:3], np.s_[5:2], np.s_[3]],
)
def test_setitem_strided_array_values(key):
    x = np.arange(10.0)
    v = -np.arange(100.0, 100.0 + x[key].size).reshape(x[key].shape)
    a = kiln.asarray(x)
    a[key] = kiln.asarray(v)
    expected = x.copy()
    expected[key] = v
    assert_matches(a, expected)


def test_setitem_rebinds_only_this_handle():
    # As with in-place operators (and NumPy), `y = x` names the same Python object, so y sees
    # the update; a copy handle and arrays built from x before the update keep the old values.
    x = kiln.asarray(np.arange(6, dtype=np.int64).reshape(2, 3))
    y = x
    derived = x * 1
    before = x._raw
    x[0] = 5
    assert y is x
    assert_matches(y, [[5, 5, 5], [3, 4, 5]])
    assert_matches(derived, [[0, 1, 2], [3, 4, 5]])
    z = kiln.asarray(np.arange(6, dtype=np.int64).reshape(2, 3))
    w = kiln.asarray(z, copy=True)
    z[:, 1] = kiln.asarray(np.array([7, 8]))
    assert_matches(z, [[0, 7, 2], [3, 8, 5]])
    assert_matches(w, [[0, 1, 2], [3, 4, 5]])
    assert x._raw is not before


def test_setitem_of_an_evaluated_array_keeps_the_old_node():
    x = kiln.ones((4,), dtype=kiln.float32)
    old = x + 0
    old.eval()
    x[1:3] = 2.0
    assert_matches(old, np.ones(4, np.float32))
    assert_matches(x, np.array([1, 2, 2, 1], np.float32))



def test_setitem_upcasts_smaller_arrays_and_keeps_dtype():
    x = kiln.zeros((3,), dtype=kiln.int64)
    x[:2] = kiln.asarray(np.array([3, -4], np.int8))
    assert_matches(x, np.array([3, -4, 0], np.int64))
    c = kiln.zeros((2,), dtype=kiln.complex128)
    c[1] = 1.5
    assert_matches(c, np.array([0, 1.5], np.complex128))


@pytest.mark.parametrize(
    "make,value",
    [
        (lambda: kiln.zeros((3,), dtype=kiln.int32), 1.5),
        (lambda: kiln.zeros((3,), dtype=kiln.int32), True),
        (lambda: kiln.zeros((3,), dtype=kiln.float64), 1j),
        (lambda: kiln.zeros((3,), dtype=kiln.bool), 1),
        (lambda: kiln.zeros((3,), dtype=kiln.int32), kiln.ones((3,), dtype=kiln.float32)),
        (lambda: kiln.zeros((3,), dtype=kiln.int8), kiln.ones((3,), dtype=kiln.int64)),
        (lambda: kiln.zeros((3,), dtype=kiln.int32), "a"),
        (lambda: kiln.zeros((3,), dtype=kiln.int32), [1, 2, 3]),
    ],
)
def test_setitem_rejects_values_of_another_kind(make, value):
    x = make()
    before = x._raw
    with pytest.raises(TypeError):
        x[:] = value
    assert x._raw is before


@pytest.mark.parametrize(
    "key,error",
    [
        (kiln.asarray(np.array([0, 3])), IndexError),
        (kiln.asarray(np.array([True, False])), IndexError),
        ([0, -4], IndexError),
        (np.array([[0.5]]), IndexError),
        (3, IndexError),
        (-4, IndexError),
        ((0, 0), IndexError),
        ((..., ...), IndexError),
        (slice(None, None, 0), ValueError),
        (1.0, IndexError),
    ],
)
def test_setitem_rejects_bad_keys(key, error):
    x = kiln.zeros((3,), dtype=kiln.int32)
    with pytest.raises(error):
        x[key] = 1


def test_setitem_rejects_values_that_do_not_broadcast():
    x = kiln.zeros((4, 3), dtype=kiln.int32)
    with pytest.raises(ValueError):
        x[:2] = kiln.zeros((3, 3), dtype=kiln.int32)
    with pytest.raises(ValueError):
        x[0:0] = kiln.zeros((2,), dtype=kiln.int32)
    x[:, None, 1] = kiln.asarray(np.array([[1], [2], [3], [4]], np.int32))
    assert_matches(x[:, 1], np.array([1, 2, 3, 4], np.int32))
