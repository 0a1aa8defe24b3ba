"""``__array_namespace_info__``: what this namespace supports (devices, dtypes, capabilities).

Invariant: answers describe the package as built and the machine it runs on (the CPU and the
CUDA devices present, the 13 standard dtypes on each, no data-dependent shapes yet), so
consumer libraries can adapt instead of failing.
"""

from __future__ import annotations

from ._device import Device

from ._data_type_functions import _dtypes_of_kind
from ._device import CPU, _check_device, _cuda_devices
from ._dtypes import DType, complex128, float64, int64


class Info:
    """The object returned by ``kiln.__array_namespace_info__()``."""

    __module__ = "kiln"

    def capabilities(self) -> dict[str, bool | int | None]:
        """What this namespace supports: no boolean-mask indexing and no data-dependent output
        shapes yet; no limit on the number of dimensions (None)."""
        return {
            "boolean indexing": False,
            "data-dependent shapes": False,
            "max dimensions": None,
        }

    def default_device(self) -> Device:
        """The device arrays are created on when none is given: the CPU."""
        return CPU

    def default_dtypes(self, *, device: Device | None = None) -> dict[str, DType]:
        """The default dtype of each kind (``"real floating"``, ``"complex floating"``,
        ``"integral"``, ``"indexing"``) on ``device`` (the same on every device kiln supports)."""
        _check_device(device)
        return {
            "real floating": float64,
            "complex floating": complex128,
            "integral": int64,
            "indexing": int64,
        }

    def devices(self) -> tuple[Device, ...]:
        """Every device kiln can place arrays on: the CPU, then each CUDA device present."""
        return (CPU, *_cuda_devices())

    def dtypes(
        self,
        *,
        device: Device | None = None,
        kind: str | DType | tuple[str | DType, ...] | None = None,
    ) -> dict[str, DType]:
        """The dtypes of ``kind`` (a kind name such as ``"integral"``, a dtype, a tuple of
        them, or None for all) available on ``device``, by name."""
        _check_device(device)
        return _dtypes_of_kind(kind)


def __array_namespace_info__() -> Info:
    """Information about the kiln namespace (Array API inspection utilities)."""
    return Info()
