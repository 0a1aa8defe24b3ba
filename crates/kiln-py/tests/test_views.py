"""Differential tests of views against NumPy: basic indexing (ints, slices with negative steps,
ellipsis, None), reshape, permutations, broadcasts, flips, squeeze, expand_dims, and the
creation functions."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kiln
from conftest import assert_matches
from strategies import arrays, shapes


@st.composite
def basic_index(draw, shape):
    entries = []
    for d in shape:
        kind = draw(st.sampled_from(["int", "slice", "full"] if d else ["slice", "full"]))
        if kind == "int":
            entries.append(draw(st.integers(-d, d - 1)))
        elif kind == "slice":
            bound = st.none() | st.integers(-d - 2, d + 2)
            step = draw(st.none() | st.integers(-3, 3).filter(bool))
            entries.append(slice(draw(bound), draw(bound), step))
        else:
            entries.append(slice(None))
    # Either drop trailing entries or stand an Ellipsis in for a run of them (both keep the
    # remaining entries on their axes), then insert a None anywhere.
    i = draw(st.integers(0, len(entries)))
    if draw(st.booleans()):
        entries = entries[:i]
    else:
        j = draw(st.integers(i, len(entries)))
        entries = entries[:i] + [Ellipsis] + entries[j:]
    if draw(st.booleans()):
        entries.insert(draw(st.integers(0, len(entries))), None)
    if len(entries) == 1 and draw(st.booleans()):
        return entries[0]
    return tuple(entries)


@given(data=st.data())
def test_basic_indexing(data):
    x = data.draw(arrays(np.int32, shape=shapes))
    key = data.draw(basic_index(x.shape))
    assert_matches(kiln.asarray(x)[key], x[key])


@given(data=st.data())
def test_chained_slices_with_negative_steps(data):
    x = data.draw(arrays(np.float64, shape=hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=7)))
    a = kiln.asarray(x)
    k1 = data.draw(basic_index(x.shape))
    y = x[k1]
    k2 = data.draw(basic_index(y.shape))
    assert_matches((a[k1][k2] * 2) + 1, (y[k2] * 2) + 1)


@given(data=st.data())
def test_reshape_and_permute(data):
    x = data.draw(arrays(np.float32, shape=shapes))
    a = kiln.asarray(x)
    perm = data.draw(st.permutations(range(x.ndim)))
    assert_matches(kiln.permute_dims(a, tuple(perm)), np.transpose(x, perm))
    assert_matches(kiln.reshape(a, (-1,)), x.reshape(-1))
    assert_matches(kiln.reshape(kiln.permute_dims(a, tuple(perm)), (x.size,)), np.transpose(x, perm).reshape(x.size))
    if x.ndim >= 2:
        assert_matches(a.mT, np.swapaxes(x, -1, -2))
        assert_matches(kiln.matrix_transpose(a), np.swapaxes(x, -1, -2))


@given(data=st.data())
def test_flip_squeeze_expand_moveaxis(data):
    x = data.draw(arrays(np.int64, shape=shapes))
    a = kiln.asarray(x)
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None
    assert_matches(kiln.flip(a, axis=axis), np.flip(x, axis=axis))
    ones = tuple(i for i, d in enumerate(x.shape) if d == 1)
    assert_matches(kiln.squeeze(a, axis=ones), np.squeeze(x, axis=ones))
    where = data.draw(st.integers(-x.ndim - 1, x.ndim))
    assert_matches(kiln.expand_dims(a, axis=where), np.expand_dims(x, where))
    if x.ndim:
        src, dst = data.draw(st.integers(0, x.ndim - 1)), data.draw(st.integers(-x.ndim, x.ndim - 1))
        assert_matches(kiln.moveaxis(a, src, dst), np.moveaxis(x, src, dst))
        assert tuple(u.shape for u in kiln.unstack(a)) == tuple(u.shape for u in x)


@given(data=st.data())
def test_broadcasting_functions(data):
    shapes_ = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, min_side=0, max_side=4))
    x = data.draw(arrays(np.float64, shape=shapes_.input_shapes[0]))
    y = data.draw(arrays(np.float64, shape=shapes_.input_shapes[1]))
    assert kiln.broadcast_shapes(x.shape, y.shape) == shapes_.result_shape
    assert_matches(kiln.broadcast_to(kiln.asarray(x), shapes_.result_shape), np.broadcast_to(x, shapes_.result_shape))
    for got, want in zip(kiln.broadcast_arrays(kiln.asarray(x), kiln.asarray(y)), np.broadcast_arrays(x, y)):
        assert_matches(got, want)


@given(shape=shapes, dtype=st.sampled_from(["float32", "int16", "bool", "complex64"]))
def test_creation_functions(shape, dtype):
    kd, nd = getattr(kiln, dtype), np.dtype(dtype)
    assert_matches(kiln.zeros(shape, dtype=kd), np.zeros(shape, dtype=nd))
    assert_matches(kiln.ones(shape, dtype=kd), np.ones(shape, dtype=nd))
    assert_matches(kiln.empty(shape, dtype=kd).shape, shape, check_dtype=False)
    assert_matches(kiln.full(shape, 1, dtype=kd), np.full(shape, 1, dtype=nd))
    x = kiln.ones(shape, dtype=kd)
    assert_matches(kiln.zeros_like(x), np.zeros(shape, dtype=nd))
    assert_matches(kiln.full_like(x, 0, dtype=kiln.int8), np.zeros(shape, dtype=np.int8))


@given(start=st.integers(-20, 20), stop=st.integers(-20, 20), step=st.integers(-4, 4).filter(bool))
def test_arange(start, stop, step):
    assert_matches(kiln.arange(start, stop, step), np.arange(start, stop, step))
    assert_matches(kiln.arange(float(start), stop, step / 2), np.arange(float(start), stop, step / 2))


@given(n=st.integers(0, 6), m=st.none() | st.integers(0, 6), k=st.integers(-3, 3))
def test_eye_tril_triu(n, m, k):
    assert_matches(kiln.eye(n, m, k=k), np.eye(n, m, k=k))
    x = np.arange(n * (m or n), dtype=np.float64).reshape(n, m or n)
    assert_matches(kiln.tril(kiln.asarray(x), k=k), np.tril(x, k=k))
    assert_matches(kiln.triu(kiln.asarray(x), k=k), np.triu(x, k=k))


@given(start=st.floats(-10, 10), stop=st.floats(-10, 10), num=st.integers(0, 20), endpoint=st.booleans())
def test_linspace(start, stop, num, endpoint):
    assert_matches(kiln.linspace(start, stop, num, endpoint=endpoint), np.linspace(start, stop, num, endpoint=endpoint))


def test_meshgrid():
    x, y = np.arange(3.0), np.arange(4.0)
    for indexing in ("xy", "ij"):
        for got, want in zip(kiln.meshgrid(kiln.asarray(x), kiln.asarray(y), indexing=indexing), np.meshgrid(x, y, indexing=indexing)):
            assert_matches(got, want)


@pytest.mark.parametrize("key", [(slice(None, None, -1), 0), (Ellipsis, slice(None, None, -2)), (None, 1, Ellipsis, None)])
def test_index_examples(key):
    x = np.arange(24).reshape(2, 3, 4)
    assert_matches(kiln.asarray(x)[key], x[key])
