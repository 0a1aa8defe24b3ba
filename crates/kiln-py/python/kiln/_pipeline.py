"""Evaluation: ``kiln.eval(*arrays)`` and ``kiln.explain(*arrays)``.

Invariant: the extension releases the GIL for the whole evaluation; arrays evaluated together
share their common sub-graphs.
"""

from __future__ import annotations

from . import _kiln
from ._args import check_array as _check_array

__all__ = ["eval", "explain"]


def eval(*arrays):
    """Computes ``arrays`` now, together (shared work is done once). Returns them."""
    for a in arrays:
        _check_array(a, "kiln.eval")
    _kiln.eval(*(a._raw for a in arrays))
    return arrays[0] if len(arrays) == 1 else arrays


def explain(*arrays) -> str:
    """Evaluates ``arrays`` and returns the text of every pipeline stage: the graph, the
    optimised graph with egg's report, the schedule, the cranelift IR and stage timings."""
    for a in arrays:
        _check_array(a, "kiln.explain")
    return _kiln.explain(*(a._raw for a in arrays))
