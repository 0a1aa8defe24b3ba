//! Scheduling knobs and the cost model behind the recompute-versus-materialise decision.
//!
//! Policy (why): kiln's kernels are memory-bound except for transcendentals. Materialising an
//! elementwise node `y` that several kernels consume costs one write of `y` plus one read per
//! consuming kernel; recomputing `y` inside each consumer costs re-reading `y`'s own inputs (which
//! are already buffers, and often already read by that consumer anyway) plus its arithmetic.
//! So we recompute when `y`'s expression reads at most `recompute_max_loads` buffers and its
//! arithmetic weight is at most `recompute_max_weight` (one transcendental plus a few cheap ops:
//! softmax's `exp(x - max)` is recomputed, so each of its kernels reads `x` once and nothing of
//! the size of `x` is written but the result). Heavier or wider expressions are materialised once
//! and stored by the kernel that computes them (a kernel may store several values).
//!
//! A broadcast multiplies work: an expression feeding an expanding broadcast is evaluated once per
//! element of the *broadcast* result when fused. We materialise it at its own (small) size when it
//! weighs at least `broadcast_materialise_weight`, or when it reads a reduction result at the same
//! point (then it lands in that reduction's epilogue, e.g. `mean = sum(x) / n`, at no extra kernel).
//! Invariant: these knobs change only performance, never results.

use kiln_ir::{BinaryOp, Op, UnaryOp};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedConfig {
    /// Most buffers a recomputed (not materialised) multi-consumer expression may read.
    pub recompute_max_loads: usize,
    /// Most arithmetic weight (see `op_weight`) a recomputed multi-consumer expression may have.
    pub recompute_max_weight: u32,
    /// Weight from which an expression feeding an expanding broadcast is materialised first.
    pub broadcast_materialise_weight: u32,
    /// Fuse elementwise consumers of a reduction into its epilogue.
    pub fuse_epilogues: bool,
}

impl Default for SchedConfig {
    fn default() -> SchedConfig {
        SchedConfig {
            recompute_max_loads: 2,
            recompute_max_weight: 16,
            broadcast_materialise_weight: 8,
            fuse_epilogues: true,
        }
    }
}

/// Longest chain of operations fused into one kernel expression. A deeper chain (a loop that
/// builds `x = x + 1` ten thousand times) is cut by materialising every `MAX_FUSED_DEPTH`-th
/// node, which bounds the lowering's recursion depth and the size of one kernel; the extra
/// memory pass per cut is negligible next to that many fused operations.
pub const MAX_FUSED_DEPTH: usize = 128;

/// Relative cost of evaluating one element of an op: cheap arithmetic 1, division-like 4,
/// transcendental 8 (measured ratios on this project's CPUs are roughly 1 : 3-5 : 6-15).
pub fn op_weight(op: &Op) -> u32 {
    use UnaryOp as U;
    match op {
        Op::Unary(u) => match u {
            U::Sqrt => 4,
            _ if u.needs_float() => 8,
            _ => 1,
        },
        Op::Binary(b) => match b {
            BinaryOp::Div | BinaryOp::FloorDiv | BinaryOp::Rem => 4,
            BinaryOp::Pow
            | BinaryOp::Atan2
            | BinaryOp::Hypot
            | BinaryOp::LogAddExp
            | BinaryOp::Nextafter => 8,
            _ => 1,
        },
        Op::Where | Op::Cast(_) | Op::Arange { .. } | Op::Eye { .. } => 1,
        _ => 0,
    }
}
