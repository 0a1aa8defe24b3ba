"""Indexing, searching, sorting and set functions of the Array API: take, take_along_axis,
nonzero, searchsorted, sort, argsort, isin and the unique_* family.

Invariants: take, take_along_axis, searchsorted, sort, argsort and isin build lazy graph nodes;
nonzero and unique_* have data-dependent shapes, so they evaluate their input (the GIL is
released meanwhile) and return arrays that later operations use lazily. Arguments are
checked here (TypeError for non-arrays, IndexError for bad axes) before Rust sees them.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from . import _kiln
from ._args import check_array as _check_array
from ._args import integer as _integer
from ._array import Array, _wrap
from ._dtypes import bool as _bool

__all__ = [
    "argsort",
    "isin",
    "nonzero",
    "searchsorted",
    "sort",
    "take",
    "take_along_axis",
    "unique_all",
    "unique_counts",
    "unique_inverse",
    "unique_values",
]


def _integer_array(indices: object, what: str) -> Array:
    if not isinstance(indices, Array):
        raise TypeError(f"{what} expects a kiln array of indices, got {type(indices).__name__}")
    if indices.dtype.kind not in ("signed integer", "unsigned integer"):
        raise TypeError(f"{what} needs integer indices, got dtype {indices.dtype.name}")
    return indices


def take(x: Array, indices: Array, /, *, axis: int | None = None) -> Array:
    """The elements of ``x`` at the 1-D integer ``indices`` along ``axis`` (optional for a
    1-D ``x``); negative indices count from the end, out-of-range ones raise IndexError."""
    _check_array(x, "take")
    indices = _integer_array(indices, "take")
    ax = None if axis is None else _integer(axis, "axis")
    return _wrap(_kiln.take(x._raw, indices._raw, ax))


def take_along_axis(x: Array, indices: Array, /, *, axis: int = -1) -> Array:
    """``out[..., j, ...] = x[..., indices[..., j, ...], ...]`` along ``axis``; ``indices`` has
    x's rank and broadcasts against x in the other axes."""
    _check_array(x, "take_along_axis")
    indices = _integer_array(indices, "take_along_axis")
    return _wrap(_kiln.take_along_axis(x._raw, indices._raw, _integer(axis, "axis")))


def nonzero(x: Array, /) -> tuple[Array, ...]:
    """The int64 coordinates of x's non-zero elements, one array per axis (row-major order).
    Evaluates ``x``."""
    _check_array(x, "nonzero")
    return tuple(_wrap(r) for r in _kiln.nonzero(x._raw))


def searchsorted(
    x1: Array,
    x2: Array | bool | int | float | complex,
    /,
    *,
    side: Literal["left", "right"] = "left",
    sorter: Array | None = None,
) -> Array:
    """Where each of ``x2`` would be inserted into the ascending 1-D ``x1`` (or ``x1[sorter]``)
    to keep it sorted: the first such place (``side="left"``) or the last (``"right"``). A
    Python scalar ``x2`` takes ``x1``'s dtype and gives a 0-d result."""
    _check_array(x1, "searchsorted")
    if isinstance(x2, (bool, int, float, complex)):
        from ._creation import asarray

        x2 = asarray(x2, dtype=x1.dtype)
    _check_array(x2, "searchsorted")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted side must be 'left' or 'right', got {side!r}")
    raw_sorter = None if sorter is None else _integer_array(sorter, "searchsorted sorter")._raw
    return _wrap(_kiln.searchsorted(x1._raw, x2._raw, side == "right", raw_sorter))


def _sort_args(x: Array, axis: object, descending: object, stable: object, what: str) -> int:
    _check_array(x, what)
    for name, flag in (("descending", descending), ("stable", stable)):
        if not isinstance(flag, bool):
            raise TypeError(f"{what}: {name} must be a bool, got {type(flag).__name__}")
    return _integer(axis, "axis")


def sort(x: Array, /, *, axis: int = -1, descending: bool = False, stable: bool = True) -> Array:
    """``x`` sorted along ``axis`` (always stable; NaNs last, or first when descending)."""
    ax = _sort_args(x, axis, descending, stable, "sort")
    return _wrap(_kiln.sort(x._raw, ax, descending))


def argsort(x: Array, /, *, axis: int = -1, descending: bool = False, stable: bool = True) -> Array:
    """The int64 indices that sort ``x`` along ``axis`` (always stable: equal elements keep
    their order, also when descending)."""
    ax = _sort_args(x, axis, descending, stable, "argsort")
    return _wrap(_kiln.argsort(x._raw, ax, descending))


class UniqueAllResult(NamedTuple):
    values: Array
    indices: Array
    inverse_indices: Array
    counts: Array


class UniqueCountsResult(NamedTuple):
    values: Array
    counts: Array


class UniqueInverseResult(NamedTuple):
    values: Array
    inverse_indices: Array


def unique_all(x: Array, /) -> UniqueAllResult:
    """The distinct values of ``x`` (flattened, ascending; every NaN distinct), the flat index
    of each one's first occurrence, each element's value index (x's shape) and the counts.
    Evaluates ``x``."""
    _check_array(x, "unique_all")
    values, indices, inverse, counts = _kiln.unique_all(x._raw)
    return UniqueAllResult(_wrap(values), _wrap(indices), _wrap(inverse), _wrap(counts))


def unique_counts(x: Array, /) -> UniqueCountsResult:
    """The distinct values of ``x`` and how often each occurs. Evaluates ``x``."""
    u = unique_all(x)
    return UniqueCountsResult(u.values, u.counts)


def unique_inverse(x: Array, /) -> UniqueInverseResult:
    """The distinct values of ``x`` and, for each element, the index of its value.
    Evaluates ``x``."""
    u = unique_all(x)
    return UniqueInverseResult(u.values, u.inverse_indices)


def unique_values(x: Array, /) -> Array:
    """The distinct values of ``x`` (flattened, ascending; every NaN distinct). Evaluates ``x``."""
    _check_array(x, "unique_values")
    return _wrap(_kiln.unique_values(x._raw))


def isin(
    x1: Array | bool | int | float | complex,
    x2: Array | bool | int | float | complex,
    /,
    *,
    invert: bool = False,
) -> Array:
    """Whether each element of ``x1`` equals some element of ``x2`` (``not`` that with
    ``invert=True``); the result has ``x1``'s shape (0-d for a scalar ``x1``).

    Lazy: ``x2`` is flattened and sorted once, each ``x1`` element is located by binary search
    and compared with the element found, so the cost is O((n + m) log m). NaN is in nothing."""
    from ._creation import asarray, zeros
    from ._data_type_functions import astype, result_type
    from ._elementwise import equal, logical_not, minimum
    from ._manipulation import reshape

    if not isinstance(invert, bool):
        raise TypeError(f"isin: invert must be a bool, got {type(invert).__name__}")
    if not isinstance(x1, Array) and not isinstance(x2, Array):
        raise TypeError("isin needs at least one kiln array argument")
    a1 = x1 if isinstance(x1, Array) else asarray(x1, dtype=result_type(x2, x1))
    a2 = x2 if isinstance(x2, Array) else asarray(x2, dtype=result_type(a1, x2))
    dtype = result_type(a1, a2)
    v1 = a1 if a1.dtype == dtype else astype(a1, dtype)
    flat2 = reshape(a2 if a2.dtype == dtype else astype(a2, dtype), (-1,))
    if flat2.shape[0] == 0:
        found = zeros(v1.shape, dtype=_bool)
    else:
        table = sort(flat2)
        pos = minimum(searchsorted(table, v1), flat2.shape[0] - 1)
        hit = take(table, reshape(pos, (-1,)))
        found = equal(reshape(hit, v1.shape), v1)
    return logical_not(found) if invert else found
