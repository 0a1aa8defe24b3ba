"""Elementwise functions of the Array API, plus ``clip`` and ``where``.

Invariant: every function here is a named wrapper of one extension function with the standard's
signature (positional-only inputs); unary functions take a ``kiln.Array``, binary functions take
arrays or Python scalars (at least one array), and dtype rules are kiln's (see the facade).
"""

from __future__ import annotations

from . import _kiln
from ._array import Array, _binary, _operand, _wrap

_UNARY = {
    "abs": "Absolute value, elementwise.",
    "acos": "Inverse cosine, elementwise.",
    "acosh": "Inverse hyperbolic cosine, elementwise.",
    "asin": "Inverse sine, elementwise.",
    "asinh": "Inverse hyperbolic sine, elementwise.",
    "atan": "Inverse tangent, elementwise.",
    "atanh": "Inverse hyperbolic tangent, elementwise.",
    "bitwise_invert": "Bitwise NOT of integers (logical NOT of booleans), elementwise.",
    "ceil": "Smallest integer not less than x, elementwise.",
    "conj": "Complex conjugate, elementwise.",
    "cos": "Cosine, elementwise.",
    "cosh": "Hyperbolic cosine, elementwise.",
    "exp": "Exponential, elementwise.",
    "expm1": "exp(x) - 1, accurate near zero, elementwise.",
    "floor": "Largest integer not greater than x, elementwise.",
    "imag": "Imaginary part of complex numbers, elementwise.",
    "isfinite": "Whether each element is finite.",
    "isinf": "Whether each element is infinite.",
    "isnan": "Whether each element is NaN.",
    "log": "Natural logarithm, elementwise.",
    "log1p": "log(1 + x), accurate near zero, elementwise.",
    "log2": "Base-2 logarithm, elementwise.",
    "log10": "Base-10 logarithm, elementwise.",
    "logical_not": "Logical NOT of booleans, elementwise.",
    "negative": "-x, elementwise.",
    "positive": "+x, elementwise.",
    "real": "Real part of complex numbers, elementwise.",
    "reciprocal": "1 / x, elementwise.",
    "round": "Round half to even, elementwise.",
    "sign": "Sign (-1, 0 or 1; x / |x| for complex), elementwise.",
    "signbit": "Whether the sign bit is set, elementwise.",
    "sin": "Sine, elementwise.",
    "sinh": "Hyperbolic sine, elementwise.",
    "sqrt": "Square root, elementwise.",
    "square": "x * x, elementwise.",
    "tan": "Tangent, elementwise.",
    "tanh": "Hyperbolic tangent, elementwise.",
    "trunc": "Integer part (rounded towards zero), elementwise.",
}

_BINARY = {
    "add": "x1 + x2, elementwise.",
    "atan2": "Inverse tangent of x1 / x2 in the quadrant of (x2, x1), elementwise.",
    "bitwise_and": "Bitwise AND (logical for booleans), elementwise.",
    "bitwise_left_shift": "x1 << x2, elementwise.",
    "bitwise_or": "Bitwise OR (logical for booleans), elementwise.",
    "bitwise_right_shift": "x1 >> x2, elementwise.",
    "bitwise_xor": "Bitwise XOR (logical for booleans), elementwise.",
    "copysign": "The magnitude of x1 with the sign of x2, elementwise.",
    "divide": "True division x1 / x2 (integers divide as float64), elementwise.",
    "equal": "x1 == x2, elementwise.",
    "floor_divide": "x1 // x2, elementwise.",
    "greater": "x1 > x2, elementwise.",
    "greater_equal": "x1 >= x2, elementwise.",
    "hypot": "sqrt(x1**2 + x2**2) without undue overflow, elementwise.",
    "less": "x1 < x2, elementwise.",
    "less_equal": "x1 <= x2, elementwise.",
    "logaddexp": "log(exp(x1) + exp(x2)), elementwise.",
    "logical_and": "Logical AND of booleans, elementwise.",
    "logical_or": "Logical OR of booleans, elementwise.",
    "logical_xor": "Logical XOR of booleans, elementwise.",
    "maximum": "The larger of x1 and x2 (NaN propagates), elementwise.",
    "minimum": "The smaller of x1 and x2 (NaN propagates), elementwise.",
    "multiply": "x1 * x2, elementwise.",
    "nextafter": "The next float after x1 towards x2, elementwise.",
    "not_equal": "x1 != x2, elementwise.",
    "pow": "x1 ** x2, elementwise.",
    "remainder": "x1 % x2 with the sign of x2 (Python's %), elementwise.",
    "subtract": "x1 - x2, elementwise.",
}


def _check_array(x: object, name: str) -> None:
    if not isinstance(x, Array):
        raise TypeError(f"{name} expects a kiln array, got {type(x).__name__}")


def _make_unary(name: str, doc: str):
    native = getattr(_kiln, name)

    def function(x, /):
        _check_array(x, name)
        return _wrap(native(x._raw))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    function.__module__ = "kiln"
    return function


def _make_binary(name: str, doc: str):
    native = getattr(_kiln, name)

    def function(x1, x2, /):
        return _binary(native, x1, x2)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc + " Either input may be a Python scalar."
    function.__module__ = "kiln"
    return function


for _name, _doc in _UNARY.items():
    globals()[_name] = _make_unary(_name, _doc)
for _name, _doc in _BINARY.items():
    globals()[_name] = _make_binary(_name, _doc)
del _name, _doc


def clip(x, /, min=None, max=None):
    """Clamps each element of ``x`` to ``[min, max]`` (either bound may be None); keeps x's dtype."""
    _check_array(x, "clip")
    low = None if min is None else _operand(min)
    high = None if max is None else _operand(max)
    return _wrap(_kiln.clip(x._raw, low, high))


def where(condition, x1, x2, /):
    """Elements of ``x1`` where ``condition`` is True, else of ``x2`` (broadcast together)."""
    _check_array(condition, "where")
    return _wrap(_kiln.where(condition._raw, _operand(x1), _operand(x2)))


__all__ = sorted([*_UNARY, *_BINARY, "clip", "where"])
