"""Differential tests against NumPy for joins, gathers, advanced indexing (get and set),
sorting, searching and set functions, with random shapes, dtypes, values and keys; plus the
exceptions bad input raises."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kiln
from conftest import assert_matches
from strategies import FLOATS, INTS, arrays

DTYPES = FLOATS + INTS + [np.bool_]
small_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5)
nonempty_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)


def with_specials(dtype):
    """Arrays with many duplicates, and NaN / signed zeros for floats."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        values = st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, np.nan, np.inf, -np.inf])
    elif dtype.kind == "b":
        values = st.booleans()
    else:
        values = st.integers(0, 4)
    return values


@st.composite
def array_and_axis(draw, shapes=small_shapes):
    dtype = draw(st.sampled_from(DTYPES))
    a = draw(hnp.arrays(dtype, shapes, elements=with_specials(dtype)))
    axis = draw(st.integers(-a.ndim, a.ndim - 1))
    return a, axis


@given(array_and_axis(), st.booleans())
def test_sort_and_argsort_match_numpy_stable_order(case, descending):
    a, axis = case
    x = kiln.asarray(a)
    if descending:
        # The standard's stable descending order (array-api-strict's definition).
        flipped = np.flip(a, axis=axis)
        order = np.flip(np.argsort(flipped, axis=axis, kind="stable"), axis=axis)
        want_order = a.shape[axis] - 1 - order
        want = np.take_along_axis(a, want_order, axis=axis)
    else:
        want_order = np.argsort(a, axis=axis, kind="stable")
        want = np.sort(a, axis=axis, kind="stable")
    assert_matches(kiln.argsort(x, axis=axis, descending=descending), want_order)
    assert_matches(kiln.sort(x, axis=axis, descending=descending), want)


@given(array_and_axis(nonempty_shapes), st.lists(st.integers(-50, 50), max_size=6))
def test_take_matches_numpy(case, picks):
    a, axis = case
    n = a.shape[axis]
    idx = np.array([p % (2 * n) - n for p in picks], dtype=np.int64)
    got = kiln.take(kiln.asarray(a), kiln.asarray(idx), axis=axis)
    assert_matches(got, np.take(a, idx, axis=axis))


@given(array_and_axis(nonempty_shapes), st.data())
def test_take_along_axis_matches_numpy(case, data):
    a, axis = case
    n = a.shape[axis]
    shape = list(a.shape)
    shape[axis] = data.draw(st.integers(0, 4))
    idx = data.draw(hnp.arrays(np.int32, tuple(shape), elements=st.integers(-n, n - 1)))
    got = kiln.take_along_axis(kiln.asarray(a), kiln.asarray(idx), axis=axis)
    assert_matches(got, np.take_along_axis(a, idx, axis=axis))


@given(st.data())
def test_concat_and_stack_promote_like_numpy(data):
    shape = data.draw(small_shapes)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    parts = []
    for _ in range(data.draw(st.integers(1, 3))):
        dtype = data.draw(st.sampled_from([np.int8, np.int32, np.float32, np.float64]))
        s = list(shape)
        s[axis] = data.draw(st.integers(0, 3))
        parts.append(data.draw(arrays(dtype, tuple(s))))
    got = kiln.concat([kiln.asarray(p) for p in parts], axis=axis)
    assert_matches(got, np.concatenate(parts, axis=axis))
    flat = kiln.concat([kiln.asarray(p) for p in parts], axis=None)
    assert_matches(flat, np.concatenate([p.reshape(-1) for p in parts]))
    same = [p for p in parts if p.shape == parts[0].shape]
    stack_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    assert_matches(
        kiln.stack([kiln.asarray(p) for p in same], axis=stack_axis), np.stack(same, axis=stack_axis)
    )


@given(arrays(np.int32, small_shapes), st.integers(-7, 7), st.booleans())
def test_roll_matches_numpy(a, shift, flat):
    x = kiln.asarray(a)
    if flat:
        assert_matches(kiln.roll(x, shift), np.roll(a, shift))
    else:
        axes = tuple(range(a.ndim))
        shifts = tuple(shift + i for i in axes)
        assert_matches(kiln.roll(x, shifts, axis=axes), np.roll(a, shifts, axis=axes))


@given(hnp.arrays(np.float64, small_shapes, elements=with_specials(np.float64)))
def test_nonzero_and_unique_match_numpy(a):
    x = kiln.asarray(a)
    for got, want in zip(kiln.nonzero(x), np.nonzero(a)):
        assert_matches(got, want)
    u = kiln.unique_all(x)
    values, index, inverse, counts = np.unique(
        a, return_index=True, return_inverse=True, return_counts=True, equal_nan=False
    )
    assert_matches(u.values, values)
    assert_matches(u.indices, index)
    assert_matches(u.inverse_indices, inverse.reshape(a.shape))
    assert_matches(u.counts, counts)
    assert_matches(kiln.unique_values(x), values)
    assert_matches(kiln.unique_counts(x).counts, counts)
    assert_matches(kiln.unique_inverse(x).inverse_indices, inverse.reshape(a.shape))


@given(
    hnp.arrays(np.float64, st.integers(0, 8), elements=with_specials(np.float64)),
    hnp.arrays(np.float64, small_shapes, elements=with_specials(np.float64)),
    st.sampled_from(["left", "right"]),
)
def test_searchsorted_matches_numpy(sorted_values, values, side):
    s = np.sort(sorted_values)
    got = kiln.searchsorted(kiln.asarray(s), kiln.asarray(values), side=side)
    assert_matches(got, np.searchsorted(s, values, side=side))
    sorter = np.argsort(sorted_values, kind="stable")
    got = kiln.searchsorted(
        kiln.asarray(sorted_values), kiln.asarray(values), side=side, sorter=kiln.asarray(sorter)
    )
    assert_matches(got, np.searchsorted(sorted_values, values, side=side, sorter=sorter))


@st.composite
def advanced_key(draw, shape):
    """A NumPy key mixing ints, slices, None, ..., integer arrays and boolean masks."""
    entries = []
    axis = 0
    while axis < len(shape):
        d = shape[axis]
        kind = draw(st.sampled_from(["int", "slice", "array", "mask"] if d else ["slice", "array"]))
        if kind == "int":
            entries.append(draw(st.integers(-d, d - 1)))
            axis += 1
        elif kind == "slice":
            entries.append(slice(draw(st.none() | st.integers(-d, d)), None, draw(st.sampled_from([None, 1, 2, -1]))))
            axis += 1
        elif kind == "array" and d:
            idx_shape = draw(st.sampled_from([(2,), (1,), (2, 1), (3,)]))
            entries.append(draw(hnp.arrays(np.int64, idx_shape, elements=st.integers(-d, d - 1))))
            axis += 1
        elif kind == "mask":
            k = draw(st.integers(1, len(shape) - axis))
            entries.append(draw(hnp.arrays(np.bool_, tuple(shape[axis : axis + k]))))
            axis += k
        else:
            entries.append(slice(None))
            axis += 1
    cut = draw(st.integers(0, len(entries)))
    entries = entries[:cut]
    if draw(st.booleans()):
        entries.insert(draw(st.integers(0, len(entries))), None)
    return tuple(entries)


@given(st.data())
def test_advanced_getitem_matches_numpy(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    a = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    key = data.draw(advanced_key(shape))
    try:
        want = a[key]
    except IndexError:
        with pytest.raises(IndexError):
            kiln.asarray(a)[key]
        return
    kkey = tuple(kiln.asarray(k) if isinstance(k, np.ndarray) and data.draw(st.booleans()) else k for k in key)
    assert_matches(kiln.asarray(a)[kkey], want)


@given(st.data())
def test_advanced_setitem_matches_numpy(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    key = data.draw(advanced_key(shape))
    assume(any(isinstance(k, np.ndarray) for k in key))
    try:
        target = a[key].shape
    except IndexError:
        return
    scalar = data.draw(st.booleans())
    value = -1.5 if scalar else -np.arange(1, int(np.prod(target)) + 1, dtype=np.float64).reshape(target)
    want = a.copy()
    want[key] = value
    x = kiln.asarray(a)
    before = kiln.asarray(x, copy=True)  # another handle on the same node
    x[key] = value if scalar else kiln.asarray(value)
    assert_matches(x, want)
    assert_matches(before, a)  # other handles keep the old values


def test_mixed_keys_follow_numpy_placement():
    a = np.arange(60).reshape(3, 4, 5)
    x = kiln.asarray(a)
    for key in [
        (slice(None), [1, 3], 0),
        ([0, 2], slice(None), [1, -1]),
        (Ellipsis, [[0], [4]]),
        (a[:, :, 0] % 3 == 0,),
        (1, a[0] > 7),
        (True,),
        (Ellipsis, False),
        ([],),
    ]:
        assert_matches(x[key], a[key])


def test_mask_setitem_with_scalar_and_lazy_inputs():
    a = np.linspace(-1, 1, 12).reshape(3, 4)
    x = kiln.asarray(a) * 2
    x[x < 0] = 0.0
    want = a * 2
    want[want < 0] = 0.0
    assert_matches(x, want)


def test_cumulative_include_initial_and_diff_prepend_append():
    a = np.arange(1, 7, dtype=np.int64).reshape(2, 3)
    x = kiln.asarray(a)
    want = np.concatenate([np.zeros((2, 1), np.int64), np.cumsum(a, axis=1)], axis=1)
    assert_matches(kiln.cumulative_sum(x, axis=1, include_initial=True), want)
    want = np.concatenate([np.ones((1, 3), np.int64), np.cumprod(a, axis=0)], axis=0)
    assert_matches(kiln.cumulative_prod(x, axis=0, include_initial=True), want)
    p, q = np.array([[9], [8]]), np.array([[0], [1]])
    got = kiln.diff(x, axis=1, prepend=kiln.asarray(p), append=kiln.asarray(q))
    assert_matches(got, np.diff(a, axis=1, prepend=p, append=q))


def test_repeat_with_counts_keeps_x_lazy():
    a = np.arange(6).reshape(2, 3)
    x = kiln.asarray(a) + 1
    got = kiln.repeat(x, kiln.asarray(np.array([1, 0, 2])), axis=1)
    assert_matches(got, np.repeat(a + 1, [1, 0, 2], axis=1))


def test_bad_input_raises_the_expected_exceptions():
    x = kiln.asarray(np.arange(12).reshape(3, 4))
    with pytest.raises(IndexError):
        x[np.array([0, 5]), 0]
    with pytest.raises(IndexError):
        x[np.array([1.5])]
    with pytest.raises(IndexError):
        x[np.ones(4, bool)]  # mask of the wrong length
    with pytest.raises(IndexError):
        x[[0], [0], [0]]
    with pytest.raises(IndexError):
        kiln.take(x, kiln.asarray(np.array([3])), axis=0)
    lazy = kiln.asarray(np.array([3])) + 0
    with pytest.raises(IndexError):
        kiln.take(x, lazy, axis=0).eval()
    with pytest.raises(TypeError):
        kiln.take(x, kiln.asarray(np.array([0.0])), axis=0)
    with pytest.raises(TypeError):
        kiln.take(x, [0], axis=0)
    with pytest.raises(ValueError):
        kiln.take(x, kiln.asarray(np.array([0])))
    with pytest.raises(ValueError):
        kiln.concat([x, kiln.asarray(np.arange(5))])
    with pytest.raises(ValueError):
        kiln.concat([])
    with pytest.raises(TypeError):
        kiln.concat(x)
    with pytest.raises(IndexError):
        kiln.concat([x, x], axis=2)
    with pytest.raises(ValueError):
        kiln.stack([x, kiln.asarray(np.arange(12))])
    with pytest.raises(IndexError):
        kiln.sort(x, axis=2)
    with pytest.raises(TypeError):
        kiln.sort(x, descending=1)
    with pytest.raises(ValueError):
        kiln.searchsorted(x, x)
    with pytest.raises(ValueError):
        kiln.searchsorted(kiln.asarray(np.arange(3)), x, side="middle")
    with pytest.raises(ValueError):
        kiln.nonzero(kiln.asarray(1.0))
    with pytest.raises(ValueError):
        x[np.array([0, 1])] = kiln.asarray(np.ones(3, np.int64))
    with pytest.raises(TypeError):
        x[np.array([0])] = 1.5  # float into int: not same-kind
    assert_matches(x, np.arange(12).reshape(3, 4))
