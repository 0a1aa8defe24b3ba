//! Typed errors of the CUDA backend.
//!
//! Invariant: every failure (no driver, no device, no NVRTC, a compile error, an unsupported
//! kernel) is a value of `CudaError`; nothing in this crate panics on a missing library.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CudaError {
    /// No usable CUDA driver or device: libcuda is missing, fails to initialise, or has no
    /// device with the requested ordinal.
    #[error("no CUDA device available: {0}")]
    NoDevice(String),
    /// libnvrtc could not be loaded, so kernels cannot be compiled.
    #[error("NVRTC is not available: {0}")]
    NoNvrtc(String),
    /// NVRTC rejected a generated kernel: a bug in the code generator. Carries the compiler log
    /// and the source, so the failure can be reproduced.
    #[error(
        "NVRTC failed to compile kernel {kernel}:\n{log}\n--- generated source ---\n{source_text}"
    )]
    Compile {
        kernel: String,
        log: String,
        source_text: String,
    },
    /// An NVRTC or driver call failed.
    #[error("CUDA call failed: {0}")]
    Call(String),
    /// Strict cache mode (`KILN_CACHE_STRICT=1`): a module was in neither the memory nor the
    /// disk cache, and compiling at run time is forbidden.
    #[error("strict cache mode: CUDA kernel {kernel} (key {key}) is not in the cache at {dir}")]
    StrictMiss {
        kernel: String,
        key: String,
        dir: String,
    },
    /// A library step run on the host failed; the error is the host library's own (its caller
    /// recovers its type by downcasting).
    #[error("{0}")]
    Host(Box<dyn std::error::Error + Send + Sync>),
    /// The kernel uses something this backend cannot express.
    #[error("unsupported by the CUDA backend: {0}")]
    Unsupported(String),
}
