"""Devices: the CPU, and CUDA devices (``"cuda:N"``) where this machine has them.

Invariants: one ``Device`` object per device name (``Device("cuda:0") == Device("cuda:0")``);
``Array.device`` returns it. A device argument is ``None`` (the default: the CPU for new arrays,
the input's device for ``*_like``), a ``Device``, or a name; an unknown name is a ``ValueError``
and a CUDA device this machine lacks a ``RuntimeError`` that says so. Arrays are moved between
devices only by ``to_device`` (and the ``device=`` argument of creation functions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _kiln

if TYPE_CHECKING:
    from ._array import Array


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
_BY_NAME: dict[str, Device] = {"cpu": CPU}


def _named(name: str) -> Device:
    """The one ``Device`` object of a canonical name."""
    return _BY_NAME.setdefault(name, Device(name))


def _check_device(device: object) -> Device | None:
    """Resolves a device argument: ``None`` stays ``None``; the CPU (object or ``"cpu"``) is
    ``CPU``; a CUDA device (object, ``"cuda"`` or ``"cuda:N"``) is checked to exist
    (``RuntimeError`` if not); anything else is a ``ValueError``."""
    if device is None:
        return None
    if device == CPU or device == "cpu":
        return CPU
    if isinstance(device, Device):
        name = device.name
    elif isinstance(device, str):
        name = device
    else:
        raise ValueError(f"kiln cannot place arrays on device {device!r}")
    return _named(_kiln.check_device(name))


def _cuda_devices() -> tuple[Device, ...]:
    """The CUDA devices of this machine (none without a driver)."""
    return tuple(_named(f"cuda:{i}") for i in range(_kiln.cuda_device_count()))


def _place(x: Array, device: Device | None) -> Array:
    """``x`` on ``device`` (a resolved device argument; ``None`` leaves it where it is)."""
    return x if device is None else x.to_device(device)
