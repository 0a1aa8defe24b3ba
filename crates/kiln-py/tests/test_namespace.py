"""The namespace's shape: the standard's function names are present, with its signatures
(positional-only inputs, keyword names and defaults), and everything in __all__ exists."""

import inspect

import pytest

import kiln

UNARY = [
    "abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "bitwise_invert", "ceil", "conj",
    "cos", "cosh", "exp", "expm1", "floor", "imag", "isfinite", "isinf", "isnan", "log", "log1p",
    "log2", "log10", "logical_not", "negative", "positive", "real", "reciprocal", "round", "sign",
    "signbit", "sin", "sinh", "sqrt", "square", "tan", "tanh", "trunc",
]
BINARY = [
    "add", "atan2", "bitwise_and", "bitwise_left_shift", "bitwise_or", "bitwise_right_shift",
    "bitwise_xor", "copysign", "divide", "equal", "floor_divide", "greater", "greater_equal",
    "hypot", "less", "less_equal", "logaddexp", "logical_and", "logical_or", "logical_xor",
    "maximum", "minimum", "multiply", "nextafter", "not_equal", "pow", "remainder", "subtract",
]

SIGNATURES = {
    "sum": "(x, /, *, axis=None, dtype=None, keepdims=False)",
    "prod": "(x, /, *, axis=None, dtype=None, keepdims=False)",
    "max": "(x, /, *, axis=None, keepdims=False)",
    "mean": "(x, /, *, axis=None, keepdims=False)",
    "var": "(x, /, *, axis=None, correction=0.0, keepdims=False)",
    "std": "(x, /, *, axis=None, correction=0.0, keepdims=False)",
    "argmax": "(x, /, *, axis=None, keepdims=False)",
    "cumulative_sum": "(x, /, *, axis=None, dtype=None, include_initial=False)",
    "asarray": "(obj, /, *, dtype=None, device=None, copy=None)",
    "arange": "(start, /, stop=None, step=1, *, dtype=None, device=None)",
    "linspace": "(start, stop, /, num, *, dtype=None, device=None, endpoint=True)",
    "eye": "(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None)",
    "full": "(shape, fill_value, *, dtype=None, device=None)",
    "zeros_like": "(x, /, *, dtype=None, device=None)",
    "reshape": "(x, /, shape, *, copy=None)",
    "permute_dims": "(x, /, axes)",
    "expand_dims": "(x, /, axis=0)",
    "squeeze": "(x, /, axis)",
    "flip": "(x, /, *, axis=None)",
    "matmul": "(x1, x2, /)",
    "tensordot": "(x1, x2, /, *, axes=2)",
    "vecdot": "(x1, x2, /, *, axis=-1)",
    "where": "(condition, x1, x2, /)",
    "clip": "(x, /, min=None, max=None)",
    "astype": "(x, dtype, /, *, copy=True, device=None)",
    "can_cast": "(from_, to, /)",
    "isdtype": "(dtype, kind)",
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_signature(name):
    assert str(inspect.signature(getattr(kiln, name))) == "(x, /)"
    assert getattr(kiln, name).__doc__


@pytest.mark.parametrize("name", BINARY)
def test_binary_signature(name):
    assert str(inspect.signature(getattr(kiln, name))) == "(x1, x2, /)"


@pytest.mark.parametrize("name,signature", sorted(SIGNATURES.items()))
def test_signature(name, signature):
    # Parameter kinds, names and defaults; annotations are the stubs' business (test_*stub*.py).
    full = inspect.signature(getattr(kiln, name))
    bare = full.replace(
        parameters=[p.replace(annotation=inspect.Parameter.empty) for p in full.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )
    assert str(bare) == signature


def test_all_names_exist_and_are_documented():
    for name in kiln.__all__:
        value = getattr(kiln, name)
        if callable(value) and not isinstance(value, kiln.DType):
            assert value.__doc__, name
