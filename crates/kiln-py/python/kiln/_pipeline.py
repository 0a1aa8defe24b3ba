"""Evaluation: ``kiln.eval(*arrays)`` and ``kiln.explain(*arrays)``.

Invariant: the extension releases the GIL for the whole evaluation; arrays evaluated together
share their common sub-graphs.
"""

from __future__ import annotations

from typing import overload

from . import _kiln
from ._args import check_array as _check_array
from ._array import Array

__all__ = ["eval", "explain"]


@overload
def eval(x: Array, /) -> Array: ...


@overload
def eval(x1: Array, x2: Array, /, *arrays: Array) -> tuple[Array, ...]: ...


def eval(*arrays: Array) -> Array | tuple[Array, ...]:
    """Computes ``arrays`` now, together (shared work is done once). Returns them."""
    for a in arrays:
        _check_array(a, "kiln.eval")
    _kiln.eval(*(a._raw for a in arrays))
    return arrays[0] if len(arrays) == 1 else arrays


def explain(*arrays: Array) -> str:
    """Evaluates ``arrays`` and returns the text of every pipeline stage: the graph, the
    optimised graph with egg's report, the schedule, the cranelift IR and stage timings."""
    for a in arrays:
        _check_array(a, "kiln.explain")
    return _kiln.explain(*(a._raw for a in arrays))
