"""Regressions found by the official Array API suite (data-apis/array-api-tests): each test
pins one Python-layer fix, named after the suite's test that exposed it (see
conformance/known-failures.md for what still fails and why)."""

import numpy as np
import pytest

import kiln


def test_eye_accepts_diagonals_beyond_any_int64():
    # array-api-tests test_eye draws k up to 2**63; a diagonal outside the matrix is all zeros.
    for k in (2**63, -(2**63) - 1, 10**30):
        out = kiln.eye(3, 4, k=k, dtype=kiln.int8)
        assert out.shape == (3, 4)
        assert not np.asarray(out).any()
    assert kiln.eye(0, k=2**63).shape == (0, 0)
    np.testing.assert_array_equal(np.asarray(kiln.eye(3, 4, k=4)), np.eye(3, 4, k=4))
    np.testing.assert_array_equal(np.asarray(kiln.eye(3, k=-3)), np.eye(3, k=-3))


def test_asarray_copy_gives_a_handle_that_inplace_operators_do_not_share():
    # array-api-tests checks in-place operators as `y = asarray(x, copy=True); y //= x2`; the
    # copy used to be the same handle, so the in-place update leaked into x.
    x = kiln.asarray([6.0, 1.0], dtype=kiln.float32)
    y = kiln.asarray(x, copy=True)
    assert y is not x
    y //= 2.0
    np.testing.assert_array_equal(np.asarray(x), [6.0, 1.0])
    np.testing.assert_array_equal(np.asarray(y), [3.0, 0.0])
    z = kiln.asarray(x, copy=False)
    assert z is x
    assert kiln.asarray(x, dtype=kiln.float32, copy=True) is not x
    with pytest.raises(ValueError):
        kiln.asarray(x, dtype=kiln.float64, copy=False)
    assert kiln.asarray(x, dtype=kiln.float64).dtype == kiln.float64


@pytest.mark.parametrize(
    "shape, reps",
    [((), (2,)), ((3,), (2,)), ((2, 3), (2, 1)), ((2, 3), (3,)), ((2,), (2, 0, 3)), ((0, 2), (2, 2))],
)
def test_tile_matches_numpy(shape, reps):
    values = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    out = kiln.tile(kiln.asarray(values), reps)
    np.testing.assert_array_equal(np.asarray(out), np.tile(values, reps))
    assert out.dtype == kiln.int32


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("count", [0, 1, 3])
def test_repeat_with_an_integer_count_matches_numpy(axis, count):
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = kiln.repeat(kiln.asarray(values), count, axis=axis)
    np.testing.assert_array_equal(np.asarray(out), np.repeat(values, count, axis=axis))


def test_repeat_with_per_element_counts_matches_numpy():
    values = np.arange(6, dtype=np.int16).reshape(2, 3)
    counts = np.array([2, 0, 1])
    out = kiln.repeat(kiln.asarray(values), kiln.asarray(counts), axis=1)
    np.testing.assert_array_equal(np.asarray(out), np.repeat(values, counts, axis=1))
    assert out.dtype == kiln.int16
    with pytest.raises(ValueError):
        kiln.repeat(kiln.asarray(values), -1)
    with pytest.raises(TypeError):
        kiln.repeat(kiln.asarray(values), kiln.asarray([1.0, 2.0, 3.0]), axis=1)
