"""The Array API array object: ``kiln.Array``, a lazy handle to a node of kiln's graph.

Invariants: an ``Array`` wraps one immutable ``_kiln.RawArray``; operators build new lazy nodes
and in-place operators rebind ``_raw`` to the new node (after checking that dtype and shape are
unchanged); anything that needs values (``repr``, ``bool``, ``int``, ``float``, ``__array__``)
forces evaluation. ``__array__`` and ``__dlpack__`` share kiln's storage without a copy
(read-only on the consumer's side). Operators return ``NotImplemented`` for operands they do not
know, so Python can try the other side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt

from . import _kiln
from ._device import CPU, Device, _check_device, _named
from ._dtypes import DType, _dtype_from_name
from ._indexing import get_item, set_item

_SCALAR_TYPES = (bool, int, float, complex)
_Scalar: TypeAlias = bool | int | float | complex
_Operand: TypeAlias = "Array | _Scalar"
"""The other side of a binary operator: a kiln array or a Python scalar."""
_RawFunction: TypeAlias = Callable[[Any, Any], _kiln.RawArray]
_Method: TypeAlias = Callable[["Array", _Operand], "Array"]

_API_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12", "2025.12")


def _wrap(raw: _kiln.RawArray) -> Array:
    array = object.__new__(Array)
    array._raw = raw
    return array


def _operand(value: object) -> _kiln.RawArray | _Scalar:
    """A binary operand for the extension: a RawArray or a Python scalar (TypeError otherwise)."""
    if isinstance(value, Array):
        return value._raw
    if isinstance(value, _SCALAR_TYPES):
        return value
    if isinstance(value, np.generic):
        return cast(_Scalar, value.item())  # a NumPy scalar's Python counterpart
    raise TypeError(f"expected a kiln array or a Python scalar, got {type(value).__name__}")


def _binary(function: _RawFunction, x1: object, x2: object) -> Array:
    """Applies a binary extension function; at least one operand must be an array."""
    if not isinstance(x1, Array) and not isinstance(x2, Array):
        raise TypeError("at least one of the operands must be a kiln array")
    return _wrap(function(_operand(x1), _operand(x2)))


def _raw_operand(other: object) -> _kiln.RawArray | _Scalar | None:
    """The extension operand of an operator's other side, or ``None`` if the type is foreign.

    The hot path of every operator (``isinstance`` of an exact type is CPython's fast path):
    kiln arrays and their subclasses, Python scalars and their subclasses such as
    ``numpy.float64``.
    """
    if isinstance(other, Array):
        return other._raw
    if isinstance(other, _SCALAR_TYPES):
        return other
    return None


def _forward(function: _RawFunction) -> _Method:
    """An operator method ``self op other`` (NotImplemented for unknown operand types)."""

    def method(self: Array, other: object) -> Array:
        raw = _raw_operand(other)
        if raw is None:
            return cast(Array, NotImplemented)
        array = object.__new__(Array)
        array._raw = function(self._raw, raw)
        return array

    return method


def _reflected(function: _RawFunction) -> _Method:
    """A reflected operator method ``other op self``."""

    def method(self: Array, other: object) -> Array:
        raw = _raw_operand(other)
        if raw is None:
            return cast(Array, NotImplemented)
        array = object.__new__(Array)
        array._raw = function(raw, self._raw)
        return array

    return method


def _inplace(function: _RawFunction) -> _Method:
    """An in-place operator: rebinds this handle to ``self op other`` (dtype and shape kept)."""

    def method(self: Array, other: object) -> Array:
        raw = _raw_operand(other)
        if raw is None:
            return cast(Array, NotImplemented)
        result = function(self._raw, raw)
        if result.dtype != self._raw.dtype:
            raise TypeError(
                f"in-place operation would change dtype {self._raw.dtype} to {result.dtype}"
            )
        if result.shape != self._raw.shape:
            raise ValueError(
                f"in-place operation would change shape {tuple(self._raw.shape)} "
                f"to {tuple(result.shape)}"
            )
        self._raw = result
        return self

    return method


class Array:
    """A lazy kiln array. Create one with ``kiln.asarray`` or a creation function.

    Operations build a graph; ``x.eval()`` (or anything that needs values) compiles and runs it.
    """

    __slots__ = ("_raw",)
    _raw: _kiln.RawArray
    __hash__ = None  # type: ignore[assignment]  # `==` is elementwise

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("create kiln arrays with kiln.asarray(...) or a creation function")

    # ---- attributes ----------------------------------------------------------------------

    @property
    def dtype(self) -> DType:
        """The data type of the elements."""
        return _dtype_from_name(self._raw.dtype)

    @property
    def device(self) -> Device:
        """The device the array lives on."""
        return _named(self._raw.device)

    @property
    def shape(self) -> tuple[int, ...]:
        """The extent of each axis."""
        return tuple(self._raw.shape)

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self._raw.ndim

    @property
    def size(self) -> int:
        """The number of elements."""
        return self._raw.size

    @property
    def T(self) -> Array:
        """The transpose of a two-dimensional array."""
        if self.ndim != 2:
            raise ValueError(f"x.T needs a 2-dimensional array, got {self.ndim} dimensions")
        return _wrap(_kiln.permute_dims(self._raw, [1, 0]))

    @property
    def mT(self) -> Array:
        """The transpose of each matrix (the last two axes) of a stack of matrices."""
        return _wrap(_kiln.matrix_transpose(self._raw))

    # ---- evaluation and conversion ---------------------------------------------------------

    def eval(self) -> Array:
        """Computes this array now (optimise, compile, run) and returns it."""
        _kiln.eval(self._raw)
        return self

    def to_device(self, device: Device, /, *, stream: object = None) -> Array:
        """The array on ``device`` (a ``Device`` or a name such as ``"cuda:0"``): ``self`` when
        it is already there; otherwise it is computed on its own device and its values placed on
        ``device``. A CUDA device this machine lacks is a ``RuntimeError``. ``stream`` is
        accepted and unused (kiln's transfers complete before ``to_device`` returns)."""
        target = _check_device(device)
        if target is None:
            raise ValueError("to_device needs a device, got None")
        if target == self.device:
            return self
        return _wrap(_kiln.to_device(self._raw, target.name))

    def __array_namespace__(self, /, *, api_version: str | None = None) -> ModuleType:
        if api_version is not None and api_version not in _API_VERSIONS:
            raise ValueError(f"kiln does not implement Array API version {api_version!r}")
        import kiln

        return kiln

    def __array__(
        self, dtype: npt.DTypeLike | None = None, copy: bool | None = None
    ) -> npt.NDArray[Any]:
        """The values as a NumPy array (evaluating first).

        Without ``copy`` (or with ``copy=False``) the result is a **read-only view** of kiln's
        storage, shared through DLPack without a copy (kiln arrays are immutable, so NumPy may
        not write them); ``np.asarray(x)`` takes this path. ``copy=True`` returns a writable
        copy. A ``dtype`` other than the array's converts, which copies (``copy=False`` then
        raises ``ValueError``).
        """
        if self.device != CPU:
            raise TypeError(
                f"implicit conversion of an array on {self.device.name} to NumPy is not "
                "allowed: move it with x.to_device('cpu') first"
            )
        view = np.from_dlpack(cast(Any, self))  # NumPy's stub wants only a `stream` keyword
        if dtype is not None and np.dtype(dtype) != view.dtype:
            if copy is False:
                raise ValueError(
                    f"cannot view a kiln {self.dtype.name} array as NumPy {np.dtype(dtype)} "
                    "without a copy"
                )
            return view.astype(dtype)
        if copy:
            return np.array(view, copy=True)
        view.flags.writeable = False  # (a legacy DLPack consumer could not know)
        return view

    def __dlpack__(
        self,
        /,
        *,
        stream: object = None,
        max_version: tuple[int, int] | None = None,
        dl_device: tuple[int, int] | None = None,
        copy: bool | None = None,
    ) -> object:
        """A DLPack capsule over the array's storage (evaluating first), without a copy.

        ``max_version`` with major >= 1 gets a DLPack 1.1 ``dltensor_versioned`` capsule flagged
        read-only; otherwise a legacy ``dltensor`` capsule, which cannot carry that flag: its
        consumer must not write the memory. ``copy=True`` exports a fresh copy the consumer
        owns; ``copy=False`` never copies. ``stream`` must be ``None`` (``ValueError``) and
        ``dl_device`` the CPU, ``(1, 0)`` (``BufferError``).
        """
        return _kiln.to_dlpack(self._raw, stream, max_version, dl_device, copy)

    def __dlpack_device__(self) -> tuple[int, int]:
        """``(device_type, device_id)`` in DLPack terms: ``(1, 0)`` for the CPU, ``(2, n)`` for
        ``cuda:n`` (whose ``__dlpack__`` shares its device memory, or exports a CPU copy with
        ``dl_device=(1, 0)``)."""
        return _kiln.dlpack_device(self._raw)

    def _item(self) -> _Scalar:
        return _kiln.item(self._raw)

    def __bool__(self) -> bool:
        return bool(self._item())

    def __int__(self) -> int:
        value = self._item()
        if isinstance(value, complex):
            raise TypeError("int() of a complex array")
        return int(value)

    def __float__(self) -> float:
        value = self._item()
        if isinstance(value, complex):
            raise TypeError("float() of a complex array")
        return float(value)

    def __complex__(self) -> complex:
        return complex(self._item())

    def __index__(self) -> int:
        if self.dtype.kind not in ("signed integer", "unsigned integer"):
            raise TypeError(f"only integer arrays can be used as an index, not {self.dtype.name}")
        return cast(int, self._item())  # an integer dtype reads back as a Python int

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-dimensional array")
        return self.shape[0]

    def __iter__(self) -> Iterator[Array]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-dimensional array")
        return (self[i] for i in range(self.shape[0]))

    def __repr__(self) -> str:
        values = _kiln.to_numpy(self._raw)
        text = np.array2string(values, separator=", ", prefix="Array(")
        return f"Array({text}, dtype={self.dtype.name})"

    __str__ = __repr__

    def __getitem__(self, key: object) -> Array:
        return _wrap(get_item(self._raw, key))

    def __setitem__(self, key: object, value: _Operand) -> None:
        """``x[key] = value``: a functional update that rebinds this handle to a new lazy node,
        like the in-place operators; other handles to the old array keep its values. Keys may
        hold ints, slices, ``...``, None, integer arrays and boolean masks (index arrays are
        read; with repeated positions the last write wins). ``value`` (a scalar or an array broadcastable to
        ``x[key]``) is cast to x's dtype under the same-kind rules (TypeError otherwise)."""
        self._raw = set_item(self._raw, key, value, self.dtype.kind)

    # ---- unary operators --------------------------------------------------------------------

    def __abs__(self) -> Array:
        return _wrap(_kiln.abs(self._raw))

    def __neg__(self) -> Array:
        return _wrap(_kiln.negative(self._raw))

    def __pos__(self) -> Array:
        return _wrap(_kiln.positive(self._raw))

    def __invert__(self) -> Array:
        return _wrap(_kiln.bitwise_invert(self._raw))

    # ---- binary operators (forward, reflected, in-place) ------------------------------------

    __add__ = _forward(_kiln.add)
    __radd__ = _reflected(_kiln.add)
    __iadd__ = _inplace(_kiln.add)
    __sub__ = _forward(_kiln.subtract)
    __rsub__ = _reflected(_kiln.subtract)
    __isub__ = _inplace(_kiln.subtract)
    __mul__ = _forward(_kiln.multiply)
    __rmul__ = _reflected(_kiln.multiply)
    __imul__ = _inplace(_kiln.multiply)
    __truediv__ = _forward(_kiln.divide)
    __rtruediv__ = _reflected(_kiln.divide)
    __itruediv__ = _inplace(_kiln.divide)
    __floordiv__ = _forward(_kiln.floor_divide)
    __rfloordiv__ = _reflected(_kiln.floor_divide)
    __ifloordiv__ = _inplace(_kiln.floor_divide)
    __mod__ = _forward(_kiln.remainder)
    __rmod__ = _reflected(_kiln.remainder)
    __imod__ = _inplace(_kiln.remainder)
    __pow__ = _forward(_kiln.pow)
    __rpow__ = _reflected(_kiln.pow)
    __ipow__ = _inplace(_kiln.pow)
    __and__ = _forward(_kiln.bitwise_and)
    __rand__ = _reflected(_kiln.bitwise_and)
    __iand__ = _inplace(_kiln.bitwise_and)
    __or__ = _forward(_kiln.bitwise_or)
    __ror__ = _reflected(_kiln.bitwise_or)
    __ior__ = _inplace(_kiln.bitwise_or)
    __xor__ = _forward(_kiln.bitwise_xor)
    __rxor__ = _reflected(_kiln.bitwise_xor)
    __ixor__ = _inplace(_kiln.bitwise_xor)
    __lshift__ = _forward(_kiln.bitwise_left_shift)
    __rlshift__ = _reflected(_kiln.bitwise_left_shift)
    __ilshift__ = _inplace(_kiln.bitwise_left_shift)
    __rshift__ = _forward(_kiln.bitwise_right_shift)
    __rrshift__ = _reflected(_kiln.bitwise_right_shift)
    __irshift__ = _inplace(_kiln.bitwise_right_shift)

    def __matmul__(self, other: Array) -> Array:
        if not isinstance(other, Array):
            return NotImplemented
        return _wrap(_kiln.matmul(self._raw, other._raw))

    def __rmatmul__(self, other: Array) -> Array:
        if not isinstance(other, Array):
            return NotImplemented
        return _wrap(_kiln.matmul(other._raw, self._raw))

    def __imatmul__(self, other: Array) -> Array:
        if not isinstance(other, Array):
            return NotImplemented
        return _inplace(_kiln.matmul)(self, other)

    # ---- comparisons (elementwise, boolean results) ------------------------------------------

    __eq__ = _forward(_kiln.equal)  # type: ignore[assignment]  # elementwise, an Array
    __ne__ = _forward(_kiln.not_equal)  # type: ignore[assignment]
    __lt__ = _forward(_kiln.less)
    __le__ = _forward(_kiln.less_equal)
    __gt__ = _forward(_kiln.greater)
    __ge__ = _forward(_kiln.greater_equal)
