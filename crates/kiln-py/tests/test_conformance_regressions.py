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
