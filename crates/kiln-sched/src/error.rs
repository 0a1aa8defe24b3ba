//! The scheduler's error type.
//!
//! Invariant: `Program` means the caller passed a program that does not verify (a user-facing
//! error already described by `IrError`); every other variant is a scheduler bug and maps to a
//! Python `RuntimeError`.

use kiln_ir::{IrError, NodeId, PythonKind};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchedError {
    #[error("cannot schedule an invalid program: {0}")]
    Program(IrError),
    #[error("scheduler produced an invalid schedule (a bug): {0}")]
    Verify(IrError),
    #[error("scheduler invariant violated at node {node} (a bug): {detail}")]
    Internal { node: NodeId, detail: String },
}

impl SchedError {
    pub fn internal(node: NodeId, detail: impl Into<String>) -> SchedError {
        SchedError::Internal {
            node,
            detail: detail.into(),
        }
    }

    /// The Python exception a user expects.
    pub fn python_kind(&self) -> PythonKind {
        match self {
            SchedError::Program(e) => e.python_kind(),
            SchedError::Verify(_) | SchedError::Internal { .. } => PythonKind::RuntimeError,
        }
    }
}
