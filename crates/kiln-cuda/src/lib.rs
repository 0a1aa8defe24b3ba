//! kiln-cuda: the CUDA backend's GPU-free half and its device discovery.
//!
//! - [`codegen`]: kernel IR -> CUDA C text (shape-generic, self-contained with the helpers of
//!   `kernels/*.cuh`);
//! - [`nvrtc`]: CUDA C -> PTX or CUBIN through NVRTC (dynamically loaded), for an
//!   [`arch::CudaArch`]; [`artifact`]: the compiled module and its cache encoding;
//! - [`codestore`]: memory -> disk cache -> NVRTC, keyed by NVRTC version, architecture,
//!   options and generated source (strict mode, recording for bundles);
//! - [`device`]: driver and device discovery that returns `CudaError::NoDevice` instead of
//!   panicking when CUDA is absent;
//! - [`runtime`]: a first executor of schedules (unrun: written without a GPU); [`library`]:
//!   its matrix products through cuBLAS and FFTs through cuFFT; [`foreign`]: device memory
//!   another library owns (DLPack imports), bound in place.
//!
//! Invariant: this crate builds, tests and runs with no CUDA installed; it depends on the kernel
//! IR only (never on the array graph or the CPU backend).

pub mod arch;
pub mod artifact;
pub mod codegen;
pub mod codestore;
pub mod device;
mod error;
pub mod foreign;
pub mod library;
pub mod memory;
pub mod nvrtc;
pub mod runtime;

pub use arch::{ArchKind, CudaArch};
pub use artifact::Artifact;
pub use codegen::{CudaSource, generate, generate_split, geometry_words, grid_blocks};
pub use codestore::{CudaCodeStore, CudaStoreStats, Form, Source};
pub use device::{DeviceInfo, device_count, discover, driver_available};
pub use error::CudaError;
pub use foreign::ForeignMemory;
pub use library::LibrarySteps;
pub use memory::{DeviceBuffer, DeviceMemory, Resident, Transfers};
pub use nvrtc::{
    CompiledPtx, DEFAULT_ARCH, compile, compile_artifact, nvrtc_available, nvrtc_version,
};
pub use runtime::{CudaRuntime, HostError};
