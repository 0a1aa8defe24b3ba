//! Devices an array can live on.
//!
//! Invariant: an operation's operands share one device; the CPU is always available. A CUDA
//! device is only handed out by `Device::cuda`, which checks that the driver and the device exist
//! and otherwise returns `KilnError::Cuda(NoDevice)` (never a panic, even without libcuda).

use crate::error::Result;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    #[default]
    Cpu,
    /// CUDA device with this ordinal. Code generation and NVRTC compilation exist
    /// (`kiln-cuda`); executing on the device does not yet.
    Cuda(usize),
}

impl Device {
    /// CUDA device `ordinal`, if this machine has one: a typed "no CUDA device available" error
    /// otherwise (missing driver library, failed initialisation, or too few devices).
    pub fn cuda(ordinal: usize) -> Result<Device> {
        kiln_cuda::discover(ordinal)?;
        Ok(Device::Cuda(ordinal))
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KilnError;

    #[test]
    fn asking_for_a_missing_cuda_device_is_a_typed_error() {
        // No machine has this many devices; with no driver at all the error says so too.
        match Device::cuda(usize::MAX) {
            Err(KilnError::Cuda(kiln_cuda::CudaError::NoDevice(msg))) => assert!(!msg.is_empty()),
            other => panic!("expected NoDevice, got {other:?}"),
        }
        let zero = Device::cuda(0);
        if !kiln_cuda::driver_available() {
            let err = zero.expect_err("no driver, so no device");
            assert!(
                err.to_string().contains("no CUDA device available"),
                "{err}"
            );
            assert_eq!(err.python_kind(), kiln_ir::PythonKind::RuntimeError);
        } else if let Ok(d) = zero {
            assert_eq!(d, Device::Cuda(0));
            assert_eq!(d.to_string(), "cuda:0");
        }
    }
}
