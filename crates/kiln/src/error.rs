//! The facade's error type: one enum wrapping every stage's errors.
//!
//! Invariant: every failure a user can cause reaches them as a `KilnError` whose `python_kind`
//! names the exception the Array API / NumPy user expects; nothing panics across the API.

use kiln_ir::{IrError, PythonKind};

#[derive(Debug, thiserror::Error)]
pub enum KilnError {
    /// The call was invalid (shapes, axes, dtypes, arguments).
    #[error(transparent)]
    Invalid(#[from] IrError),
    #[error("optimiser: {0}")]
    Opt(#[from] kiln_opt::OptError),
    #[error("scheduler: {0}")]
    Sched(#[from] kiln_sched::SchedError),
    #[error("cpu backend: {0}")]
    Cpu(#[from] kiln_cpu::CpuError),
    #[error("cuda backend: {0}")]
    Cuda(#[from] kiln_cuda::CudaError),
    #[error("reference interpreter: {0}")]
    Interp(#[from] kiln_interp::InterpError),
}

pub type Result<T> = std::result::Result<T, KilnError>;

impl KilnError {
    /// The Python exception class this error should surface as.
    pub fn python_kind(&self) -> PythonKind {
        match self {
            KilnError::Invalid(e)
            | KilnError::Cpu(kiln_cpu::CpuError::Ir(e))
            | KilnError::Interp(kiln_interp::InterpError::Ir(e)) => e.python_kind(),
            KilnError::Opt(e) => e.python_kind(),
            KilnError::Sched(e) => e.python_kind(),
            _ => PythonKind::RuntimeError,
        }
    }
}

/// Shorthand for an invalid-argument error.
pub(crate) fn invalid(msg: impl Into<String>) -> KilnError {
    KilnError::Invalid(IrError::InvalidArgument(msg.into()))
}
