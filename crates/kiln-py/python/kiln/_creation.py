"""Creation functions: ``asarray`` and the generators (``zeros``, ``arange``, ``eye``, ...).

Invariants: generators build lazy nodes (nothing is allocated until evaluation); ``asarray`` and
``from_dlpack`` share foreign memory through DLPack when it is CPU memory kiln can read in place
and ``copy`` is not ``True``, and otherwise copy it exactly once; shapes and dtypes are
normalised here, so the extension sees lists of ints and dtype names.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np

from . import _kiln
from ._args import check_array as _check_array
from ._args import shape as _shape
from ._array import Array, _wrap
from ._device import Device, _check_device, _named, _place
from ._dtypes import DType, _dtype_name, _from_numpy_dtype, _to_numpy_dtype, float64

__all__ = [
    "arange",
    "asarray",
    "empty",
    "empty_like",
    "eye",
    "from_dlpack",
    "full",
    "full_like",
    "linspace",
    "meshgrid",
    "ones",
    "ones_like",
    "tril",
    "triu",
    "zeros",
    "zeros_like",
]

_SCALAR_TYPES = (bool, int, float, complex)
_DLPACK_CPU = 1  # kDLCPU
_DLPACK_CUDA = 2  # kDLCUDA


def _default(dtype: object, fallback: DType) -> str:
    name = _dtype_name(dtype)
    return fallback.name if name is None else name


def asarray(
    obj: object,
    /,
    *,
    dtype: DType | None = None,
    device: Device | None = None,
    copy: bool | None = None,
) -> Array:
    """Converts ``obj`` (a kiln array, Python scalar, nested sequence, NumPy array or any
    buffer) to a kiln array, of ``dtype`` if given.

    Memory is shared, not copied, when ``copy`` is not ``True`` and ``obj`` is a NumPy array
    (or a buffer) whose dtype kiln has, in native byte order: exactly like ``np.asarray``, the
    kiln array then reads the NumPy array's memory, so **writing to the NumPy array afterwards
    changes the kiln array too** (pass ``copy=True`` for an independent array). ``copy=True``
    always copies; ``copy=False`` raises ``ValueError`` where a copy would be needed (Python
    scalars and sequences, a dtype change, another byte order). kiln arrays are immutable, so
    for them ``copy`` only decides whether the result is a new handle.
    """
    dev = _check_device(device)
    return _place(_asarray(obj, dtype, copy), dev)


def _asarray(obj: object, dtype: DType | None, copy: bool | None) -> Array:
    name = _dtype_name(dtype)
    if isinstance(obj, Array):
        if name is not None and name != obj.dtype.name:
            if copy is False:
                raise ValueError("asarray(copy=False) cannot change the dtype without a copy")
            return _wrap(_kiln.astype(obj._raw, name))
        # In-place operators rebind a handle to a new node, so a copy is a new handle on the
        # same immutable node: later `y += 1` must not change the array asarray was given.
        return _wrap(obj._raw) if copy else obj
    if isinstance(obj, _SCALAR_TYPES):
        if copy is False:
            raise ValueError("asarray(copy=False): kiln must copy a Python scalar")
        return _wrap(_kiln.full([], obj, name))
    np_dtype = None if dtype is None else _to_numpy_dtype(dtype)
    try:
        values = np.asarray(obj, dtype=np_dtype, copy=copy)
    except ValueError as error:
        if copy is False:
            raise ValueError(f"asarray(copy=False): kiln must copy this input ({error})") from None
        raise
    _from_numpy_dtype(values.dtype)  # TypeError for dtypes kiln lacks (float16, object, ...)
    if not values.dtype.isnative:
        if copy is False:
            raise ValueError("asarray(copy=False): kiln must copy to native byte order")
        values = values.astype(values.dtype.newbyteorder("="))
    try:
        capsule = values.__dlpack__(max_version=(1, 1))
    except BufferError:
        # NumPy cannot export every layout (strides that are not a multiple of the item size).
        if copy is False:
            raise ValueError("asarray(copy=False): kiln must copy this NumPy layout") from None
        values = np.copy(values, order="C")  # (np.ascontiguousarray would make 0-d arrays 1-d)
        capsule = values.__dlpack__(max_version=(1, 1))
    # `values` is either `obj`'s memory (copy not True) or a fresh copy: both are shared.
    return _wrap(_kiln.from_dlpack(capsule, False if copy is False else None))


def from_dlpack(x: object, /, *, device: Device | None = None, copy: bool | None = None) -> Array:
    """A kiln array over the memory of any object that implements ``__dlpack__``.

    CPU memory of a dtype kiln has is shared without a copy (the producer's tensor stays alive
    until the last kiln array over it is gone) unless ``copy=True``; memory kiln cannot read in
    place (misaligned, or ``bool`` bytes other than 0 and 1) is copied, and ``copy=False`` then
    raises ``ValueError``. Memory of a CUDA device kiln can use (PyTorch, CuPy or JAX arrays on
    ``cuda:n``) is shared the same way: the result is on ``cuda:n`` and reads the producer's
    memory in place (requested on kiln's stream, the legacy default stream). Memory on any other
    device, and CUDA memory with ``copy=True`` or when kiln has no such CUDA device, is requested
    from the producer as a CPU copy (placed back on ``cuda:n`` when kiln has it). An object
    without ``__dlpack__`` raises ``AttributeError``; dtypes kiln lacks (float16, bfloat16, ...)
    raise ``TypeError``.
    """
    dev = _check_device(device)
    return _place(_from_dlpack(x, copy), dev)


def _from_dlpack(x: object, copy: bool | None) -> Array:
    if isinstance(x, Array):
        return asarray(x, copy=copy)
    export = getattr(x, "__dlpack__", None)
    if export is None:
        raise AttributeError(
            f"from_dlpack needs an object with a __dlpack__ method, got {type(x).__name__} "
            "(use kiln.asarray for other data)"
        )
    device_of = getattr(x, "__dlpack_device__", None)
    dl_device = device_of() if device_of is not None else (_DLPACK_CPU, 0)
    device_type, device_id = int(dl_device[0]), int(dl_device[1])
    on_kiln_cuda = device_type == _DLPACK_CUDA and device_id < _kiln.cuda_device_count()
    if on_kiln_cuda and copy is not True:
        # In place on kiln's device: the producer orders its writes before kiln's stream (1: the
        # legacy default stream).
        try:
            capsule = export(max_version=(1, 1), stream=1)
        except TypeError:
            capsule = export(stream=1)  # a producer that predates DLPack 1.0's max_version
        return _wrap(_kiln.from_dlpack(capsule, copy))
    if on_kiln_cuda:
        # copy=True: the producer's CPU copy, back on the producer's device.
        return _place(_from_dlpack_copy(export, device_type), _named(f"cuda:{device_id}"))
    if device_type != _DLPACK_CPU:
        if copy is False:
            raise ValueError(
                f"from_dlpack(copy=False): data on DLPack device type {device_type} must be "
                "copied to the CPU"
            )
        return _from_dlpack_copy(export, device_type)
    try:
        capsule = export(max_version=(1, 1))
    except TypeError:
        capsule = export()  # a producer that predates DLPack 1.0's max_version
    return _wrap(_kiln.from_dlpack(capsule, copy))


def _from_dlpack_copy(export: Callable[..., object], device_type: int) -> Array:
    """A CPU copy of another device's data, made by its producer."""
    try:
        capsule = export(max_version=(1, 1), dl_device=(_DLPACK_CPU, 0), copy=True)
    except TypeError:
        raise BufferError(
            f"the producer cannot copy its data from DLPack device type {device_type} to the CPU"
        ) from None
    return _wrap(_kiln.from_dlpack(capsule, None))  # the producer's copy is kiln's alone


def arange(
    start: int | float,
    /,
    stop: int | float | None = None,
    step: int | float = 1,
    *,
    dtype: DType | None = None,
    device: Device | None = None,
) -> Array:
    """Evenly spaced values ``start, start + step, ...`` below ``stop`` (a lazy generator)."""
    dev = _check_device(device)
    return _place(_wrap(_kiln.arange(start, stop, step, _dtype_name(dtype))), dev)


def empty(
    shape: int | tuple[int, ...], *, dtype: DType | None = None, device: Device | None = None
) -> Array:
    """An array of ``shape`` (kiln has no uninitialised memory: it holds zeros)."""
    dev = _check_device(device)
    return _place(_wrap(_kiln.empty(_shape(shape), _default(dtype, float64))), dev)


def empty_like(x: Array, /, *, dtype: DType | None = None, device: Device | None = None) -> Array:
    """``empty`` with the shape (and by default the dtype) of ``x``."""
    _check_array(x, "empty_like")
    dtype = x.dtype if dtype is None else dtype
    return empty(x.shape, dtype=dtype, device=x.device if device is None else device)


def eye(
    n_rows: int,
    n_cols: int | None = None,
    /,
    *,
    k: int = 0,
    dtype: DType | None = None,
    device: Device | None = None,
) -> Array:
    """A matrix with ones on the ``k``-th diagonal and zeros elsewhere."""
    dev = _check_device(device)
    n_rows = operator.index(n_rows)
    n_cols = None if n_cols is None else operator.index(n_cols)
    if n_rows < 0 or (n_cols is not None and n_cols < 0):
        raise ValueError("eye needs non-negative sizes")
    # A diagonal beyond the matrix selects nothing, so any k past the edges means the same as
    # the edge itself; clamping keeps huge Python ints within what the extension accepts.
    k = operator.index(k)
    k = max(-n_rows, min(k, n_rows if n_cols is None else n_cols))
    return _place(_wrap(_kiln.eye(n_rows, n_cols, k, _default(dtype, float64))), dev)


def full(
    shape: int | tuple[int, ...],
    fill_value: bool | int | float | complex,
    *,
    dtype: DType | None = None,
    device: Device | None = None,
) -> Array:
    """An array of ``shape`` filled with ``fill_value`` (dtype from the value if None)."""
    dev = _check_device(device)
    if isinstance(fill_value, Array):
        fill_value = _item(fill_value)
    return _place(_wrap(_kiln.full(_shape(shape), fill_value, _dtype_name(dtype))), dev)


def full_like(
    x: Array,
    /,
    fill_value: bool | int | float | complex,
    *,
    dtype: DType | None = None,
    device: Device | None = None,
) -> Array:
    """``full`` with the shape (and by default the dtype) of ``x``."""
    _check_array(x, "full_like")
    dtype = x.dtype if dtype is None else dtype
    return full(x.shape, fill_value, dtype=dtype, device=x.device if device is None else device)


def linspace(
    start: int | float | complex,
    stop: int | float | complex,
    /,
    num: int,
    *,
    dtype: DType | None = None,
    device: Device | None = None,
    endpoint: bool = True,
) -> Array:
    """``num`` evenly spaced values from ``start`` to ``stop`` (real floating dtypes)."""
    dev = _check_device(device)
    if isinstance(start, complex) or isinstance(stop, complex):
        raise TypeError("kiln's linspace does not support complex bounds yet")
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"linspace needs num >= 0, got {num}")
    values = _kiln.linspace(float(start), float(stop), num, bool(endpoint), _dtype_name(dtype))
    return _place(_wrap(values), dev)


def ones(
    shape: int | tuple[int, ...], *, dtype: DType | None = None, device: Device | None = None
) -> Array:
    """An array of ``shape`` filled with ones (float64 by default)."""
    dev = _check_device(device)
    return _place(_wrap(_kiln.ones(_shape(shape), _default(dtype, float64))), dev)


def ones_like(x: Array, /, *, dtype: DType | None = None, device: Device | None = None) -> Array:
    """``ones`` with the shape (and by default the dtype) of ``x``."""
    _check_array(x, "ones_like")
    dtype = x.dtype if dtype is None else dtype
    return ones(x.shape, dtype=dtype, device=x.device if device is None else device)


def zeros(
    shape: int | tuple[int, ...], *, dtype: DType | None = None, device: Device | None = None
) -> Array:
    """An array of ``shape`` filled with zeros (float64 by default)."""
    dev = _check_device(device)
    return _place(_wrap(_kiln.zeros(_shape(shape), _default(dtype, float64))), dev)


def zeros_like(x: Array, /, *, dtype: DType | None = None, device: Device | None = None) -> Array:
    """``zeros`` with the shape (and by default the dtype) of ``x``."""
    _check_array(x, "zeros_like")
    dtype = x.dtype if dtype is None else dtype
    return zeros(x.shape, dtype=dtype, device=x.device if device is None else device)


def meshgrid(*arrays: Array, indexing: str = "xy") -> tuple[Array, ...]:
    """Coordinate matrices from 1-D coordinate vectors (lazy broadcasts, no copies)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"indexing must be 'xy' or 'ij', got {indexing!r}")
    for a in arrays:
        _check_array(a, "meshgrid")
        if a.ndim != 1:
            raise ValueError("meshgrid takes one-dimensional arrays")
    sizes = [a.size for a in arrays]
    axes = list(range(len(arrays)))
    if indexing == "xy" and len(arrays) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
        axes[0], axes[1] = 1, 0
    out = []
    for a, axis in zip(arrays, axes):
        shape = [1] * len(arrays)
        shape[axis] = a.size
        out.append(_wrap(_kiln.broadcast_to(_kiln.reshape(a._raw, shape), sizes)))
    return tuple(out)


def _triangle(x: Array, k: int, keep_lower: bool) -> Array:
    if x.ndim < 2:
        raise ValueError("tril/triu need an array of at least two dimensions")
    rows, cols = x.shape[-2:]
    k = operator.index(k)
    row = _kiln.reshape(_kiln.arange(0, rows, 1, "int64"), [rows, 1])
    col = _kiln.reshape(_kiln.arange(0, cols, 1, "int64"), [1, cols])
    offset = _kiln.subtract(col, row)
    mask = _kiln.less_equal(offset, k) if keep_lower else _kiln.greater_equal(offset, k)
    return _wrap(_kiln.where(mask, x._raw, 0 if x.dtype.kind != "bool" else False))


def tril(x: Array, /, *, k: int = 0) -> Array:
    """The lower triangle of each matrix (elements above diagonal ``k`` set to zero)."""
    _check_array(x, "tril")
    return _triangle(x, k, keep_lower=True)


def triu(x: Array, /, *, k: int = 0) -> Array:
    """The upper triangle of each matrix (elements below diagonal ``k`` set to zero)."""
    _check_array(x, "triu")
    return _triangle(x, k, keep_lower=False)


def _item(x: Array) -> bool | int | float | complex:
    return _kiln.item(x._raw)
