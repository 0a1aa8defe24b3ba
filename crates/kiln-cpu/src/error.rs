//! The CPU backend's error type.
//!
//! Invariant: every failure of compiling or running a kernel is one of these variants; an
//! `Internal` or `Codegen` error always means a bug in kiln, never bad user input.

use kiln_ir::{DType, IrError};

#[derive(Debug, thiserror::Error)]
pub enum CpuError {
    /// The schedule or kernel does not pass kiln-ir's verifier.
    #[error(transparent)]
    Ir(#[from] IrError),
    /// Cranelift rejected the generated function (a bug in this crate's code generator).
    #[error("cranelift code generation failed for kernel {kernel}: {detail}")]
    Codegen { kernel: String, detail: String },
    /// The JIT module could not be created or finalised.
    #[error("JIT module error: {0}")]
    Module(String),
    /// Machine code (freshly compiled or read from a cache) that cannot be loaded: malformed,
    /// or referring to an unknown symbol. A cache treats it as a miss.
    #[error("machine code cannot be loaded: {0}")]
    BadObjCode(String),
    /// Machine code calls a cranelift libcall that kiln deliberately does not provide (see
    /// `libcalls.rs`); it is not loaded.
    #[error(
        "machine code calls cranelift libcall {libcall}, which kiln does not provide: {reason}"
    )]
    UnsupportedLibcall {
        libcall: String,
        reason: &'static str,
    },
    /// Strict cache mode (`KILN_CACHE_STRICT=1`): a kernel was in neither the memory nor the
    /// disk cache, and compiling at run time is forbidden.
    #[error("strict cache mode: kernel {kernel} (key {key}) is not in the cache at {dir}")]
    StrictMiss {
        kernel: String,
        key: String,
        dir: String,
    },
    /// A construct the CPU backend does not implement.
    #[error("the CPU backend does not support {0}")]
    Unsupported(String),
    /// A library step received a dtype it cannot serve.
    #[error("{op} does not support dtype {dtype} on the CPU backend")]
    UnsupportedDType { op: &'static str, dtype: DType },
    /// The rayon thread pool could not be built.
    #[error("thread pool: {0}")]
    ThreadPool(String),
    /// An internal invariant was violated (a bug in kiln).
    #[error("internal error in the CPU backend: {0}")]
    Internal(String),
}
