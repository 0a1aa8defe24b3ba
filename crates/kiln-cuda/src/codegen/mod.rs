//! Kernel IR -> CUDA C source text (pure text; compiling it is `nvrtc.rs`'s job).
//!
//! Invariant: `generate` reads only the `Kernel`, so equal `canonical_text` gives equal source
//! (modulo the name comment) and a new extent never needs a new module. The source is
//! self-contained: the hand-written helpers of `kernels/*.cuh` are embedded with `include_str!`,
//! so NVRTC needs no include path. `geometry_words` is the host-side twin of the generated
//! `kiln_geom` struct: both are derived from the same ranks, so they cannot disagree.

mod kernel;
mod ops;
mod types;

pub use kernel::{BLOCK, ENTRY};

use crate::error::CudaError;
use kiln_ir::{Kernel, LaunchGeometry};

/// Element types, integer and real-float semantics.
pub const PRELUDE: &str = include_str!("../../kernels/prelude.cuh");
/// complex64/complex128 structs and functions.
pub const COMPLEX: &str = include_str!("../../kernels/complex.cuh");
/// Warp-shuffle and shared-memory block reductions.
pub const REDUCE: &str = include_str!("../../kernels/reduce.cuh");

/// A generated CUDA C translation unit with one entry point, `ENTRY`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CudaSource {
    /// The kernel-specific part (geometry struct and entry point): what snapshot tests show.
    pub kernel: String,
    /// The whole translation unit: helpers, then `kernel`.
    pub text: String,
}

/// Generates the CUDA C of one kernel.
pub fn generate(k: &Kernel) -> Result<CudaSource, CudaError> {
    let kernel = kernel::kernel_text(k)?;
    // Only the helpers the kernel can use: NVRTC's front end parses everything it is given.
    let complex = k
        .params
        .iter()
        .map(|p| p.dtype)
        .chain(k.values().map(|(_, v)| v.dtype))
        .any(|d| d.is_complex());
    let mut parts = vec![PRELUDE];
    if complex {
        parts.push(COMPLEX);
    }
    if k.reduce.is_some() {
        parts.push(REDUCE);
    }
    parts.push(&kernel);
    let mut text = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for part in parts {
        text.push_str(part);
        text.push('\n');
    }
    Ok(CudaSource { kernel, text })
}

/// The `kiln_geom` argument of one launch as `i64` words: `dim[rank]`, `off[params]`,
/// `stride[params][rank]` (each count at least 1, unused words 0), in the struct's order.
pub fn geometry_words(k: &Kernel, g: &LaunchGeometry) -> Result<Vec<i64>, CudaError> {
    g.check(k)
        .map_err(|e| CudaError::Unsupported(format!("launch geometry: {e}")))?;
    let rank = k.space_rank().max(1);
    let nparams = k.params.len().max(1);
    let word = |v: usize| {
        i64::try_from(v).map_err(|_| CudaError::Unsupported(format!("extent {v} overflows i64")))
    };
    let mut words = Vec::with_capacity(rank + nparams * (rank + 1));
    for d in 0..rank {
        words.push(match g.dims.get(d) {
            Some(&e) => word(e)?,
            None => 1,
        });
    }
    for p in 0..nparams {
        words.push(match g.params.get(p) {
            Some(l) => word(l.offset)?,
            None => 0,
        });
    }
    for p in 0..nparams {
        for d in 0..rank {
            let s = g
                .params
                .get(p)
                .and_then(|l| l.strides.get(d))
                .copied()
                .unwrap_or(0);
            words.push(s as i64);
        }
    }
    Ok(words)
}

/// Blocks of `BLOCK` threads for one launch: enough to cover the elementwise space (or one per
/// outer point of a reduction), capped because the loops are grid-stride. Zero when there is
/// nothing to store, which the runtime skips.
pub fn grid_blocks(k: &Kernel, g: &LaunchGeometry) -> u32 {
    const MAX_BLOCKS: usize = 1 << 16;
    let outer: usize = g.dims.iter().take(k.outer_rank).product();
    // A reduction stores every outer point, even over an empty reduce space (the identity).
    let blocks = if k.reduce.is_some() {
        outer
    } else {
        outer.div_ceil(BLOCK as usize)
    };
    blocks.min(MAX_BLOCKS) as u32
}
