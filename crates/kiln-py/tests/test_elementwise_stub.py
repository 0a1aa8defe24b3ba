"""``kiln/_elementwise.pyi`` (the hand-written stub of the import-time generated elementwise
functions) and the literal ``kiln.__all__`` agree with the runtime, so what static checkers see
is what users get.

Invariant: both files are read from the *installed* package (``importlib.resources``); a stub
entry missing, extra, or with a different signature from the runtime function fails here.
"""

from __future__ import annotations

import ast
import inspect
from importlib import resources

import kiln
from kiln import (
    _creation,
    _data_type_functions,
    _dtypes,
    _elementwise,
    _linalg,
    _manipulation,
    _searching,
    _statistical,
)


def _parse(name: str) -> ast.Module:
    return ast.parse(resources.files("kiln").joinpath(name).read_text(encoding="utf-8"))


def _literal_all(tree: ast.Module) -> list[str]:
    """The module's ``__all__``, which must be a literal list of strings."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            assert isinstance(node.value, ast.List), "__all__ must be a literal list"
            return [ast.literal_eval(element) for element in node.value.elts]
    raise AssertionError("no __all__")


def _stub_functions() -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in _parse("_elementwise.pyi").body if isinstance(n, ast.FunctionDef)}


def test_stub_declares_exactly_the_runtime_functions() -> None:
    runtime = set(_elementwise.__all__)
    assert set(_stub_functions()) == runtime
    assert _literal_all(_parse("_elementwise.pyi")) == _elementwise.__all__


def test_stub_signatures_match_runtime_signatures() -> None:
    for name, node in _stub_functions().items():
        args = node.args
        assert node.returns is not None and ast.unparse(node.returns) == "Array", name
        assert args.vararg is None and args.kwarg is None and not args.kwonlyargs, name
        stub = [(a.arg, "POSITIONAL_ONLY") for a in args.posonlyargs]
        stub += [(a.arg, "POSITIONAL_OR_KEYWORD") for a in args.args]
        stub_defaults = [ast.literal_eval(d) for d in args.defaults]
        params = list(inspect.signature(getattr(kiln, name)).parameters.values())
        assert stub == [(p.name, p.kind.name) for p in params], name
        runtime_defaults = [p.default for p in params if p.default is not inspect.Parameter.empty]
        assert stub_defaults == runtime_defaults, name
        assert all(a.annotation is not None for a in args.posonlyargs + args.args), name


def test_stub_arity_matches_unary_and_binary_tables() -> None:
    functions = _stub_functions()
    for name in _elementwise._UNARY:
        assert [a.arg for a in functions[name].args.posonlyargs] == ["x"], name
    for name in _elementwise._BINARY:
        assert [a.arg for a in functions[name].args.posonlyargs] == ["x1", "x2"], name


def test_stub_docstrings_match_runtime_docstrings() -> None:
    for name, node in _stub_functions().items():
        assert ast.get_docstring(node, clean=False) == getattr(kiln, name).__doc__, name


def test_package_all_is_a_literal_equal_to_the_submodules_exports() -> None:
    literal = _literal_all(_parse("__init__.py"))
    assert literal == kiln.__all__
    assert len(set(literal)) == len(literal), "duplicate names"
    expected = {
        "Array",
        "CPU",
        "Device",
        "__array_api_version__",
        "__array_namespace_info__",
        "e",
        "eval",
        "explain",
        "inf",
        "nan",
        "newaxis",
        "pi",
        *_creation.__all__,
        *_data_type_functions.__all__,
        *_dtypes.__all__,
        *_elementwise.__all__,
        *_linalg.__all__,
        *_manipulation.__all__,
        *_searching.__all__,
        *_statistical.__all__,
    }
    assert literal == sorted(expected)
    assert all(hasattr(kiln, name) for name in literal)
