"""Static typing: the installed package passes ``mypy --strict`` (bodies included), and the
usage check in ``typing/check_namespace.py`` type-checks against its stubs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api", reason="run_tests.sh installs mypy")


def _mypy(*args: str) -> None:
    out, err, status = mypy_api.run(["--strict", "--python-executable", sys.executable, *args])
    assert status == 0, out + err


def test_package_is_mypy_strict_clean() -> None:
    _mypy("-p", "kiln")


def test_usage_check_type_checks() -> None:
    _mypy(str(Path(__file__).parent / "typing" / "check_namespace.py"))
