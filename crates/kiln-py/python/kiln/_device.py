"""Devices: kiln arrays live on the CPU today (a CUDA device will join it).

Invariant: one ``Device`` object per device; ``Array.device`` returns it.
"""

from __future__ import annotations


class Device:
    """An Array API device object."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"kiln.Device({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


CPU = Device("cpu")
_BY_NAME = {"cpu": CPU}


def _check_device(device: object) -> None:
    """Accepts None, a kiln device or its name; ValueError for a device kiln cannot use."""
    if device is None or device == CPU or device == "cpu":
        return
    raise ValueError(f"kiln cannot place arrays on device {device!r} (only {CPU!r})")
