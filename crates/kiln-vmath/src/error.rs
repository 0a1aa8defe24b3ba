//! The crate's error type: every way a request to `emit` can be malformed.
//!
//! Invariant: an `Err` is returned before any instruction is inserted, so a failed `emit` leaves
//! the caller's function untouched and the caller can fall back to a libm call.

use cranelift_codegen::ir::Type;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VmathError {
    #[error("{f} is not supported for cranelift type {ty} (see kiln_vmath::supports)")]
    Unsupported { f: &'static str, ty: Type },
    #[error("{f} takes {expected} arguments, got {got}")]
    Arity {
        f: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("{f}: argument {index} has type {got}, expected {expected}")]
    ArgType {
        f: &'static str,
        index: usize,
        expected: Type,
        got: Type,
    },
}
