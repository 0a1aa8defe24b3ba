//! The C structs of DLPack 1.1 (`dlpack.h`) that cross the capsule boundary, and the mapping
//! between DLPack data types and kiln dtypes.
//!
//! Invariant: every struct here is `#[repr(C)]` with the field order, types and sizes of the
//! header (checked by the size assertions below for 64-bit targets); nothing here dereferences
//! a pointer.

use std::ffi::{CStr, c_void};

use kiln::DType;

/// `kDLCPU`: memory the CPU reads directly.
pub(crate) const KDL_CPU: i32 = 1;
/// `kDLCUDA`: memory of a CUDA device.
pub(crate) const KDL_CUDA: i32 = 2;

/// The DLPack version kiln produces and understands (major must match to read a tensor).
pub(crate) const VERSION: DLPackVersion = DLPackVersion { major: 1, minor: 1 };

/// `DLPACK_FLAG_BITMASK_READ_ONLY`: the consumer must not write the memory.
pub(crate) const FLAG_READ_ONLY: u64 = 1 << 0;
/// `DLPACK_FLAG_BITMASK_IS_COPIED`: the producer made a copy the consumer owns alone.
pub(crate) const FLAG_IS_COPIED: u64 = 1 << 1;

/// Capsule names of the Python DLPack protocol: unconsumed, and renamed by the consumer.
pub(crate) const VERSIONED_NAME: &CStr = c"dltensor_versioned";
pub(crate) const VERSIONED_USED_NAME: &CStr = c"used_dltensor_versioned";
pub(crate) const LEGACY_NAME: &CStr = c"dltensor";
pub(crate) const LEGACY_USED_NAME: &CStr = c"used_dltensor";

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DLPackVersion {
    pub(crate) major: u32,
    pub(crate) minor: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct DLDevice {
    /// A `DLDeviceType` enumerator (a C enum: `int`).
    pub(crate) device_type: i32,
    pub(crate) device_id: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DLDataType {
    /// A `DLDataTypeCode` enumerator.
    pub(crate) code: u8,
    pub(crate) bits: u8,
    pub(crate) lanes: u16,
}

#[repr(C)]
#[derive(Debug)]
pub(crate) struct DLTensor {
    pub(crate) data: *mut c_void,
    pub(crate) device: DLDevice,
    pub(crate) ndim: i32,
    pub(crate) dtype: DLDataType,
    /// `ndim` extents (may be null when `ndim == 0`).
    pub(crate) shape: *mut i64,
    /// `ndim` strides in elements, or null for a compact row-major layout.
    pub(crate) strides: *mut i64,
    pub(crate) byte_offset: u64,
}

/// DLPack < 1.0: the tensor, the producer's context and its deleter.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct DLManagedTensor {
    pub(crate) dl_tensor: DLTensor,
    pub(crate) manager_ctx: *mut c_void,
    pub(crate) deleter: Option<unsafe extern "C" fn(*mut DLManagedTensor)>,
}

/// DLPack >= 1.0: the version first, so a consumer can check it before reading the rest.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct DLManagedTensorVersioned {
    pub(crate) version: DLPackVersion,
    pub(crate) manager_ctx: *mut c_void,
    pub(crate) deleter: Option<unsafe extern "C" fn(*mut DLManagedTensorVersioned)>,
    pub(crate) flags: u64,
    pub(crate) dl_tensor: DLTensor,
}

#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<DLDevice>() == 8);
    assert!(size_of::<DLDataType>() == 4);
    assert!(size_of::<DLTensor>() == 48);
    assert!(size_of::<DLManagedTensor>() == 64);
    assert!(size_of::<DLManagedTensorVersioned>() == 80);
    assert!(std::mem::offset_of!(DLManagedTensorVersioned, dl_tensor) == 32);
};

// DLDataTypeCode enumerators kiln maps.
const KDL_INT: u8 = 0;
const KDL_UINT: u8 = 1;
const KDL_FLOAT: u8 = 2;
const KDL_COMPLEX: u8 = 5;
const KDL_BOOL: u8 = 6;

/// The DLPack data type of a kiln dtype (one lane; `bool` is 8 bits).
pub(crate) fn data_type(dtype: DType) -> DLDataType {
    let code = match dtype {
        DType::Bool => KDL_BOOL,
        DType::I8 | DType::I16 | DType::I32 | DType::I64 => KDL_INT,
        DType::U8 | DType::U16 | DType::U32 | DType::U64 => KDL_UINT,
        DType::F32 | DType::F64 => KDL_FLOAT,
        DType::C64 | DType::C128 => KDL_COMPLEX,
    };
    DLDataType {
        code,
        bits: (dtype.size_bytes() * 8) as u8,
        lanes: 1,
    }
}

/// The kiln dtype of a DLPack data type, if kiln has one.
pub(crate) fn dtype_of(t: DLDataType) -> Option<DType> {
    if t.lanes != 1 {
        return None;
    }
    Some(match (t.code, t.bits) {
        (KDL_BOOL, 8) => DType::Bool,
        (KDL_INT, 8) => DType::I8,
        (KDL_INT, 16) => DType::I16,
        (KDL_INT, 32) => DType::I32,
        (KDL_INT, 64) => DType::I64,
        (KDL_UINT, 8) => DType::U8,
        (KDL_UINT, 16) => DType::U16,
        (KDL_UINT, 32) => DType::U32,
        (KDL_UINT, 64) => DType::U64,
        (KDL_FLOAT, 32) => DType::F32,
        (KDL_FLOAT, 64) => DType::F64,
        (KDL_COMPLEX, 64) => DType::C64,
        (KDL_COMPLEX, 128) => DType::C128,
        _ => return None,
    })
}

/// A readable name of a DLPack data type for error messages (`float16`, `bfloat16`, ...).
pub(crate) fn describe(t: DLDataType) -> String {
    let kind = match t.code {
        KDL_INT => "int",
        KDL_UINT => "uint",
        KDL_FLOAT => "float",
        4 => "bfloat",
        KDL_COMPLEX => "complex",
        KDL_BOOL => "bool",
        3 => "opaque handle ",
        _ => return format!("DLPack type code {} ({} bits)", t.code, t.bits),
    };
    if t.lanes == 1 {
        format!("{kind}{}", t.bits)
    } else {
        format!("{kind}{}x{}", t.bits, t.lanes)
    }
}
