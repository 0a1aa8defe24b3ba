"""Statistical, utility and searching reductions: sum, prod, max, min, mean, var, std,
cumulative_sum, cumulative_prod, any, all, argmax, argmin, count_nonzero, diff.

Invariant: ``axis`` is normalised here (None, int or tuple); dtype defaults follow the standard
(``sum`` of int8 gives int64, ``mean`` of integers float64) and are decided by the facade.
"""

from __future__ import annotations

from . import _kiln
from ._args import axes as _axes
from ._args import check_array as _check_array
from ._args import integer as _integer
from ._args import optional_axis as _optional_axis
from ._array import Array, _wrap
from ._dtypes import DType, _dtype_name

__all__ = [
    "all",
    "any",
    "argmax",
    "argmin",
    "count_nonzero",
    "cumulative_prod",
    "cumulative_sum",
    "diff",
    "max",
    "mean",
    "min",
    "prod",
    "std",
    "sum",
    "var",
]

_builtin_any = any


def sum(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    dtype: DType | None = None,
    keepdims: bool = False,
) -> Array:
    """Sum over ``axis`` (all axes if None); integers accumulate in (u)int64 by default."""
    _check_array(x, "sum")
    return _wrap(_kiln.sum(x._raw, _axes(axis), bool(keepdims), _dtype_name(dtype)))


def prod(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    dtype: DType | None = None,
    keepdims: bool = False,
) -> Array:
    """Product over ``axis`` (all axes if None); dtype rules as for ``sum``."""
    _check_array(x, "prod")
    return _wrap(_kiln.prod(x._raw, _axes(axis), bool(keepdims), _dtype_name(dtype)))


def max(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """Maximum over ``axis`` (NaN propagates; empty reductions raise ValueError)."""
    _check_array(x, "max")
    return _wrap(_kiln.max(x._raw, _axes(axis), bool(keepdims)))


def min(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """Minimum over ``axis`` (NaN propagates; empty reductions raise ValueError)."""
    _check_array(x, "min")
    return _wrap(_kiln.min(x._raw, _axes(axis), bool(keepdims)))


def mean(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """Arithmetic mean over ``axis`` (NaN for an empty reduction)."""
    _check_array(x, "mean")
    return _wrap(_kiln.mean(x._raw, _axes(axis), bool(keepdims)))


def var(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    correction: int | float = 0.0,
    keepdims: bool = False,
) -> Array:
    """Variance over ``axis`` with ``correction`` degrees of freedom removed."""
    _check_array(x, "var")
    return _wrap(_kiln.var(x._raw, _axes(axis), float(correction), bool(keepdims)))


def std(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    correction: int | float = 0.0,
    keepdims: bool = False,
) -> Array:
    """Standard deviation over ``axis`` with ``correction`` degrees of freedom removed."""
    _check_array(x, "std")
    return _wrap(_kiln.std(x._raw, _axes(axis), float(correction), bool(keepdims)))


def cumulative_sum(
    x: Array,
    /,
    *,
    axis: int | None = None,
    dtype: DType | None = None,
    include_initial: bool = False,
) -> Array:
    """Inclusive cumulative sum along ``axis`` (required when x has more than one axis)."""
    _check_array(x, "cumulative_sum")
    return _wrap(
        _kiln.cumulative_sum(x._raw, _optional_axis(axis), _dtype_name(dtype), bool(include_initial))
    )


def cumulative_prod(
    x: Array,
    /,
    *,
    axis: int | None = None,
    dtype: DType | None = None,
    include_initial: bool = False,
) -> Array:
    """Inclusive cumulative product along ``axis`` (required when x has more than one axis)."""
    _check_array(x, "cumulative_prod")
    return _wrap(
        _kiln.cumulative_prod(x._raw, _optional_axis(axis), _dtype_name(dtype), bool(include_initial))
    )


def any(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """Whether any element along ``axis`` is non-zero."""
    _check_array(x, "any")
    return _wrap(_kiln.any(x._raw, _axes(axis), bool(keepdims)))


def all(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """Whether every element along ``axis`` is non-zero."""
    _check_array(x, "all")
    return _wrap(_kiln.all(x._raw, _axes(axis), bool(keepdims)))


def argmax(x: Array, /, *, axis: int | None = None, keepdims: bool = False) -> Array:
    """Index of the first maximum along ``axis`` (of the flattened array if None)."""
    _check_array(x, "argmax")
    return _wrap(_kiln.argmax(x._raw, _optional_axis(axis), bool(keepdims)))


def argmin(x: Array, /, *, axis: int | None = None, keepdims: bool = False) -> Array:
    """Index of the first minimum along ``axis`` (of the flattened array if None)."""
    _check_array(x, "argmin")
    return _wrap(_kiln.argmin(x._raw, _optional_axis(axis), bool(keepdims)))


def count_nonzero(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """The number of non-zero elements along ``axis`` (int64)."""
    _check_array(x, "count_nonzero")
    nonzero = _kiln.not_equal(x._raw, False if x.dtype.kind == "bool" else 0)
    return _wrap(_kiln.sum(nonzero, _axes(axis), bool(keepdims), "int64"))


def diff(
    x: Array,
    /,
    *,
    axis: int = -1,
    n: int = 1,
    prepend: Array | None = None,
    append: Array | None = None,
) -> Array:
    """The ``n``-th forward difference along ``axis`` (lazy slices and a subtraction)."""
    _check_array(x, "diff")
    axis, n = _integer(axis, "axis"), _integer(n, "n")
    if prepend is not None or append is not None:
        from ._manipulation import concat

        parts = [p for p in (prepend, x, append) if p is not None]
        for p in parts:
            _check_array(p, "diff")
        x = concat(parts, axis=axis)
    if x.ndim == 0:
        raise ValueError("diff needs an array of at least one dimension")
    if not -x.ndim <= axis < x.ndim:
        raise IndexError(f"axis {axis} is out of bounds for an array of {x.ndim} dimensions")
    if n < 0:
        raise ValueError(f"diff needs n >= 0, got {n}")
    axis %= x.ndim
    lead = (slice(None),) * axis
    for _ in range(n):
        x = x[lead + (slice(1, None),)] - x[lead + (slice(None, -1),)]
    return x
