//! The factorisations of the `linalg` extension and what is built from them: cholesky, det,
//! slogdet, inv, solve, qr, eigh, eigvalsh, eig, eigvals, svd, svdvals, pinv and matrix_rank.
//!
//! Invariant: each factorisation is one lazy `LibOp::Linalg` node; results of decompositions
//! with several outputs are lazy slices of its packed output (layouts in `kiln_ir::linalgop`),
//! so evaluating them together computes it once, and the pipeline realizes every factorisation
//! it evaluates, so evaluating them one by one does not recompute it either. Dtype rules are the
//! standard's: floating inputs only (integer and bool inputs are a `TypeError`), real results
//! (eigenvalues, singular values, `log|det|`) in the real dtype of the input, except for the
//! general eigendecomposition (`eig`, `eigvals`), whose results are complex (f32 -> c64,
//! f64 -> c128). Singular matrices
//! for inv/solve and Cholesky inputs that are not positive definite fail at evaluation with a
//! `ValueError`-kind error, as NumPy's `LinAlgError` (a `ValueError`) does.

use kiln_ir::{
    DType, IrError, LibOp, LinalgOp, Op, Shape, broadcast_shapes, qr_layout, svd_layout,
};

use crate::elementwise as ew;
use crate::error::{KilnError, Result, invalid};
use crate::graph::Array;
use crate::manipulation::Idx;
use crate::operand::{Operand, cast};

/// `(eigenvalues, eigenvectors)` of a Hermitian matrix (columns are eigenvectors).
#[derive(Clone, Debug)]
pub struct Eigh {
    pub eigenvalues: Array,
    pub eigenvectors: Array,
}

/// `(eigenvalues, eigenvectors)` of a general square matrix: complex, in no particular order,
/// each eigenvector (column) of unit 2-norm.
#[derive(Clone, Debug)]
pub struct Eig {
    pub eigenvalues: Array,
    pub eigenvectors: Array,
}

/// `A = Q R`.
#[derive(Clone, Debug)]
pub struct Qr {
    pub q: Array,
    pub r: Array,
}

/// `A = U diag(S) Vh`.
#[derive(Clone, Debug)]
pub struct Svd {
    pub u: Array,
    pub s: Array,
    pub vh: Array,
}

/// `det = sign * exp(logabsdet)`.
#[derive(Clone, Debug)]
pub struct Slogdet {
    pub sign: Array,
    pub logabsdet: Array,
}

fn factorise(op: LinalgOp, inputs: Vec<Array>) -> Result<Array> {
    Array::from_op(Op::Lib(LibOp::Linalg(op)), inputs)
}

/// `start..stop` along one axis.
fn range(start: usize, stop: usize) -> Idx {
    Idx::Range {
        start: Some(start as i64),
        stop: Some(stop as i64),
        step: 1,
    }
}

/// The real part of an array whose values are real (a no-op for real dtypes).
fn real_values(x: Array) -> Result<Array> {
    if x.dtype().is_complex() {
        ew::real(&x)
    } else {
        Ok(x)
    }
}

/// The last two extents, after checking the rank (the node checks the rest).
fn matrix_dims(x: &Array, name: &str) -> Result<(usize, usize)> {
    match x.shape() {
        [.., m, n] => Ok((*m, *n)),
        _ => Err(invalid(format!(
            "linalg.{name} needs an array of rank >= 2, got shape {}",
            x.shape_ref()
        ))),
    }
}

/// The lower (or, with `upper`, upper) Cholesky factor of a Hermitian positive-definite matrix.
pub fn cholesky(x: &Array, upper: bool) -> Result<Array> {
    factorise(LinalgOp::Cholesky { upper }, vec![x.clone()])
}

pub fn det(x: &Array) -> Result<Array> {
    factorise(LinalgOp::Det, vec![x.clone()])
}

/// The sign (modulus one, or zero) and the natural log of the absolute value of the
/// determinant.
pub fn slogdet(x: &Array) -> Result<Slogdet> {
    let packed = factorise(LinalgOp::Slogdet, vec![x.clone()])?;
    Ok(Slogdet {
        sign: packed.slice(&[Idx::Ellipsis, Idx::Index(0)])?,
        logabsdet: real_values(packed.slice(&[Idx::Ellipsis, Idx::Index(1)])?)?,
    })
}

pub fn inv(x: &Array) -> Result<Array> {
    factorise(LinalgOp::Inv, vec![x.clone()])
}

/// `X` with `x1 @ X == x2`. `x2` is a stack of matrices `[..., M, K]` whose batch dimensions
/// broadcast against `x1`'s, or one vector `[M]` (the result is then `[..., M]`).
pub fn solve(x1: &Array, x2: &Array) -> Result<Array> {
    let dtype = kiln_ir::promote(x1.dtype(), x2.dtype());
    if !dtype.is_floating() {
        return Err(IrError::UnsupportedDType {
            op: "linalg.solve".into(),
            dtype,
        }
        .into());
    }
    let (m, n) = matrix_dims(x1, "solve")?;
    if m != n {
        return Err(invalid(format!(
            "linalg.solve needs square matrices, got shape {}",
            x1.shape_ref()
        )));
    }
    let a_batch = Shape::from(&x1.shape()[..x1.ndim() - 2]);
    let mismatch = || {
        KilnError::Invalid(IrError::ShapeMismatch {
            op: "linalg.solve".into(),
            a: x1.shape_ref().clone(),
            b: x2.shape_ref().clone(),
        })
    };
    let (b2, vector) = match x2.shape() {
        [len] if *len == m => (x2.reshape(&[m as isize, 1])?, true),
        [_] => return Err(mismatch()),
        [.., rows, _] if *rows == m => (x2.clone(), false),
        _ => return Err(mismatch()),
    };
    let b_batch = Shape::from(&b2.shape()[..b2.ndim() - 2]);
    let batch = broadcast_shapes(&a_batch, &b_batch).map_err(|_| mismatch())?;
    let full = |x: &Array, cols: usize| -> Result<Array> {
        let mut dims = batch.0.clone();
        dims.extend([m, cols]);
        cast(x, dtype)?.broadcast_to(&dims)
    };
    let k = b2.shape()[b2.ndim() - 1];
    let out = factorise(LinalgOp::Solve, vec![full(x1, m)?, full(&b2, k)?])?;
    if vector {
        let mut dims: Vec<isize> = batch.0.iter().map(|&d| d as isize).collect();
        dims.push(m as isize);
        out.reshape(&dims)
    } else {
        Ok(out)
    }
}

/// QR factorisation; `complete` gives a square `Q` (`mode='complete'`).
pub fn qr(x: &Array, complete: bool) -> Result<Qr> {
    let (m, n) = matrix_dims(x, "qr")?;
    let packed = factorise(LinalgOp::Qr { complete }, vec![x.clone()])?;
    let (q, width) = qr_layout(m, n, complete);
    Ok(Qr {
        q: packed.slice(&[Idx::Ellipsis, range(0, m), range(0, q)])?,
        r: packed.slice(&[Idx::Ellipsis, range(0, q), range(q, width)])?,
    })
}

/// Eigenvalues (ascending, real) and eigenvectors of Hermitian matrices (lower triangle read).
pub fn eigh(x: &Array) -> Result<Eigh> {
    let (_, n) = matrix_dims(x, "eigh")?;
    let packed = factorise(LinalgOp::Eigh, vec![x.clone()])?;
    Ok(Eigh {
        eigenvalues: real_values(packed.slice(&[
            Idx::Ellipsis,
            Idx::Index(n as i64),
            Idx::Full,
        ])?)?,
        eigenvectors: packed.slice(&[Idx::Ellipsis, range(0, n), Idx::Full])?,
    })
}

pub fn eigvalsh(x: &Array) -> Result<Array> {
    factorise(LinalgOp::Eigvalsh, vec![x.clone()])
}

/// Eigenvalues and eigenvectors (columns) of general square matrices; `A V = V diag(w)`.
pub fn eig(x: &Array) -> Result<Eig> {
    let (_, n) = matrix_dims(x, "eig")?;
    let packed = factorise(LinalgOp::Eig, vec![x.clone()])?;
    Ok(Eig {
        eigenvalues: packed.slice(&[Idx::Ellipsis, Idx::Index(n as i64), Idx::Full])?,
        eigenvectors: packed.slice(&[Idx::Ellipsis, range(0, n), Idx::Full])?,
    })
}

/// Eigenvalues of general square matrices (complex, without computing eigenvectors).
pub fn eigvals(x: &Array) -> Result<Array> {
    factorise(LinalgOp::Eigvals, vec![x.clone()])
}

/// Singular value decomposition; singular values descend.
pub fn svd(x: &Array, full_matrices: bool) -> Result<Svd> {
    let (m, n) = matrix_dims(x, "svd")?;
    let packed = factorise(LinalgOp::Svd { full_matrices }, vec![x.clone()])?;
    let (ku, kv, _, _) = svd_layout(m, n, full_matrices);
    let k = m.min(n);
    Ok(Svd {
        u: packed.slice(&[Idx::Ellipsis, range(0, m), range(0, ku)])?,
        vh: packed.slice(&[Idx::Ellipsis, range(m, m + kv), range(0, n)])?,
        s: real_values(packed.slice(&[
            Idx::Ellipsis,
            Idx::Index((m + kv) as i64),
            range(0, k),
        ])?)?,
    })
}

pub fn svdvals(x: &Array) -> Result<Array> {
    factorise(LinalgOp::Svdvals, vec![x.clone()])
}

/// The relative tolerance `rtol` of `pinv` and `matrix_rank`: by default `max(M, N) * eps` of
/// the real dtype; an array broadcasts against the stack of matrices.
fn cutoff(s: &Array, rtol: Option<Operand>, m: usize, n: usize) -> Result<Array> {
    let real = s.dtype();
    let rtol = match rtol {
        None => {
            let eps = if real == DType::F32 {
                f32::EPSILON as f64
            } else {
                f64::EPSILON
            };
            Operand::from(m.max(n) as f64 * eps)
        }
        Some(Operand::Array(a)) => Operand::Array(cast(&a, real)?.expand_dims(-1)?),
        Some(scalar) => scalar,
    };
    let largest = s.max(Some(&[-1]), true)?;
    let tol = ew::multiply(largest, rtol)?;
    Ok(if tol.dtype() != real {
        cast(&tol, real)?
    } else {
        tol
    })
}

/// The number of singular values above `rtol * largest` (int64).
pub fn matrix_rank(x: &Array, rtol: Option<Operand>) -> Result<Array> {
    let (m, n) = matrix_dims(x, "matrix_rank")?;
    let s = svdvals(x)?;
    if m.min(n) == 0 {
        return crate::zeros(&x.shape()[..x.ndim() - 2], DType::I64);
    }
    let tol = cutoff(&s, rtol, m, n)?;
    let above = ew::greater(&s, tol)?;
    above.sum(Some(&[-1]), false, Some(DType::I64))
}

/// The Moore–Penrose pseudo-inverse: `Vh^H diag(1/s) U^H` over singular values above the
/// cutoff.
pub fn pinv(x: &Array, rtol: Option<Operand>) -> Result<Array> {
    let (m, n) = matrix_dims(x, "pinv")?;
    if !x.dtype().is_floating() {
        return Err(IrError::UnsupportedDType {
            op: "linalg.pinv".into(),
            dtype: x.dtype(),
        }
        .into());
    }
    if m.min(n) == 0 {
        let mut dims = x.shape()[..x.ndim() - 2].to_vec();
        dims.extend([n, m]);
        return crate::zeros(&dims, x.dtype());
    }
    let Svd { u, s, vh } = svd(x, false)?;
    let tol = cutoff(&s, rtol, m, n)?;
    let keep = ew::greater(&s, tol)?;
    let inverse = ew::where_(&keep, ew::divide(1.0, &s)?, 0.0)?;
    let scaled = ew::multiply(inverse.expand_dims(-1)?, adjoint(&u)?)?;
    crate::matmul(&adjoint(&vh)?, &scaled)
}

/// The conjugate transpose of the last two axes.
fn adjoint(x: &Array) -> Result<Array> {
    let t = x.matrix_transpose()?;
    if t.dtype().is_complex() {
        ew::conj(&t)
    } else {
        Ok(t)
    }
}
