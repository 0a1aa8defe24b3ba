//! kiln's intermediate representations, shared by every stage of the pipeline.
//!
//! - [`dtype`], [`scalar`], [`shape`], [`buffer`]: values and the memory they live in;
//! - [`op`], [`libop`], [`fftop`] and [`program`]: the array graph one evaluation computes, with shape/dtype inference;
//! - [`kernel`]: the loop-nest IR that code generators consume;
//! - [`schedule`]: the ordered kernel and library steps that compute a program.
//!
//! Architecture invariant: this crate knows nothing of egg, cranelift, CUDA or Python; every IR
//! has a text form and a verifier.

pub mod buffer;
pub mod dtype;
pub mod error;
pub mod fftop;
pub mod kernel;
pub mod libop;
pub mod linalgop;
pub mod op;
pub mod program;
pub mod scalar;
pub mod schedule;
pub mod shape;

pub use buffer::{Element, ForeignOwner, Realized, Storage};
pub use dtype::{DType, DTypeKind, can_cast, promote};
pub use error::{IrError, PythonKind};
pub use fftop::{FftKind, FftOp};
pub use kernel::{
    Access, InnerStride, Inst, Kernel, LaunchGeometry, Param, ParamLayout, ParamRole, Reduction,
    Store, Value, ValueId,
};
pub use libop::{LibOp, complex_order, float_order, normalise_index, sort_order};
pub use linalgop::{LinalgOp, qr_layout, svd_layout};
pub use op::{BinaryOp, Op, OpClass, ReduceOp, ScanOp, SliceAxis, TypeInfo, UnaryOp, infer};
pub use program::{Node, NodeId, Program};
pub use scalar::{C64, C128, Scalar};
pub use schedule::{BufferDecl, BufferRef, KernelStep, LibraryStep, Operand, Schedule, Step};
pub use shape::{IndexIter, Shape, View, broadcast_shapes};
