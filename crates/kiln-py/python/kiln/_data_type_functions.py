"""Data type functions: astype, can_cast, finfo, iinfo, isdtype, result_type.

Invariant: promotion and casting rules come from the extension (``kiln-ir``'s ``promote`` and
``can_cast``, the facade's scalar rule), so Python and Rust can never disagree about them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _kiln
from ._args import check_array as _check_array
from ._array import Array, _wrap
from ._device import Device, _check_device, _place
from ._dtypes import ALL_DTYPES, DType, _dtype_from_name, _dtype_name

__all__ = ["astype", "can_cast", "finfo", "iinfo", "isdtype", "result_type"]

_KIND_GROUPS = {
    "bool": ("bool",),
    "signed integer": ("signed integer",),
    "unsigned integer": ("unsigned integer",),
    "integral": ("signed integer", "unsigned integer"),
    "real floating": ("real floating",),
    "complex floating": ("complex floating",),
    "numeric": ("signed integer", "unsigned integer", "real floating", "complex floating"),
}


def astype(
    x: Array, dtype: DType, /, *, copy: bool = True, device: Device | None = None
) -> Array:
    """``x`` converted to ``dtype`` (C-like conversion; float to int saturates, NaN gives 0)."""
    _check_array(x, "astype")
    dev = _check_device(device)
    name = _dtype_name(dtype)
    if name is None:
        raise TypeError("astype needs a dtype, got None")
    return _place(_wrap(_kiln.astype(x._raw, name)), dev)


def _dtype_of(value: object, what: str) -> DType:
    if isinstance(value, Array):
        return value.dtype
    if isinstance(value, DType):
        return value
    raise TypeError(f"{what} expects kiln arrays or dtypes, got {value!r}")


def can_cast(from_: DType | Array, to: DType, /) -> bool:
    """Whether ``from_`` (a dtype or array) casts to ``to`` under the promotion rules."""
    source = _dtype_of(from_, "can_cast")
    return _kiln.can_cast(source.name, _dtype_of(to, "can_cast").name)


def result_type(*arrays_and_dtypes: Array | DType | bool | int | float | complex) -> DType:
    """The dtype that results from promoting arrays, dtypes and Python scalars together."""
    typed = [a for a in arrays_and_dtypes if not isinstance(a, (bool, int, float, complex))]
    scalars = [a for a in arrays_and_dtypes if isinstance(a, (bool, int, float, complex))]
    if not typed:
        raise ValueError("result_type needs at least one array or dtype")
    name = _dtype_of(typed[0], "result_type").name
    for other in typed[1:]:
        name = _kiln.promote(name, _dtype_of(other, "result_type").name)
    for scalar in scalars:
        name = _kiln.scalar_result_dtype(scalar, name)
    return _dtype_from_name(name)


def isdtype(dtype: DType, kind: str | DType | tuple[str | DType, ...]) -> bool:
    """Whether ``dtype`` is ``kind``: a dtype, a kind name (``"integral"``, ...) or a tuple."""
    if not isinstance(dtype, DType):
        raise TypeError(f"isdtype expects a kiln dtype, got {dtype!r}")
    if isinstance(kind, tuple):
        return any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, DType):
        return dtype is kind
    if isinstance(kind, str):
        if kind not in _KIND_GROUPS:
            raise ValueError(f"unknown dtype kind {kind!r}; expected one of {sorted(_KIND_GROUPS)}")
        return dtype.kind in _KIND_GROUPS[kind]
    raise TypeError(f"isdtype kind must be a dtype, a kind name or a tuple, got {kind!r}")


@dataclass(frozen=True)
class finfo_object:
    """Machine limits of a floating dtype (the result of ``kiln.finfo``)."""

    bits: int
    eps: float
    max: float
    min: float
    smallest_normal: float
    dtype: DType


@dataclass(frozen=True)
class iinfo_object:
    """Machine limits of an integer dtype (the result of ``kiln.iinfo``)."""

    bits: int
    max: int
    min: int
    dtype: DType


def finfo(type: DType | Array, /) -> finfo_object:
    """Limits of a floating dtype (for complex dtypes, of their real part)."""
    dtype = _dtype_of(type, "finfo")
    if dtype.kind not in ("real floating", "complex floating"):
        raise TypeError(f"finfo needs a floating dtype, got {dtype.name}")
    info = np.finfo(np.dtype(dtype.name))
    real = _dtype_from_name(info.dtype.name)
    return finfo_object(
        bits=info.bits,
        eps=float(info.eps),
        max=float(info.max),
        min=float(info.min),
        smallest_normal=float(info.smallest_normal),
        dtype=real,
    )


def iinfo(type: DType | Array, /) -> iinfo_object:
    """Limits of an integer dtype."""
    dtype = _dtype_of(type, "iinfo")
    if dtype.kind not in ("signed integer", "unsigned integer"):
        raise TypeError(f"iinfo needs an integer dtype, got {dtype.name}")
    info = np.iinfo(np.dtype(dtype.name))
    return iinfo_object(bits=info.bits, max=int(info.max), min=int(info.min), dtype=dtype)


def _dtypes_of_kind(kind: str | DType | tuple[str | DType, ...] | None) -> dict[str, DType]:
    return {d.name: d for d in ALL_DTYPES if kind is None or isdtype(d, kind)}
