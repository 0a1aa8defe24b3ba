//! kiln's reference interpreter: the oracle every differential test compares against.
//!
//! - [`scalar_ops`]: the reference semantics of every elementwise op and reduction on typed scalars;
//! - [`run_program`]: evaluates a graph program node by node, one element at a time;
//! - [`run_kernel`] / [`run_schedule`]: interpret kernel IR point by point and whole schedules;
//! - [`compare`]: tolerances and `assert_close` for comparing a backend with the oracle;
//! - [`testgen`]: proptest strategies for random arrays and random verified programs.
//!
//! Architecture invariant: nothing here is fast, and nothing here depends on another backend.
//! Semantics are written once (in `scalar_ops`) and shared by the graph and kernel interpreters,
//! so a disagreement between them is a bug in the schedule, never in the oracle.

pub mod compare;
mod dense;
mod eig;
mod error;
mod fft;
mod kernel_exec;
mod libops;
mod library;
mod linalg;
mod program_exec;
pub mod scalar_ops;
mod schedule_exec;
pub mod testgen;

pub use error::InterpError;
pub use kernel_exec::{KernelBuffer, run_kernel};
pub use program_exec::run_program;
pub use schedule_exec::run_schedule;
