//! The interpreter's error type.
//!
//! Invariant: every failure reachable from user input (a malformed program, kernel, binding or
//! schedule) is one of these variants; the interpreter never panics on bad input.

use kiln_ir::{DType, IrError};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InterpError {
    /// The IR itself is invalid (verification failed) or an IR helper rejected a value.
    #[error(transparent)]
    Ir(#[from] IrError),
    #[error("{op} does not accept dtype {dtype}")]
    UnsupportedDType { op: String, dtype: DType },
    #[error("{op} needs operands of one dtype, got {a} and {b}")]
    DTypeMismatch { op: String, a: DType, b: DType },
    #[error("{op} of an empty sequence has no identity")]
    EmptyReduction { op: String },
    /// Buffers bound to a kernel or library step do not match what it declares.
    #[error("bad binding: {0}")]
    Binding(String),
    /// Valid IR whose meaning the reference does not define (documented where it is raised).
    #[error("unsupported: {0}")]
    Unsupported(String),
}
