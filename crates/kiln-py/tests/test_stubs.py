"""The type stubs of the extension (``kiln/_kiln.pyi``) match the extension, and the installed
package ships them with its PEP 561 marker (``py.typed``), so editors and type checkers see them.

Invariant: the stub is read from the *installed* package (``importlib.resources``), so a build
that drops it fails here, not in a user's editor.
"""

from __future__ import annotations

import ast
import inspect
from importlib import resources

import kiln
from kiln import _kiln

# Stub parameter names that differ from the runtime ones because the runtime name is a Python
# keyword (the Rust parameter of `can_cast` is called `from`).
_RENAMED = {"from_": "from"}


def _stub_tree() -> ast.Module:
    return ast.parse(resources.files("kiln").joinpath("_kiln.pyi").read_text(encoding="utf-8"))


def _stub_functions() -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in _stub_tree().body if isinstance(n, ast.FunctionDef)}


def _stub_classes() -> dict[str, ast.ClassDef]:
    return {n.name: n for n in _stub_tree().body if isinstance(n, ast.ClassDef)}


def _runtime_names() -> set[str]:
    return {n for n in dir(_kiln) if not n.startswith("_")}


def _stub_params(node: ast.FunctionDef) -> list[str]:
    """The stub's parameters in the ``__text_signature__`` spelling: ``name``, ``name=None``,
    ``*name``."""
    args = node.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    out = []
    for arg, default in zip(positional, defaults):
        name = _RENAMED.get(arg.arg, arg.arg)
        out.append(name if default is None else f"{name}={ast.unparse(default)}")
    if args.vararg is not None:
        out.append(f"*{args.vararg.arg}")
    return out


def _runtime_params(function: object) -> list[str]:
    text = function.__text_signature__  # type: ignore[attr-defined]
    assert text is not None and text.startswith("(") and text.endswith(")"), text
    return [p.strip() for p in text[1:-1].split(",") if p.strip()]


def test_py_typed_and_stub_are_installed() -> None:
    package = resources.files("kiln")
    assert package.joinpath("py.typed").is_file()
    assert package.joinpath("_kiln.pyi").is_file()


def test_every_extension_name_has_a_stub_and_vice_versa() -> None:
    stubbed = set(_stub_functions()) | set(_stub_classes())
    runtime = _runtime_names()
    assert runtime - stubbed == set(), "extension names without a stub entry"
    assert stubbed - runtime == set(), "stub entries the extension does not define"
    # The extension's __all__ (pyo3 maintains it) agrees with dir().
    assert set(_kiln.__all__) == runtime


def test_stub_kinds_match_runtime_kinds() -> None:
    for name in _stub_functions():
        assert callable(getattr(_kiln, name)) and not inspect.isclass(getattr(_kiln, name)), name
    for name in _stub_classes():
        assert inspect.isclass(getattr(_kiln, name)), name


def test_stub_parameters_match_text_signatures() -> None:
    mismatches = {}
    for name, node in _stub_functions().items():
        stub, runtime = _stub_params(node), _runtime_params(getattr(_kiln, name))
        if stub != runtime:
            mismatches[name] = (stub, runtime)
    assert mismatches == {}


def test_every_stub_function_is_fully_annotated() -> None:
    for name, node in _stub_functions().items():
        args = node.args
        params = args.posonlyargs + args.args + args.kwonlyargs
        if args.vararg is not None:
            params.append(args.vararg)
        assert node.returns is not None, f"{name} lacks a return annotation"
        assert all(p.annotation is not None for p in params), f"{name} has unannotated params"


def test_raw_array_stub_matches_its_properties() -> None:
    node = _stub_classes()["RawArray"]
    stub_properties = {
        item.name
        for item in node.body
        if isinstance(item, ast.FunctionDef)
        and any(isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list)
    }
    runtime_properties = {
        name
        for name, value in vars(_kiln.RawArray).items()
        if inspect.isgetsetdescriptor(value) or isinstance(value, property)
    }
    assert stub_properties == runtime_properties
    raw = kiln.ones((2, 3))._raw
    assert isinstance(raw, _kiln.RawArray)
    assert (raw.dtype, raw.shape, raw.ndim, raw.size, raw.device) == ("float64", [2, 3], 2, 6, "cpu")
    assert isinstance(raw.is_realized, bool)
