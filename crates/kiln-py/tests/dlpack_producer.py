"""A DLPack producer written with ctypes, for tests that need what NumPy never exports: an
observable deleter, misaligned data, float16, a foreign device, a future major version.

Invariant: a ``Producer`` exports exactly one capsule built like the DLPack reference code (its
destructor deletes the tensor unless a consumer renamed the capsule ``used_...``); ``deleted``
counts deleter calls, so tests can check the consumer calls it exactly once.
"""

from __future__ import annotations

import ctypes

import numpy as np

_api = ctypes.pythonapi
_api.PyCapsule_New.restype = ctypes.py_object
_api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_api.PyCapsule_GetName.restype = ctypes.c_char_p
_api.PyCapsule_GetName.argtypes = [ctypes.py_object]


class DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device_type", ctypes.c_int32),
        ("device_id", ctypes.c_int32),
        ("ndim", ctypes.c_int32),
        ("code", ctypes.c_uint8),
        ("bits", ctypes.c_uint8),
        ("lanes", ctypes.c_uint16),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


DELETER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
DESTRUCTOR = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class Versioned(ctypes.Structure):
    _fields_ = [
        ("major", ctypes.c_uint32),
        ("minor", ctypes.c_uint32),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", DELETER),
        ("flags", ctypes.c_uint64),
        ("dl_tensor", DLTensor),
    ]


class Legacy(ctypes.Structure):
    _fields_ = [
        ("dl_tensor", DLTensor),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", DELETER),
    ]


def capsule_name(capsule: object) -> str:
    return _api.PyCapsule_GetName(capsule).decode()


def read_versioned(capsule: object) -> Versioned:
    """The ``DLManagedTensorVersioned`` behind an unconsumed capsule (a copy of the struct)."""
    address = _api.PyCapsule_GetPointer(id(capsule), b"dltensor_versioned")
    return Versioned.from_address(address)


_CODES = {"i": 0, "u": 1, "f": 2, "c": 5, "b": 6}


class Producer:
    """Exports ``buffer`` (a NumPy array that owns the memory) as a DLPack tensor of ``shape``
    and element ``strides`` starting ``byte_offset`` bytes into it, with knobs for what the
    tensor claims (``device``, ``version``, ``code``/``bits``)."""

    def __init__(
        self,
        buffer: np.ndarray,
        shape: tuple[int, ...],
        strides: tuple[int, ...] | None,
        *,
        byte_offset: int = 0,
        dtype: np.dtype | None = None,
        versioned: bool = True,
        device: tuple[int, int] = (1, 0),
        claimed_device: tuple[int, int] | None = None,
        version: tuple[int, int] = (1, 1),
        flags: int = 0,
    ) -> None:
        dtype = np.dtype(dtype or buffer.dtype)
        self.buffer = buffer
        self.deleted = 0
        self.device = device
        self.versioned = versioned
        self._shape = (ctypes.c_int64 * max(len(shape), 1))(*shape)
        self._strides = None if strides is None else (ctypes.c_int64 * max(len(shape), 1))(*strides)
        tensor = DLTensor(
            data=buffer.__array_interface__["data"][0],
            device_type=(claimed_device or device)[0],
            device_id=(claimed_device or device)[1],
            ndim=len(shape),
            code=_CODES[dtype.kind],
            bits=dtype.itemsize * 8,
            lanes=1,
            shape=ctypes.cast(self._shape, ctypes.POINTER(ctypes.c_int64)),
            strides=None
            if self._strides is None
            else ctypes.cast(self._strides, ctypes.POINTER(ctypes.c_int64)),
            byte_offset=byte_offset,
        )
        self._deleter = DELETER(self._delete)
        if versioned:
            self._managed = Versioned(
                major=version[0], minor=version[1], deleter=self._deleter, flags=flags,
                dl_tensor=tensor,
            )
            self._name = ctypes.create_string_buffer(b"dltensor_versioned")
            self._used = b"used_dltensor_versioned"
        else:
            self._managed = Legacy(dl_tensor=tensor, deleter=self._deleter)
            self._name = ctypes.create_string_buffer(b"dltensor")
            self._used = b"used_dltensor"
        self._destructor = DESTRUCTOR(self._destroy)
        self.exported = False

    def _delete(self, managed: int) -> None:
        assert managed == ctypes.addressof(self._managed)
        self.deleted += 1

    def _destroy(self, capsule: int) -> None:
        if _api.PyCapsule_IsValid(capsule, self._used):
            return
        pointer = _api.PyCapsule_GetPointer(capsule, self._name.value)
        self._deleter(pointer)

    def capsule(self) -> object:
        """The one capsule this producer exports."""
        assert not self.exported, "a Producer exports one capsule"
        self.exported = True
        return _api.PyCapsule_New(
            ctypes.addressof(self._managed),
            ctypes.addressof(self._name),
            ctypes.cast(self._destructor, ctypes.c_void_p),
        )

    def __dlpack__(self, **kwargs: object) -> object:
        requested = kwargs.get("dl_device")
        if requested is not None and tuple(requested) != self.device:  # type: ignore[arg-type]
            raise BufferError("this test producer cannot move data between devices")
        return self.capsule()

    def __dlpack_device__(self) -> tuple[int, int]:
        return self.device
