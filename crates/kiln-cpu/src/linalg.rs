//! Matrix factorisation steps (`LibOp::Linalg`) served by faer: each matrix of the batch is
//! copied from its operand view into a column-major faer `Mat`, factorised, and written into
//! its own contiguous chunk of the packed output (layouts in `kiln_ir::linalgop`). Batches of
//! more than one matrix run in parallel on the backend's rayon pool; inside a matrix, faer uses
//! the same pool. The general eigendecomposition, whose output is complex for real inputs, is
//! in `eig.rs`.
//!
//! Invariant: operand elements are read only inside their verified views (checked again here,
//! with bounds-checked reads; no `unsafe`); every element of the output chunk is written or left
//! at the zero the fresh storage holds; numerical failures (singular `inv`/`solve`, a Cholesky
//! input that is not positive definite, an SVD or eigensolver that does not converge) are
//! `IrError::InvalidArgument` and the output is never published; a panic inside faer becomes
//! `CpuError::Internal`.

use crate::CpuBackend;
use crate::error::CpuError;
use crate::libops::Arg;
use faer::linalg::solvers::{DenseSolveCore, SolveCore};
use faer::traits::ComplexField;
use faer::{Conj, Mat, MatRef, Side};
use kiln_ir::{
    C64, C128, DType, Element, IndexIter, IrError, LibOp, LinalgOp, Shape, Storage, qr_layout,
    svd_layout,
};
use rayon::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The element types kiln factorises, with the conversions the packed layouts need.
pub(crate) trait Field:
    ComplexField<Real: Element> + Element + Copy + Send + Sync + std::ops::Mul<Output = Self>
{
    /// Matrices whose largest modulus lies outside `2^-SAFE_EXP..2^SAFE_EXP` are scaled by a
    /// power of two before an SVD or eigensolver, whose intermediate squares could overflow.
    const SAFE_EXP: i32;
    /// The real number `x` in this type.
    fn real(x: f64) -> Self;
    fn modulus(self) -> f64;
    /// `self / |self|` (1 for zero).
    fn phase(self) -> Self;
}

macro_rules! real_field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            const SAFE_EXP: i32 = if <$t>::MAX_EXP > 128 { 300 } else { 40 };
            fn real(x: f64) -> Self { x as $t }
            fn modulus(self) -> f64 { (self as f64).abs() }
            fn phase(self) -> Self { if self < 0.0 { -1.0 } else { 1.0 } }
        }
    )*};
}
real_field!(f32, f64);

macro_rules! complex_field {
    ($($t:ty => $r:ty),*) => {$(
        impl Field for $t {
            const SAFE_EXP: i32 = if <$r>::MAX_EXP > 128 { 300 } else { 40 };
            fn real(x: f64) -> Self { <$t>::new(x as $r, 0.0) }
            fn modulus(self) -> f64 { C128::new(self.re as f64, self.im as f64).norm() }
            fn phase(self) -> Self {
                let r = self.norm();
                if r == 0.0 { <$t>::new(1.0, 0.0) } else { self / r }
            }
        }
    )*};
}
complex_field!(C64 => f32, C128 => f64);

/// Runs `op` over `args` into the fresh contiguous `out`.
pub(crate) fn run(
    backend: &CpuBackend,
    op: LinalgOp,
    args: &[Arg<'_>],
    out: &mut Storage,
) -> Result<(), CpuError> {
    let types: Vec<(DType, &Shape)> = args
        .iter()
        .map(|(s, o)| (s.dtype(), &o.view.shape))
        .collect();
    let info = kiln_ir::infer(&kiln_ir::Op::Lib(LibOp::Linalg(op)), &types)?;
    if info.dtype != out.dtype() || info.shape.numel() != out.len() {
        return Err(CpuError::Internal(format!(
            "{op} writes {} elements of {} into {} of {}",
            info.shape.numel(),
            info.dtype,
            out.len(),
            out.dtype()
        )));
    }
    for (storage, operand) in args {
        if !operand.view.fits(storage.len()) {
            return Err(CpuError::Internal(format!(
                "{op} operand view {:?} leaves its storage",
                operand.view
            )));
        }
    }
    if let LinalgOp::Eig | LinalgOp::Eigvals = op {
        return backend.pool().install(|| crate::eig::run(op, args, out));
    }
    backend.pool().install(|| match args[0].0.dtype() {
        DType::F32 => batched::<f32>(op, args, out),
        DType::F64 => batched::<f64>(op, args, out),
        DType::C64 => batched::<C64>(op, args, out),
        DType::C128 => batched::<C128>(op, args, out),
        dtype => Err(CpuError::UnsupportedDType {
            op: "linalg",
            dtype,
        }),
    })
}

/// Where each matrix of a batched operand starts, and its row and column strides.
pub(crate) struct Matrices<'a, T> {
    data: &'a [T],
    pub(crate) starts: Vec<isize>,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    rs: isize,
    cs: isize,
}

impl<'a, T: Field> Matrices<'a, T> {
    pub(crate) fn new((storage, operand): Arg<'a>) -> Result<Self, CpuError> {
        let data = storage
            .as_slice::<T>()
            .ok_or_else(|| CpuError::Internal("linalg operand has another dtype".into()))?;
        let view = &operand.view;
        let dims = view.shape.dims();
        let r = dims.len();
        if r < 2 {
            return Err(CpuError::Internal("linalg operand of rank < 2".into()));
        }
        let batch = Shape::from(&dims[..r - 2]);
        let starts = IndexIter::new(&batch)
            .map(|bi| {
                view.offset as isize
                    + bi.iter()
                        .zip(&view.strides)
                        .map(|(&i, &s)| i as isize * s)
                        .sum::<isize>()
            })
            .collect();
        Ok(Matrices {
            data,
            starts,
            rows: dims[r - 2],
            cols: dims[r - 1],
            rs: view.strides[r - 2],
            cs: view.strides[r - 1],
        })
    }

    /// Matrix `b` of the batch as an owned faer matrix.
    pub(crate) fn get(&self, b: usize) -> Mat<T> {
        let start = self.starts.get(b).copied().unwrap_or(0);
        Mat::from_fn(self.rows, self.cols, |i, j| {
            let at = start + i as isize * self.rs + j as isize * self.cs;
            // The view was checked to fit the storage, so this read is always in bounds.
            usize::try_from(at)
                .ok()
                .and_then(|at| self.data.get(at))
                .copied()
                .unwrap_or_else(|| T::real(0.0))
        })
    }
}

fn batched<T: Field>(op: LinalgOp, args: &[Arg<'_>], out: &mut Storage) -> Result<(), CpuError> {
    let a = Matrices::<T>::new(args[0])?;
    let b = match args.get(1) {
        Some(&arg) => Some(Matrices::<T>::new(arg)?),
        None => None,
    };
    let count = a.starts.len();
    if count == 0 || out.is_empty() {
        return Ok(());
    }
    let chunk = out.len() / count;
    let real_out = matches!(op, LinalgOp::Eigvalsh | LinalgOp::Svdvals);
    let solve_one = |bi: usize, dst: Dst<'_, T>| -> Result<(), CpuError> {
        let x = a.get(bi);
        let rhs = b.as_ref().map(|b| b.get(bi));
        catch_unwind(AssertUnwindSafe(|| one(op, bi, x.as_ref(), rhs, dst)))
            .unwrap_or_else(|_| Err(CpuError::Internal(format!("faer panicked in {op}"))))
    };
    // One matrix at a time lets faer parallelise inside it; many small ones run side by side.
    let parallel_batch = count > 1 && a.rows * a.cols <= 256 * 256;
    if real_out {
        let dst = out
            .as_mut_slice::<T::Real>()
            .ok_or_else(|| CpuError::Internal("linalg output dtype".into()))?;
        run_chunks(dst, chunk, parallel_batch, |bi, c| {
            solve_one(bi, Dst::Real(c))
        })
    } else {
        let dst = out
            .as_mut_slice::<T>()
            .ok_or_else(|| CpuError::Internal("linalg output dtype".into()))?;
        run_chunks(dst, chunk, parallel_batch, |bi, c| {
            solve_one(bi, Dst::Same(c))
        })
    }
}

pub(crate) fn run_chunks<E: Send>(
    dst: &mut [E],
    chunk: usize,
    parallel: bool,
    f: impl Fn(usize, &mut [E]) -> Result<(), CpuError> + Sync,
) -> Result<(), CpuError> {
    if parallel {
        dst.par_chunks_mut(chunk)
            .enumerate()
            .try_for_each(|(bi, c)| f(bi, c))
    } else {
        dst.chunks_mut(chunk)
            .enumerate()
            .try_for_each(|(bi, c)| f(bi, c))
    }
}

/// One matrix's output chunk: in the input dtype, or in its real counterpart.
enum Dst<'a, T: Field> {
    Same(&'a mut [T]),
    Real(&'a mut [T::Real]),
}

pub(crate) fn failure(op: LinalgOp, bi: usize, what: &str) -> CpuError {
    CpuError::Ir(IrError::InvalidArgument(format!(
        "linalg.{}: matrix {bi} of the batch {what}",
        op.name()
    )))
}

/// Writes `x` row-major into the `width`-wide rows of `dst` starting at row `row0`.
fn put<T: Field>(dst: &mut [T], width: usize, row0: usize, x: MatRef<'_, T>) {
    for i in 0..x.nrows() {
        for j in 0..x.ncols() {
            if let Some(d) = dst.get_mut((row0 + i) * width + j) {
                *d = x[(i, j)];
            }
        }
    }
}

fn one<T: Field>(
    op: LinalgOp,
    bi: usize,
    x: MatRef<'_, T>,
    rhs: Option<Mat<T>>,
    dst: Dst<'_, T>,
) -> Result<(), CpuError> {
    let (m, n) = (x.nrows(), x.ncols());
    // Spectra scale linearly: factorise `x / 2^e` (exact) and multiply the values by `2^e`.
    let (scaled, value_scale) = match op {
        LinalgOp::Eigh | LinalgOp::Eigvalsh | LinalgOp::Svd { .. } | LinalgOp::Svdvals => {
            balance(x)
        }
        _ => (None, 1.0),
    };
    let x = scaled.as_ref().map_or(x, |s| s.as_ref());
    let dst = match dst {
        Dst::Real(d) => {
            let values: Vec<T::Real> = match op {
                LinalgOp::Eigvalsh if n == 0 => Vec::new(),
                LinalgOp::Svdvals if m.min(n) == 0 => Vec::new(),
                LinalgOp::Eigvalsh => x
                    .self_adjoint_eigenvalues(Side::Lower)
                    .map_err(|_| failure(op, bi, "has no convergent eigendecomposition"))?,
                _ => x
                    .singular_values()
                    .map_err(|_| failure(op, bi, "has no convergent SVD"))?,
            };
            for (d, v) in d.iter_mut().zip(values) {
                *d = if value_scale == 1.0 {
                    v
                } else {
                    let scaled = v.to_scalar().to_f64() * value_scale;
                    T::Real::from_scalar(kiln_ir::Scalar::F64(scaled))
                };
            }
            return Ok(());
        }
        Dst::Same(d) => d,
    };
    match op {
        LinalgOp::Cholesky { upper } => {
            if n == 0 {
                return Ok(());
            }
            let llt = x
                .llt(Side::Lower)
                .map_err(|_| failure(op, bi, "is not positive definite"))?;
            let l = llt.L();
            if upper {
                put(dst, n, 0, l.adjoint().to_owned().as_ref());
            } else {
                put(dst, n, 0, l);
            }
        }
        LinalgOp::Det | LinalgOp::Slogdet => {
            let (sign, logabs, det) = lu_det(x);
            if let LinalgOp::Det = op {
                if let Some(d) = dst.first_mut() {
                    *d = det;
                }
            } else if let [s, l, ..] = dst {
                *s = sign;
                *l = T::real(logabs);
            }
        }
        LinalgOp::Inv | LinalgOp::Solve => {
            if n == 0 {
                return Ok(());
            }
            let lu = x.partial_piv_lu();
            let u = lu.U();
            if (0..n).any(|i| u[(i, i)].modulus() == 0.0) {
                return Err(failure(op, bi, "is singular"));
            }
            match rhs {
                Some(mut b) => {
                    lu.solve_in_place_with_conj(Conj::No, b.as_mut());
                    put(dst, b.ncols(), 0, b.as_ref());
                }
                None => put(dst, n, 0, lu.inverse().as_ref()),
            }
        }
        LinalgOp::Qr { complete } => {
            let (kq, width) = qr_layout(m, n, complete);
            if m.min(n) == 0 {
                // Q is the identity's first kq columns; R is empty or zero.
                for i in 0..m.min(kq) {
                    if let Some(d) = dst.get_mut(i * width + i) {
                        *d = T::real(1.0);
                    }
                }
                return Ok(());
            }
            let qr = x.qr();
            let q = if complete {
                qr.compute_Q()
            } else {
                qr.compute_thin_Q()
            };
            put(dst, width, 0, q.as_ref());
            let r = qr.R();
            for i in 0..r.nrows().min(kq) {
                for j in 0..n {
                    if let Some(d) = dst.get_mut(i * width + kq + j) {
                        *d = if j >= i { r[(i, j)] } else { T::real(0.0) };
                    }
                }
            }
        }
        LinalgOp::Eigh => {
            if n == 0 {
                return Ok(());
            }
            let evd = x
                .self_adjoint_eigen(Side::Lower)
                .map_err(|_| failure(op, bi, "has no convergent eigendecomposition"))?;
            put(dst, n, 0, evd.U());
            let s = evd.S().column_vector();
            for j in 0..n {
                if let Some(d) = dst.get_mut(n * n + j) {
                    *d = s[j] * T::real(value_scale);
                }
            }
        }
        LinalgOp::Svd { full_matrices } => {
            let (ku, kv, _, width) = svd_layout(m, n, full_matrices);
            if m.min(n) == 0 {
                // Only the full factors have columns: identities.
                for i in 0..ku.min(m) {
                    if let Some(d) = dst.get_mut(i * width + i) {
                        *d = T::real(1.0);
                    }
                }
                for i in 0..kv.min(n) {
                    if let Some(d) = dst.get_mut((m + i) * width + i) {
                        *d = T::real(1.0);
                    }
                }
                return Ok(());
            }
            let svd = if full_matrices { x.svd() } else { x.thin_svd() }
                .map_err(|_| failure(op, bi, "has no convergent SVD"))?;
            put(dst, width, 0, svd.U());
            put(dst, width, m, svd.V().adjoint().to_owned().as_ref());
            let s = svd.S().column_vector();
            for j in 0..m.min(n) {
                if let Some(d) = dst.get_mut((m + kv) * width + j) {
                    *d = s[j] * T::real(value_scale);
                }
            }
        }
        LinalgOp::Eigvalsh | LinalgOp::Svdvals | LinalgOp::Eig | LinalgOp::Eigvals => {
            return Err(CpuError::Internal(format!("{op} has its own output type")));
        }
    }
    Ok(())
}

/// `x / 2^e` and `2^e` when the largest modulus of `x` is finite, non-zero and outside the safe
/// range of `T` (see `Field::SAFE_EXP`); `(None, 1)` otherwise.
pub(crate) fn balance<T: Field>(x: MatRef<'_, T>) -> (Option<Mat<T>>, f64) {
    let mut largest = 0.0f64;
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            largest = largest.max(x[(i, j)].modulus());
        }
    }
    if !largest.is_finite() || largest == 0.0 {
        return (None, 1.0);
    }
    let e = largest.log2().ceil() as i32;
    if e.abs() <= T::SAFE_EXP {
        return (None, 1.0);
    }
    let down = T::real(2f64.powi(-e));
    (
        Some(Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] * down)),
        2f64.powi(e),
    )
}

/// `(sign, log|det|, det)` from an LU factorisation with partial pivoting.
fn lu_det<T: Field>(x: MatRef<'_, T>) -> (T, f64, T) {
    let n = x.nrows();
    if n == 0 {
        return (T::real(1.0), 0.0, T::real(1.0));
    }
    let lu = x.partial_piv_lu();
    let (fwd, _) = lu.P().arrays();
    // The permutation's parity: each cycle of length c takes c - 1 swaps.
    let mut seen = vec![false; n];
    let mut odd = false;
    for start in 0..n {
        let mut i = start;
        let mut len = 0usize;
        while let Some(false) = seen.get(i).copied() {
            seen[i] = true;
            i = fwd.get(i).copied().unwrap_or(start);
            len += 1;
        }
        if len > 1 && len.is_multiple_of(2) {
            odd = !odd;
        }
    }
    let mut sign = T::real(if odd { -1.0 } else { 1.0 });
    let mut det = sign;
    let mut logabs = 0.0;
    let u = lu.U();
    for i in 0..n {
        let d = u[(i, i)];
        det = det * d;
        let r = d.modulus();
        if r == 0.0 {
            sign = T::real(0.0);
            logabs = f64::NEG_INFINITY;
        } else if logabs > f64::NEG_INFINITY {
            sign = sign * d.phase();
            logabs += r.ln();
        }
    }
    (sign, logabs, det)
}
