"""Normalisation of ``__getitem__`` keys into the entries the Rust extension takes.

Invariant: the extension receives a list of ``(code, a, b, step)`` tuples of plain ints and
None, with codes shared with ``src/convert.rs`` (0 integer, 1 slice, 2 newaxis, 3 ellipsis);
anything else is rejected here with ``IndexError``/``TypeError`` before Rust sees it.
"""

from __future__ import annotations

import operator

INDEX, RANGE, NEWAXIS, ELLIPSIS = 0, 1, 2, 3


def _slice_part(value: object) -> int | None:
    if value is None:
        return None
    return _integer(value)


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise IndexError("boolean scalars are not supported as indices yet")
    try:
        return operator.index(value)
    except TypeError:
        raise IndexError(
            f"only integers, slices (`:`), ellipsis (`...`) and None are valid indices, got {value!r}"
        ) from None


def index_entries(key: object) -> list[tuple[int, int | None, int | None, int]]:
    """The entries of a basic index (an int, slice, Ellipsis, None, or a tuple of those)."""
    from ._array import Array

    items = key if isinstance(key, tuple) else (key,)
    entries = []
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
        elif isinstance(item, Array):
            raise IndexError("indexing with arrays (integer or boolean) is not supported yet")
        else:
            entries.append((INDEX, _integer(item), None, 1))
    return entries
