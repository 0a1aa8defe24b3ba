//! Devices from Python: names (`"cpu"`, `"cuda:N"`), the CUDA devices present, and moving an
//! array to a device.
//!
//! Invariant: an unknown device name is a ValueError; a CUDA device this machine lacks is a
//! RuntimeError saying so (from `kiln::Device::cuda`), never a crash, also without libcuda.

use pyo3::prelude::*;

use crate::array::RawArray;
use crate::error::{run, to_pyerr};

/// The device named `name`, checked to exist.
fn device(name: &str) -> PyResult<kiln::Device> {
    let d: kiln::Device = name.parse().map_err(|e| to_pyerr(&e))?;
    if let kiln::Device::Cuda(n) = d {
        kiln::Device::cuda(n).map_err(|e| to_pyerr(&e))?;
    }
    Ok(d)
}

/// The canonical name of device `name` (`"cuda"` -> `"cuda:0"`), checked to exist.
#[pyfunction]
fn check_device(name: &str) -> PyResult<String> {
    Ok(device(name)?.to_string())
}

/// How many CUDA devices this machine has (0 without a driver).
#[pyfunction]
fn cuda_device_count() -> usize {
    kiln::cuda_device_count()
}

/// `x` on device `name` (evaluated on its own device first unless it is a generated array).
#[pyfunction]
fn to_device(py: Python<'_>, x: &Bound<'_, RawArray>, name: &str) -> PyResult<RawArray> {
    let d = device(name)?;
    let a = x.get().0.clone();
    run(py, move || a.to_device(d)).map(RawArray)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check_device, m)?)?;
    m.add_function(wrap_pyfunction!(cuda_device_count, m)?)?;
    m.add_function(wrap_pyfunction!(to_device, m)?)?;
    Ok(())
}
