//! Library steps served on the device by NVIDIA's libraries: matrix products by cuBLAS, FFTs by
//! cuFFT, reading their operands where they lie and writing the step's temporary.
//!
//! - [`batch`]: batch dims collapsed into strided groups (the library's batch, a loop of calls);
//! - [`gemm`] and [`fft`]: the pure mapping of a step onto library calls (tested against the
//!   reference interpreter through emulations of the calls, with no GPU);
//! - [`DeviceLibraries`]: the cuBLAS handle and the cached cuFFT plans of one runtime, and the
//!   calls themselves.
//!
//! Invariant: a step with no plan, or whose library cannot be loaded, is not run here (the
//! runtime runs it on the host, so a GPU machine without cuBLAS or cuFFT still gets correct
//! results); every call is enqueued on the runtime's one stream, so it is ordered after the
//! writes of earlier steps and before the reads of later ones.

pub mod batch;
pub mod fft;
pub mod gemm;

use crate::error::CudaError;
use crate::memory::DeviceBuffer;
use cudarc::cublas::CudaBlas;
use cudarc::cublas::sys::{cublasComputeType_t, cublasGemmAlgo_t, cublasOperation_t, cudaDataType};
use cudarc::cufft::{CudaFft, sys as fft_sys};
use cudarc::driver::{CudaStream, DevicePtr};
use fft::{FftPlan, FftType, PlanShape};
use gemm::{GemmPlan, GemmType};
use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Cached cuFFT plans per runtime, at most (each holds its own work area).
const MAX_FFT_PLANS: usize = 64;

/// How many library steps ran where, since a runtime was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LibrarySteps {
    /// Products through cuBLAS.
    pub cublas: u64,
    /// Transforms through cuFFT.
    pub cufft: u64,
    /// Steps run on the host (no plan, no library, or a step no NVIDIA library serves).
    pub host: u64,
}

/// The cuBLAS handle and cuFFT plans of one runtime.
pub(crate) struct DeviceLibraries {
    stream: Arc<CudaStream>,
    /// Created on first use; `None` when libcublas cannot be loaded or initialised.
    blas: OnceLock<Option<Mutex<CudaBlas>>>,
    /// `None` when libcufft cannot be loaded.
    fft_present: OnceLock<bool>,
    plans: Mutex<HashMap<PlanShape, CudaFft>>,
    cublas: AtomicU64,
    cufft: AtomicU64,
    host: AtomicU64,
}

fn blas_error(what: &'static str) -> impl Fn(cudarc::cublas::result::CublasError) -> CudaError {
    move |e| CudaError::Call(format!("{what}: {e:?}"))
}

fn fft_error(what: &'static str) -> impl Fn(cudarc::cufft::result::CufftError) -> CudaError {
    move |e| CudaError::Call(format!("{what}: {e:?}"))
}

impl DeviceLibraries {
    pub(crate) fn new(stream: Arc<CudaStream>) -> DeviceLibraries {
        DeviceLibraries {
            stream,
            blas: OnceLock::new(),
            fft_present: OnceLock::new(),
            plans: Mutex::new(HashMap::new()),
            cublas: AtomicU64::new(0),
            cufft: AtomicU64::new(0),
            host: AtomicU64::new(0),
        }
    }

    pub(crate) fn steps(&self) -> LibrarySteps {
        LibrarySteps {
            cublas: self.cublas.load(Ordering::Relaxed),
            cufft: self.cufft.load(Ordering::Relaxed),
            host: self.host.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn count_host(&self) {
        self.host.fetch_add(1, Ordering::Relaxed);
    }

    fn blas(&self) -> Option<&Mutex<CudaBlas>> {
        self.blas
            .get_or_init(|| {
                // SAFETY: only tries `dlopen` on cuBLAS's library names (cudarc panics on a
                // missing library, so nothing else is called before this says it is there).
                if !unsafe { cudarc::cublas::sys::is_culib_present() } {
                    return None;
                }
                CudaBlas::new(self.stream.clone()).ok().map(Mutex::new)
            })
            .as_ref()
    }

    /// Makes the runtime's context current on this thread (the libraries use the current one).
    fn bind(&self) -> Result<(), CudaError> {
        self.stream
            .context()
            .bind_to_thread()
            .map_err(|e| CudaError::Call(format!("bind context: {e:?}")))
    }

    fn fft_present(&self) -> bool {
        // SAFETY: as for cuBLAS above.
        *self
            .fft_present
            .get_or_init(|| unsafe { cudarc::cufft::sys::is_culib_present() })
    }

    /// Runs `plan` reading cuBLAS's `A` at device address `pa` and `B` at `pb` into the
    /// `c_bytes` bytes at `pc` (the caller keeps the three alive and ordered on this stream).
    /// `Ok(false)` when cuBLAS is not available (nothing was enqueued).
    pub(crate) fn gemm(
        &self,
        plan: &GemmPlan,
        pa: u64,
        pb: u64,
        (pc, c_bytes): (u64, usize),
    ) -> Result<bool, CudaError> {
        let Some(blas) = self.blas() else {
            return Ok(false);
        };
        let blas = blas.lock().unwrap_or_else(|p| p.into_inner());
        let stream = &self.stream;
        self.bind()?;
        // Element size, data type, compute type, and alpha = 1, beta = 0 in the compute type
        // (complex: real part 1).
        let (one32, zero32) = ([1.0f32, 0.0], [0.0f32, 0.0]);
        let (one64, zero64) = ([1.0f64, 0.0], [0.0f64, 0.0]);
        let (size, data, compute, alpha, beta): (_, _, _, *const c_void, *const c_void) =
            match plan.ty {
                GemmType::F32 => (
                    4,
                    cudaDataType::CUDA_R_32F,
                    cublasComputeType_t::CUBLAS_COMPUTE_32F,
                    one32.as_ptr().cast(),
                    zero32.as_ptr().cast(),
                ),
                GemmType::F64 => (
                    8,
                    cudaDataType::CUDA_R_64F,
                    cublasComputeType_t::CUBLAS_COMPUTE_64F,
                    one64.as_ptr().cast(),
                    zero64.as_ptr().cast(),
                ),
                GemmType::C64 => (
                    8,
                    cudaDataType::CUDA_C_32F,
                    cublasComputeType_t::CUBLAS_COMPUTE_32F,
                    one32.as_ptr().cast(),
                    zero32.as_ptr().cast(),
                ),
                GemmType::C128 => (
                    16,
                    cudaDataType::CUDA_C_64F,
                    cublasComputeType_t::CUBLAS_COMPUTE_64F,
                    one64.as_ptr().cast(),
                    zero64.as_ptr().cast(),
                ),
            };
        if plan.k == 0 {
            // An empty sum: zeros, without asking cuBLAS what `beta = 0` does to garbage.
            // SAFETY: the caller guarantees `c_bytes` bytes at `pc` on this stream's device.
            unsafe { cudarc::driver::result::memset_d8_async(pc, 0, c_bytes, stream.cu_stream()) }
                .map_err(|e| CudaError::Call(format!("zero fill: {e:?}")))?;
            self.cublas.fetch_add(1, Ordering::Relaxed);
            return Ok(true);
        }
        let op = |t: bool| {
            if t {
                cublasOperation_t::CUBLAS_OP_T
            } else {
                cublasOperation_t::CUBLAS_OP_N
            }
        };
        let at = |base: u64, offset: usize| base + (offset * size) as u64;
        for call in &plan.calls {
            // SAFETY: the plan addresses only elements of the operands' views (module invariant
            // of `gemm`), which the verified schedule keeps inside the buffers at `pa` and `pb`,
            // and writes the `batch * m * n` elements of the output at `pc`; alpha and beta are host scalars
            // of the compute type (the handle's default pointer mode), live for the call.
            unsafe {
                cudarc::cublas::result::gemm_strided_batched_ex(
                    *blas.handle(),
                    op(plan.a.trans),
                    op(plan.b.trans),
                    plan.m,
                    plan.n,
                    plan.k,
                    alpha,
                    at(pa, call[0]) as *const c_void,
                    data,
                    plan.a.ld,
                    plan.strides[0],
                    at(pb, call[1]) as *const c_void,
                    data,
                    plan.b.ld,
                    plan.strides[1],
                    beta,
                    at(pc, call[2]) as *mut c_void,
                    data,
                    plan.ldc,
                    plan.strides[2],
                    plan.batch,
                    compute,
                    cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
                )
            }
            .map_err(blas_error("cublasGemmStridedBatchedEx"))?;
        }
        self.cublas.fetch_add(1, Ordering::Relaxed);
        Ok(true)
    }

    /// Runs `plan` from the `in_bytes` bytes at device address `pin` into `pout` (through
    /// `scratch`, a buffer of `in_bytes` bytes, when the plan clobbers its input); the caller
    /// keeps them alive and ordered on this stream. `Ok(false)` when cuFFT is not available.
    pub(crate) fn fft(
        &self,
        plan: &FftPlan,
        (pin, in_bytes): (u64, usize),
        pout: u64,
        scratch: Option<&DeviceBuffer>,
    ) -> Result<bool, CudaError> {
        if !self.fft_present() {
            return Ok(false);
        }
        let stream = &self.stream;
        self.bind()?;
        let mut pin = pin;
        let mut scratch_guard = None;
        if plan.clobbers_input {
            let scratch = scratch.ok_or_else(|| {
                CudaError::Unsupported("a complex-to-real FFT needs a scratch copy".into())
            })?;
            let (ps, guard) = scratch.slice().device_ptr(stream);
            // SAFETY: the input and the scratch buffer hold `in_bytes` bytes on this stream's
            // device.
            unsafe {
                cudarc::driver::result::memcpy_dtod_async(ps, pin, in_bytes, stream.cu_stream())
            }
            .map_err(|e| CudaError::Call(format!("copy FFT input: {e:?}")))?;
            pin = ps;
            scratch_guard = Some(guard);
        }
        let shape = plan.shape;
        let mut plans = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        if !plans.contains_key(&shape) {
            if plans.len() >= MAX_FFT_PLANS {
                plans.clear();
            }
            let ty = match shape.ty {
                FftType::C2c => fft_sys::cufftType::CUFFT_C2C,
                FftType::R2c => fft_sys::cufftType::CUFFT_R2C,
                FftType::C2r => fft_sys::cufftType::CUFFT_C2R,
                FftType::Z2z => fft_sys::cufftType::CUFFT_Z2Z,
                FftType::D2z => fft_sys::cufftType::CUFFT_D2Z,
                FftType::Z2d => fft_sys::cufftType::CUFFT_Z2D,
            };
            // Advanced layout (non-null embeds); for a rank-1 plan only the strides and
            // distances address elements.
            let made = CudaFft::plan_many(
                &[shape.n],
                Some(&[shape.n]),
                shape.istride,
                shape.idist,
                Some(&[shape.n]),
                shape.ostride,
                shape.odist,
                ty,
                shape.batch,
                stream.clone(),
            )
            .map_err(fft_error("cufftPlanMany"))?;
            plans.insert(shape, made);
        }
        let handle = plans
            .get(&shape)
            .map(CudaFft::handle)
            .ok_or_else(|| CudaError::Unsupported("cuFFT plan cache".into()))?;
        let (in_size, out_size) = match shape.ty {
            FftType::C2c => (8, 8),
            FftType::R2c => (4, 8),
            FftType::C2r => (8, 4),
            FftType::Z2z => (16, 16),
            FftType::D2z => (8, 16),
            FftType::Z2d => (16, 8),
        };
        // CUFFT_FORWARD is -1, CUFFT_INVERSE +1.
        let direction = if plan.inverse { 1 } else { -1 };
        for call in &plan.calls {
            let src = pin + (call[0] * in_size) as u64;
            let dst = pout + (call[1] * out_size) as u64;
            // SAFETY: the plan reads only elements of the operand's view (inside the input, or
            // its copy in `scratch`) and writes elements of the output (module invariant of
            // `fft`);
            // the plan was made on this stream and its types match the pointers' element types.
            let result = unsafe {
                use cudarc::cufft::result as r;
                match shape.ty {
                    FftType::C2c => r::exec_c2c(handle, src as _, dst as _, direction),
                    FftType::Z2z => r::exec_z2z(handle, src as _, dst as _, direction),
                    FftType::R2c => r::exec_r2c(handle, src as _, dst as _),
                    FftType::D2z => r::exec_d2z(handle, src as _, dst as _),
                    FftType::C2r => r::exec_c2r(handle, src as _, dst as _),
                    FftType::Z2d => r::exec_z2d(handle, src as _, dst as _),
                }
            };
            result.map_err(fft_error("cufftExec"))?;
        }
        drop(scratch_guard);
        self.cufft.fetch_add(1, Ordering::Relaxed);
        Ok(true)
    }
}
