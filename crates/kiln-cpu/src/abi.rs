//! The calling convention between the executor and generated kernels.
//!
//! Every compiled kernel has up to three entry points (all `extern "C"`, pointers as i64):
//! - `main(args, lo, hi)`: computes the outer points with flat row-major index in `[lo, hi)`
//!   (for a reducing kernel: the whole reduction, the epilogue and the stores of each point);
//! - `partial(args, outer, rlo, rhi, acc)` (reducing kernels only): reduces the flat reduce
//!   indices `[rlo, rhi)` of outer point `outer` and writes the accumulator to `acc`;
//! - `finish(args, outer, acc)` (reducing kernels only): runs the epilogue and stores of outer
//!   point `outer` with the combined accumulator read from `acc`.
//!
//! `partial` and `finish` serve only split reductions (few outer points, long reduce range), so
//! they are compiled on the first launch that splits (`CpuBackend::split_entries`), not with
//! `main`.
//!
//! `args` points to an array of i64 words: the space extents `dims[0..rank]`, then for each
//! parameter its base address (storage start plus `offset` elements) followed by `rank` strides
//! in bytes. An accumulator is `ACC_BYTES` bytes: the value (complex: real then imaginary part)
//! at byte 0, the i64 index of arg reductions at byte `ACC_INDEX_OFFSET` (-1: nothing seen).
//!
//! Invariant: the executor builds `args` only from a geometry that passed
//! `LaunchGeometry::check` and `Schedule::verify` (every address the kernel forms from these
//! words lies inside its storage) and only calls entry points with `0 <= lo <= hi <= outer
//! count` and `0 <= rlo <= rhi <= reduce count`.

use crate::error::CpuError;
use kiln_ir::{LaunchGeometry, Storage};

pub const ACC_BYTES: usize = 24;
pub const ACC_INDEX_OFFSET: i32 = 16;

/// Word index of a parameter's base address.
pub fn base_word(rank: usize, param: usize) -> usize {
    rank + param * (1 + rank)
}

/// Word index of a parameter's stride along `dim`.
pub fn stride_word(rank: usize, param: usize, dim: usize) -> usize {
    base_word(rank, param) + 1 + dim
}

pub type MainFn = unsafe extern "C" fn(*const i64, i64, i64);
pub type PartialFn = unsafe extern "C" fn(*const i64, i64, i64, i64, *mut u8);
pub type FinishFn = unsafe extern "C" fn(*const i64, i64, *const u8);

/// Builds the argument words of one launch. `storages[i]` is bound to parameter `i`.
pub fn build_args(geometry: &LaunchGeometry, storages: &[&Storage]) -> Result<Vec<i64>, CpuError> {
    let rank = geometry.dims.len();
    if storages.len() != geometry.params.len() {
        return Err(CpuError::Internal(format!(
            "{} storages for {} parameters",
            storages.len(),
            geometry.params.len()
        )));
    }
    let mut words = Vec::with_capacity(rank + storages.len() * (1 + rank));
    words.extend(geometry.dims.iter().map(|&d| d as i64));
    for (layout, storage) in geometry.params.iter().zip(storages) {
        let size = storage.dtype().size_bytes();
        // An empty storage has a dangling base; the kernel never dereferences it because a
        // verified geometry over an empty storage has an empty space.
        let base = storage.as_ptr() as i64 + (layout.offset * size) as i64;
        words.push(base);
        if layout.strides.len() != rank {
            return Err(CpuError::Internal(
                "stride count differs from the rank".into(),
            ));
        }
        words.extend(layout.strides.iter().map(|&s| s as i64 * size as i64));
    }
    Ok(words)
}
