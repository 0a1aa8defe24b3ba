//! How a matrix-product step maps onto one strided-batched cuBLAS GEMM (`cublasGemmStridedBatchedEx`)
//! per call, without copying its operands.
//!
//! kiln's product is row-major: `out[b, i, j] = sum_l a[b, i, l] * b[b, l, j]` into a contiguous
//! `[batch.., M, N]` temporary. cuBLAS is column-major, and the row-major `M x N` output read
//! column-major is `out^T` (`N x M`, leading dimension `N`), so the call computes
//! `out^T = b^T a^T`: cuBLAS's `A` is kiln's `b` (its `m x k` = `N x K`), cuBLAS's `B` is kiln's
//! `a` (`K x M`), and `m, n, k` = `N, M, K`. An operand whose rows or columns are unit-stride is
//! passed as it lies, transposed (`T`) or not (`N`); anything else (a gather, a negative or a
//! broadcast inner stride) has no plan and runs on the host.
//!
//! Invariant: a plan reads only the elements of the operands' views (every address it forms is
//! one of them) and writes every element of the output exactly once when `k > 0`; with `k == 0`
//! the executor zero-fills instead of calling cuBLAS. Every integer handed to cuBLAS fits `i32`
//! (its batch strides `i64`).

use super::batch::{collapse, split};
use kiln_ir::{DType, Operand};

/// The element type and compute type of a product cuBLAS serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GemmType {
    F32,
    F64,
    C64,
    C128,
}

impl GemmType {
    /// The cuBLAS type of `dtype`, for float and complex dtypes (integers run on the host).
    pub fn of(dtype: DType) -> Option<GemmType> {
        match dtype {
            DType::F32 => Some(GemmType::F32),
            DType::F64 => Some(GemmType::F64),
            DType::C64 => Some(GemmType::C64),
            DType::C128 => Some(GemmType::C128),
            _ => None,
        }
    }
}

/// One column-major operand of the call: transposed or not, and its leading dimension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Side {
    pub trans: bool,
    pub ld: i32,
}

/// A product as cuBLAS calls (see the module doc for which operand is which).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GemmPlan {
    pub ty: GemmType,
    /// cuBLAS's `m, n, k`: kiln's `N, M, K`.
    pub m: i32,
    pub n: i32,
    pub k: i32,
    /// cuBLAS's `A` (kiln's `b`) and `B` (kiln's `a`).
    pub a: Side,
    pub b: Side,
    pub ldc: i32,
    /// The batch of each call and its element strides for cuBLAS's `A`, `B` and `C`.
    pub batch: i32,
    pub strides: [i64; 3],
    /// Element offsets of cuBLAS's `A`, `B` and `C` for each call.
    pub calls: Vec<[usize; 3]>,
}

impl GemmPlan {
    /// Elements the plan writes: every call's batch of `m x n` outputs.
    pub fn out_len(&self) -> usize {
        self.calls.len() * self.batch as usize * self.m as usize * self.n as usize
    }
}

/// How a row-major `rows x cols` matrix with strides `(rs, cs)` is passed so that cuBLAS reads
/// its transpose (`cols x rows`, column-major): as it lies (`N`, leading dimension `rs`) when its
/// columns are unit-stride, transposed (`T`, leading dimension `cs`) when its rows are.
fn side(rows: usize, cols: usize, rs: isize, cs: isize) -> Option<Side> {
    let ld = |stride: isize, other: usize, least: usize| -> Option<i32> {
        if other <= 1 {
            // One row (or column): the stride is never applied.
            i32::try_from(least.max(1)).ok()
        } else if stride >= least.max(1) as isize {
            i32::try_from(stride).ok()
        } else {
            None
        }
    };
    if (cols <= 1 || cs == 1)
        && let Some(ld) = ld(rs, rows, cols)
    {
        return Some(Side { trans: false, ld });
    }
    if (rows <= 1 || rs == 1)
        && let Some(ld) = ld(cs, cols, rows)
    {
        return Some(Side { trans: true, ld });
    }
    None
}

/// The cuBLAS calls of `out = a @ b` (`out` a contiguous `[batch.., M, N]` temporary of `dtype`),
/// or `None` when cuBLAS cannot read the operands as they lie or the dtype is not a float.
pub fn plan(a: &Operand, b: &Operand, dtype: DType) -> Option<GemmPlan> {
    let ty = GemmType::of(dtype)?;
    let (da, db) = (a.view.shape.dims(), b.view.shape.dims());
    let r = da.len();
    if r < 2 || db.len() != r || da[..r - 2] != db[..r - 2] || db[r - 2] != da[r - 1] {
        return None;
    }
    let (m, k, n) = (da[r - 2], da[r - 1], db[r - 1]);
    let (sa, sb) = (&a.view.strides, &b.view.strides);
    let side_a = side(k, n, sb[r - 2], sb[r - 1])?;
    let side_b = side(m, k, sa[r - 2], sa[r - 1])?;
    // Batch dims: cuBLAS's A (kiln b), B (kiln a), C (the contiguous output).
    let batch_dims = &da[..r - 2];
    let mut out_stride = m.checked_mul(n)? as isize;
    let mut strides = vec![Vec::new(); batch_dims.len()];
    for d in (0..batch_dims.len()).rev() {
        strides[d] = vec![sb[d], sa[d], out_stride];
        out_stride = out_stride.checked_mul(batch_dims[d] as isize)?;
    }
    let groups = collapse(batch_dims, &strides);
    let (inner, calls) = split(&groups, &[b.view.offset, a.view.offset, 0], true)?;
    let int = |x: usize| i32::try_from(x).ok();
    Some(GemmPlan {
        ty,
        m: int(n)?,
        n: int(m)?,
        k: int(k)?,
        a: side_a,
        b: side_b,
        ldc: int(n.max(1))?,
        batch: int(inner.count)?,
        strides: [
            inner.strides[0] as i64,
            inner.strides[1] as i64,
            inner.strides[2] as i64,
        ],
        calls: calls.into_iter().map(|c| [c[0], c[1], c[2]]).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_ir::{Shape, View};

    fn operand(shape: &[usize], strides: &[isize], offset: usize) -> Operand {
        Operand {
            buffer: kiln_ir::BufferRef::Input(0),
            view: View {
                shape: Shape::from(shape),
                strides: strides.to_vec(),
                offset,
            },
        }
    }

    #[test]
    fn contiguous_operands_pass_as_they_lie() -> Result<(), String> {
        let a = operand(&[4, 3], &[3, 1], 0);
        let b = operand(&[3, 5], &[5, 1], 0);
        let p = plan(&a, &b, DType::F32).ok_or("no plan")?;
        assert_eq!((p.m, p.n, p.k), (5, 4, 3));
        assert_eq!(
            p.a,
            Side {
                trans: false,
                ld: 5
            }
        );
        assert_eq!(
            p.b,
            Side {
                trans: false,
                ld: 3
            }
        );
        assert_eq!(p.calls, vec![[0, 0, 0]]);
        Ok(())
    }

    #[test]
    fn a_transposed_operand_passes_as_t() -> Result<(), String> {
        // a = x.T for a contiguous 3 x 4 x.
        let a = operand(&[4, 3], &[1, 4], 0);
        let b = operand(&[3, 5], &[5, 1], 0);
        let p = plan(&a, &b, DType::F64).ok_or("no plan")?;
        assert_eq!(p.b, Side { trans: true, ld: 4 });
        Ok(())
    }

    #[test]
    fn a_broadcast_weight_batches_with_stride_zero() -> Result<(), String> {
        let a = operand(&[8, 4, 3], &[12, 3, 1], 0);
        let b = operand(&[8, 3, 5], &[0, 5, 1], 0);
        let p = plan(&a, &b, DType::C64).ok_or("no plan")?;
        assert_eq!((p.batch, p.strides), (8, [0, 12, 20]));
        Ok(())
    }

    #[test]
    fn gathers_and_integers_have_no_plan() {
        let a = operand(&[4, 3], &[6, 2], 0);
        let b = operand(&[3, 5], &[5, 1], 0);
        assert!(plan(&a, &b, DType::F32).is_none());
        let a = operand(&[4, 3], &[3, 1], 0);
        assert!(plan(&a, &b, DType::I32).is_none());
    }
}
