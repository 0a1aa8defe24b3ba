//! Matrix products: `matmul` (an opaque library step), `tensordot` and `vecdot`; as the public
//! module `kiln::linalg`, also the whole Array API `linalg` extension (re-exported from
//! `decompositions` and `norms`).
//!
//! Invariant: graph `MatMul` nodes always see equal-rank (>= 2) operands with equal batch
//! dimensions and one dtype; Array API 1-D promotion and batch broadcasting happen here.

use kiln_ir::{BinaryOp, IrError, Op, Shape, broadcast_shapes};

use crate::elementwise as ew;
use crate::error::{KilnError, Result, invalid};
use crate::graph::Array;
use crate::manipulation::normalize_axis;
use crate::operand::{Operand, cast};

pub use crate::decompositions::{
    Eig, Eigh, Qr, Slogdet, Svd, cholesky, det, eig, eigh, eigvals, eigvalsh, inv, matrix_rank,
    pinv, qr, slogdet, solve, svd, svdvals,
};
pub use crate::norms::{
    MatrixOrd, cross, diagonal, matrix_norm, matrix_power, outer, trace, vector_norm,
};

/// `x` with its last two axes swapped (the `linalg` spelling of `Array::matrix_transpose`).
pub fn matrix_transpose(x: &Array) -> Result<Array> {
    x.matrix_transpose()
}

/// Matrix product with Array API semantics (1-D operands are promoted then squeezed; batch
/// dimensions broadcast).
pub fn matmul(a: &Array, b: &Array) -> Result<Array> {
    if a.ndim() == 0 || b.ndim() == 0 {
        return Err(invalid("matmul does not accept rank-0 operands"));
    }
    let dtype = kiln_ir::promote(a.dtype(), b.dtype());
    if dtype.is_bool() {
        return Err(KilnError::Invalid(IrError::UnsupportedDType {
            op: "matmul".into(),
            dtype,
        }));
    }
    let (a1, b1) = (a.ndim() == 1, b.ndim() == 1);
    let a2 = if a1 {
        a.reshape(&[1, a.shape()[0] as isize])?
    } else {
        a.clone()
    };
    let b2 = if b1 {
        b.reshape(&[b.shape()[0] as isize, 1])?
    } else {
        b.clone()
    };
    let (ra, rb) = (a2.ndim(), b2.ndim());
    let (m, ka) = (a2.shape()[ra - 2], a2.shape()[ra - 1]);
    let (kb, n) = (b2.shape()[rb - 2], b2.shape()[rb - 1]);
    if ka != kb {
        return Err(KilnError::Invalid(IrError::MatMulShape {
            a: a.shape_ref().clone(),
            b: b.shape_ref().clone(),
            detail: format!("contracted dimensions {ka} and {kb} differ"),
        }));
    }
    let batch = broadcast_shapes(
        &Shape::from(&a2.shape()[..ra - 2]),
        &Shape::from(&b2.shape()[..rb - 2]),
    )
    .map_err(|_| IrError::MatMulShape {
        a: a.shape_ref().clone(),
        b: b.shape_ref().clone(),
        detail: "batch dimensions do not broadcast".into(),
    })?;
    let full = |x: &Array, rows: usize, cols: usize| -> Result<Array> {
        let mut dims = batch.0.clone();
        dims.extend([rows, cols]);
        cast(x, dtype)?.broadcast_to(&dims)
    };
    let out = Array::from_op(Op::MatMul, vec![full(&a2, m, ka)?, full(&b2, kb, n)?])?;
    let mut dims = batch.0.clone();
    if !a1 {
        dims.push(m);
    }
    if !b1 {
        dims.push(n);
    }
    let dims: Vec<isize> = dims.iter().map(|&d| d as isize).collect();
    out.reshape(&dims)
}

/// Contracts the last `axes` axes of `a` with the first `axes` axes of `b`.
pub fn tensordot(a: &Array, b: &Array, axes: usize) -> Result<Array> {
    if axes > a.ndim() || axes > b.ndim() {
        return Err(invalid(format!(
            "tensordot over {axes} axes of shapes {} and {}",
            a.shape_ref(),
            b.shape_ref()
        )));
    }
    let a_axes: Vec<usize> = (a.ndim() - axes..a.ndim()).collect();
    let b_axes: Vec<usize> = (0..axes).collect();
    tensordot_axes(a, b, &a_axes, &b_axes)
}

/// Contracts `a`'s axes `a_axes` with `b`'s axes `b_axes` (pairwise).
pub fn tensordot_axes(a: &Array, b: &Array, a_axes: &[usize], b_axes: &[usize]) -> Result<Array> {
    if a_axes.len() != b_axes.len() {
        return Err(invalid("tensordot needs as many axes of a as of b"));
    }
    for (&x, &y) in a_axes.iter().zip(b_axes) {
        let (dx, dy) = (a.shape().get(x), b.shape().get(y));
        if dx.is_none() || dx != dy {
            return Err(invalid(format!(
                "tensordot: axis {x} of {} does not match axis {y} of {}",
                a.shape_ref(),
                b.shape_ref()
            )));
        }
    }
    let a_free: Vec<usize> = (0..a.ndim()).filter(|i| !a_axes.contains(i)).collect();
    let b_free: Vec<usize> = (0..b.ndim()).filter(|i| !b_axes.contains(i)).collect();
    let k: usize = a_axes.iter().map(|&i| a.shape()[i]).product();
    let m: usize = a_free.iter().map(|&i| a.shape()[i]).product();
    let n: usize = b_free.iter().map(|&i| b.shape()[i]).product();
    let perm_a: Vec<isize> = a_free.iter().chain(a_axes).map(|&i| i as isize).collect();
    let perm_b: Vec<isize> = b_axes.iter().chain(&b_free).map(|&i| i as isize).collect();
    let a2 = a
        .permute_dims(&perm_a)?
        .reshape(&[m as isize, k as isize])?;
    let b2 = b
        .permute_dims(&perm_b)?
        .reshape(&[k as isize, n as isize])?;
    let out = matmul(&a2, &b2)?;
    let dims: Vec<isize> = a_free
        .iter()
        .map(|&i| a.shape()[i])
        .chain(b_free.iter().map(|&i| b.shape()[i]))
        .map(|d| d as isize)
        .collect();
    out.reshape(&dims)
}

/// `sum(conj(x1) * x2, axis)`: a fused multiply-reduce (broadcasting the other axes).
pub fn vecdot(x1: &Array, x2: &Array, axis: isize) -> Result<Array> {
    let shape = broadcast_shapes(x1.shape_ref(), x2.shape_ref())?;
    let ax = normalize_axis(axis, shape.rank())?;
    let from_end = shape.rank() - ax;
    for x in [x1, x2] {
        if x.ndim() < from_end {
            return Err(invalid(format!(
                "vecdot axis {axis} is missing from shape {}",
                x.shape_ref()
            )));
        }
    }
    let (d1, d2) = (
        x1.shape()[x1.ndim() - from_end],
        x2.shape()[x2.ndim() - from_end],
    );
    if d1 != d2 {
        return Err(invalid(format!(
            "vecdot: contracted extents {d1} and {d2} differ"
        )));
    }
    let a = if x1.dtype().is_complex() {
        ew::conj(x1)?
    } else {
        x1.clone()
    };
    let prod = crate::elementwise::binary(BinaryOp::Mul, Operand::Array(a), x2.into())?;
    prod.sum(Some(&[ax as isize]), false, Some(prod.dtype()))
}
