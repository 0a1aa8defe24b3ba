//! CUDA device discovery through the driver API (cudarc, dynamically loaded).
//!
//! Invariant: never panics when CUDA is absent. `driver_available` checks that libcuda can be
//! loaded before any driver call (cudarc panics on a missing library), and every later failure
//! (init, no device, bad ordinal) is `CudaError::NoDevice` with the reason. A device found once
//! is remembered for the process (availability checks sit on hot API paths such as
//! `to_device`); a failure is not, so a later call asks the driver again.

use crate::error::CudaError;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Whether libcuda (the driver) can be loaded (checked once per process).
pub fn driver_available() -> bool {
    static PRESENT: OnceLock<bool> = OnceLock::new();
    // SAFETY: `is_culib_present` only tries `dlopen` on the driver's library names.
    *PRESENT.get_or_init(|| unsafe { cudarc::driver::sys::is_culib_present() })
}

/// What kiln needs to know about a device before compiling for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    pub ordinal: usize,
    pub name: String,
    /// (major, minor), e.g. (9, 0) for an H100/H200.
    pub compute_capability: (i32, i32),
}

impl DeviceInfo {
    /// The NVRTC architecture option for this device (`compute_90`).
    pub fn arch(&self) -> String {
        format!(
            "compute_{}{}",
            self.compute_capability.0, self.compute_capability.1
        )
    }
}

fn no_device(msg: impl Into<String>) -> CudaError {
    CudaError::NoDevice(msg.into())
}

/// Number of CUDA devices; an error says why there are none usable.
pub fn device_count() -> Result<usize, CudaError> {
    if !driver_available() {
        return Err(no_device(
            "the CUDA driver library (libcuda) could not be loaded on this machine",
        ));
    }
    cudarc::driver::result::init().map_err(|e| no_device(format!("cuInit failed: {e:?}")))?;
    let n = cudarc::driver::CudaContext::device_count()
        .map_err(|e| no_device(format!("cuDeviceGetCount failed: {e:?}")))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Looks up device `ordinal`: a typed error when the driver or the device is missing.
pub fn discover(ordinal: usize) -> Result<DeviceInfo, CudaError> {
    static FOUND: OnceLock<Mutex<HashMap<usize, DeviceInfo>>> = OnceLock::new();
    let found = FOUND.get_or_init(Default::default);
    if let Some(info) = found
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&ordinal)
    {
        return Ok(info.clone());
    }
    let info = query(ordinal)?;
    found
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(ordinal, info.clone());
    Ok(info)
}

/// `discover` without the memory: asks the driver.
fn query(ordinal: usize) -> Result<DeviceInfo, CudaError> {
    let count = device_count()?;
    if ordinal >= count {
        return Err(no_device(format!(
            "CUDA device {ordinal} requested, but {count} device(s) are present"
        )));
    }
    let ctx = cudarc::driver::CudaContext::new(ordinal).map_err(|e| {
        no_device(format!(
            "cannot create a context on device {ordinal}: {e:?}"
        ))
    })?;
    let name = ctx
        .name()
        .map_err(|e| CudaError::Call(format!("cuDeviceGetName: {e:?}")))?;
    let compute_capability = ctx
        .compute_capability()
        .map_err(|e| CudaError::Call(format!("compute capability: {e:?}")))?;
    Ok(DeviceInfo {
        ordinal,
        name,
        compute_capability,
    })
}
