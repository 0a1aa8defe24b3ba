"""The array object's protocols: NumPy interop both ways, __array_namespace__, repr, scalar
conversions (which force evaluation), attributes, dtypes, devices, eval and explain."""

import math
import pickle

import numpy as np
import pytest

import kiln
from conftest import assert_matches


def test_numpy_round_trip_for_every_dtype():
    for name in ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64", "complex64", "complex128"]:
        x = (np.arange(12).reshape(3, 4) % 3).astype(name)
        a = kiln.asarray(x)
        assert a.dtype == getattr(kiln, name)
        assert_matches(a, x)
        assert np.asarray(a).dtype == np.dtype(name)


def test_asarray_inputs():
    assert_matches(kiln.asarray(3), np.asarray(3))
    assert_matches(kiln.asarray(2.5), np.asarray(2.5))
    assert_matches(kiln.asarray(True), np.asarray(True))
    assert_matches(kiln.asarray(1 + 2j), np.asarray(1 + 2j))
    assert_matches(kiln.asarray([[1, 2], [3, 4]]), np.array([[1, 2], [3, 4]]))
    assert_matches(kiln.asarray([1.5, 2], dtype=kiln.float32), np.array([1.5, 2], dtype=np.float32))
    assert_matches(kiln.asarray(np.arange(10)[::-3]), np.arange(10)[::-3])  # non-contiguous
    assert_matches(kiln.asarray(np.arange(4, dtype=">i4")), np.arange(4, dtype=np.int32))  # big-endian
    assert_matches(kiln.asarray(np.float32(1.5)), np.asarray(np.float32(1.5)))
    assert_matches(kiln.asarray(np.zeros((0, 3))), np.zeros((0, 3)))
    a = kiln.asarray([1, 2, 3])
    assert kiln.asarray(a) is a
    assert kiln.asarray(a, dtype=kiln.float64).dtype == kiln.float64
    assert_matches(kiln.asarray([a, a]), np.array([[1, 2, 3], [1, 2, 3]]))


def test_array_api_attributes():
    a = kiln.ones((2, 3, 4), dtype=kiln.float32)
    assert a.shape == (2, 3, 4) and a.ndim == 3 and a.size == 24
    assert a.dtype == kiln.float32 and a.dtype != kiln.float64
    assert a.device == kiln.CPU and a.to_device("cpu") is a
    assert a.mT.shape == (2, 4, 3)
    assert kiln.ones((2, 5)).T.shape == (5, 2)
    assert a.__array_namespace__() is kiln
    assert a.__array_namespace__(api_version="2023.12") is kiln
    assert kiln.__array_api_version__ == "2025.12"


def test_repr_shows_values():
    assert repr(kiln.asarray([1, 2, 3])) == "Array([1, 2, 3], dtype=int64)"
    assert repr(kiln.asarray([[1.5, 2.0]], dtype=kiln.float32)) == "Array([[1.5, 2. ]], dtype=float32)"
    assert repr(kiln.asarray(True)) == "Array(True, dtype=bool)"
    assert "dtype=float64" in str(kiln.zeros((0,)))


def test_scalar_conversions_force_evaluation():
    x = kiln.sum(kiln.arange(5))  # lazy
    assert int(x) == 10 and float(x) == 10.0 and complex(x) == 10 + 0j
    assert operator_index(x) == 10
    assert bool(kiln.asarray([0.0])) is False and bool(kiln.asarray(2.0) > 1) is True
    assert isinstance(float(kiln.asarray(1, dtype=kiln.float32)), float)
    assert math.isnan(float(kiln.asarray(kiln.nan)))
    assert [1, 2, 3][kiln.asarray(1)] == 2  # __index__
    with pytest.raises(TypeError):
        operator_index(kiln.asarray(1.0))
    with pytest.raises(TypeError):
        int(kiln.asarray(1j))
    with pytest.raises(ValueError):
        bool(kiln.ones((2,)))


def operator_index(x):
    import operator

    return operator.index(x)


def test_dlpack_export_and_import():
    a = kiln.asarray([[1.0, 2.0], [3.0, 4.0]])
    assert_matches(np.from_dlpack(a), np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert_matches(kiln.from_dlpack(np.arange(3.0)), np.arange(3.0))
    assert a.__dlpack_device__() == (1, 0)


def test_eval_and_explain():
    x = kiln.linspace(0, 1, 8, dtype=kiln.float32)
    y = kiln.log(kiln.sin(x) + 5)
    z = y * 2
    assert y.eval() is y
    assert kiln.eval(z) is z
    a, b = kiln.eval(y + 1, y - 1)
    assert_matches(a - b, np.full(8, 2, dtype=np.float32))
    text = kiln.explain(kiln.sum(x * x))
    assert "== graph ==" in text and "== schedule ==" in text


def test_dtypes_and_info():
    assert kiln.isdtype(kiln.int8, "integral") and not kiln.isdtype(kiln.float32, "integral")
    assert kiln.isdtype(kiln.complex64, ("bool", "complex floating"))
    assert kiln.isdtype(kiln.float32, kiln.float32)
    assert kiln.result_type(kiln.int8, kiln.int16) == kiln.int16
    assert kiln.result_type(kiln.asarray([1], dtype=kiln.float32), 1.0) == kiln.float32
    assert kiln.result_type(kiln.int8, 1) == kiln.int8
    assert kiln.can_cast(kiln.int8, kiln.int32) and not kiln.can_cast(kiln.float64, kiln.float32)
    assert kiln.finfo(kiln.float32).eps == float(np.finfo(np.float32).eps)
    assert kiln.finfo(kiln.complex128).dtype == kiln.float64
    assert kiln.iinfo(kiln.uint8).max == 255 and kiln.iinfo(kiln.int64).min == -(2**63)
    info = kiln.__array_namespace_info__()
    assert info.default_device() == kiln.CPU and info.devices() == (kiln.CPU,)
    assert info.default_dtypes()["real floating"] == kiln.float64
    assert set(info.dtypes(kind="integral")) == {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}
    assert pickle.loads(pickle.dumps(kiln.float32)) is kiln.float32
    assert kiln.e == math.e and kiln.pi == math.pi and kiln.newaxis is None
    assert math.isinf(kiln.inf) and math.isnan(kiln.nan)
