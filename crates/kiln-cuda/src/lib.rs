//! kiln-cuda: the CUDA backend's GPU-free half and its device discovery.
//!
//! - [`codegen`]: kernel IR -> CUDA C text (shape-generic, self-contained with the helpers of
//!   `kernels/*.cuh`);
//! - [`nvrtc`]: CUDA C -> PTX through NVRTC (dynamically loaded);
//! - [`device`]: driver and device discovery that returns `CudaError::NoDevice` instead of
//!   panicking when CUDA is absent.
//!
//! Invariant: this crate builds, tests and runs with no CUDA installed; it depends on the kernel
//! IR only (never on the array graph or the CPU backend). Executing kernels on a device (memory,
//! streams, launches) is not implemented yet.

pub mod codegen;
pub mod device;
mod error;
pub mod nvrtc;

pub use codegen::{CudaSource, generate, generate_split, geometry_words, grid_blocks};
pub use device::{DeviceInfo, device_count, discover, driver_available};
pub use error::CudaError;
pub use nvrtc::{CompiledPtx, DEFAULT_ARCH, compile, nvrtc_available};
