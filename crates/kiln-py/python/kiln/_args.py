"""Argument normalisation shared by the namespace functions.

Invariant: what leaves these helpers is what the extension accepts: shapes as lists of
non-negative ints, axes as None or lists of ints, arrays checked to be ``kiln.Array``.
"""

from __future__ import annotations

import math
import operator
from typing import SupportsIndex, cast

from ._array import Array


def check_array(x: object, name: str) -> None:
    """TypeError unless ``x`` is a kiln array."""
    if not isinstance(x, Array):
        raise TypeError(f"{name} expects a kiln array, got {type(x).__name__}")


def integer(value: object, what: str) -> int:
    """An integer argument (bools and floats are rejected)."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an integer, got a bool")
    try:
        return operator.index(cast(SupportsIndex, value))  # TypeError when it is not one
    except TypeError:
        raise TypeError(f"{what} must be an integer, got {value!r}") from None


def shape(value: object) -> list[int]:
    """A shape argument (an int or a sequence of ints) as a list of non-negative ints."""
    dims = list(value) if isinstance(value, (tuple, list)) else [value]
    out = [integer(d, "shape entries") for d in dims]
    if any(d < 0 for d in out):
        raise ValueError(f"negative dimensions are not allowed, got shape {tuple(out)}")
    if math.prod(out) >= 2**63:
        # The element count must fit the index arithmetic of kiln's shapes (a Rust usize).
        raise MemoryError(f"shape {tuple(out)} has more elements than kiln can index")
    return out


def axes(axis: object) -> list[int] | None:
    """An ``axis`` argument (None, an int or a tuple of ints) as None or a list of ints."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return [integer(a, "axis") for a in axis]
    return [integer(axis, "axis")]


def required_axes(axis: object) -> list[int]:
    """An ``axis`` argument that may not be None (an int or a tuple of ints) as a list."""
    if axis is None:
        raise TypeError("axis must be an integer or a tuple of integers, not None")
    return [integer(a, "axis") for a in axis] if isinstance(axis, (tuple, list)) else [integer(axis, "axis")]


def optional_axis(axis: object) -> int | None:
    """A single optional axis."""
    return None if axis is None else integer(axis, "axis")
