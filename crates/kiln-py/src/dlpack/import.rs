//! Import (`kiln.from_dlpack`): a kiln array over a producer's DLPack tensor, without a copy
//! when kiln can read the memory in place.
//!
//! Memory of a CUDA device (`kDLCUDA`) becomes an array on that device over the producer's
//! memory, read in place (`kiln::Array::from_cuda_memory`); the Python side asked the producer
//! for it on kiln's stream (the legacy default stream, `stream=1`), so the producer's pending
//! writes are ordered before kiln's reads.
//!
//! Invariant: the capsule is consumed (renamed `used_...`) only once everything about the
//! tensor has been checked; until then an error leaves it to its own destructor. From the
//! rename on, exactly one `Producer` guard owns the tensor and calls its deleter when dropped:
//! when the last kiln storage over the memory drops (zero-copy), or right after the copy.

use std::ptr::NonNull;
use std::sync::Arc;

use kiln::{Array, DType, Realized};
use kiln_ir::{Shape, Storage, View};
use pyo3::exceptions::{PyBufferError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;

use super::abi::{DLTensor, KDL_CPU, KDL_CUDA, describe, dtype_of};
use super::copy::Strided;
use super::managed::{Managed, delete};
use crate::array::RawArray;
use crate::error::{run, to_pyerr};

/// Owns a consumed producer tensor; dropping it calls the producer's deleter, once.
struct Producer<M: Managed>(NonNull<M>);

// SAFETY: the guard only ever calls the deleter, and DLPack requires deleters to be callable
// from any thread (acquiring the GIL themselves if they need it, as NumPy's does).
unsafe impl<M: Managed> Send for Producer<M> {}
// SAFETY: the guard has no methods; shared references to it can do nothing.
unsafe impl<M: Managed> Sync for Producer<M> {}

impl<M: Managed> Drop for Producer<M> {
    fn drop(&mut self) {
        // SAFETY: the guard is the tensor's only owner (the capsule was renamed before the
        // guard was made) and is dropped once.
        unsafe { delete(self.0.as_ptr()) };
    }
}

/// A checked description of a producer's tensor.
struct Layout {
    /// The CUDA ordinal of `kDLCUDA` memory; `None` for CPU memory.
    cuda: Option<usize>,
    dtype: DType,
    shape: Vec<usize>,
    strides: Vec<isize>,
    /// Address of element `[0, 0, ...]`.
    first: usize,
    /// Elements from the lowest address the view touches to the highest, inclusive (0 if empty).
    span: usize,
    /// Elements between the lowest touched address and `first`.
    offset: usize,
}

fn buffer_error(msg: impl Into<String>) -> PyErr {
    PyBufferError::new_err(msg.into())
}

impl Layout {
    /// Reads and checks a tensor: CPU or CUDA memory, a kiln dtype, a shape and strides whose
    /// addresses neither overflow nor wrap.
    ///
    /// # Safety
    /// `t` is a live tensor: `shape` (and `strides`, unless null) point at `ndim` values.
    unsafe fn read(t: &DLTensor) -> PyResult<Layout> {
        let cuda = match t.device.device_type {
            KDL_CPU => None,
            KDL_CUDA => Some(usize::try_from(t.device.device_id).map_err(|_| {
                buffer_error(format!("DLPack CUDA device id {}", t.device.device_id))
            })?),
            other => {
                return Err(buffer_error(format!(
                    "kiln reads CPU (DLPack device type {KDL_CPU}) and CUDA ({KDL_CUDA}) \
                     memory, got device type {other}"
                )));
            }
        };
        let dtype = dtype_of(t.dtype).ok_or_else(|| {
            PyTypeError::new_err(format!(
                "kiln has no dtype for DLPack data type {}",
                describe(t.dtype)
            ))
        })?;
        let ndim = usize::try_from(t.ndim)
            .map_err(|_| buffer_error(format!("DLPack tensor with ndim {}", t.ndim)))?;
        if ndim > 0 && t.shape.is_null() {
            return Err(buffer_error("DLPack tensor without a shape"));
        }
        // SAFETY: the caller guarantees `ndim` readable values behind non-null pointers.
        let (raw_shape, raw_strides) = unsafe {
            (
                (ndim > 0).then(|| std::slice::from_raw_parts(t.shape, ndim)),
                (ndim > 0 && !t.strides.is_null())
                    .then(|| std::slice::from_raw_parts(t.strides, ndim)),
            )
        };
        let shape = raw_shape
            .unwrap_or(&[])
            .iter()
            .map(|&d| usize::try_from(d))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| buffer_error("DLPack tensor with a negative extent"))?;
        let numel = Shape::from(shape.as_slice())
            .checked_numel()
            .ok_or_else(|| buffer_error("DLPack tensor with too many elements"))?;
        let strides: Vec<isize> = match raw_strides {
            Some(s) => s
                .iter()
                .map(|&v| isize::try_from(v))
                .collect::<Result<_, _>>()
                .map_err(|_| buffer_error("DLPack stride out of range"))?,
            None => Shape::from(shape.as_slice()).contiguous_strides(),
        };
        let size = dtype.size_bytes() as i128;
        let base = t.data as usize as i128;
        let first = base + i128::from(t.byte_offset);
        // Lowest and highest element offsets from `first` (i128: no product of two 64-bit
        // values overflows; sums are checked).
        let (mut lo, mut hi) = (0i128, 0i128);
        if numel > 0 {
            for (&d, &s) in shape.iter().zip(&strides) {
                let reach = (d as i128 - 1) * s as i128;
                let bound = if reach < 0 { &mut lo } else { &mut hi };
                *bound = bound
                    .checked_add(reach)
                    .ok_or_else(|| buffer_error("DLPack strides out of range"))?;
            }
        }
        let (span, offset, first) = if numel == 0 {
            (0, 0, 0)
        } else {
            let low = lo.checked_mul(size).and_then(|b| first.checked_add(b));
            let high = (hi + 1)
                .checked_mul(size)
                .and_then(|b| first.checked_add(b));
            match (low, high) {
                (Some(low), Some(high)) if low > 0 && high <= isize::MAX as i128 => {}
                _ => return Err(buffer_error("DLPack tensor addresses out of range")),
            }
            let span = usize::try_from(hi - lo + 1)
                .map_err(|_| buffer_error("DLPack tensor spans too many elements"))?;
            (span, (-lo) as usize, first as usize)
        };
        Ok(Layout {
            cuda,
            dtype,
            shape,
            strides,
            first,
            span,
            offset,
        })
    }

    /// Address of the lowest element the view touches.
    fn low(&self) -> usize {
        self.first - self.offset * self.dtype.size_bytes()
    }

    /// Why kiln cannot wrap the memory in place, if it cannot.
    fn copy_reason(&self) -> Option<String> {
        // SAFETY: `read` checked the span's addresses; the producer keeps them readable.
        unsafe { Storage::check_foreign(self.low() as *const u8, self.dtype, self.span) }
            .err()
            .map(|e| e.to_string())
    }
}

/// `kiln.from_dlpack` on a capsule: a kiln array over the tensor, copied when `copy` is true or
/// when kiln cannot read the memory in place (`copy=False` then raises `ValueError`).
pub(crate) fn import(
    py: Python<'_>,
    capsule: &Bound<'_, PyAny>,
    copy: Option<bool>,
) -> PyResult<RawArray> {
    let cap = capsule.as_ptr();
    // SAFETY: PyCapsule_IsValid accepts any object and never sets an error.
    let named = |name: &std::ffi::CStr| unsafe { ffi::PyCapsule_IsValid(cap, name.as_ptr()) } == 1;
    use super::abi::{DLManagedTensor, DLManagedTensorVersioned};
    if named(DLManagedTensorVersioned::NAME) {
        return import_as::<DLManagedTensorVersioned>(py, capsule, copy);
    }
    if named(DLManagedTensor::NAME) {
        return import_as::<DLManagedTensor>(py, capsule, copy);
    }
    if named(DLManagedTensorVersioned::USED_NAME) || named(DLManagedTensor::USED_NAME) {
        return Err(PyValueError::new_err(
            "this DLPack capsule was already consumed (each __dlpack__ capsule can be read once)",
        ));
    }
    Err(PyTypeError::new_err(format!(
        "expected a DLPack capsule (a PyCapsule named 'dltensor_versioned' or 'dltensor'), \
         got {}",
        capsule.get_type().name()?
    )))
}

fn import_as<M: Managed>(
    py: Python<'_>,
    capsule: &Bound<'_, PyAny>,
    copy: Option<bool>,
) -> PyResult<RawArray> {
    let cap = capsule.as_ptr();
    // SAFETY: the caller checked the capsule is valid under `M::NAME`.
    let managed = unsafe { ffi::PyCapsule_GetPointer(cap, M::NAME.as_ptr()) } as *mut M;
    let Some(managed) = NonNull::new(managed) else {
        return Err(PyErr::fetch(py));
    };
    // SAFETY: the capsule owns a live tensor until renamed; the header says the fields after
    // the version are readable only when `readable` accepts it.
    let layout = unsafe {
        managed.as_ref().readable().map_err(buffer_error)?;
        Layout::read(managed.as_ref().tensor())?
    };
    if let Some(ordinal) = layout.cuda {
        return import_cuda(py, capsule, managed, layout, ordinal, copy);
    }
    let reason = if copy == Some(true) {
        None
    } else {
        layout.copy_reason()
    };
    let in_place = copy != Some(true) && reason.is_none();
    if let (Some(false), Some(reason)) = (copy, &reason) {
        return Err(PyValueError::new_err(format!(
            "copy=False, but kiln must copy this DLPack tensor: {reason}"
        )));
    }
    let producer = consume(py, capsule, managed)?;
    let data = if in_place {
        let low = layout.low() as *const u8;
        // SAFETY: `read` checked the span's addresses and `copy_reason` alignment and bool
        // bytes; the memory stays readable until the producer's deleter runs, which happens
        // when the guard (moved into the storage) drops. kiln never writes it.
        let storage =
            unsafe { Storage::from_foreign(low, layout.dtype, layout.span, Box::new(producer)) }
                .map_err(|e| to_pyerr(&e.into()))?;
        let view = View {
            shape: Shape::from(layout.shape),
            strides: layout.strides,
            offset: layout.offset,
        };
        Realized::with_view(Arc::new(storage), view).map_err(|e| to_pyerr(&e.into()))?
    } else {
        let source = Strided {
            first: layout.first,
            dtype: layout.dtype,
            shape: layout.shape,
            strides: layout.strides,
        };
        let shape = Shape::from(source.shape.as_slice());
        let copied = run(py, move || {
            // SAFETY: `read` checked every element address; the guard (alive until after this
            // call) keeps the memory readable.
            let storage = unsafe { source.copy() }?;
            Ok(Realized::contiguous(Arc::new(storage), shape)?)
        });
        drop(producer);
        copied?
    };
    Ok(RawArray(Array::from_data(data)))
}

/// Takes ownership of the capsule's tensor (the protocol's rename); from here the returned
/// guard calls the producer's deleter, once.
fn consume<M: Managed>(
    py: Python<'_>,
    capsule: &Bound<'_, PyAny>,
    managed: NonNull<M>,
) -> PyResult<Producer<M>> {
    // SAFETY: the name is a static C string; the capsule is valid.
    if unsafe { ffi::PyCapsule_SetName(capsule.as_ptr(), M::USED_NAME.as_ptr()) } != 0 {
        return Err(PyErr::fetch(py));
    }
    Ok(Producer(managed))
}

/// The `kDLCUDA` half of `import_as`: an array on `cuda:ordinal` over the producer's memory.
fn import_cuda<M: Managed>(
    py: Python<'_>,
    capsule: &Bound<'_, PyAny>,
    managed: NonNull<M>,
    layout: Layout,
    ordinal: usize,
    copy: Option<bool>,
) -> PyResult<RawArray> {
    if copy == Some(true) {
        return Err(buffer_error(
            "kiln does not copy DLPack device memory on import (kiln.from_dlpack(copy=True) \
             asks the producer for a CPU copy instead)",
        ));
    }
    // Checked before the capsule is consumed: no device leaves the producer's tensor alone.
    kiln::Device::cuda(ordinal).map_err(|e| to_pyerr(&e))?;
    let producer = consume(py, capsule, managed)?;
    let address = if layout.span == 0 {
        0
    } else {
        layout.low() as u64
    };
    let (dtype, span) = (layout.dtype, layout.span);
    let view = View {
        shape: Shape::from(layout.shape),
        strides: layout.strides,
        offset: layout.offset,
    };
    // SAFETY: `read` checked the span's addresses; the producer keeps the memory allocated
    // until its deleter runs, which happens when the guard (moved into the memory) drops; the
    // Python side requested the capsule on kiln's stream, so the producer's writes come first;
    // kiln never writes the memory.
    let array =
        unsafe { Array::from_cuda_memory(ordinal, address, dtype, span, view, Box::new(producer)) }
            .map_err(|e| match e {
                // Memory the driver does not know as this device's, or misaligned: a bad tensor.
                kiln::KilnError::Cuda(kiln::CudaError::Unsupported(msg)) => buffer_error(msg),
                e => to_pyerr(&e),
            })?;
    Ok(RawArray(array))
}
