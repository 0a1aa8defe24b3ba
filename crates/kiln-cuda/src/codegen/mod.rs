//! Kernel IR -> CUDA C source text (pure text; compiling it is `nvrtc.rs`'s job).
//!
//! Invariant: `generate` reads only the `Kernel`, so equal `canonical_text` gives equal source
//! (modulo the name comment) and a new extent never needs a new module. The source is
//! self-contained: the hand-written helpers of `kernels/*.cuh` are embedded with `include_str!`,
//! so NVRTC needs no include path. `geometry_words` is the host-side twin of the generated
//! `kiln_geom` struct: both are derived from the same ranks, so they cannot disagree.

mod kernel;
mod ops;
mod reduce;
mod types;

pub use kernel::{
    BLOCK, ENTRY, FINISH_ENTRY, FLAT_FIXED, FLAT_NO, FLAT_RUN, PARTIAL_ENTRY, VEC, vectorizable,
};
pub use reduce::accumulator_ctype;

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

/// Generates the CUDA C of one kernel: one entry point, `ENTRY`.
pub fn generate(k: &Kernel) -> Result<CudaSource, CudaError> {
    generate_with(k, false)
}

/// Generates the split form of a reducing kernel: `PARTIAL_ENTRY` (arguments: the params, the
/// geometry, `scratch`, `splits`) writes one partial accumulator per (outer point, chunk) to
/// `scratch[o * splits + chunk]`; `FINISH_ENTRY` (same arguments, `scratch` read) combines them
/// and stores. For long rows over few outer points, where one block per row leaves the device
/// idle. The accumulator type is `split_accumulator_bytes` wide.
pub fn generate_split(k: &Kernel) -> Result<CudaSource, CudaError> {
    generate_with(k, true)
}

/// Bytes of one partial accumulator of a split reduction (the scratch element).
pub fn split_accumulator_bytes(k: &Kernel) -> Option<usize> {
    let r = k.reduce.as_ref()?;
    let d = k.value(r.value).dtype;
    Some(match r.op {
        // kiln_arg<T>: the value, padded to 8, then an i64 index.
        kiln_ir::ReduceOp::ArgMax | kiln_ir::ReduceOp::ArgMin => 16,
        kiln_ir::ReduceOp::Sum | kiln_ir::ReduceOp::Prod => match d {
            kiln_ir::DType::F32 => 8,
            kiln_ir::DType::C64 => 16,
            other => other.size_bytes(),
        },
        _ => d.size_bytes(),
    })
}

fn generate_with(k: &Kernel, split: bool) -> Result<CudaSource, CudaError> {
    let kernel = kernel::kernel_text(k, split)?;
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
/// `stride[params][rank]` (each count at least 1, unused words 0), then for `vectorizable`
/// kernels `flat[params]` (see `flat_word`), in the struct's order.
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
    if kernel::vectorizable(k) {
        for p in 0..nparams {
            words.push(flat_word(k, g, p));
        }
    }
    Ok(words)
}

/// Whether a launch of `k` over `g` meets the vectorised path's layout conditions (written params
/// `FLAT_RUN`, read params not `FLAT_NO`); alignment is checked on the device.
pub fn vectorized_layouts(k: &Kernel, g: &LaunchGeometry) -> bool {
    kernel::vectorizable(k)
        && k.params.iter().enumerate().all(|(p, param)| {
            let w = flat_word(k, g, p);
            match param.access {
                kiln_ir::Access::Write => w == kernel::FLAT_RUN,
                kiln_ir::Access::Read => w != kernel::FLAT_NO,
            }
        })
}

/// How param `p` of an elementwise launch lies over the flattened space: `FLAT_RUN` when
/// element `t` is at `off + t` (row-major contiguous strides over every dim longer than 1),
/// `FLAT_FIXED` when every element reads `off` (zero strides), else `FLAT_NO`. The innermost
/// stride is the one the generated code uses (1 for a unit-stride param, 0 for a zero one).
fn flat_word(k: &Kernel, g: &LaunchGeometry, p: usize) -> i64 {
    let (Some(param), Some(layout)) = (k.params.get(p), g.params.get(p)) else {
        return kernel::FLAT_NO;
    };
    let rank = k.outer_rank;
    let stride = |d: usize| -> isize {
        match (d + 1 == rank, param.inner) {
            (true, kiln_ir::InnerStride::Unit) => 1,
            (true, kiln_ir::InnerStride::Zero) => 0,
            _ => layout.strides.get(d).copied().unwrap_or(0),
        }
    };
    let (mut run, mut fixed, mut expected) = (true, true, 1usize);
    for d in (0..rank).rev() {
        let extent = g.dims.get(d).copied().unwrap_or(1);
        if extent > 1 {
            run &= isize::try_from(expected).is_ok_and(|e| stride(d) == e);
            fixed &= stride(d) == 0;
        }
        expected = expected.saturating_mul(extent);
    }
    if run {
        kernel::FLAT_RUN
    } else if fixed {
        kernel::FLAT_FIXED
    } else {
        kernel::FLAT_NO
    }
}

/// Blocks of `BLOCK` threads for one launch: enough to cover the elementwise space (or one per
/// outer point of a reduction), capped because the loops are grid-stride. Zero when there is
/// nothing to store, which the runtime skips.
pub fn grid_blocks(k: &Kernel, g: &LaunchGeometry) -> u32 {
    const MAX_BLOCKS: usize = 1 << 16;
    let outer: usize = g.dims.iter().take(k.outer_rank).product();
    // A reduction stores every outer point, even over an empty reduce space (the identity).
    // The vectorised path gives each thread `VEC` elements (when the layouts allow it; the
    // grid-stride loops stay correct with fewer threads either way).
    let per_thread = if vectorized_layouts(k, g) { VEC } else { 1 };
    let blocks = if k.reduce.is_some() {
        outer
    } else {
        outer.div_ceil(BLOCK as usize * per_thread)
    };
    blocks.min(MAX_BLOCKS) as u32
}

/// Chunks per row for a reducing launch, or `None` for the one-pass form. A row is split when
/// there are too few rows to give each of the device's `sms` multiprocessors two blocks and the
/// rows are long enough that every chunk still gives each thread of a block at least 8 points.
pub fn split_count(k: &Kernel, g: &LaunchGeometry, sms: usize) -> Option<usize> {
    k.reduce.as_ref()?;
    let outer: usize = g.dims.iter().take(k.outer_rank).product();
    let inner: usize = g.dims.iter().skip(k.outer_rank).product();
    let min_chunk = 8 * BLOCK as usize;
    if outer == 0 || outer >= 2 * sms.max(1) || inner < 2 * min_chunk {
        return None;
    }
    let want = (4 * sms.max(1)).div_ceil(outer);
    let splits = want.min(inner / min_chunk);
    (splits >= 2).then_some(splits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_ir::{
        Access, DType, InnerStride, Inst, Param, ParamLayout, ReduceOp, Reduction, Store, Value,
        ValueId,
    };

    fn sum_rows() -> Kernel {
        let param = |access| Param {
            dtype: DType::F32,
            access,
            inner: InnerStride::Unit,
        };
        Kernel {
            name: "sum".into(),
            params: vec![param(Access::Read), param(Access::Write)],
            outer_rank: 1,
            body: vec![Value {
                inst: Inst::Load { param: 0 },
                dtype: DType::F32,
            }],
            reduce: Some(Reduction {
                op: ReduceOp::Sum,
                value: ValueId(0),
                dims: 1,
            }),
            epilogue: vec![Value {
                inst: Inst::Reduced,
                dtype: DType::F32,
            }],
            stores: vec![Store {
                param: 1,
                value: ValueId(1),
            }],
        }
    }

    fn geometry(rows: usize, cols: usize) -> LaunchGeometry {
        LaunchGeometry {
            dims: vec![rows, cols],
            params: vec![
                ParamLayout {
                    offset: 0,
                    strides: vec![cols as isize, 1],
                },
                ParamLayout {
                    offset: 0,
                    strides: vec![1, 0],
                },
            ],
        }
    }

    #[test]
    fn long_rows_over_few_outer_points_split() {
        let k = sum_rows();
        // One row of 2^24: 4 * 132 chunks, each far above the minimum.
        assert_eq!(split_count(&k, &geometry(1, 1 << 24), 132), Some(528));
        // Many rows keep the one-pass form; so do short rows.
        assert_eq!(split_count(&k, &geometry(4096, 4096), 132), None);
        assert_eq!(split_count(&k, &geometry(1, 1000), 132), None);
        // A chunk never drops below 8 points per thread.
        let s = split_count(&k, &geometry(2, 40_000), 132).expect("splits");
        assert!(40_000 / s >= 8 * BLOCK as usize, "{s}");
        assert_eq!(split_count(&k, &geometry(0, 1 << 24), 132), None);
    }

    #[test]
    fn geometry_words_follow_the_struct() {
        let k = sum_rows();
        let words = geometry_words(&k, &geometry(3, 5)).expect("words");
        // dim[2], off[2], stride[2][2]
        assert_eq!(words, vec![3, 5, 0, 0, 5, 1, 1, 0]);
        let text = generate(&k).expect("source").kernel;
        assert!(
            text.contains("i64 dim[2];\n  i64 off[2];\n  i64 stride[2][2];"),
            "{text}"
        );
        assert_eq!(grid_blocks(&k, &geometry(3, 5)), 3);
        assert_eq!(
            grid_blocks(&k, &geometry(3, 0)),
            3,
            "empty rows still store the identity"
        );
    }
}
