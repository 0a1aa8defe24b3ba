//! NVRTC: CUDA C -> PTX (virtual architecture) or CUBIN (real architecture), through cudarc's
//! dynamically loaded bindings.
//!
//! Invariant: no NVRTC function is called before `nvrtc_available` has found the library (cudarc
//! panics when a dynamically loaded library is missing), so a machine without NVRTC gets
//! `CudaError::NoNvrtc`. Every compile uses exactly `compile_options(arch)`: `--fmad=false` (no
//! contraction of `a*b+c`, as in the reference interpreter), precise division and square root,
//! no flush-to-zero. The code cache keys on that same list, so a change to it is a new key.

use crate::arch::{ArchKind, CudaArch};
use crate::artifact::Artifact;
use crate::codegen::CudaSource;
use crate::error::CudaError;
use cudarc::nvrtc::{result, sys};
use std::ffi::{CString, c_char};
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

fn require_nvrtc() -> Result<(), CudaError> {
    if nvrtc_available() {
        Ok(())
    } else {
        Err(CudaError::NoNvrtc(
            "libnvrtc could not be loaded (install the CUDA toolkit or the \
             nvidia-cuda-nvrtc wheel and put its lib directory on LD_LIBRARY_PATH)"
                .into(),
        ))
    }
}

/// NVRTC's version, `(major, minor)` (e.g. `(13, 0)`).
pub fn nvrtc_version() -> Result<(i32, i32), CudaError> {
    require_nvrtc()?;
    let (mut major, mut minor) = (0, 0);
    // SAFETY: NVRTC is loaded (checked above); `nvrtcVersion` writes two ints through valid
    // pointers to locals.
    unsafe { sys::nvrtcVersion(&mut major, &mut minor) }
        .result()
        .map_err(|e| CudaError::Call(format!("nvrtcVersion: {e:?}")))?;
    Ok((major, minor))
}

/// The compute capabilities (as `90`, `100`, ...) this NVRTC can compile for.
pub fn supported_archs() -> Result<Vec<u32>, CudaError> {
    require_nvrtc()?;
    let call = |what: &str, e: result::NvrtcError| CudaError::Call(format!("{what}: {e:?}"));
    let mut n: std::ffi::c_int = 0;
    // SAFETY: NVRTC is loaded; the call writes one int.
    unsafe { sys::nvrtcGetNumSupportedArchs(&mut n) }
        .result()
        .map_err(|e| call("nvrtcGetNumSupportedArchs", e))?;
    let mut archs = vec![0; usize::try_from(n).unwrap_or(0)];
    if !archs.is_empty() {
        // SAFETY: `archs` has room for the `n` ints NVRTC said it would write.
        unsafe { sys::nvrtcGetSupportedArchs(archs.as_mut_ptr()) }
            .result()
            .map_err(|e| call("nvrtcGetSupportedArchs", e))?;
    }
    Ok(archs
        .into_iter()
        .filter_map(|a| u32::try_from(a).ok())
        .collect())
}

/// The options of every compile for `arch`.
pub fn compile_options(arch: CudaArch) -> Vec<String> {
    vec![
        format!("--gpu-architecture={arch}"),
        "--ftz=false".into(),
        "--prec-sqrt=true".into(),
        "--prec-div=true".into(),
        "--fmad=false".into(),
        "--std=c++17".into(),
    ]
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
    arch: &str,
) -> Result<CompiledPtx, CudaError> {
    let arch = CudaArch::parse(arch)?.as_virtual();
    let start = Instant::now();
    let artifact = compile_artifact(kernel_name, source, arch)?;
    Ok(CompiledPtx {
        ptx: artifact.to_cudarc(),
        compile_time: start.elapsed(),
    })
}

/// Destroys an NVRTC program when dropped (on every path out of `compile_artifact`).
struct Program(sys::nvrtcProgram);

impl Drop for Program {
    fn drop(&mut self) {
        // SAFETY: the program was created by `create_program` and is destroyed only here.
        // A failure to free it leaks a little memory and is not worth a panic.
        let _ = unsafe { result::destroy_program(self.0) };
    }
}

fn c_chars_to_string(chars: &[c_char]) -> String {
    let bytes: Vec<u8> = chars
        .iter()
        .map(|&c| c as u8)
        .take_while(|&b| b != 0)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Compiles one generated translation unit for `arch`: PTX for `compute_XY`, a CUBIN for
/// `sm_XY`. A rejected kernel is `CudaError::Compile` with NVRTC's log and the source.
pub fn compile_artifact(
    kernel_name: &str,
    source: &CudaSource,
    arch: CudaArch,
) -> Result<Artifact, CudaError> {
    require_nvrtc()?;
    let call = |what: &str, e: result::NvrtcError| CudaError::Call(format!("{what}: {e:?}"));
    let compile_error = |log: String| CudaError::Compile {
        kernel: kernel_name.to_string(),
        log,
        source_text: source.text.clone(),
    };
    let src = CString::new(source.text.as_str())
        .map_err(|_| compile_error("the generated source contains a NUL byte".into()))?;
    let name = CString::new(format!("{kernel_name}.cu"))
        .map_err(|_| compile_error("the kernel name contains a NUL byte".into()))?;
    // `src` and `name` outlive `prog` (declared before it, so dropped after it).
    let prog = Program(
        result::create_program(&src, Some(&name)).map_err(|e| call("nvrtcCreateProgram", e))?,
    );
    let options = compile_options(arch);
    // SAFETY: `prog.0` is a live program (destroyed only when `prog` drops); the options are
    // NUL-free strings built above.
    if let Err(e) = unsafe { result::compile_program(prog.0, &options) } {
        // SAFETY: as above.
        let log = unsafe { result::get_program_log(prog.0) }
            .map(|l| c_chars_to_string(&l))
            .unwrap_or_else(|_| format!("{e:?} (no log)"));
        return Err(compile_error(log));
    }
    match arch.kind {
        ArchKind::Virtual => {
            // SAFETY: `prog.0` is live and compiled.
            let ptx = unsafe { result::get_ptx(prog.0) }.map_err(|e| call("nvrtcGetPTX", e))?;
            Ok(Artifact::Ptx(c_chars_to_string(&ptx)))
        }
        ArchKind::Real => {
            let mut size = 0usize;
            // SAFETY: `prog.0` is live and compiled for a real architecture; the call writes
            // one usize.
            unsafe { sys::nvrtcGetCUBINSize(prog.0, &mut size) }
                .result()
                .map_err(|e| call("nvrtcGetCUBINSize", e))?;
            let mut cubin = vec![0u8; size];
            // SAFETY: `cubin` has the `size` bytes NVRTC said it would write.
            unsafe { sys::nvrtcGetCUBIN(prog.0, cubin.as_mut_ptr().cast::<c_char>()) }
                .result()
                .map_err(|e| call("nvrtcGetCUBIN", e))?;
            Ok(Artifact::Cubin(cubin))
        }
    }
}
