//! One float or complex matrix product through faer's matmul (its x86 kernels pick AVX-512 at
//! run time where the CPU has it), spread over the backend's threads.
//!
//! faer's own parallel split (`Par::rayon`) reaches about 160 GFLOP/s on two cores for a
//! 2048 x 2048 f32 product where one sequential faer call per half of the output reaches about
//! 205 (the single-thread kernel is ~100): so a large product is cut into one block of output
//! columns (or rows, for tall outputs) per thread, each computed by a sequential faer call that
//! packs its own panels. Measured in `benches/results/2026-11-21-python-matmul.md`.
//!
//! Invariant: every output element is written by exactly one block (the blocks partition the
//! output), with `Accum::Replace`; the operands are only read.

use crate::linalg::Field;
use faer::{Accum, MatMut, MatRef, Par};

/// Below this many multiply-adds a product runs on one thread.
const PARALLEL_WORK: usize = 48 * 48 * 48;

/// The narrowest block of output columns (or rows) worth a thread of its own: each block packs
/// the whole other operand again, which stays under 2% of its work from here on.
const MIN_BLOCK: usize = 64;

/// One strided matrix operand of a product: the address of element `[0, 0]` and its strides.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StridedMat {
    pub addr: usize,
    pub rs: isize,
    pub cs: isize,
}

/// How many multiply-adds an `m x k` by `k x n` product costs (saturating).
pub(crate) fn product_work(m: usize, n: usize, k: usize) -> usize {
    m.saturating_mul(n).saturating_mul(k)
}

/// `out = a @ b` for one `m x k` by `k x n` product into the row-major `m x n` matrix at
/// `out_addr`, on up to `threads` threads of the current rayon pool.
///
/// # Safety
/// `a` and `b` must address `m x k` and `k x n` matrices of `T` whose every element
/// `addr + i*rs + j*cs` lies inside a live allocation, and `out_addr` `m * n` writable elements
/// of `T` that nothing else reads or writes during the call.
pub(crate) unsafe fn faer_matmul<T: Field>(
    m: usize,
    n: usize,
    k: usize,
    out_addr: usize,
    a: StridedMat,
    b: StridedMat,
    threads: usize,
) {
    // SAFETY: the caller guarantees the three matrices as described; faer reads `a` and `b`
    // and writes `out` only at `addr + i*rs + j*cs` inside the given extents.
    let (lhs, rhs, dst) = unsafe {
        (
            MatRef::from_raw_parts(a.addr as *const T, m, k, a.rs, a.cs),
            MatRef::from_raw_parts(b.addr as *const T, k, n, b.rs, b.cs),
            MatMut::from_raw_parts_mut(out_addr as *mut T, m, n, n as isize, 1),
        )
    };
    if threads <= 1 || product_work(m, n, k) < PARALLEL_WORK {
        product(dst, lhs, rhs, Par::Seq);
        return;
    }
    let by_columns = n >= m;
    let extent = if by_columns { n } else { m };
    let parts = threads.min(extent / MIN_BLOCK);
    if parts < 2 {
        // Too narrow to cut (a long inner dimension): faer splits it its own way.
        product(dst, lhs, rhs, Par::rayon(threads));
        return;
    }
    let block = extent.div_ceil(parts).next_multiple_of(16);
    let mut blocks = Vec::with_capacity(parts);
    let (mut rest, mut start) = (dst, 0);
    while start < extent {
        let len = block.min(extent - start);
        let (head, tail) = if by_columns {
            rest.split_at_col_mut(len)
        } else {
            rest.split_at_row_mut(len)
        };
        blocks.push((start, len, head));
        rest = tail;
        start += len;
    }
    rayon::scope(|s| {
        for (start, len, out) in blocks {
            s.spawn(move |_| {
                if by_columns {
                    product(out, lhs, rhs.subcols(start, len), Par::Seq);
                } else {
                    product(out, lhs.subrows(start, len), rhs, Par::Seq);
                }
            });
        }
    });
}

fn product<T: Field>(dst: MatMut<'_, T>, lhs: MatRef<'_, T>, rhs: MatRef<'_, T>, par: Par) {
    faer::linalg::matmul::matmul(dst, Accum::Replace, lhs, rhs, T::real(1.0), par);
}
