//! Reference eigendecomposition of general (non-Hermitian) square matrices in complex128, for
//! `LinalgOp::Eig` and `LinalgOp::Eigvals`, written for clarity rather than speed:
//!
//! 1. reduce `A` to upper Hessenberg form `H = Q^H A Q` with Householder reflections;
//! 2. run explicitly shifted complex QR steps (`H - mu I = G R`, `H <- R G + mu I`, with `G` a
//!    product of Givens rotations applied to whole rows and columns) with the Wilkinson shift,
//!    deflating when a subdiagonal entry is negligible, until `H` is upper triangular: the
//!    complex Schur form `T = Q^H A Q`, whose diagonal holds the eigenvalues;
//! 3. eigenvector `k` is `Q y` where `y` solves `(T - t_kk I) y = 0` with `y_k = 1` by back
//!    substitution (a zero divisor, from a repeated eigenvalue, is replaced by `eps * |T|` as
//!    LAPACK's `trevc` does), then scaled to unit 2-norm with its largest component real and
//!    positive.
//!
//! Invariant: a matrix with a NaN or infinite entry, and one whose QR iteration does not
//! converge within `MAX_STEPS_PER_VALUE` steps per eigenvalue, is `None` (the caller reports
//! it as `IrError::InvalidArgument`, as NumPy raises `LinAlgError`); otherwise
//! `A V = V diag(w)` holds to rounding.

// The algorithms are written in the textbook's index notation (`h[i][j]`).
#![allow(clippy::needless_range_loop)]

use kiln_ir::C128;

/// A dense matrix indexed `[row][col]`.
pub(crate) type Mat = Vec<Vec<C128>>;

const ZERO: C128 = C128::new(0.0, 0.0);
const ONE: C128 = C128::new(1.0, 0.0);
const MAX_STEPS_PER_VALUE: usize = 100;

/// `(eigenvalues, eigenvectors as columns)`; the vectors only when `vectors`.
pub(crate) fn eig(a: &Mat, vectors: bool) -> Option<(Vec<C128>, Option<Mat>)> {
    if a.iter()
        .flatten()
        .any(|z| !z.re.is_finite() || !z.im.is_finite())
    {
        return None;
    }
    let (t, q) = schur(a)?;
    let n = t.len();
    let values: Vec<C128> = (0..n).map(|i| t[i][i]).collect();
    if !vectors {
        return Some((values, None));
    }
    let norm: f64 = t.iter().flatten().map(|z| z.norm()).sum();
    let tiny = f64::EPSILON * norm.max(f64::MIN_POSITIVE);
    let mut v = vec![vec![ZERO; n]; n];
    for k in 0..n {
        // (T - t_kk I) y = 0 with y_k = 1 and y_i = 0 for i > k.
        let mut y = vec![ZERO; n];
        y[k] = ONE;
        for i in (0..k).rev() {
            let s: C128 = (i + 1..=k).map(|j| t[i][j] * y[j]).sum();
            let mut d = t[i][i] - t[k][k];
            if d.norm() < tiny {
                d = C128::new(tiny, 0.0);
            }
            y[i] = -s / d;
        }
        let x: Vec<C128> = (0..n)
            .map(|i| (0..n).map(|j| q[i][j] * y[j]).sum())
            .collect();
        for (i, z) in normalised(x).into_iter().enumerate() {
            v[i][k] = z;
        }
    }
    Some((values, Some(v)))
}

/// `x / |x|`, multiplied by the phase that makes its largest component real and positive.
fn normalised(x: Vec<C128>) -> Vec<C128> {
    let norm = x.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
    let largest = x
        .iter()
        .copied()
        .max_by(|p, q| p.norm().total_cmp(&q.norm()))
        .unwrap_or(ONE);
    if norm == 0.0 || largest == ZERO {
        return x;
    }
    let phase = largest.conj() / largest.norm();
    x.into_iter().map(|z| z * phase / norm).collect()
}

/// The complex Schur form: `(T, Q)` with `T` upper triangular, `Q` unitary and `A = Q T Q^H`.
fn schur(a: &Mat) -> Option<(Mat, Mat)> {
    let n = a.len();
    let (mut h, mut q) = hessenberg(a);
    let scale: f64 = h.iter().flatten().map(|z| z.norm()).sum();
    let mut hi = n;
    let mut steps = 0;
    while hi > 1 {
        let last = hi - 1;
        // The active block is rows/columns lo..hi; it ends at the first negligible subdiagonal.
        let mut lo = last;
        while lo > 0 {
            let sub = h[lo][lo - 1].norm();
            let mut near = h[lo - 1][lo - 1].norm() + h[lo][lo].norm();
            if near == 0.0 {
                near = scale;
            }
            if sub <= f64::EPSILON * near {
                h[lo][lo - 1] = ZERO;
                break;
            }
            lo -= 1;
        }
        if lo == last {
            // h[last][last] is an eigenvalue.
            hi = last;
            steps = 0;
            continue;
        }
        steps += 1;
        if steps > MAX_STEPS_PER_VALUE {
            return None;
        }
        let mu = if steps % 11 == 0 {
            // An exceptional shift breaks the rare cycles of the Wilkinson shift.
            h[last][last] + C128::new(0.75 * h[last][last - 1].norm(), 0.0)
        } else {
            wilkinson(
                h[last - 1][last - 1],
                h[last - 1][last],
                h[last][last - 1],
                h[last][last],
            )
        };
        qr_step(&mut h, &mut q, lo, hi, mu);
    }
    for i in 0..n {
        for j in 0..i {
            h[i][j] = ZERO;
        }
    }
    Some((h, q))
}

/// The eigenvalue of `[[a, b], [c, d]]` nearer to `d`.
fn wilkinson(a: C128, b: C128, c: C128, d: C128) -> C128 {
    let half = (a - d) * 0.5;
    let root = (half * half + b * c).sqrt();
    let (x, y) = (d + half + root, d + half - root);
    if (x - d).norm() <= (y - d).norm() {
        x
    } else {
        y
    }
}

/// One explicitly shifted QR step on the block `lo..hi` of the Hessenberg matrix `h`, applied
/// to whole rows and columns so that `h` stays `Q^H A Q` for the updated `q`.
fn qr_step(h: &mut Mat, q: &mut Mat, lo: usize, hi: usize, mu: C128) {
    for i in lo..hi {
        h[i][i] -= mu;
    }
    // G_k zeroes h[k + 1][k] against h[k][k]: rows k, k + 1 <- [[c, s], [-conj(s), c]] rows.
    let mut rotations = Vec::with_capacity(hi - lo);
    for k in lo..hi - 1 {
        let (f, g) = (h[k][k], h[k + 1][k]);
        let r = (f.norm_sqr() + g.norm_sqr()).sqrt();
        let (c, s) = if r == 0.0 {
            (1.0, ZERO)
        } else if f == ZERO {
            (0.0, g.conj() / r)
        } else {
            let phase = f / f.norm();
            (f.norm() / r, phase * g.conj() / r)
        };
        for j in 0..h.len() {
            let (x, y) = (h[k][j], h[k + 1][j]);
            h[k][j] = x * c + s * y;
            h[k + 1][j] = -s.conj() * x + y * c;
        }
        rotations.push((k, c, s));
    }
    // R G^H: columns k, k + 1 are combined with the conjugate transpose of each rotation.
    for &(k, c, s) in &rotations {
        for m in [&mut *h, &mut *q] {
            for row in m.iter_mut() {
                let (x, y) = (row[k], row[k + 1]);
                row[k] = x * c + y * s.conj();
                row[k + 1] = -s * x + y * c;
            }
        }
    }
    for i in lo..hi {
        h[i][i] += mu;
    }
}

/// `(H, Q)` with `H = Q^H A Q` upper Hessenberg and `Q` unitary (Householder reflections).
fn hessenberg(a: &Mat) -> (Mat, Mat) {
    let n = a.len();
    let mut h = a.clone();
    let mut q: Mat = (0..n)
        .map(|i| (0..n).map(|j| if i == j { ONE } else { ZERO }).collect())
        .collect();
    for k in 0..n.saturating_sub(2) {
        let norm = (k + 1..n).map(|i| h[i][k].norm_sqr()).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        // v = x + e^{i arg x0} |x| e1 reflects x onto a multiple of e1 without cancellation.
        let x0 = h[k + 1][k];
        let phase = if x0 == ZERO { ONE } else { x0 / x0.norm() };
        let mut v: Vec<C128> = (k + 1..n).map(|i| h[i][k]).collect();
        v[0] += phase * norm;
        let vnorm2: f64 = v.iter().map(|z| z.norm_sqr()).sum();
        if vnorm2 == 0.0 {
            continue;
        }
        // H <- P H P and Q <- Q P with P = I - 2 v v^H / (v^H v) acting on rows/columns k + 1...
        for j in 0..n {
            let dot: C128 = (k + 1..n).map(|i| v[i - k - 1].conj() * h[i][j]).sum();
            let f = dot * (2.0 / vnorm2);
            for i in k + 1..n {
                h[i][j] -= v[i - k - 1] * f;
            }
        }
        for m in [&mut h, &mut q] {
            for row in m.iter_mut() {
                let dot: C128 = (k + 1..n).map(|i| row[i] * v[i - k - 1]).sum();
                let f = dot * (2.0 / vnorm2);
                for i in k + 1..n {
                    row[i] -= f * v[i - k - 1].conj();
                }
            }
        }
        for i in k + 2..n {
            h[i][k] = ZERO;
        }
    }
    (h, q)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn c(re: f64, im: f64) -> C128 {
        C128::new(re, im)
    }

    fn residual(a: &Mat, w: &[C128], v: &Mat) -> f64 {
        let n = a.len();
        let mut worst: f64 = 0.0;
        for k in 0..n {
            for i in 0..n {
                let av: C128 = (0..n).map(|j| a[i][j] * v[j][k]).sum();
                worst = worst.max((av - v[i][k] * w[k]).norm());
            }
        }
        worst
    }

    fn sorted(mut w: Vec<C128>) -> Vec<C128> {
        w.sort_by(|p, q| p.re.total_cmp(&q.re).then(p.im.total_cmp(&q.im)));
        w
    }

    #[test]
    fn rotation_has_conjugate_eigenvalues() -> TestResult {
        let a = vec![
            vec![c(0.0, 0.0), c(-1.0, 0.0)],
            vec![c(1.0, 0.0), c(0.0, 0.0)],
        ];
        let (w, v) = eig(&a, true).ok_or("eig did not converge")?;
        let w = sorted(w);
        assert!((w[0] - c(0.0, -1.0)).norm() < 1e-14 && (w[1] - c(0.0, 1.0)).norm() < 1e-14);
        let v = v.ok_or("no eigenvectors")?;
        assert!(residual(&a, &eig(&a, true).ok_or("eig did not converge")?.0, &v) < 1e-14);
        Ok(())
    }

    #[test]
    fn general_matrices_satisfy_av_eq_vw() -> TestResult {
        let a: Mat = (0..6)
            .map(|i| {
                (0..6)
                    .map(|j| c(((i * 7 + j * 3) % 5) as f64 - 2.0, ((i + 2 * j) % 3) as f64))
                    .collect()
            })
            .collect();
        let (w, v) = eig(&a, true).ok_or("eig did not converge")?;
        let v = v.ok_or("no eigenvectors")?;
        assert!(residual(&a, &w, &v) < 1e-12);
        for k in 0..6 {
            let norm: f64 = (0..6).map(|i| v[i][k].norm_sqr()).sum();
            assert!((norm - 1.0).abs() < 1e-12);
        }
        // The trace is the sum of the eigenvalues.
        let trace: C128 = (0..6).map(|i| a[i][i]).sum();
        assert!((trace - w.iter().sum::<C128>()).norm() < 1e-12);
        Ok(())
    }

    #[test]
    fn triangular_and_defective_matrices() -> TestResult {
        // A Jordan block: one eigenvalue, repeated; the vectors stay finite.
        let a = vec![
            vec![c(2.0, 0.0), c(1.0, 0.0)],
            vec![c(0.0, 0.0), c(2.0, 0.0)],
        ];
        let (w, v) = eig(&a, true).ok_or("eig did not converge")?;
        assert!(w.iter().all(|z| (z - c(2.0, 0.0)).norm() < 1e-14));
        assert!(
            v.ok_or("no eigenvectors")?
                .iter()
                .flatten()
                .all(|z| z.re.is_finite())
        );
        let empty: Mat = Vec::new();
        assert_eq!(eig(&empty, true).ok_or("eig did not converge")?.0.len(), 0);
        let nan = vec![vec![c(f64::NAN, 0.0)]];
        assert!(eig(&nan, false).is_none());
        Ok(())
    }
}
