//! The `linalg` functions built from existing graph ops: vector_norm, matrix_norm, diagonal,
//! trace, outer, cross and matrix_power.
//!
//! Invariant: nothing here adds a node kind: norms are elementwise ops and reductions (the
//! spectral and nuclear norms read `svdvals`), `diagonal` is a strided slice of the flattened
//! matrices (a view), `cross` is three slices combined elementwise, and `matrix_power` is
//! repeated squaring with `matmul` (`inv` first for negative powers). Norms have the real dtype
//! of their input; integer inputs are computed as float64.

use kiln_ir::{DType, IrError, broadcast_shapes};

use crate::decompositions::{inv, svdvals};
use crate::elementwise as ew;
use crate::error::{KilnError, Result, invalid};
use crate::graph::Array;
use crate::manipulation::{Idx, normalize_axis};
use crate::operand::cast;

/// The `ord` of `matrix_norm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatrixOrd {
    /// Frobenius: the square root of the sum of squared moduli.
    Fro,
    /// Nuclear: the sum of singular values.
    Nuc,
    /// Largest absolute row sum (`inf`).
    Inf,
    /// Smallest absolute row sum (`-inf`).
    NegInf,
    /// Largest absolute column sum (`1`).
    One,
    /// Smallest absolute column sum (`-1`).
    NegOne,
    /// Largest singular value (`2`).
    Two,
    /// Smallest singular value (`-2`).
    NegTwo,
}

/// `|x|` in a floating dtype (integers and bools as float64).
fn modulus(x: &Array) -> Result<Array> {
    let x = if x.dtype().is_floating() {
        x.clone()
    } else {
        cast(x, DType::F64)?
    };
    ew::abs(&x)
}

/// The `ord`-norm over `axes` (all if `None`): `max |x|` for `inf`, `min |x|` for `-inf`, the
/// count of non-zeros for `0`, and `sum(|x|^p)^(1/p)` otherwise.
pub fn vector_norm(x: &Array, axes: Option<&[isize]>, keepdims: bool, ord: f64) -> Result<Array> {
    if ord.is_nan() {
        return Err(invalid("vector_norm ord must not be NaN"));
    }
    let a = modulus(x)?;
    if ord == f64::INFINITY {
        return a.max(axes, keepdims);
    }
    if ord == f64::NEG_INFINITY {
        return a.min(axes, keepdims);
    }
    if ord == 0.0 {
        let nonzero = ew::not_equal(&a, 0.0)?;
        return cast(&nonzero, a.dtype())?.sum(axes, keepdims, None);
    }
    if ord == 1.0 {
        return a.sum(axes, keepdims, None);
    }
    if ord == 2.0 {
        return ew::sqrt(&ew::multiply(&a, &a)?.sum(axes, keepdims, None)?);
    }
    let powered = ew::pow(&a, ord)?.sum(axes, keepdims, None)?;
    ew::pow(&powered, 1.0 / ord)
}

/// Matrix norms over the last two axes.
pub fn matrix_norm(x: &Array, keepdims: bool, ord: MatrixOrd) -> Result<Array> {
    if x.ndim() < 2 {
        return Err(invalid(format!(
            "matrix_norm needs an array of rank >= 2, got shape {}",
            x.shape_ref()
        )));
    }
    let kept = match ord {
        MatrixOrd::Fro => vector_norm(x, Some(&[-2, -1]), true, 2.0)?,
        MatrixOrd::One | MatrixOrd::NegOne => {
            let sums = modulus(x)?.sum(Some(&[-2]), true, None)?;
            if ord == MatrixOrd::One {
                sums.max(Some(&[-1]), true)?
            } else {
                sums.min(Some(&[-1]), true)?
            }
        }
        MatrixOrd::Inf | MatrixOrd::NegInf => {
            let sums = modulus(x)?.sum(Some(&[-1]), true, None)?;
            if ord == MatrixOrd::Inf {
                sums.max(Some(&[-2]), true)?
            } else {
                sums.min(Some(&[-2]), true)?
            }
        }
        MatrixOrd::Nuc | MatrixOrd::Two | MatrixOrd::NegTwo => {
            let x = if x.dtype().is_floating() {
                x.clone()
            } else {
                cast(x, DType::F64)?
            };
            let s = svdvals(&x)?;
            let reduced = match ord {
                MatrixOrd::Nuc => s.sum(Some(&[-1]), true, None)?,
                MatrixOrd::Two => s.max(Some(&[-1]), true)?,
                _ => s.min(Some(&[-1]), true)?,
            };
            reduced.expand_dims(-1)?
        }
    };
    if keepdims {
        Ok(kept)
    } else {
        kept.squeeze(&[-2, -1])
    }
}

/// The `offset`-th diagonal of each matrix (above the main one for positive offsets): a strided
/// view of the flattened matrices.
pub fn diagonal(x: &Array, offset: i64) -> Result<Array> {
    let (m, n) = match x.shape() {
        [.., m, n] => (*m as i64, *n as i64),
        _ => {
            return Err(invalid(format!(
                "diagonal needs an array of rank >= 2, got shape {}",
                x.shape_ref()
            )));
        }
    };
    let (row, col) = if offset >= 0 {
        (0, offset)
    } else {
        (offset.saturating_neg(), 0)
    };
    let len = (m - row).min(n - col).max(0);
    let mut dims: Vec<isize> = x.shape()[..x.ndim() - 2]
        .iter()
        .map(|&d| d as isize)
        .collect();
    dims.push((m * n) as isize);
    let flat = x.reshape(&dims)?;
    let start = row * n + col;
    let range = if len == 0 {
        Idx::Range {
            start: Some(0),
            stop: Some(0),
            step: 1,
        }
    } else {
        Idx::Range {
            start: Some(start),
            stop: Some(start + (len - 1) * (n + 1) + 1),
            step: n + 1,
        }
    };
    flat.slice(&[Idx::Ellipsis, range])
}

/// The sum of the `offset`-th diagonal (dtype rules of `sum`).
pub fn trace(x: &Array, offset: i64, dtype: Option<DType>) -> Result<Array> {
    let d = diagonal(x, offset)?;
    if !d.dtype().is_numeric() {
        return Err(IrError::UnsupportedDType {
            op: "trace".into(),
            dtype: d.dtype(),
        }
        .into());
    }
    d.sum(Some(&[-1]), false, dtype)
}

/// `x1[:, None] * x2[None, :]` of two vectors.
pub fn outer(x1: &Array, x2: &Array) -> Result<Array> {
    if x1.ndim() != 1 || x2.ndim() != 1 {
        return Err(invalid(format!(
            "outer needs two vectors, got shapes {} and {}",
            x1.shape_ref(),
            x2.shape_ref()
        )));
    }
    ew::multiply(x1.reshape(&[-1, 1])?, x2.reshape(&[1, -1])?)
}

/// The cross product of 3-vectors along `axis` (operands broadcast).
pub fn cross(x1: &Array, x2: &Array, axis: isize) -> Result<Array> {
    let shape = broadcast_shapes(x1.shape_ref(), x2.shape_ref())?;
    for x in [x1, x2] {
        if !x.dtype().is_numeric() {
            return Err(IrError::UnsupportedDType {
                op: "cross".into(),
                dtype: x.dtype(),
            }
            .into());
        }
    }
    let rank = shape.rank();
    let ax = normalize_axis(axis, rank)?;
    if shape.0[ax] != 3 {
        return Err(KilnError::Invalid(IrError::InvalidArgument(format!(
            "cross needs extent 3 along axis {axis}, got shapes {} and {}",
            x1.shape_ref(),
            x2.shape_ref()
        ))));
    }
    let (a, b) = (x1.broadcast_to(&shape.0)?, x2.broadcast_to(&shape.0)?);
    let part = |x: &Array, i: i64| -> Result<Array> {
        let mut index = vec![Idx::Full; rank];
        index[ax] = Idx::Range {
            start: Some(i),
            stop: Some(i + 1),
            step: 1,
        };
        x.slice(&index)
    };
    let (a0, a1, a2) = (part(&a, 0)?, part(&a, 1)?, part(&a, 2)?);
    let (b0, b1, b2) = (part(&b, 0)?, part(&b, 1)?, part(&b, 2)?);
    let minus = |p: Array, q: Array| ew::subtract(p, q);
    let c0 = minus(ew::multiply(&a1, &b2)?, ew::multiply(&a2, &b1)?)?;
    let c1 = minus(ew::multiply(&a2, &b0)?, ew::multiply(&a0, &b2)?)?;
    let c2 = minus(ew::multiply(&a0, &b1)?, ew::multiply(&a1, &b0)?)?;
    crate::concat(&[c0, c1, c2], Some(ax as isize))
}

/// `x` multiplied by itself `n` times (the identity for 0; the inverse's power for `n < 0`).
pub fn matrix_power(x: &Array, n: i64) -> Result<Array> {
    let m = match x.shape() {
        [.., m, k] if m == k => *m,
        _ => {
            return Err(invalid(format!(
                "matrix_power needs square matrices, got shape {}",
                x.shape_ref()
            )));
        }
    };
    if !x.dtype().is_numeric() {
        return Err(IrError::UnsupportedDType {
            op: "matrix_power".into(),
            dtype: x.dtype(),
        }
        .into());
    }
    if n == 0 {
        return crate::eye(m, None, 0, x.dtype())?.broadcast_to(x.shape());
    }
    let mut base = if n < 0 { inv(x)? } else { x.clone() };
    let mut remaining = n.unsigned_abs();
    let mut result: Option<Array> = None;
    loop {
        if remaining & 1 == 1 {
            result = Some(match result {
                None => base.clone(),
                Some(r) => crate::matmul(&r, &base)?,
            });
        }
        remaining >>= 1;
        if remaining == 0 {
            break;
        }
        base = crate::matmul(&base, &base)?;
    }
    result.ok_or_else(|| invalid("matrix_power: empty product"))
}
