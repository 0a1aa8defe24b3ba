//! Reference matrix factorisations (`LibOp::Linalg`), written for clarity: every matrix is
//! widened to complex128, factorised by a textbook algorithm, and rounded once into the
//! result dtype (real dtypes keep the real part, which is exact because real inputs stay real
//! through every algorithm below).
//!
//! - LU with partial pivoting (largest modulus) for det, slogdet, inv and solve;
//! - the Cholesky–Banachiewicz recurrence;
//! - Householder QR (the full `Q` is the product of the reflectors);
//! - cyclic Jacobi rotations for Hermitian eigenproblems (a phase makes each pivot real, then
//!   a real rotation zeroes it);
//! - Hessenberg reduction and shifted complex QR for general eigenproblems (`eig.rs`);
//! - one-sided (Hestenes) Jacobi for the SVD, with Gram–Schmidt completion of `U`/`V` for
//!   `full_matrices` and for zero singular values.
//!
//! Invariant: results follow the packed layouts of `kiln_ir::linalgop`; a singular matrix for
//! inv/solve (an exactly zero pivot, as LAPACK's `getrf` reports) and a matrix that is not
//! positive definite for cholesky are `IrError::InvalidArgument`. Factors are not unique, so
//! tests compare invariants (reconstruction, orthogonality, sorted spectra), not raw factors.

// The reference algorithms are written in the textbook's index notation (`a[i][j]`), which is
// what makes them easy to check against the literature; iterator rewrites would hide it.
#![allow(clippy::needless_range_loop)]

use crate::dense::Dense;
use crate::error::InterpError;
use kiln_ir::{C128, IrError, LinalgOp, Scalar, qr_layout, svd_layout};

/// A dense column of complex numbers; matrices are `Vec<Vec<C128>>` indexed `[row][col]`.
type Mat = Vec<Vec<C128>>;

const ZERO: C128 = C128::new(0.0, 0.0);
const ONE: C128 = C128::new(1.0, 0.0);

/// Runs `op` over its operands.
pub(crate) fn run(op: LinalgOp, args: &[&Dense]) -> Result<Dense, InterpError> {
    let types: Vec<_> = args.iter().map(|d| (d.dtype, &d.shape)).collect();
    let info = kiln_ir::infer(&kiln_ir::Op::Lib(kiln_ir::LibOp::Linalg(op)), &types)?;
    let a = args[0];
    let r = a.shape.rank();
    let (m, n) = (a.shape.0[r - 2], a.shape.0[r - 1]);
    let batch: usize = a.shape.0[..r - 2].iter().product();
    let mut out: Vec<C128> = Vec::with_capacity(info.shape.numel());
    for bi in 0..batch {
        let x = matrix(a, bi, m, n);
        match op {
            LinalgOp::Cholesky { upper } => {
                let l = cholesky(&x)
                    .ok_or_else(|| failure("cholesky", bi, "is not positive definite"))?;
                let f = if upper { adjoint(&l) } else { l };
                push_matrix(&mut out, &f);
            }
            LinalgOp::Det => out.push(lu(&x).det()),
            LinalgOp::Slogdet => {
                let (sign, logabs) = lu(&x).slogdet();
                out.extend([sign, C128::new(logabs, 0.0)]);
            }
            LinalgOp::Inv => {
                let f = lu(&x);
                if f.singular() {
                    return Err(failure("inv", bi, "is singular"));
                }
                push_matrix(&mut out, &f.solve(&identity(n, n)));
            }
            LinalgOp::Solve => {
                let b = args[1];
                let k = b.shape.0[r - 1];
                let f = lu(&x);
                if f.singular() {
                    return Err(failure("solve", bi, "is singular"));
                }
                push_matrix(&mut out, &f.solve(&matrix(b, bi, n, k)));
            }
            LinalgOp::Qr { complete } => {
                let (q, rr) = householder_qr(&x);
                let (kq, width) = qr_layout(m, n, complete);
                for i in 0..m {
                    for j in 0..width {
                        out.push(if j < kq {
                            q[i][j]
                        } else if i < kq {
                            rr[i][j - kq]
                        } else {
                            ZERO
                        });
                    }
                }
            }
            LinalgOp::Eigh => {
                let (values, vectors) = jacobi_eigh(&x);
                push_matrix(&mut out, &vectors);
                out.extend(values.iter().map(|&v| C128::new(v, 0.0)));
            }
            LinalgOp::Eigvalsh => {
                out.extend(jacobi_eigh(&x).0.iter().map(|&v| C128::new(v, 0.0)));
            }
            LinalgOp::Eig | LinalgOp::Eigvals => {
                let vectors = op == LinalgOp::Eig;
                let (values, v) = crate::eig::eig(&x, vectors).ok_or_else(|| {
                    failure(op.name(), bi, "has no convergent eigendecomposition")
                })?;
                if let Some(v) = v {
                    push_matrix(&mut out, &v);
                }
                out.extend(values);
            }
            LinalgOp::Svd { full_matrices } => {
                let (u, s, v) = jacobi_svd(&x, full_matrices);
                let (ku, kv, rows, width) = svd_layout(m, n, full_matrices);
                let vh = adjoint(&v);
                for i in 0..rows {
                    for j in 0..width {
                        out.push(if i < m {
                            if j < ku { u[i][j] } else { ZERO }
                        } else if i < m + kv {
                            if j < n { vh[i - m][j] } else { ZERO }
                        } else {
                            s.get(j).map_or(ZERO, |&v| C128::new(v, 0.0))
                        });
                    }
                }
            }
            LinalgOp::Svdvals => {
                out.extend(jacobi_svd(&x, false).1.iter().map(|&v| C128::new(v, 0.0)));
            }
        }
    }
    let data = out
        .into_iter()
        .map(|z| Scalar::C128(z).cast(info.dtype))
        .collect();
    Dense::new(info.dtype, info.shape, data)
}

fn failure(name: &str, batch: usize, what: &str) -> InterpError {
    InterpError::Ir(IrError::InvalidArgument(format!(
        "linalg.{name}: matrix {batch} of the batch {what}"
    )))
}

fn matrix(a: &Dense, bi: usize, m: usize, n: usize) -> Mat {
    (0..m)
        .map(|i| {
            (0..n)
                .map(|j| a.data[bi * m * n + i * n + j].to_c128())
                .collect()
        })
        .collect()
}

fn push_matrix(out: &mut Vec<C128>, x: &Mat) {
    for row in x {
        out.extend(row);
    }
}

fn identity(m: usize, n: usize) -> Mat {
    (0..m)
        .map(|i| (0..n).map(|j| if i == j { ONE } else { ZERO }).collect())
        .collect()
}

fn adjoint(x: &Mat) -> Mat {
    let cols = x.first().map_or(0, Vec::len);
    (0..cols)
        .map(|j| x.iter().map(|row| row[j].conj()).collect())
        .collect()
}

fn column_norm(x: &Mat, j: usize) -> f64 {
    x.iter().map(|row| row[j].norm_sqr()).sum::<f64>().sqrt()
}

/// `PA = LU` stored compactly: `lu` holds `L` (unit diagonal, below) and `U` (on and above);
/// `perm[i]` is the original row now at row `i`; `swaps` counts row exchanges.
struct Lu {
    lu: Mat,
    perm: Vec<usize>,
    swaps: usize,
}

fn lu(a: &Mat) -> Lu {
    let n = a.len();
    let mut lu = a.clone();
    let mut perm: Vec<usize> = (0..n).collect();
    let mut swaps = 0;
    for k in 0..n {
        let p = (k..n)
            .max_by(|&i, &j| lu[i][k].norm().total_cmp(&lu[j][k].norm()))
            .unwrap_or(k);
        if p != k {
            lu.swap(p, k);
            perm.swap(p, k);
            swaps += 1;
        }
        let pivot = lu[k][k];
        if pivot == ZERO {
            continue;
        }
        for i in k + 1..n {
            let f = lu[i][k] / pivot;
            lu[i][k] = f;
            for j in k + 1..n {
                let u = lu[k][j];
                lu[i][j] -= f * u;
            }
        }
    }
    Lu { lu, perm, swaps }
}

impl Lu {
    fn singular(&self) -> bool {
        (0..self.lu.len()).any(|i| self.lu[i][i] == ZERO)
    }

    fn parity(&self) -> C128 {
        if self.swaps.is_multiple_of(2) {
            ONE
        } else {
            -ONE
        }
    }

    fn det(&self) -> C128 {
        (0..self.lu.len()).fold(self.parity(), |acc, i| acc * self.lu[i][i])
    }

    /// `(sign, log|det|)` with the sign of modulus 1 (or 0 for a singular matrix).
    fn slogdet(&self) -> (C128, f64) {
        let mut sign = self.parity();
        let mut logabs = 0.0;
        for i in 0..self.lu.len() {
            let d = self.lu[i][i];
            let r = d.norm();
            if r == 0.0 {
                return (ZERO, f64::NEG_INFINITY);
            }
            sign *= d / r;
            logabs += r.ln();
        }
        (sign, logabs)
    }

    /// `X` with `A X = B` by forward and back substitution (the matrix must be non-singular).
    fn solve(&self, b: &Mat) -> Mat {
        let n = self.lu.len();
        let k = b.first().map_or(0, Vec::len);
        let mut x: Mat = self.perm.iter().map(|&p| b[p].clone()).collect();
        for c in 0..k {
            for i in 0..n {
                let s = (0..i).fold(x[i][c], |s, j| s - self.lu[i][j] * x[j][c]);
                x[i][c] = s;
            }
            for i in (0..n).rev() {
                let s = (i + 1..n).fold(x[i][c], |s, j| s - self.lu[i][j] * x[j][c]);
                x[i][c] = s / self.lu[i][i];
            }
        }
        x
    }
}

/// Lower `L` with real positive diagonal and `A = L L^H`, reading the lower triangle of `A`;
/// `None` when a pivot is not positive (or NaN).
fn cholesky(a: &Mat) -> Option<Mat> {
    let n = a.len();
    let mut l = vec![vec![ZERO; n]; n];
    for j in 0..n {
        let d = a[j][j].re - (0..j).map(|k| l[j][k].norm_sqr()).sum::<f64>();
        if d.is_nan() || d <= 0.0 {
            return None;
        }
        let djj = d.sqrt();
        l[j][j] = C128::new(djj, 0.0);
        for i in j + 1..n {
            let s = (0..j).fold(a[i][j], |s, k| s - l[i][k] * l[j][k].conj());
            l[i][j] = s / djj;
        }
    }
    Some(l)
}

/// `A = Q R` with `Q` unitary (`m x m`) and `R` upper triangular (`m x n`).
fn householder_qr(a: &Mat) -> (Mat, Mat) {
    let m = a.len();
    let n = a.first().map_or(0, Vec::len);
    let mut r = a.clone();
    let mut q = identity(m, m);
    for k in 0..m.min(n) {
        let norm = (k..m).map(|i| r[i][k].norm_sqr()).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        // v = x + e^{i arg x0} |x| e1, so the reflection sends x to a multiple of e1 without
        // cancellation.
        let x0 = r[k][k];
        let phase = if x0 == ZERO { ONE } else { x0 / x0.norm() };
        let mut v: Vec<C128> = (k..m).map(|i| r[i][k]).collect();
        v[0] += phase * norm;
        let vnorm2: f64 = v.iter().map(|z| z.norm_sqr()).sum();
        if vnorm2 == 0.0 {
            continue;
        }
        // R <- H R and Q <- Q H with H = I - 2 v v^H / (v^H v).
        for j in 0..n {
            let dot = (k..m).fold(ZERO, |s, i| s + v[i - k].conj() * r[i][j]);
            let f = dot * (2.0 / vnorm2);
            for i in k..m {
                r[i][j] -= v[i - k] * f;
            }
        }
        for row in q.iter_mut() {
            let dot = (k..m).fold(ZERO, |s, i| s + row[i] * v[i - k]);
            let f = dot * (2.0 / vnorm2);
            for i in k..m {
                row[i] -= f * v[i - k].conj();
            }
        }
        // The reflection zeroed the column below the diagonal up to rounding: make it exact.
        for row in r.iter_mut().skip(k + 1) {
            row[k] = ZERO;
        }
    }
    (q, r)
}

/// Ascending eigenvalues and the matching orthonormal eigenvectors (columns) of the Hermitian
/// matrix whose lower triangle is `a`.
fn jacobi_eigh(a: &Mat) -> (Vec<f64>, Mat) {
    let n = a.len();
    let mut h: Mat = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| match i.cmp(&j) {
                    std::cmp::Ordering::Greater => a[i][j],
                    std::cmp::Ordering::Less => a[j][i].conj(),
                    std::cmp::Ordering::Equal => C128::new(a[i][i].re, 0.0),
                })
                .collect()
        })
        .collect();
    let mut v = identity(n, n);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| h[i][j].norm_sqr())
            .sum();
        let scale: f64 = h.iter().flatten().map(|z| z.norm_sqr()).sum();
        if off <= scale * 1e-30 || !off.is_finite() {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let g = h[p][q];
                let r = g.norm();
                if r == 0.0 {
                    continue;
                }
                // Make the pivot real: scale column q by conj(phase) and row q by phase.
                let phase = g / r;
                for row in h.iter_mut() {
                    row[q] *= phase.conj();
                }
                for x in h[q].iter_mut() {
                    *x *= phase;
                }
                for row in v.iter_mut() {
                    row[q] *= phase.conj();
                }
                let (app, aqq) = (h[p][p].re, h[q][q].re);
                let theta = (aqq - app) / (2.0 * r);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                rotate_columns(&mut h, p, q, c, s);
                rotate_rows(&mut h, p, q, c, s);
                rotate_columns(&mut v, p, q, c, s);
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| h[i][i].re.total_cmp(&h[j][j].re));
    let values = order.iter().map(|&i| h[i][i].re).collect();
    let vectors = (0..n)
        .map(|i| order.iter().map(|&j| v[i][j]).collect())
        .collect();
    (values, vectors)
}

/// Columns `p, q` of `x` become `c x_p - s x_q` and `s x_p + c x_q`.
fn rotate_columns(x: &mut Mat, p: usize, q: usize, c: f64, s: f64) {
    for row in x.iter_mut() {
        let (xp, xq) = (row[p], row[q]);
        row[p] = xp * c - xq * s;
        row[q] = xp * s + xq * c;
    }
}

/// Rows `p, q` of `x` become `c x_p - s x_q` and `s x_p + c x_q`.
fn rotate_rows(x: &mut Mat, p: usize, q: usize, c: f64, s: f64) {
    let cols = x.first().map_or(0, Vec::len);
    for j in 0..cols {
        let (xp, xq) = (x[p][j], x[q][j]);
        x[p][j] = xp * c - xq * s;
        x[q][j] = xp * s + xq * c;
    }
}

/// `A = U diag(s) V^H` with descending `s`; `U` is `m x m` and `V` `n x n` when `full`, else
/// both have `min(m, n)` columns.
fn jacobi_svd(a: &Mat, full: bool) -> (Mat, Vec<f64>, Mat) {
    let m = a.len();
    let n = a.first().map_or(0, Vec::len);
    if m == 0 || n == 0 {
        let (ku, kv) = if full { (m, n) } else { (0, 0) };
        return (identity(m, ku), Vec::new(), identity(n, kv));
    }
    if m < n {
        // A^H = U' S V'^H, so A = V' S U'^H.
        let (u, s, v) = jacobi_svd(&adjoint(a), full);
        return (v, s, u);
    }
    // Hestenes: rotate columns of W = A (and V = I) until they are mutually orthogonal.
    let mut w = a.clone();
    let mut v = identity(n, n);
    for _sweep in 0..100 {
        let mut rotated = false;
        for i in 0..n {
            for j in i + 1..n {
                let alpha: f64 = w.iter().map(|row| row[i].norm_sqr()).sum();
                let beta: f64 = w.iter().map(|row| row[j].norm_sqr()).sum();
                let gamma = w.iter().fold(ZERO, |s, row| s + row[i].conj() * row[j]);
                let g = gamma.norm();
                if g == 0.0 || g <= 1e-15 * (alpha * beta).sqrt() || !g.is_finite() {
                    continue;
                }
                rotated = true;
                let phase = gamma / g;
                for row in w.iter_mut().chain(v.iter_mut()) {
                    row[j] *= phase.conj();
                }
                let zeta = (beta - alpha) / (2.0 * g);
                let t = zeta.signum() / (zeta.abs() + (zeta * zeta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                rotate_columns(&mut w, i, j, c, s);
                rotate_columns(&mut v, i, j, c, s);
            }
        }
        if !rotated {
            break;
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    let norms: Vec<f64> = (0..n).map(|j| column_norm(&w, j)).collect();
    order.sort_by(|&i, &j| norms[j].total_cmp(&norms[i]));
    let s: Vec<f64> = order.iter().map(|&j| norms[j]).collect();
    let largest = s.first().copied().unwrap_or(0.0);
    // Columns of U for clearly non-zero singular values; the rest come from completion.
    let mut u_cols: Vec<Vec<C128>> = Vec::new();
    for &j in &order {
        let sj = norms[j];
        if sj > largest * 1e-13 && sj > 0.0 {
            u_cols.push(w.iter().map(|row| row[j] / sj).collect());
        } else {
            u_cols.push(vec![ZERO; m]);
        }
    }
    let ku = if full { m } else { n };
    let u_cols = complete_basis(u_cols, m, ku);
    let u = (0..m)
        .map(|i| u_cols.iter().map(|c| c[i]).collect())
        .collect();
    let v_sorted: Mat = (0..n)
        .map(|i| order.iter().map(|&j| v[i][j]).collect())
        .collect();
    (u, s, v_sorted)
}

/// Replaces zero columns by, and appends up to `count` columns of, unit vectors orthogonal to
/// the others (Gram–Schmidt over the standard basis).
fn complete_basis(mut cols: Vec<Vec<C128>>, m: usize, count: usize) -> Vec<Vec<C128>> {
    cols.resize(count, vec![ZERO; m]);
    let mut next = 0;
    for c in 0..count {
        if cols[c].iter().any(|z| *z != ZERO) {
            continue;
        }
        while next < m {
            let mut e = vec![ZERO; m];
            e[next] = ONE;
            next += 1;
            for (k, other) in cols.iter().enumerate() {
                if k == c || other.iter().all(|z| *z == ZERO) {
                    continue;
                }
                let dot = other
                    .iter()
                    .zip(&e)
                    .fold(ZERO, |s, (o, x)| s + o.conj() * x);
                for (x, o) in e.iter_mut().zip(other) {
                    *x -= dot * o;
                }
            }
            let norm = e.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
            if norm > 1e-6 {
                cols[c] = e.iter().map(|z| z / norm).collect();
                break;
            }
        }
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(re: f64) -> C128 {
        C128::new(re, 0.0)
    }

    fn mul(a: &Mat, b: &Mat) -> Mat {
        let k = b.len();
        let n = b.first().map_or(0, Vec::len);
        a.iter()
            .map(|row| {
                (0..n)
                    .map(|j| (0..k).fold(ZERO, |s, p| s + row[p] * b[p][j]))
                    .collect()
            })
            .collect()
    }

    fn close(a: &Mat, b: &Mat, tol: f64) -> bool {
        a.iter()
            .flatten()
            .zip(b.iter().flatten())
            .all(|(x, y)| (x - y).norm() <= tol)
    }

    fn sample() -> Mat {
        vec![
            vec![c(4.0), C128::new(1.0, 2.0), c(0.5)],
            vec![C128::new(1.0, -2.0), c(6.0), C128::new(0.0, 1.0)],
            vec![c(0.5), C128::new(0.0, -1.0), c(3.0)],
        ]
    }

    #[test]
    fn factorisations_reconstruct() {
        let a = sample();
        let l = cholesky(&a).unwrap();
        assert!(close(&mul(&l, &adjoint(&l)), &a, 1e-12));
        let (vals, vecs) = jacobi_eigh(&a);
        let d: Mat = (0..3)
            .map(|i| {
                (0..3)
                    .map(|j| if i == j { c(vals[i]) } else { ZERO })
                    .collect()
            })
            .collect();
        assert!(close(&mul(&mul(&vecs, &d), &adjoint(&vecs)), &a, 1e-12));
        assert!(vals.windows(2).all(|w| w[0] <= w[1]));
        let wide: Mat = vec![a[0].clone(), a[1].clone()];
        for full in [false, true] {
            let (u, s, v) = jacobi_svd(&wide, full);
            let k = s.len();
            let mut us = u.clone();
            for row in us.iter_mut() {
                row.truncate(k);
                for (j, x) in row.iter_mut().enumerate() {
                    *x *= s[j];
                }
            }
            let vh: Mat = adjoint(&v).into_iter().take(k).collect();
            assert!(close(&mul(&us, &vh), &wide, 1e-12));
            assert!(close(
                &mul(&adjoint(&v), &v),
                &identity(v[0].len(), v[0].len()),
                1e-12
            ));
        }
        let (q, r) = householder_qr(&wide);
        assert!(close(&mul(&q, &r), &wide, 1e-12));
        let f = lu(&a);
        let inv = f.solve(&identity(3, 3));
        assert!(close(&mul(&a, &inv), &identity(3, 3), 1e-12));
        let (sign, logabs) = f.slogdet();
        assert!((sign * logabs.exp() - f.det()).norm() < 1e-9);
    }

    #[test]
    fn singular_and_indefinite_are_reported() {
        let a = vec![vec![c(1.0), c(2.0)], vec![c(2.0), c(4.0)]];
        assert!(lu(&a).singular());
        assert_eq!(lu(&a).slogdet().1, f64::NEG_INFINITY);
        assert!(cholesky(&a).is_none());
    }
}
