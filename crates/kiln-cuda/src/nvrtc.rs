//! NVRTC: CUDA C -> PTX for a compute capability, through cudarc with dynamic loading.
//!
//! Invariant: no NVRTC function is called before `nvrtc_available` has found the library (cudarc
//! panics when a dynamically loaded library is missing), so a machine without NVRTC gets
//! `CudaError::NoNvrtc`. Kernels compile with `--fmad=false` (no contraction of `a*b+c`, as in
//! the reference interpreter), precise division and square root, and no flush-to-zero.

use crate::codegen::CudaSource;
use crate::error::CudaError;
use cudarc::nvrtc::{CompileError, CompileOptions};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The architecture CI checks against (H100/H200).
pub const DEFAULT_ARCH: &str = "compute_90";

/// Whether libnvrtc can be loaded (checked once per process).
pub fn nvrtc_available() -> bool {
    static PRESENT: OnceLock<bool> = OnceLock::new();
    // SAFETY: `is_culib_present` only tries `dlopen` on NVRTC's library names and drops what it
    // opened; loading NVRTC runs no initialiser with preconditions on our side.
    *PRESENT.get_or_init(|| unsafe { cudarc::nvrtc::sys::is_culib_present() })
}

/// A compiled module and how long NVRTC took.
#[derive(Clone, Debug)]
pub struct CompiledPtx {
    pub ptx: cudarc::nvrtc::Ptx,
    pub compile_time: Duration,
}

/// Compiles one generated translation unit to PTX for `arch` (e.g. `compute_90`).
pub fn compile(
    kernel_name: &str,
    source: &CudaSource,
    arch: &'static str,
) -> Result<CompiledPtx, CudaError> {
    if !nvrtc_available() {
        return Err(CudaError::NoNvrtc(
            "libnvrtc could not be loaded (install the CUDA toolkit or the \
             nvidia-cuda-nvrtc wheel and put its lib directory on LD_LIBRARY_PATH)"
                .into(),
        ));
    }
    let opts = CompileOptions {
        ftz: Some(false),
        prec_sqrt: Some(true),
        prec_div: Some(true),
        fmad: Some(false),
        arch: Some(arch),
        name: Some(format!("{kernel_name}.cu")),
        options: vec!["--std=c++17".into()],
        ..Default::default()
    };
    let start = Instant::now();
    let ptx = cudarc::nvrtc::compile_ptx_with_opts(&source.text, opts).map_err(|e| match e {
        CompileError::CompileError { log, .. } => CudaError::Compile {
            kernel: kernel_name.to_string(),
            log: log.to_string_lossy().into_owned(),
            source_text: source.text.clone(),
        },
        other => CudaError::Call(format!("NVRTC: {other:?}")),
    })?;
    Ok(CompiledPtx {
        ptx,
        compile_time: start.elapsed(),
    })
}
