"""Differential tests of matrix products against NumPy: matmul with 1-D promotion and batch
broadcasting, the @ operator, tensordot and vecdot."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import kiln
from conftest import assert_matches
from strategies import arrays


@st.composite
def matmul_shapes(draw):
    m, k, n = draw(st.integers(0, 6)), draw(st.integers(0, 6)), draw(st.integers(0, 6))
    batch = draw(st.lists(st.integers(1, 3), max_size=2))
    b1 = [draw(st.sampled_from([1, d])) for d in batch][draw(st.integers(0, len(batch))):]
    b2 = [draw(st.sampled_from([1, d])) for d in batch]
    left = [k] if draw(st.booleans()) else b1 + [m, k]
    right = [k] if draw(st.booleans()) else b2 + [k, n]
    return tuple(left), tuple(right)


@given(shapes=matmul_shapes(), dtype=st.sampled_from([np.float32, np.float64, np.int32, np.int64]))
def test_matmul(shapes, dtype):
    x1 = np.asarray(np.random.default_rng(sum(shapes[0] + shapes[1])).integers(-5, 5, size=shapes[0])).astype(dtype)
    x2 = np.asarray(np.random.default_rng(len(shapes[1])).integers(-5, 5, size=shapes[1])).astype(dtype)
    a1, a2 = kiln.asarray(x1), kiln.asarray(x2)
    assert_matches(kiln.matmul(a1, a2), np.matmul(x1, x2))
    assert_matches(a1 @ a2, x1 @ x2)


@given(x=arrays(np.float64, shape=st.just((3, 4, 5))), y=arrays(np.float64, shape=st.just((4, 5, 2))))
def test_tensordot(x, y):
    assert_matches(kiln.tensordot(kiln.asarray(x), kiln.asarray(y), axes=2), np.tensordot(x, y, axes=2))
    assert_matches(kiln.tensordot(kiln.asarray(x), kiln.asarray(y), axes=([1], [0])), np.tensordot(x, y, axes=([1], [0])))


@given(x=arrays(np.float64, shape=st.just((3, 4))), y=arrays(np.float64, shape=st.just((4,))))
def test_vecdot(x, y):
    assert_matches(kiln.vecdot(kiln.asarray(x), kiln.asarray(y)), np.vecdot(x, y))
    assert_matches(kiln.vecdot(kiln.asarray(x.T), kiln.asarray(y[:, None]), axis=0), np.vecdot(x.T, y[:, None], axis=0))
