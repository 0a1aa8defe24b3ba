//! The coordinates of the `true` flags of a realized boolean array (`nonzero`, boolean masks).
//!
//! Invariant: the result lists every set flag exactly once, in row-major order, as int64
//! coordinates (one vector per axis, each of the same length), whatever the view's strides; the
//! work is a branch-free compaction of flat positions, split into rayon blocks whose counts are
//! prefix-summed so each block writes its own disjoint range of the output.

use kiln_ir::{Realized, Shape};
use rayon::prelude::*;

/// Flags per parallel block: large enough that a block outweighs the pool's scheduling.
const BLOCK: usize = 1 << 16;

/// The row-major coordinates of the set flags of `mask` (a realized `bool` array), one vector
/// per axis. A non-contiguous view is first copied into row-major order.
pub(crate) fn coordinates(mask: &Realized) -> Vec<Vec<i64>> {
    let dense;
    let flags: &[bool] = match contiguous_flags(mask) {
        Some(f) => f,
        None => {
            dense = mask.to_vec::<bool>();
            &dense
        }
    };
    unravel(flat_positions(flags), &mask.view.shape)
}

/// The flags of a contiguous bool view, read in place.
fn contiguous_flags(mask: &Realized) -> Option<&[bool]> {
    if !mask.view.is_contiguous() {
        return None;
    }
    let all = mask.storage.as_slice::<bool>()?;
    all.get(..mask.view.shape.numel())
}

/// The positions of the set flags, ascending.
fn flat_positions(flags: &[bool]) -> Vec<i64> {
    let counts: Vec<usize> = flags
        .par_chunks(BLOCK)
        .map(|c| c.iter().map(|&f| usize::from(f)).sum())
        .collect();
    let total: usize = counts.iter().sum();
    let mut out = vec![0i64; total];
    // Split the output into one disjoint slice per block, sized by its count.
    let mut slices = Vec::with_capacity(counts.len());
    let mut rest = out.as_mut_slice();
    for &c in &counts {
        let (head, tail) = rest.split_at_mut(c);
        slices.push(head);
        rest = tail;
    }
    flags
        .par_chunks(BLOCK)
        .zip(slices)
        .enumerate()
        .for_each(|(b, (chunk, dst))| compact(chunk, b * BLOCK, dst));
    out
}

/// Writes `base + i` for each set `chunk[i]` into `dst` (which has exactly one slot per set
/// flag). Every position is written at the current count and the count advances by the flag, so
/// there is no data-dependent branch: a clear flag's write is overwritten by the next set flag,
/// and after the last set flag the count is past the end and nothing is written.
fn compact(chunk: &[bool], base: usize, dst: &mut [i64]) {
    let mut k = 0usize;
    for (i, &f) in chunk.iter().enumerate() {
        if let Some(slot) = dst.get_mut(k) {
            *slot = (base + i) as i64;
        }
        k += usize::from(f);
    }
}

/// Row-major flat positions as one coordinate vector per axis of `shape`.
fn unravel(flat: Vec<i64>, shape: &Shape) -> Vec<Vec<i64>> {
    let dims = shape.dims();
    if dims.len() == 1 {
        return vec![flat];
    }
    let mut coords: Vec<Vec<i64>> = dims.iter().map(|_| vec![0i64; flat.len()]).collect();
    let mut stride = 1i64;
    for (axis, &extent) in dims.iter().enumerate().rev() {
        let extent = extent as i64;
        coords[axis]
            .par_chunks_mut(BLOCK)
            .zip(flat.par_chunks(BLOCK))
            .for_each(|(dst, src)| {
                for (d, &p) in dst.iter_mut().zip(src) {
                    *d = (p / stride) % extent;
                }
            });
        stride *= extent;
    }
    coords
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The obvious reference: walk every flag in order.
    fn naive(flags: &[bool]) -> Vec<i64> {
        (0..flags.len())
            .filter(|&i| flags[i])
            .map(|i| i as i64)
            .collect()
    }

    proptest! {
        #[test]
        fn flat_positions_match_a_filter(
            flags in prop::collection::vec(any::<bool>(), 0..3 * BLOCK),
        ) {
            prop_assert_eq!(flat_positions(&flags), naive(&flags));
        }

        #[test]
        fn unravel_inverts_row_major_order(
            dims in prop::collection::vec(1usize..5, 1..4),
            seed in any::<u64>(),
        ) {
            let n: usize = dims.iter().product();
            let flat: Vec<i64> = (0..n as i64).filter(|i| (seed >> (i % 64)) & 1 == 1).collect();
            let coords = unravel(flat.clone(), &Shape::new(dims.clone()));
            for (j, &p) in flat.iter().enumerate() {
                let mut back = 0i64;
                for (axis, &extent) in dims.iter().enumerate() {
                    prop_assert!(coords[axis][j] < extent as i64);
                    back = back * extent as i64 + coords[axis][j];
                }
                prop_assert_eq!(back, p);
            }
        }
    }

    #[test]
    fn dense_runs_of_set_and_clear_flags() {
        for pattern in [
            vec![true; 5],
            vec![false; 5],
            vec![false, false, true],
            vec![true, false],
        ] {
            assert_eq!(flat_positions(&pattern), naive(&pattern));
        }
    }
}
