"""Manipulation functions: reshapes, permutations, broadcasts, flips, joins and rolls.

Invariant: everything here is lazy. Views (reshape, permute, broadcast, flip, tile, repeat by a
scalar) build movement nodes the scheduler turns into strided index arithmetic; concat, stack
and roll build one library copy step; repeat by per-element counts reads the counts only.
"""

from __future__ import annotations

from . import _kiln
from ._args import axes as _axes
from ._args import check_array as _check_array
from ._args import integer as _integer
from ._args import required_axes as _required_axes
from ._args import shape as _shape
from ._array import Array, _wrap

__all__ = [
    "broadcast_arrays",
    "concat",
    "roll",
    "stack",
    "broadcast_shapes",
    "broadcast_to",
    "expand_dims",
    "flip",
    "moveaxis",
    "permute_dims",
    "repeat",
    "reshape",
    "squeeze",
    "tile",
    "unstack",
]


def _arrays(arrays: object, what: str) -> list[Array]:
    if not isinstance(arrays, (tuple, list)):
        raise TypeError(f"{what} expects a tuple or list of kiln arrays, got {type(arrays).__name__}")
    for a in arrays:
        _check_array(a, what)
    return list(arrays)


def concat(arrays: tuple[Array, ...] | list[Array], /, *, axis: int | None = 0) -> Array:
    """The arrays joined along the existing ``axis`` (flattened first when ``axis`` is None),
    promoted to their common dtype. One lazy library step."""
    xs = _arrays(arrays, "concat")
    ax = None if axis is None else _integer(axis, "axis")
    return _wrap(_kiln.concat([a._raw for a in xs], ax))


def stack(arrays: tuple[Array, ...] | list[Array], /, *, axis: int = 0) -> Array:
    """The arrays (all of one shape) joined along a new ``axis`` of the result."""
    xs = _arrays(arrays, "stack")
    return _wrap(_kiln.stack([a._raw for a in xs], _integer(axis, "axis")))


def roll(
    x: Array,
    /,
    shift: int | tuple[int, ...],
    *,
    axis: int | tuple[int, ...] | None = None,
) -> Array:
    """``x`` with its elements rotated by ``shift`` along ``axis`` (of the flattened array when
    None, then reshaped back); elements that roll past the end re-enter at the start."""
    _check_array(x, "roll")
    shifts = [_integer(s, "shift") for s in (shift if isinstance(shift, (tuple, list)) else [shift])]
    axes = None if axis is None else _axes(axis)
    return _wrap(_kiln.roll(x._raw, shifts, axes))


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape that ``shapes`` broadcast to (ValueError if they do not)."""
    rank = max((len(s) for s in shapes), default=0)
    out = [1] * rank
    for s in shapes:
        for i, d in enumerate(s, start=rank - len(s)):
            if d != out[i]:
                if out[i] != 1 and d != 1:
                    raise ValueError(f"shapes {shapes} cannot be broadcast together")
                out[i] = d if out[i] == 1 else out[i]
    return tuple(out)


def broadcast_arrays(*arrays: Array) -> tuple[Array, ...]:
    """The arrays broadcast to one common shape (a tuple, as the 2025.12 standard says)."""
    for a in arrays:
        _check_array(a, "broadcast_arrays")
    target = list(broadcast_shapes(*(a.shape for a in arrays)))
    return tuple(_wrap(_kiln.broadcast_to(a._raw, target)) for a in arrays)


def broadcast_to(x: Array, /, shape: tuple[int, ...]) -> Array:
    """``x`` broadcast to ``shape``."""
    _check_array(x, "broadcast_to")
    return _wrap(_kiln.broadcast_to(x._raw, _shape(shape)))


def expand_dims(x: Array, /, axis: int | tuple[int, ...] = 0) -> Array:
    """``x`` with axes of extent one inserted at ``axis``: one position, or a tuple of
    positions in the result (negative ones count from the result's end; IndexError when out of
    range, ValueError when repeated)."""
    _check_array(x, "expand_dims")
    if not isinstance(axis, (tuple, list)):
        return _wrap(_kiln.expand_dims(x._raw, _integer(axis, "axis")))
    positions = [_integer(a, "axis") for a in axis]
    out_ndim = x.ndim + len(positions)
    for a in positions:
        if not -out_ndim <= a < out_ndim:
            raise IndexError(f"axis {a} is out of bounds for a result of {out_ndim} dimensions")
    normalised = sorted(a % out_ndim for a in positions)
    if len(set(normalised)) != len(normalised):
        raise ValueError(f"expand_dims axes {tuple(positions)} repeat a position")
    raw = x._raw
    for a in normalised:
        raw = _kiln.expand_dims(raw, a)
    return _wrap(raw)


def flip(x: Array, /, *, axis: int | tuple[int, ...] | None = None) -> Array:
    """``x`` with the order of elements reversed along ``axis`` (all axes if None)."""
    _check_array(x, "flip")
    return _wrap(_kiln.flip(x._raw, _axes(axis)))


def moveaxis(
    x: Array, source: int | tuple[int, ...], destination: int | tuple[int, ...], /
) -> Array:
    """``x`` with axes ``source`` moved to positions ``destination``."""
    _check_array(x, "moveaxis")
    src, dst = _required_axes(source), _required_axes(destination)
    if len(src) != len(dst):
        raise ValueError("moveaxis needs as many destination axes as source axes")
    n = x.ndim
    for a in src + dst:
        if not -n <= a < n:
            raise IndexError(f"axis {a} is out of bounds for an array of {n} dimensions")
    src, dst = [a % n for a in src], [a % n for a in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError("moveaxis axes must be unique")
    order = [a for a in range(n) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return _wrap(_kiln.permute_dims(x._raw, order))


def permute_dims(x: Array, /, axes: tuple[int, ...]) -> Array:
    """``x`` with its axes permuted: output axis ``i`` is input axis ``axes[i]``."""
    _check_array(x, "permute_dims")
    order = _required_axes(axes)
    n = x.ndim
    for a in order:
        if not -n <= a < n:
            raise IndexError(f"axis {a} is out of bounds for an array of {n} dimensions")
    return _wrap(_kiln.permute_dims(x._raw, [a % n for a in order]))


def reshape(x: Array, /, shape: tuple[int, ...], *, copy: bool | None = None) -> Array:
    """``x`` with a new ``shape`` (one extent may be -1), in row-major order."""
    _check_array(x, "reshape")
    dims = [_integer(d, "shape entries") for d in (shape if isinstance(shape, (tuple, list)) else [shape])]
    return _wrap(_kiln.reshape(x._raw, dims))


def squeeze(x: Array, /, axis: int | tuple[int, ...]) -> Array:
    """``x`` without the axes ``axis`` (each of extent one)."""
    _check_array(x, "squeeze")
    return _wrap(_kiln.squeeze(x._raw, _required_axes(axis)))


def unstack(x: Array, /, *, axis: int = 0) -> tuple[Array, ...]:
    """The sub-arrays of ``x`` along ``axis``, as a tuple of views."""
    _check_array(x, "unstack")
    axis = _integer(axis, "axis")
    if not -x.ndim <= axis < x.ndim:
        raise IndexError(f"axis {axis} is out of bounds for an array of {x.ndim} dimensions")
    moved = moveaxis(x, axis, 0)
    return tuple(moved[i] for i in range(moved.shape[0]))


def tile(x: Array, repetitions: tuple[int, ...], /) -> Array:
    """``x`` repeated ``repetitions[i]`` times along each axis ``i`` (a lazy broadcast)."""
    _check_array(x, "tile")
    reps = [_integer(r, "repetitions") for r in repetitions]
    if any(r < 0 for r in reps):
        raise ValueError(f"tile needs non-negative repetitions, got {tuple(reps)}")
    rank = max(x.ndim, len(reps))
    reps = [1] * (rank - len(reps)) + reps
    dims = [1] * (rank - x.ndim) + list(x.shape)
    # Interleave a broadcast axis before each axis: [r0, d0, r1, d1, ...] flattens to the tiling.
    spread = [n for d in dims for n in (1, d)]
    target = [n for r, d in zip(reps, dims) for n in (r, d)]
    raw = _kiln.broadcast_to(_kiln.reshape(x._raw, spread), target)
    return _wrap(_kiln.reshape(raw, [r * d for r, d in zip(reps, dims)]))


def repeat(x: Array, repeats: int | Array, /, *, axis: int | None = None) -> Array:
    """Each element of ``x`` repeated ``repeats`` times along ``axis`` (of the flattened array
    if None). An integer count is a lazy broadcast; per-element counts (an array) give a
    data-dependent shape, so ``x`` and ``repeats`` are evaluated first.
    """
    _check_array(x, "repeat")
    if axis is None:
        x = reshape(x, (-1,))
        axis = 0
    axis = _integer(axis, "axis")
    if not -x.ndim <= axis < x.ndim:
        raise IndexError(f"axis {axis} is out of bounds for an array of {x.ndim} dimensions")
    axis %= x.ndim
    if isinstance(repeats, Array):
        if repeats.dtype.kind not in ("signed integer", "unsigned integer"):
            raise TypeError(f"repeat needs integer repeats, got {repeats.dtype.name}")
        import numpy as np

        from ._creation import asarray

        # The counts decide the shape, so they are read; x stays lazy (a gather).
        counts = np.asarray(repeats).astype(np.int64).reshape(-1)
        extent = x.shape[axis]
        if counts.size == 1:
            counts = np.full(extent, counts[0])
        if counts.size != extent:
            raise ValueError(
                f"repeat: {counts.size} counts for an axis of size {extent} (give one or one per element)"
            )
        if (counts < 0).any():
            raise ValueError("repeat needs non-negative repeats")
        positions = asarray(np.repeat(np.arange(extent, dtype=np.int64), counts))
        return _wrap(_kiln.take(x._raw, positions._raw, axis))
    count = _integer(repeats, "repeats")
    if count < 0:
        raise ValueError(f"repeat needs non-negative repeats, got {count}")
    shape = list(x.shape)
    spread = shape[: axis + 1] + [1] + shape[axis + 1 :]
    target = shape[: axis + 1] + [count] + shape[axis + 1 :]
    raw = _kiln.broadcast_to(_kiln.reshape(x._raw, spread), target)
    return _wrap(_kiln.reshape(raw, shape[:axis] + [shape[axis] * count] + shape[axis + 1 :]))
