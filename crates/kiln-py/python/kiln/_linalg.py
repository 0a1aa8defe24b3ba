"""Linear algebra of the main namespace: matmul, matrix_transpose, tensordot, vecdot.

Invariant: shape and dtype rules are the facade's; this module only normalises ``axes`` and
``axis`` arguments.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import _kiln
from ._args import check_array as _check_array
from ._args import integer as _integer
from ._array import Array, _wrap

__all__ = ["matmul", "matrix_transpose", "tensordot", "vecdot"]


def matmul(x1: Array, x2: Array, /) -> Array:
    """Matrix product (1-D operands are promoted and squeezed; batch axes broadcast)."""
    _check_array(x1, "matmul")
    _check_array(x2, "matmul")
    return _wrap(_kiln.matmul(x1._raw, x2._raw))


def matrix_transpose(x: Array, /) -> Array:
    """Swaps the last two axes."""
    _check_array(x, "matrix_transpose")
    return _wrap(_kiln.matrix_transpose(x._raw))


def tensordot(
    x1: Array,
    x2: Array,
    /,
    *,
    axes: int | tuple[Sequence[int], Sequence[int]] = 2,
) -> Array:
    """Contracts the last ``axes`` axes of ``x1`` with the first of ``x2`` (an int), or the
    axes pairs ``axes = (axes_of_x1, axes_of_x2)``."""
    _check_array(x1, "tensordot")
    _check_array(x2, "tensordot")
    if isinstance(axes, (tuple, list)):
        if len(axes) != 2:
            raise ValueError("tensordot axes must be an int or a pair of axis sequences")
        a1 = [_normalise(_integer(a, "axis"), x1.ndim) for a in axes[0]]
        a2 = [_normalise(_integer(a, "axis"), x2.ndim) for a in axes[1]]
        return _wrap(_kiln.tensordot_axes(x1._raw, x2._raw, a1, a2))
    count = _integer(axes, "axes")
    if count < 0:
        raise ValueError(f"tensordot axes must be non-negative, got {count}")
    return _wrap(_kiln.tensordot(x1._raw, x2._raw, count))


def vecdot(x1: Array, x2: Array, /, *, axis: int = -1) -> Array:
    """``sum(conj(x1) * x2, axis=axis)`` with broadcasting."""
    _check_array(x1, "vecdot")
    _check_array(x2, "vecdot")
    return _wrap(_kiln.vecdot(x1._raw, x2._raw, _integer(axis, "axis")))


def _normalise(axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise IndexError(f"axis {axis} is out of bounds for an array of {ndim} dimensions")
    return axis % ndim
