//! proptest strategies for random arrays and random verified programs, shared by the tests of
//! the optimiser, the scheduler, the backends and the facade.
//!
//! Invariant: every generated program passes `Program::verify` (nodes are only added through
//! `Program::add`, which runs `kiln_ir::infer`) and `run_program` evaluates it without error.
//! Sizes stay small (every node has at most `GenConfig::max_numel` elements) so suites stay fast.

mod program;
mod values;

pub use program::arb_program;
pub use values::{arb_realized, arb_scalar, arb_shape};

use kiln_ir::DType;

/// What random programs may contain.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Largest rank of a generated input (views and matmul may add an axis or two).
    pub max_rank: usize,
    /// Largest extent of a generated axis (and of broadcast targets, arange and eye).
    pub max_dim: usize,
    /// Largest number of random ops (each may add a few helper casts, reshapes and broadcasts).
    pub max_nodes: usize,
    /// Dtypes of inputs, constants and casts. Bool also appears as the result of comparisons
    /// and as `where` conditions whatever this says. An empty list means `[F32]`.
    pub dtypes: Vec<DType>,
    pub allow_reduce: bool,
    /// Random reshapes, permutes, broadcasts and slices. The reshapes and broadcasts that bring
    /// operands to one shape are inserted whatever this says.
    pub allow_views: bool,
    /// Scans and matrix products.
    pub allow_library: bool,
}

impl Default for GenConfig {
    /// Small shapes (rank <= 3, extents <= 4), up to 8 ops, every dtype, every op class.
    fn default() -> Self {
        GenConfig {
            max_rank: 3,
            max_dim: 4,
            max_nodes: 8,
            dtypes: DType::ALL.to_vec(),
            allow_reduce: true,
            allow_views: true,
            allow_library: true,
        }
    }
}

impl GenConfig {
    /// The cap on any node's element count.
    pub fn max_numel(&self) -> usize {
        self.max_dim
            .max(2)
            .pow(self.max_rank.max(1) as u32 + 1)
            .clamp(16, 4096)
    }

    pub(crate) fn dtypes_or_default(&self) -> Vec<DType> {
        if self.dtypes.is_empty() {
            vec![DType::F32]
        } else {
            self.dtypes.clone()
        }
    }
}
