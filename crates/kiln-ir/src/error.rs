//! The IR's error type: everything a graph can be wrong about when a node is built.
//!
//! Invariant: each variant names the offending shapes, axes or dtypes, so the message alone tells
//! the user what to fix. Variants map onto Python exceptions (see `IrError::python_kind`).

use crate::dtype::DType;
use crate::shape::Shape;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IrError {
    #[error("shapes {a} and {b} cannot be broadcast together")]
    Broadcast { a: Shape, b: Shape },
    #[error("cannot broadcast shape {from} to {to}")]
    BroadcastTo { from: Shape, to: Shape },
    #[error("cannot reshape array of shape {from} ({from_numel} elements) into shape {to}")]
    Reshape {
        from: Shape,
        from_numel: usize,
        to: Shape,
    },
    #[error("axis {axis} is out of bounds for array of rank {rank}")]
    AxisOutOfBounds { axis: i64, rank: usize },
    #[error("repeated axis {axis} in {what}")]
    RepeatedAxis { axis: usize, what: &'static str },
    #[error("permutation {perm:?} is not a permutation of the {rank} axes")]
    BadPermutation { perm: Vec<usize>, rank: usize },
    #[error("{op} does not support dtype {dtype}")]
    UnsupportedDType { op: String, dtype: DType },
    #[error("{op} needs operands of one dtype, got {a} and {b}")]
    DTypeMismatch { op: String, a: DType, b: DType },
    #[error("{op} needs operands of one shape, got {a} and {b}")]
    ShapeMismatch { op: String, a: Shape, b: Shape },
    #[error("{op} expects {expected} operands, got {got}")]
    Arity {
        op: String,
        expected: usize,
        got: usize,
    },
    #[error("matmul: shapes {a} and {b} are not aligned ({detail})")]
    MatMulShape { a: Shape, b: Shape, detail: String },
    #[error("slice along axis {axis}: {detail}")]
    BadSlice { axis: usize, detail: String },
    #[error("index {index} is out of bounds for axis {axis} with size {size}")]
    IndexOutOfBounds {
        index: i64,
        axis: usize,
        size: usize,
    },
    #[error("{0}")]
    InvalidArgument(String),
    /// A malformed index (too many indices, several ellipses): Python's IndexError.
    #[error("{0}")]
    Index(String),
    #[error("the {what} of an array with {numel} elements cannot be converted: {detail}")]
    Conversion {
        what: &'static str,
        numel: usize,
        detail: String,
    },
    #[error("array too large: {0}")]
    TooLarge(String),
    #[error("IR verification failed: {0}")]
    Verify(String),
}

/// The Python exception class a user expects for an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PythonKind {
    ValueError,
    TypeError,
    IndexError,
    MemoryError,
    RuntimeError,
}

impl IrError {
    pub fn python_kind(&self) -> PythonKind {
        match self {
            IrError::UnsupportedDType { .. } | IrError::DTypeMismatch { .. } => {
                PythonKind::TypeError
            }
            IrError::IndexOutOfBounds { .. } | IrError::Index(_) => PythonKind::IndexError,
            IrError::TooLarge(_) => PythonKind::MemoryError,
            IrError::Verify(_) => PythonKind::RuntimeError,
            IrError::AxisOutOfBounds { .. } => PythonKind::IndexError,
            _ => PythonKind::ValueError,
        }
    }
}
