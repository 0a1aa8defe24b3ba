//! Export (`Array.__dlpack__`): a capsule whose tensor points into kiln's own storage, or into
//! the device memory of an array on a CUDA device (`kDLCUDA`).
//!
//! Invariant: each capsule owns one boxed `Export` that holds an `Arc` of the storage or device
//! memory the tensor points into (so the memory outlives every consumer) plus the shape and
//! strides the tensor points at. Device memory is exported only after every write enqueued on
//! it has finished (`DeviceMemory::ready_address`), so a consumer may read it on any stream. The box is freed exactly once, by the tensor's deleter: from the capsule's
//! destructor if nobody consumed it, otherwise by the consumer. Without `copy=True` no element
//! is copied; the 1.x tensor is flagged read-only because kiln storage is immutable once shared
//! (a legacy tensor cannot say so: a legacy consumer must not write it).

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::Arc;

use kiln::{Array, Realized, Resident};
use kiln_ir::{DType, View};
use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;

use super::abi::{
    DLDevice, DLTensor, FLAG_IS_COPIED, FLAG_READ_ONLY, KDL_CPU, KDL_CUDA, data_type,
};
use super::copy::Strided;
use super::managed::{Managed, capsule_destructor, delete};
use crate::error::run;

/// Everything an exported tensor points at, in one allocation (`managed` first).
#[repr(C)]
struct Export<M> {
    managed: M,
    shape: Box<[i64]>,
    strides: Box<[i64]>,
    /// The `Arc` of the storage or device memory the tensor points into.
    _keep: Box<dyn Send + Sync>,
}

/// The deleter of every tensor kiln exports: frees its `Export` (and so drops the storage
/// reference). Callable from any thread, with or without the GIL (DLPack asks that of
/// deleters): it touches no Python object.
unsafe extern "C" fn delete_export<M: Managed>(managed: *mut M) {
    if managed.is_null() {
        return;
    }
    // SAFETY: kiln's tensors have `manager_ctx` pointing at the `Box<Export<M>>` they live in
    // (set in `capsule`), and DLPack calls the deleter once, so the box is reclaimed once.
    let export = unsafe { Box::from_raw((*managed).manager_ctx() as *mut Export<M>) };
    // Dropping frees memory and may run a foreign owner's release; a panic must not cross
    // the C boundary (it would abort), so it is contained here (and leaks at worst).
    let _ = catch_unwind(AssertUnwindSafe(move || drop(export)));
}

/// `x.__dlpack__(...)` after the argument checks: evaluates `a` (GIL released), copies it when
/// `copy` is set, and wraps it in a `dltensor_versioned` capsule (`versioned`) or a legacy
/// `dltensor` one.
pub(crate) fn export<'py>(
    py: Python<'py>,
    a: &Array,
    versioned: bool,
    copy: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let a = a.clone();
    let data = run(py, move || {
        let data = a.data()?;
        if !copy {
            return Ok(data);
        }
        let size = data.dtype().size_bytes() as isize;
        let source = Strided {
            first: (data.storage.as_ptr() as usize)
                .wrapping_add((data.view.offset as isize * size) as usize),
            dtype: data.dtype(),
            shape: data.shape().dims().to_vec(),
            strides: data.view.strides.clone(),
        };
        // SAFETY: a realized view fits its storage (`Realized::with_view`), so every element
        // it addresses is readable while `data` holds the storage.
        let storage = unsafe { source.copy() }?;
        Ok(Realized::contiguous(
            Arc::new(storage),
            data.shape().clone(),
        )?)
    })?;
    let flags = if copy { FLAG_IS_COPIED } else { FLAG_READ_ONLY };
    let tensor = Tensor {
        base: data.storage.as_ptr() as usize,
        dtype: data.dtype(),
        view: data.view.clone(),
        device: DLDevice {
            device_type: KDL_CPU,
            device_id: 0,
        },
        keep: Box::new(data.storage),
    };
    tensor.capsule(py, versioned, flags)
}

/// `x.__dlpack__(...)` of an array on CUDA device `ordinal`, exported in place (`kDLCUDA`):
/// evaluates `a` on its device (GIL released) and shares its device memory, read-only.
pub(crate) fn export_device<'py>(
    py: Python<'py>,
    a: &Array,
    ordinal: usize,
    versioned: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let a = a.clone();
    let (resident, base) = run(py, move || {
        let resident: Resident = a.device_data()?.ok_or_else(|| {
            kiln::KilnError::Invalid(kiln_ir::IrError::InvalidArgument(
                "the array holds no device memory to export".into(),
            ))
        })?;
        let base = resident
            .memory
            .ready_address()
            .map_err(kiln::KilnError::from)?;
        Ok((resident, base))
    })?;
    let tensor = Tensor {
        base: base as usize,
        dtype: resident.memory.dtype(),
        view: resident.view,
        device: DLDevice {
            device_type: KDL_CUDA,
            device_id: i32::try_from(ordinal).map_err(|_| too_large("device ordinal"))?,
        },
        keep: Box::new(resident.memory),
    };
    tensor.capsule(py, versioned, FLAG_READ_ONLY)
}

fn too_large(what: &str) -> PyErr {
    PyBufferError::new_err(format!(
        "the array's {what} does not fit DLPack's 64-bit fields"
    ))
}

/// What a capsule describes: elements of `dtype` through `view` from address `base` on
/// `device`, in the memory `keep` holds.
struct Tensor {
    base: usize,
    dtype: DType,
    view: View,
    device: DLDevice,
    keep: Box<dyn Send + Sync>,
}

impl Tensor {
    /// A capsule of the kind `versioned` asks for (see `export`).
    fn capsule(self, py: Python<'_>, versioned: bool, flags: u64) -> PyResult<Bound<'_, PyAny>> {
        if versioned {
            capsule::<super::abi::DLManagedTensorVersioned>(py, self, flags)
        } else {
            capsule::<super::abi::DLManagedTensor>(py, self, flags)
        }
    }
}

/// A capsule named `M::NAME` owning a tensor over `data`.
fn capsule<'py, M: Managed>(
    py: Python<'py>,
    data: Tensor,
    flags: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let size = data.dtype.size_bytes();
    let shape = data
        .view
        .shape
        .dims()
        .iter()
        .map(|&d| i64::try_from(d))
        .collect::<Result<Box<[i64]>, _>>()
        .map_err(|_| too_large("shape"))?;
    let strides = data.view.strides.iter().map(|&s| s as i64).collect();
    let ndim = i32::try_from(shape.len()).map_err(|_| too_large("rank"))?;
    let empty = data.view.shape.numel() == 0;
    // DLPack: the data pointer of an empty tensor should be null.
    let (pointer, byte_offset) = if empty {
        (ptr::null_mut(), 0)
    } else {
        let offset = (data.view.offset as u64)
            .checked_mul(size as u64)
            .ok_or_else(|| too_large("offset"))?;
        (data.base as *mut c_void, offset)
    };
    let tensor = DLTensor {
        data: pointer,
        device: data.device,
        ndim,
        dtype: data_type(data.dtype),
        shape: ptr::null_mut(),
        strides: ptr::null_mut(),
        byte_offset,
    };
    let mut export = Box::new(Export {
        managed: M::produced(tensor, flags, delete_export::<M>),
        shape,
        strides,
        _keep: data.keep,
    });
    // The boxed slices' buffers stay put while the box lives, so the tensor may point at them.
    let fields = &mut *export;
    fields.managed.tensor_mut().shape = fields.shape.as_mut_ptr();
    fields.managed.tensor_mut().strides = fields.strides.as_mut_ptr();
    let raw = Box::into_raw(export);
    // SAFETY: `raw` is the live box just leaked; `managed` is its first field.
    let managed = unsafe {
        (*raw).managed.set_manager_ctx(raw as *mut c_void);
        ptr::addr_of_mut!((*raw).managed)
    };
    // SAFETY: the name is a static C string; the destructor matches the pointer's type.
    let capsule = unsafe {
        ffi::PyCapsule_New(
            managed as *mut c_void,
            M::NAME.as_ptr(),
            Some(capsule_destructor::<M>),
        )
    };
    if capsule.is_null() {
        // SAFETY: no capsule owns the tensor, so it is still ours to delete (once).
        unsafe { delete(managed) };
        return Err(PyErr::fetch(py));
    }
    // SAFETY: `capsule` is a new, non-null reference we own.
    Ok(unsafe { Bound::from_owned_ptr(py, capsule) })
}
