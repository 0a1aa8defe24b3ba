//! The optimiser's error type.
//!
//! Invariant: `InvalidProgram` and `InvalidExpr` blame the caller's input; `Unsound` and
//! `Internal` always mean a bug in this crate (a rule that merged classes of different types or
//! values, or a conversion that lost a node), reported instead of panicking.

use kiln_ir::{IrError, PythonKind};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptError {
    #[error("the program to optimise is invalid: {0}")]
    InvalidProgram(#[from] IrError),
    #[error("the expression to optimise is invalid: {0}")]
    InvalidExpr(String),
    #[error("optimiser bug: a rewrite is unsound: {0}")]
    Unsound(String),
    #[error("optimiser bug: {0}")]
    Internal(String),
}

impl OptError {
    /// The Python exception a user should see.
    pub fn python_kind(&self) -> PythonKind {
        match self {
            OptError::InvalidProgram(e) => e.python_kind(),
            OptError::InvalidExpr(_) => PythonKind::ValueError,
            OptError::Unsound(_) | OptError::Internal(_) => PythonKind::RuntimeError,
        }
    }
}
