"""Normalisation of ``__getitem__`` keys into the entries the Rust extension takes, and the
functional ``__setitem__`` built from them.

Invariants: the extension receives a list of ``(code, a, b, step)`` tuples of plain ints and
None, with codes shared with ``src/convert.rs`` (0 integer, 1 slice, 2 newaxis, 3 ellipsis)
and ``src/gather.rs`` (4: index array number ``a``, for integer arrays and boolean masks);
anything else is rejected here with ``IndexError``/``TypeError`` before Rust sees it.
``set_item`` never mutates a node: it returns a new lazy node ``where(mask, placed, x)`` of x's
shape and dtype, built only from existing graph operations. Advanced keys (index arrays)
locate the written positions by indexing an iota with the key, which reads the key's values
(NumPy semantics: with repeated positions the last write wins); x and the value stay lazy.
"""

from __future__ import annotations

import operator

import numpy as np

from typing import TYPE_CHECKING, cast

from . import _kiln

if TYPE_CHECKING:
    from ._device import Device
    from ._kiln import RawArray

INDEX, RANGE, NEWAXIS, ELLIPSIS, ARRAY = 0, 1, 2, 3, 4

# One parsed key entry: (code, a, b, step) as described above.
Entry = tuple[int, "int | None", "int | None", int]


def _slice_part(value: object) -> int | None:
    if value is None:
        return None
    return _integer(value)


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise IndexError("a boolean is not a valid slice bound")
    try:
        return operator.index(value)  # type: ignore[arg-type]  # TypeError is handled
    except TypeError:
        raise IndexError(
            f"only integers, slices (`:`), ellipsis (`...`) and None are valid indices, got {value!r}"
        ) from None


def _placed_on(raw: RawArray) -> Device | None:
    """The device for index data made from Python values used on ``raw``: ``raw``'s own, so that a
    list index of a CUDA array does not meet it across devices (``None`` for the CPU)."""
    from ._device import _named

    device = raw.device
    return None if device == "cpu" else _named(device)


def _index_array(item: object, owner: RawArray | None = None) -> RawArray:
    """A list, NumPy array or bool as a RawArray index (integer or boolean) on the device of
    ``owner``, the indexed array; a kiln array stays where it is."""
    from ._array import Array
    from ._creation import asarray

    if isinstance(item, Array):
        raw = item._raw
    else:
        values = np.asarray(item)
        if values.dtype == object or values.dtype.kind not in "biu":
            if values.size == 0 and values.dtype.kind == "f":
                values = values.astype(np.int64)  # x[[]]: an empty integer index
            else:
                raise IndexError(
                    "only integers, slices (`:`), ellipsis (`...`), None and integer or boolean "
                    f"arrays are valid indices, got {item!r}"
                )
        raw = asarray(values, device=None if owner is None else _placed_on(owner))._raw
    if raw.dtype not in _INDEX_DTYPES:
        raise IndexError(
            f"arrays used as indices must be of integer or boolean dtype, got {raw.dtype}"
        )
    return raw


_INDEX_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}


def parse_key(key: object, owner: RawArray | None = None) -> tuple[list[Entry], list[RawArray]]:
    """The entries of any index key, and the RawArrays that ARRAY entries name (those made from
    Python values on the device of ``owner``, the indexed array)."""
    from ._array import Array

    items = key if isinstance(key, tuple) else (key,)
    entries: list[Entry] = []
    arrays: list[RawArray] = []
    for item in items:
        if item is Ellipsis:
            entries.append((ELLIPSIS, None, None, 1))
        elif item is None:
            entries.append((NEWAXIS, None, None, 1))
        elif isinstance(item, slice):
            step = 1 if item.step is None else _integer(item.step)
            if step == 0:
                raise ValueError("slice step cannot be zero")
            entries.append((RANGE, _slice_part(item.start), _slice_part(item.stop), step))
        elif isinstance(item, (Array, list, np.ndarray, bool, np.bool_)):
            entries.append((ARRAY, len(arrays), None, 1))
            arrays.append(_index_array(item, owner))
        else:
            entries.append((INDEX, _integer(item), None, 1))
    return entries, arrays


def get_item(raw: RawArray, key: object) -> RawArray:
    """``raw[key]`` as a RawArray (basic keys stay views; index arrays gather)."""
    entries, arrays = parse_key(key, raw)
    if arrays:
        return _kiln.getitem_advanced(raw, entries, arrays)
    return _kiln.getitem(raw, entries)


# ---- __setitem__ --------------------------------------------------------------------------

_SCALAR_KINDS = {
    # Python scalar type -> dtype kinds it may be written into (the standard's same-kind rule).
    bool: ("bool",),
    int: ("signed integer", "unsigned integer", "real floating", "complex floating"),
    float: ("real floating", "complex floating"),
    complex: ("complex floating",),
}


def _per_axis(entries: list[Entry], ndim: int) -> list[Entry]:
    """The entries with the Ellipsis expanded (and trailing full slices added), so that every
    entry except NEWAXIS consumes exactly one axis of an ``ndim``-dimensional array."""
    consuming = sum(1 for e in entries if e[0] in (INDEX, RANGE))
    if sum(1 for e in entries if e[0] == ELLIPSIS) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consuming > ndim:
        raise IndexError(f"too many indices: {consuming} for an array of {ndim} dimensions")
    full: Entry = (RANGE, None, None, 1)
    out: list[Entry] = []
    for entry in entries:
        if entry[0] == ELLIPSIS:
            out.extend([full] * (ndim - consuming))
            consuming = ndim
        else:
            out.append(entry)
    out.extend([full] * (ndim - consuming))
    return out


def _value_raw(value: object, dtype: str, kind: str) -> RawArray:
    """``value`` as a RawArray of ``dtype`` (TypeError when the kinds do not allow the cast)."""
    from ._array import Array

    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Array):
        source = value._raw.dtype
        if source != dtype and not _kiln.can_cast(source, dtype):
            raise TypeError(f"cannot assign an array of dtype {source} into an array of dtype {dtype}")
        return value._raw if source == dtype else _kiln.astype(value._raw, dtype)
    for scalar_type in (bool, int, float, complex):  # bool first: it is a subclass of int
        if isinstance(value, scalar_type):
            if kind not in _SCALAR_KINDS[scalar_type]:
                raise TypeError(
                    f"cannot assign a Python {scalar_type.__name__} into an array of dtype {dtype}"
                )
            return _kiln.full([], value, dtype)
    raise TypeError(
        f"__setitem__ expects a kiln array or a Python scalar as the value, got {type(value).__name__}"
    )


def _place_axis(
    raw: RawArray, axis: int, shape: list[int], lo: int, step: int, count: int, extent: int
) -> RawArray:
    """Lays the ``count`` values along ``axis`` of ``raw`` out on an axis of ``extent`` so that
    value ``k`` sits at ``lo + k * step`` (step > 0); other positions hold arbitrary values.

    Each value is repeated ``step`` times (a broadcast), so position ``lo + k * step`` of the
    sequence shifted by ``lo`` holds value ``k``; the shift is a slice of a cyclic tiling.
    """
    period = count * step
    before, after = shape[:axis], shape[axis + 1 :]
    if step > 1:
        raw = _kiln.broadcast_to(
            _kiln.reshape(raw, before + [count, 1] + after), before + [count, step] + after
        )
        raw = _kiln.reshape(raw, before + [period] + after)
    shift = (-lo) % period
    copies = -(-(shift + extent) // period)
    if copies > 1:
        raw = _kiln.broadcast_to(
            _kiln.reshape(raw, before + [1, period] + after), before + [copies, period] + after
        )
        raw = _kiln.reshape(raw, before + [copies * period] + after)
    key: list[Entry] = [(RANGE, None, None, 1)] * axis + [(RANGE, shift, shift + extent, 1)]
    return _kiln.getitem(raw, key)


def _axis_mask(position: RawArray, lo: int, hi: int, step: int) -> RawArray:
    """Booleans over ``position`` (an int64 arange): True on ``lo, lo + step, ..., <= hi``."""
    mask = _kiln.logical_and(
        _kiln.greater_equal(position, lo), _kiln.less_equal(position, hi)
    )
    if step > 1:
        offset = _kiln.remainder(_kiln.subtract(position, lo), step)
        mask = _kiln.logical_and(mask, _kiln.equal(offset, 0))
    return mask


def set_item(raw: RawArray, key: object, value: object, kind: str) -> RawArray:
    """The RawArray of ``raw`` with the basic index ``key`` set to ``value`` (same shape and
    dtype as ``raw``); ``kind`` is the dtype's kind name."""
    shape = list(raw.shape)
    dtype = raw.dtype
    parsed, arrays = parse_key(key, raw)
    new = _value_raw(value, dtype, kind)
    if arrays:
        return _set_advanced(raw, parsed, arrays, new)
    entries = _per_axis(parsed, len(shape))

    # The selected region, axis by axis of x: ("int", i) or ("range", range object).
    region: list[int] = []  # extents of x[key], in order (NEWAXIS entries give 1)
    # The positions selected along each axis of x (an integer index selects one).
    selections: list[range] = []
    for entry in entries:
        code, a, b, step = entry
        if code == NEWAXIS:
            region.append(1)
            continue
        extent = shape[len(selections)]
        if code == INDEX:
            index = cast(int, a)  # INDEX entries always carry an int
            if not -extent <= index < extent:
                raise IndexError(
                    f"index {index} is out of bounds for axis {len(selections)} with size {extent}"
                )
            selections.append(range(index % extent, index % extent + 1))
        else:
            positions = range(*slice(a, b, step).indices(extent))
            selections.append(positions)
            region.append(len(positions))

    # Broadcast the value to the region (leading size-1 axes beyond the region's rank are
    # dropped, as NumPy does), then give it one axis per axis of x: a NEWAXIS axis has extent 1
    # and is dropped, an integer index gets an axis of extent 1.
    vshape = list(new.shape)
    while len(vshape) > len(region) and vshape[0] == 1:
        vshape.pop(0)
    if len(vshape) > len(region) or any(
        v not in (1, r) for v, r in zip(vshape[::-1], region[::-1])
    ):
        raise ValueError(
            f"could not broadcast a value of shape {tuple(new.shape)} "
            f"to the indexing result of shape {tuple(region)}"
        )
    vshape = [1] * (len(region) - len(vshape)) + vshape
    if 0 in region:
        return raw  # nothing is selected
    laid: list[int] = []
    r = 0
    for entry in entries:
        if entry[0] == NEWAXIS:
            r += 1
        elif entry[0] == INDEX:
            laid.append(1)
        else:
            laid.append(vshape[r])
            r += 1
    placed = _kiln.reshape(new, laid)

    mask: RawArray | None = None
    for axis, where in enumerate(selections):
        extent = shape[axis]
        step = abs(where.step)
        count = len(where)
        lo, hi = min(where[0], where[-1]), max(where[0], where[-1])
        if laid[axis] > 1:  # never for an integer index (laid 1)
            if where.step < 0:
                placed = _kiln.flip(placed, [axis])
            placed = _place_axis(placed, axis, laid, lo, step, count, extent)
            laid[axis] = extent
        if lo == 0 and hi == extent - 1 and step == 1:
            continue  # the whole axis is selected
        position = _kiln.arange(0, extent, 1, "int64")
        axis_mask = _kiln.reshape(
            _axis_mask(position, lo, hi, step), [extent if i == axis else 1 for i in range(len(shape))]
        )
        mask = axis_mask if mask is None else _kiln.logical_and(mask, axis_mask)

    if mask is None:
        return _kiln.broadcast_to(placed, shape)
    return _kiln.where(mask, placed, raw)


def _set_advanced(
    raw: RawArray, entries: list[Entry], arrays: list[RawArray], value: RawArray
) -> RawArray:
    """``raw`` with the positions an advanced key selects set to ``value`` (broadcast to the
    shape ``raw[key]`` has); with repeated positions the last write wins, as in NumPy."""
    shape = list(raw.shape)
    size = int(np.prod(shape, dtype=np.int64))
    iota = _kiln.reshape(_kiln.arange(0, size, 1, "int64"), shape)
    # Which flat position each element of raw[key] writes: reading it evaluates the key (on the
    # CPU, where the positions are needed).
    on_cpu = [a if a.device == "cpu" else _kiln.to_device(a, "cpu") for a in arrays]
    positions = np.asarray(_kiln.to_numpy(_kiln.getitem_advanced(iota, entries, on_cpu)))
    target = list(positions.shape)
    vshape = list(value.shape)
    while len(vshape) > len(target) and vshape[0] == 1:
        vshape.pop(0)
    if len(vshape) > len(target) or any(v not in (1, t) for v, t in zip(vshape[::-1], target[::-1])):
        raise ValueError(
            f"could not broadcast a value of shape {tuple(value.shape)} "
            f"to the indexing result of shape {tuple(target)}"
        )
    if positions.size == 0:
        return raw
    # source[p]: the element of the broadcast value written at flat position p (-1: none).
    source = np.full(size, -1, dtype=np.int64)
    source[positions.reshape(-1)] = np.arange(positions.size, dtype=np.int64)
    from ._creation import asarray

    values = _kiln.reshape(_kiln.broadcast_to(_kiln.reshape(value, vshape), target), [-1])
    src = asarray(source, device=_placed_on(raw))._raw
    picked = _kiln.take(values, _kiln.maximum(src, 0), 0)
    flat = _kiln.where(_kiln.greater_equal(src, 0), picked, _kiln.reshape(raw, [-1]))
    return _kiln.reshape(flat, shape)
