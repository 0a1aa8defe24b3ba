//! DLPack interchange without copies: `Array.__dlpack__` / `__dlpack_device__` (export) and
//! `kiln.from_dlpack` (import), following the Python DLPack protocol (capsules named
//! `dltensor_versioned` / `dltensor`, renamed `used_...` by the consumer).
//!
//! Invariant: memory crosses the boundary without a copy unless the caller asks for one or kiln
//! cannot read it in place, and every managed tensor's deleter runs exactly once: kiln's
//! exports keep kiln's storage alive through an `Arc` until their deleter runs; imports keep the
//! producer's tensor alive through a foreign `Storage` whose owner calls the producer's deleter.
//! Argument checks follow the Array API standard (2024.12): a device other than the CPU or a
//! copy that `copy=False` forbids is a `BufferError` on export; a `stream` on the CPU is a
//! `ValueError`. An array on a CUDA device reports `(kDLCUDA, n)` and exports its device memory
//! in place (read-only, ready on every stream: kiln waits for its own work first, so any
//! integer `stream` is accepted), or a CPU copy with `dl_device=(1, 0)`; a device copy
//! (`copy=True` on the device) is a `BufferError`. Importing kDLCUDA memory is not built yet.

mod abi;
mod copy;
mod export;
mod import;
mod managed;

use pyo3::exceptions::{PyBufferError, PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::array::RawArray;

/// `(kDLCPU, 0)`: kiln arrays live in CPU memory.
const CPU_DEVICE: (i64, i64) = (abi::KDL_CPU as i64, 0);
/// `kDLCUDA`, as the protocol's Python integers.
const KDL_CUDA_I64: i64 = abi::KDL_CUDA as i64;

/// An integer argument that may also be an `enum.Enum` member with an integer value.
fn enum_int(value: &Bound<'_, PyAny>) -> PyResult<i64> {
    value
        .extract::<i64>()
        .or_else(|_| value.getattr("value")?.extract::<i64>())
}

/// A `(major, minor)` or `(device_type, device_id)` pair.
fn int_pair(value: &Bound<'_, PyAny>, what: &str) -> PyResult<(i64, i64)> {
    let items: Vec<Bound<'_, PyAny>> = value
        .try_iter()
        .and_then(|it| it.collect::<PyResult<_>>())
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a pair of integers")))?;
    match items.as_slice() {
        [a, b] => Ok((
            enum_int(a).map_err(|_| PyTypeError::new_err(format!("{what}: not an integer")))?,
            enum_int(b).map_err(|_| PyTypeError::new_err(format!("{what}: not an integer")))?,
        )),
        _ => Err(PyTypeError::new_err(format!(
            "{what} must be a pair of integers"
        ))),
    }
}

/// `x.__dlpack__(stream=, max_version=, dl_device=, copy=)`: a DLPack capsule over `x`'s
/// storage (a 1.x `dltensor_versioned` capsule when `max_version` has major >= 1, else a
/// legacy `dltensor` one). Evaluates `x` first, with the GIL released.
#[pyfunction]
#[pyo3(signature = (x, stream=None, max_version=None, dl_device=None, copy=None))]
fn to_dlpack<'py>(
    py: Python<'py>,
    x: &Bound<'py, RawArray>,
    stream: Option<&Bound<'py, PyAny>>,
    max_version: Option<&Bound<'py, PyAny>>,
    dl_device: Option<&Bound<'py, PyAny>>,
    copy: Option<bool>,
) -> PyResult<Bound<'py, PyAny>> {
    let device = x.get().0.device();
    let versioned = match max_version.filter(|v| !v.is_none()) {
        Some(v) => int_pair(v, "max_version")?.0 >= 1,
        None => false,
    };
    if let kiln::Device::Cuda(n) = device {
        let here = (KDL_CUDA_I64, n as i64);
        let target = match dl_device.filter(|d| !d.is_none()) {
            Some(device) => int_pair(device, "dl_device")?,
            None => here,
        };
        if let Some(stream) = stream.filter(|s| !s.is_none())
            && stream.extract::<i64>().is_err()
        {
            return Err(PyTypeError::new_err(format!(
                "stream must be None or an integer CUDA stream handle, got {stream}"
            )));
        }
        if target == here {
            if copy == Some(true) {
                return Err(PyBufferError::new_err(format!(
                    "kiln cannot copy device memory for DLPack yet: export the array on \
                     cuda:{n} in place (copy=None) or to the CPU (dl_device=(1, 0))"
                )));
            }
            return export::export_device(py, &x.get().0, n, versioned);
        }
        if target != CPU_DEVICE {
            return Err(PyBufferError::new_err(format!(
                "an array on cuda:{n} exports to {here:?} or to the CPU {CPU_DEVICE:?}, not \
                 {target:?}"
            )));
        }
        if copy == Some(false) {
            return Err(PyBufferError::new_err(format!(
                "exporting an array on cuda:{n} to the CPU copies it, but copy=False"
            )));
        }
    } else {
        if let Some(stream) = stream.filter(|s| !s.is_none()) {
            return Err(PyValueError::new_err(format!(
                "kiln arrays on the CPU have no streams: stream must be None, got {stream}"
            )));
        }
        if let Some(device) = dl_device.filter(|d| !d.is_none()) {
            let device = int_pair(device, "dl_device")?;
            if device != CPU_DEVICE {
                return Err(PyBufferError::new_err(format!(
                    "kiln exports only to the CPU (dl_device {CPU_DEVICE:?}), got {device:?}"
                )));
            }
        }
    }
    // Leaving a CUDA device is always a copy (checked against `copy=False` above).
    let must_copy = device != kiln::Device::Cpu;
    export::export(py, &x.get().0, versioned, copy == Some(true) || must_copy)
}

/// `x.__dlpack_device__()`: `(device_type, device_id)`; `(1, 0)` for the CPU.
#[pyfunction]
fn dlpack_device(x: &Bound<'_, RawArray>) -> (i64, i64) {
    match x.get().0.device() {
        kiln::Device::Cpu => CPU_DEVICE,
        kiln::Device::Cuda(n) => (KDL_CUDA_I64, n as i64),
    }
}

/// A kiln array over a DLPack capsule's tensor (consumes the capsule): shares the memory when
/// kiln can read it in place and `copy` is not true; copies otherwise (`copy=False` then
/// raises `ValueError`).
#[pyfunction]
#[pyo3(signature = (capsule, copy=None))]
fn from_dlpack(
    py: Python<'_>,
    capsule: &Bound<'_, PyAny>,
    copy: Option<bool>,
) -> PyResult<RawArray> {
    import::import(py, capsule, copy)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(to_dlpack, m)?)?;
    m.add_function(wrap_pyfunction!(dlpack_device, m)?)?;
    m.add_function(wrap_pyfunction!(from_dlpack, m)?)?;
    Ok(())
}
