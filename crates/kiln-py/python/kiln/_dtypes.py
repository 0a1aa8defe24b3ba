"""Data type objects of the Array API and their conversion to and from names and NumPy.

Invariant: there is exactly one ``DType`` object per dtype (compare with ``==`` or ``is``); the
Rust extension only ever sees dtype *names* (``"float32"``), produced by ``_dtype_name``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "DType",
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "complex64",
    "complex128",
]

_builtin_bool = bool


class DType:
    """An Array API data type (``kiln.float32``, ``kiln.int64``, ...)."""

    __slots__ = ("name", "kind", "bits")

    def __init__(self, name: str, kind: str, bits: int) -> None:
        self.name = name
        self.kind = kind
        self.bits = bits

    def __repr__(self) -> str:
        return f"kiln.{self.name}"

    def __eq__(self, other: object) -> _builtin_bool:
        return self is other

    def __hash__(self) -> int:
        return hash(self.name)

    def __reduce__(self) -> tuple[Callable[[str], DType], tuple[str]]:
        return (_dtype_from_name, (self.name,))


bool = DType("bool", "bool", 8)
int8 = DType("int8", "signed integer", 8)
int16 = DType("int16", "signed integer", 16)
int32 = DType("int32", "signed integer", 32)
int64 = DType("int64", "signed integer", 64)
uint8 = DType("uint8", "unsigned integer", 8)
uint16 = DType("uint16", "unsigned integer", 16)
uint32 = DType("uint32", "unsigned integer", 32)
uint64 = DType("uint64", "unsigned integer", 64)
float32 = DType("float32", "real floating", 32)
float64 = DType("float64", "real floating", 64)
complex64 = DType("complex64", "complex floating", 64)
complex128 = DType("complex128", "complex floating", 128)

ALL_DTYPES = (
    bool,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
    float32,
    float64,
    complex64,
    complex128,
)
_BY_NAME = {d.name: d for d in ALL_DTYPES}


def _dtype_from_name(name: str) -> DType:
    """The dtype object of a standard name (the Rust side reports dtypes by name)."""
    return _BY_NAME[name]


def _dtype_name(dtype: object) -> str | None:
    """The name of a dtype argument: a kiln dtype, or None for "the default"."""
    if dtype is None:
        return None
    if isinstance(dtype, DType):
        return dtype.name
    raise TypeError(f"expected a kiln dtype (such as kiln.float32), got {dtype!r}")


def _from_numpy_dtype(dtype: np.dtype) -> DType:
    """The kiln dtype of a NumPy dtype; TypeError for those kiln lacks (float16, object, ...)."""
    found = _BY_NAME.get(np.dtype(dtype).name)
    if found is None:
        raise TypeError(f"kiln has no dtype matching NumPy's {np.dtype(dtype)}")
    return found


def _to_numpy_dtype(dtype: DType) -> np.dtype:
    return np.dtype(dtype.name)
