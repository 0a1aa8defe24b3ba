"""``__array_namespace_info__``: what this namespace supports (devices, dtypes, capabilities).

Invariant: answers describe the package as built (the CPU device, the 13 standard dtypes, no
data-dependent shapes yet), so consumer libraries can adapt instead of failing.
"""

from __future__ import annotations

from ._data_type_functions import _dtypes_of_kind
from ._device import CPU, _check_device
from ._dtypes import complex128, float64, int64


class Info:
    """The object returned by ``kiln.__array_namespace_info__()``."""

    __module__ = "kiln"

    def capabilities(self) -> dict:
        return {
            "boolean indexing": False,
            "data-dependent shapes": False,
            "max dimensions": None,
        }

    def default_device(self):
        return CPU

    def default_dtypes(self, *, device=None) -> dict:
        _check_device(device)
        return {
            "real floating": float64,
            "complex floating": complex128,
            "integral": int64,
            "indexing": int64,
        }

    def devices(self) -> list:
        return [CPU]

    def dtypes(self, *, device=None, kind=None) -> dict:
        _check_device(device)
        return _dtypes_of_kind(kind)


def __array_namespace_info__() -> Info:
    """Information about the kiln namespace (Array API inspection utilities)."""
    return Info()
