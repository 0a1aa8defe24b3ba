"""The Array API ``fft`` extension: ``kiln.fft.fft(x)``, ``xp.fft.fftn(x, axes=(0, 1))``, ...

Every transform builds lazy graph nodes: one-axis transforms served by rustfft (plans cached,
parallel over lines), with the dtype promotion, ``norm`` scaling and the conjugations of
``hfft``/``ihfft`` as ordinary elementwise nodes that fuse with the kernels around them.

Invariants: arguments are normalised here (TypeError for a non-array or a non-integer length,
ValueError for an unknown ``norm``); the rest of the checking (lengths below 1, repeated axes,
``s``/``axes`` length mismatch, axes out of range, unsupported dtypes) is done once, in Rust,
with the exception a NumPy user expects.
"""

from __future__ import annotations

from typing import Literal

from . import _kiln
from ._args import check_array as _check_array
from ._args import integer as _integer
from ._array import Array, _wrap
from ._device import Device, _check_device, _place
from ._dtypes import DType, _dtype_name

__all__ = [
    "fft",
    "fftfreq",
    "fftn",
    "fftshift",
    "hfft",
    "ifft",
    "ifftn",
    "ifftshift",
    "ihfft",
    "irfft",
    "irfftn",
    "rfft",
    "rfftfreq",
    "rfftn",
]

Norm = Literal["backward", "ortho", "forward"]


def _norm(norm: object) -> str:
    if norm not in ("backward", "ortho", "forward"):
        raise ValueError(f"norm must be 'backward', 'ortho' or 'forward', got {norm!r}")
    return str(norm)


def _length(n: object) -> int | None:
    return None if n is None else _integer(n, "n")


def _ints(values: object, what: str) -> list[int] | None:
    if values is None:
        return None
    if isinstance(values, (tuple, list)):
        return [_integer(v, what) for v in values]
    return [_integer(values, what)]


def _one_axis(name: str, x: Array, n: object, axis: object, norm: object) -> Array:
    _check_array(x, f"fft.{name}")
    raw = getattr(_kiln, f"fft_{name}")(x._raw, _length(n), _integer(axis, "axis"), _norm(norm))
    return _wrap(raw)


def _many_axes(name: str, x: Array, s: object, axes: object, norm: object) -> Array:
    _check_array(x, f"fft.{name}")
    raw = getattr(_kiln, f"fft_{name}")(x._raw, _ints(s, "s"), _ints(axes, "axes"), _norm(norm))
    return _wrap(raw)


def fft(x: Array, /, *, n: int | None = None, axis: int = -1, norm: Norm = "backward") -> Array:
    """The one-dimensional discrete Fourier transform along ``axis`` (cropped or zero-padded
    to ``n`` points). Real floating-point input is promoted to complex."""
    return _one_axis("fft", x, n, axis, norm)


def ifft(x: Array, /, *, n: int | None = None, axis: int = -1, norm: Norm = "backward") -> Array:
    """The one-dimensional inverse discrete Fourier transform."""
    return _one_axis("ifft", x, n, axis, norm)


def fftn(
    x: Array,
    /,
    *,
    s: tuple[int, ...] | None = None,
    axes: tuple[int, ...] | None = None,
    norm: Norm = "backward",
) -> Array:
    """The n-dimensional discrete Fourier transform over ``axes`` (default: all), each axis
    cropped or zero-padded to its entry of ``s`` (-1: unchanged)."""
    return _many_axes("fftn", x, s, axes, norm)


def ifftn(
    x: Array,
    /,
    *,
    s: tuple[int, ...] | None = None,
    axes: tuple[int, ...] | None = None,
    norm: Norm = "backward",
) -> Array:
    """The n-dimensional inverse discrete Fourier transform."""
    return _many_axes("ifftn", x, s, axes, norm)


def rfft(x: Array, /, *, n: int | None = None, axis: int = -1, norm: Norm = "backward") -> Array:
    """The transform of a real array: its ``n // 2 + 1`` non-negative frequencies."""
    return _one_axis("rfft", x, n, axis, norm)


def irfft(x: Array, /, *, n: int | None = None, axis: int = -1, norm: Norm = "backward") -> Array:
    """The inverse of ``rfft``: ``n`` real points (default ``2 * (m - 1)``)."""
    return _one_axis("irfft", x, n, axis, norm)


def rfftn(
    x: Array,
    /,
    *,
    s: tuple[int, ...] | None = None,
    axes: tuple[int, ...] | None = None,
    norm: Norm = "backward",
) -> Array:
    """The n-dimensional transform of a real array (real along the last of ``axes``)."""
    return _many_axes("rfftn", x, s, axes, norm)


def irfftn(
    x: Array,
    /,
    *,
    s: tuple[int, ...] | None = None,
    axes: tuple[int, ...] | None = None,
    norm: Norm = "backward",
) -> Array:
    """The inverse of ``rfftn``."""
    return _many_axes("irfftn", x, s, axes, norm)


def hfft(x: Array, /, *, n: int | None = None, axis: int = -1, norm: Norm = "backward") -> Array:
    """The (real) transform of a signal with Hermitian symmetry, given by its half spectrum."""
    return _one_axis("hfft", x, n, axis, norm)


def ihfft(x: Array, /, *, n: int | None = None, axis: int = -1, norm: Norm = "backward") -> Array:
    """The inverse of ``hfft``: the conjugated half spectrum of a real array."""
    return _one_axis("ihfft", x, n, axis, norm)


def fftfreq(
    n: int, /, *, d: float = 1.0, dtype: DType | None = None, device: Device | None = None
) -> Array:
    """The sample frequencies ``[0, 1, ..., -(n // 2), ..., -1] / (d * n)`` (default float64)."""
    dev = _check_device(device)
    return _place(_wrap(_kiln.fft_fftfreq(_integer(n, "n"), float(d), _dtype_name(dtype))), dev)


def rfftfreq(
    n: int, /, *, d: float = 1.0, dtype: DType | None = None, device: Device | None = None
) -> Array:
    """The sample frequencies of ``rfft``: ``[0, 1, ..., n // 2] / (d * n)``."""
    dev = _check_device(device)
    return _place(_wrap(_kiln.fft_rfftfreq(_integer(n, "n"), float(d), _dtype_name(dtype))), dev)


def fftshift(x: Array, /, *, axes: int | tuple[int, ...] | None = None) -> Array:
    """``x`` with the zero frequency moved to the centre of each of ``axes`` (default: all)."""
    _check_array(x, "fft.fftshift")
    return _wrap(_kiln.fft_fftshift(x._raw, _ints(axes, "axes")))


def ifftshift(x: Array, /, *, axes: int | tuple[int, ...] | None = None) -> Array:
    """The inverse of ``fftshift``."""
    _check_array(x, "fft.ifftshift")
    return _wrap(_kiln.fft_ifftshift(x._raw, _ints(axes, "axes")))
