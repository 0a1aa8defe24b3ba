"""array-api-compat, the helper layer consumer libraries (SciPy, scikit-learn) dispatch
through, recognises kiln arrays and returns the kiln namespace; its helpers accept them."""

import numpy as np
import pytest

import kiln

compat = pytest.importorskip("array_api_compat")


def test_array_namespace_is_kiln():
    x = kiln.asarray(np.arange(6.0).reshape(2, 3))
    assert compat.is_array_api_obj(x)
    assert compat.array_namespace(x) is kiln
    assert compat.array_namespace(x, x + 1, api_version="2024.12") is kiln


def test_helpers_accept_kiln_arrays():
    x = kiln.asarray(np.arange(6.0).reshape(2, 3))
    assert compat.size(x) == 6
    assert compat.device(x) == kiln.CPU
    assert compat.to_device(x, kiln.CPU) is not None
    xp = compat.array_namespace(x)
    y = xp.concat([x, xp.ones((1, 3))], axis=0)
    np.testing.assert_array_equal(np.asarray(y), np.vstack([np.arange(6.0).reshape(2, 3), np.ones((1, 3))]))


def test_mixing_with_numpy_is_refused():
    with pytest.raises(TypeError):
        compat.array_namespace(kiln.asarray(np.arange(3)), np.arange(3))
