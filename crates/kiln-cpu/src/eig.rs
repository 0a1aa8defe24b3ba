//! General (non-Hermitian) eigendecomposition steps (`LinalgOp::Eig`, `LinalgOp::Eigvals`)
//! served by faer's `eigen` / `eigenvalues` (Hessenberg reduction, multishift QR, back
//! substitution): each matrix of the batch is copied from its operand view, decomposed, and
//! written into its own chunk of the complex output (f32 -> c64, f64 -> c128; the layout of
//! `kiln_ir::linalgop`: eigenvectors as columns in rows `..n`, eigenvalues in row `n`). Batches
//! run in parallel on the backend's rayon pool, as the other factorisations do.
//!
//! Each eigenvector is scaled to unit 2-norm with its largest component real and positive (the
//! normalisation of LAPACK's `geev`, and so NumPy's, up to the sign). faer does not rescale its
//! back substitution, so a nearly defective single-precision matrix can overflow it; such a
//! matrix is decomposed again in double precision and rounded.
//!
//! Invariant: a matrix with a NaN or infinite entry, or whose QR iteration does not converge, is
//! `IrError::InvalidArgument` (NumPy's `LinAlgError`) and the output is never published; no
//! non-finite value is written for a finite input; a panic inside faer becomes
//! `CpuError::Internal`.

use crate::error::CpuError;
use crate::libops::Arg;
use crate::linalg::{Field, Matrices, balance, failure, run_chunks};
use faer::{Mat, MatRef};
use kiln_ir::{C64, C128, DType, Element, LinalgOp, Scalar, Storage};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `Eig` or `Eigvals` over `args` into the fresh contiguous complex `out`.
pub(crate) fn run(op: LinalgOp, args: &[Arg<'_>], out: &mut Storage) -> Result<(), CpuError> {
    match (args[0].0.dtype(), out.dtype()) {
        (DType::F32, DType::C64) => batched::<f32, C64>(op, args, out),
        (DType::C64, DType::C64) => batched::<C64, C64>(op, args, out),
        (DType::F64, DType::C128) => batched::<f64, C128>(op, args, out),
        (DType::C128, DType::C128) => batched::<C128, C128>(op, args, out),
        (dtype, _) => Err(CpuError::UnsupportedDType {
            op: "linalg.eig",
            dtype,
        }),
    }
}

fn batched<T: Field, O: Element>(
    op: LinalgOp,
    args: &[Arg<'_>],
    out: &mut Storage,
) -> Result<(), CpuError> {
    let a = Matrices::<T>::new(args[0])?;
    let count = a.starts.len();
    if count == 0 || out.is_empty() {
        return Ok(());
    }
    let chunk = out.len() / count;
    let dst = out
        .as_mut_slice::<O>()
        .ok_or_else(|| CpuError::Internal("linalg.eig output dtype".into()))?;
    let parallel_batch = count > 1 && a.rows * a.cols <= 256 * 256;
    run_chunks(dst, chunk, parallel_batch, |bi, c| {
        let x = a.get(bi);
        catch_unwind(AssertUnwindSafe(|| one(op, bi, x.as_ref(), c)))
            .unwrap_or_else(|_| Err(CpuError::Internal(format!("faer panicked in {op}"))))
    })
}

/// Eigenvalues and (for `Eig`) normalised eigenvectors of one matrix, written into `dst`.
fn one<T: Field, O: Element>(
    op: LinalgOp,
    bi: usize,
    x: MatRef<'_, T>,
    dst: &mut [O],
) -> Result<(), CpuError> {
    let n = x.nrows();
    if n == 0 {
        return Ok(());
    }
    let vectors = op == LinalgOp::Eig;
    let no_convergence = || failure(op, bi, "has no convergent eigendecomposition");
    // The spectrum scales linearly and the eigenvectors not at all: decompose `x / 2^e`.
    let (scaled, value_scale) = balance(x);
    let x = scaled.as_ref().map_or(x, |s| s.as_ref());
    let (values, v) = match decompose(x, vectors) {
        Some(Ok(found)) if finite(&found) => found,
        Some(Err(_)) => return Err(no_convergence()),
        _ if T::Real::DTYPE == DType::F32 => widened(x, vectors)
            .filter(finite)
            .ok_or_else(no_convergence)?,
        _ => return Err(no_convergence()),
    };
    let store = |d: &mut O, z: C128| *d = O::from_scalar(Scalar::C128(z));
    let row0 = if let Some(v) = &v {
        for j in 0..n {
            let column = normalised((0..n).map(|i| v[(i, j)]).collect());
            for (i, z) in column.into_iter().enumerate() {
                if let Some(d) = dst.get_mut(i * n + j) {
                    store(d, z);
                }
            }
        }
        n * n
    } else {
        0
    };
    for (j, w) in values.into_iter().enumerate() {
        if let Some(d) = dst.get_mut(row0 + j) {
            store(d, w * value_scale);
        }
    }
    Ok(())
}

type Decomposition = (Vec<C128>, Option<Mat<C128>>);

fn c128<R: Element>(re: R, im: R) -> C128 {
    C128::new(re.to_scalar().to_f64(), im.to_scalar().to_f64())
}

/// faer's decomposition of `x`, widened to complex128; `None` if faer panicked.
fn decompose<T: Field>(
    x: MatRef<'_, T>,
    vectors: bool,
) -> Option<Result<Decomposition, faer::linalg::evd::EvdError>> {
    let found = catch_unwind(AssertUnwindSafe(|| {
        if vectors {
            x.eigen().map(|e| {
                let w = e
                    .S()
                    .column_vector()
                    .iter()
                    .map(|z| c128(z.re, z.im))
                    .collect();
                let u = e.U();
                let v = Mat::from_fn(u.nrows(), u.ncols(), |i, j| {
                    let z = &u[(i, j)];
                    c128(z.re, z.im)
                });
                (w, Some(v))
            })
        } else {
            x.eigenvalues()
                .map(|w| (w.iter().map(|z| c128(z.re, z.im)).collect(), None))
        }
    }));
    found.ok()
}

/// The decomposition of a single-precision `x` computed in double precision.
fn widened<T: Field>(x: MatRef<'_, T>, vectors: bool) -> Option<Decomposition> {
    let at = |i: usize, j: usize| x[(i, j)].to_scalar().to_c128();
    let found = if T::DTYPE.is_complex() {
        decompose(Mat::from_fn(x.nrows(), x.ncols(), at).as_ref(), vectors)
    } else {
        decompose(
            Mat::from_fn(x.nrows(), x.ncols(), |i, j| at(i, j).re).as_ref(),
            vectors,
        )
    };
    found.and_then(Result::ok)
}

fn finite((values, vectors): &Decomposition) -> bool {
    let ok = |z: &C128| z.re.is_finite() && z.im.is_finite();
    values.iter().all(ok)
        && vectors.as_ref().is_none_or(|v| {
            (0..v.ncols())
                .all(|j| v.col(j).iter().all(ok) && v.col(j).iter().any(|z| z.norm() > 0.0))
        })
}

/// `x` scaled to unit 2-norm, with its largest component real and positive. Dividing by the
/// largest component first keeps the sum of squares from overflowing.
fn normalised(x: Vec<C128>) -> Vec<C128> {
    let largest = x
        .iter()
        .copied()
        .max_by(|p, q| p.norm().total_cmp(&q.norm()))
        .unwrap_or(C128::new(1.0, 0.0));
    if largest.norm() == 0.0 {
        return x;
    }
    let r = largest.norm();
    let phase = largest.conj() / r;
    let y: Vec<C128> = x.into_iter().map(|z| z / r * phase).collect();
    let norm = y.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
    y.into_iter().map(|z| z / norm).collect()
}
