"""Type stubs of ``kiln._elementwise`` (its functions are generated at import time, so static
checkers cannot see them in the ``.py``).

Invariant: declares exactly the names of the runtime ``__all__`` (tests/test_elementwise_stub.py
checks it), with the Array API signatures: positional-only inputs, unary functions take a
``kiln.Array``, binary functions take arrays or Python scalars (at least one array at runtime).
"""

from typing import TypeAlias

from ._array import Array

_Operand: TypeAlias = Array | bool | int | float | complex
"""A binary input: a kiln array or a Python scalar."""

__all__ = [
    "abs",
    "acos",
    "acosh",
    "add",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "ceil",
    "clip",
    "conj",
    "copysign",
    "cos",
    "cosh",
    "divide",
    "equal",
    "exp",
    "expm1",
    "floor",
    "floor_divide",
    "greater",
    "greater_equal",
    "hypot",
    "imag",
    "isfinite",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "multiply",
    "negative",
    "nextafter",
    "not_equal",
    "positive",
    "pow",
    "real",
    "reciprocal",
    "remainder",
    "round",
    "sign",
    "signbit",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "trunc",
    "where",
]

def abs(x: Array, /) -> Array:
    """Absolute value, elementwise."""

def acos(x: Array, /) -> Array:
    """Inverse cosine, elementwise."""

def acosh(x: Array, /) -> Array:
    """Inverse hyperbolic cosine, elementwise."""

def add(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 + x2, elementwise. Either input may be a Python scalar."""

def asin(x: Array, /) -> Array:
    """Inverse sine, elementwise."""

def asinh(x: Array, /) -> Array:
    """Inverse hyperbolic sine, elementwise."""

def atan(x: Array, /) -> Array:
    """Inverse tangent, elementwise."""

def atan2(x1: _Operand, x2: _Operand, /) -> Array:
    """Inverse tangent of x1 / x2 in the quadrant of (x2, x1), elementwise. Either input may be a Python scalar."""

def atanh(x: Array, /) -> Array:
    """Inverse hyperbolic tangent, elementwise."""

def bitwise_and(x1: _Operand, x2: _Operand, /) -> Array:
    """Bitwise AND (logical for booleans), elementwise. Either input may be a Python scalar."""

def bitwise_invert(x: Array, /) -> Array:
    """Bitwise NOT of integers (logical NOT of booleans), elementwise."""

def bitwise_left_shift(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 << x2, elementwise. Either input may be a Python scalar."""

def bitwise_or(x1: _Operand, x2: _Operand, /) -> Array:
    """Bitwise OR (logical for booleans), elementwise. Either input may be a Python scalar."""

def bitwise_right_shift(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 >> x2, elementwise. Either input may be a Python scalar."""

def bitwise_xor(x1: _Operand, x2: _Operand, /) -> Array:
    """Bitwise XOR (logical for booleans), elementwise. Either input may be a Python scalar."""

def ceil(x: Array, /) -> Array:
    """Smallest integer not less than x, elementwise."""

def clip(
    x: Array,
    /,
    min: _Operand | None = None,
    max: _Operand | None = None,
) -> Array:
    """Clamps each element of ``x`` to ``[min, max]`` (either bound may be None); keeps x's dtype."""

def conj(x: Array, /) -> Array:
    """Complex conjugate, elementwise."""

def copysign(x1: _Operand, x2: _Operand, /) -> Array:
    """The magnitude of x1 with the sign of x2, elementwise. Either input may be a Python scalar."""

def cos(x: Array, /) -> Array:
    """Cosine, elementwise."""

def cosh(x: Array, /) -> Array:
    """Hyperbolic cosine, elementwise."""

def divide(x1: _Operand, x2: _Operand, /) -> Array:
    """True division x1 / x2 (integers divide as float64), elementwise. Either input may be a Python scalar."""

def equal(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 == x2, elementwise. Either input may be a Python scalar."""

def exp(x: Array, /) -> Array:
    """Exponential, elementwise."""

def expm1(x: Array, /) -> Array:
    """exp(x) - 1, accurate near zero, elementwise."""

def floor(x: Array, /) -> Array:
    """Largest integer not greater than x, elementwise."""

def floor_divide(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 // x2, elementwise. Either input may be a Python scalar."""

def greater(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 > x2, elementwise. Either input may be a Python scalar."""

def greater_equal(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 >= x2, elementwise. Either input may be a Python scalar."""

def hypot(x1: _Operand, x2: _Operand, /) -> Array:
    """sqrt(x1**2 + x2**2) without undue overflow, elementwise. Either input may be a Python scalar."""

def imag(x: Array, /) -> Array:
    """Imaginary part of complex numbers, elementwise."""

def isfinite(x: Array, /) -> Array:
    """Whether each element is finite."""

def isinf(x: Array, /) -> Array:
    """Whether each element is infinite."""

def isnan(x: Array, /) -> Array:
    """Whether each element is NaN."""

def less(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 < x2, elementwise. Either input may be a Python scalar."""

def less_equal(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 <= x2, elementwise. Either input may be a Python scalar."""

def log(x: Array, /) -> Array:
    """Natural logarithm, elementwise."""

def log10(x: Array, /) -> Array:
    """Base-10 logarithm, elementwise."""

def log1p(x: Array, /) -> Array:
    """log(1 + x), accurate near zero, elementwise."""

def log2(x: Array, /) -> Array:
    """Base-2 logarithm, elementwise."""

def logaddexp(x1: _Operand, x2: _Operand, /) -> Array:
    """log(exp(x1) + exp(x2)), elementwise. Either input may be a Python scalar."""

def logical_and(x1: _Operand, x2: _Operand, /) -> Array:
    """Logical AND of booleans, elementwise. Either input may be a Python scalar."""

def logical_not(x: Array, /) -> Array:
    """Logical NOT of booleans, elementwise."""

def logical_or(x1: _Operand, x2: _Operand, /) -> Array:
    """Logical OR of booleans, elementwise. Either input may be a Python scalar."""

def logical_xor(x1: _Operand, x2: _Operand, /) -> Array:
    """Logical XOR of booleans, elementwise. Either input may be a Python scalar."""

def maximum(x1: _Operand, x2: _Operand, /) -> Array:
    """The larger of x1 and x2 (NaN propagates), elementwise. Either input may be a Python scalar."""

def minimum(x1: _Operand, x2: _Operand, /) -> Array:
    """The smaller of x1 and x2 (NaN propagates), elementwise. Either input may be a Python scalar."""

def multiply(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 * x2, elementwise. Either input may be a Python scalar."""

def negative(x: Array, /) -> Array:
    """-x, elementwise."""

def nextafter(x1: _Operand, x2: _Operand, /) -> Array:
    """The next float after x1 towards x2, elementwise. Either input may be a Python scalar."""

def not_equal(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 != x2, elementwise. Either input may be a Python scalar."""

def positive(x: Array, /) -> Array:
    """+x, elementwise."""

def pow(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 ** x2, elementwise. Either input may be a Python scalar."""

def real(x: Array, /) -> Array:
    """Real part of complex numbers, elementwise."""

def reciprocal(x: Array, /) -> Array:
    """1 / x, elementwise."""

def remainder(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 % x2 with the sign of x2 (Python's %), elementwise. Either input may be a Python scalar."""

def round(x: Array, /) -> Array:
    """Round half to even, elementwise."""

def sign(x: Array, /) -> Array:
    """Sign (-1, 0 or 1; x / |x| for complex), elementwise."""

def signbit(x: Array, /) -> Array:
    """Whether the sign bit is set, elementwise."""

def sin(x: Array, /) -> Array:
    """Sine, elementwise."""

def sinh(x: Array, /) -> Array:
    """Hyperbolic sine, elementwise."""

def sqrt(x: Array, /) -> Array:
    """Square root, elementwise."""

def square(x: Array, /) -> Array:
    """x * x, elementwise."""

def subtract(x1: _Operand, x2: _Operand, /) -> Array:
    """x1 - x2, elementwise. Either input may be a Python scalar."""

def tan(x: Array, /) -> Array:
    """Tangent, elementwise."""

def tanh(x: Array, /) -> Array:
    """Hyperbolic tangent, elementwise."""

def trunc(x: Array, /) -> Array:
    """Integer part (rounded towards zero), elementwise."""

def where(condition: Array, x1: _Operand, x2: _Operand, /) -> Array:
    """Elements of ``x1`` where ``condition`` is True, else of ``x2`` (broadcast together)."""
