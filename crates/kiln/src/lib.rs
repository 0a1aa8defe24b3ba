//! kiln: a lazy array compiler.
//!
//! Array API calls on [`Array`] build a lazy expression graph; [`eval`] (or any read-back)
//! optimises the reachable graph with equality saturation (egg), fuses it into kernels,
//! compiles them to machine code with cranelift and runs them on all cores.
//!
//! ```
//! use kiln::{Array, DType};
//! let x = kiln::linspace(0.0, 1.0, 5, true, Some(DType::F32))?;
//! let y = kiln::log(&(kiln::sin(&x)? + 5.0)?)?;
//! let values = y.to_vec::<f32>()?;
//! assert!((values[0] - 5f32.ln()).abs() < 1e-6);
//! # Ok::<(), kiln::KilnError>(())
//! ```
//!
//! Module map: `graph` (lazy nodes), `operand` (promotion and broadcasting), `creation`,
//! `elementwise`, `ops` (operators), `manipulation` (views), `reduction`, `linalg` (the public
//! `linalg` extension: products here, factorisations in `decompositions`, norms and derived
//! functions in `norms`), `readback`, the public `fft` extension,
//! and `pipeline` (the one function where the stage order is written).

mod cache;
mod creation;
mod cuda_exec;
mod decompositions;
mod device;
mod elementwise;
mod error;
pub mod fft;
mod fft_fold;
mod graph;
mod indexing;
mod join;
pub mod linalg;
mod manipulation;
mod nonzero;
mod norms;
mod operand;
mod ops;
mod pipeline;
mod plan_cache;
mod plan_class;
mod plan_store;
mod readback;
mod reduction;
mod sorting;

pub use cache::{CacheStats, TargetInfo, cache_stats, target_info};
pub use creation::{
    arange, empty, empty_like, eye, full, full_like, linspace, ones, ones_like, zeros, zeros_like,
};
pub use cuda_exec::{cuda_library_steps, cuda_transfers};
pub use device::{Device, cuda_device_count};
pub use elementwise::*;
pub use error::{KilnError, Result};
pub use graph::Array;
pub use indexing::Index;
pub use join::{concat, stack};
pub use kiln_cuda::{CudaError, DeviceMemory, LibrarySteps, Resident};
pub use linalg::{matmul, tensordot, tensordot_axes, vecdot};
pub use manipulation::Idx;
pub use operand::{Operand, ScalarArg};
pub use pipeline::{
    Config, Explain, PlanCacheStats, backend_stats, config, eval, explain, last_eval_timings,
    plan_cache_stats, program_of, reference, run_program, run_program_on, set_config,
};
pub use sorting::{Side, Unique, searchsorted};

pub use kiln_ir::{C64, C128, DType, Element, PythonKind, Realized, Scalar};
