//! The `linalg` extension: the CPU backend (faer) against the reference interpreter on random
//! batched matrices of every floating dtype (including empty batches and 0x0 / 1x1 matrices),
//! by invariants where factors are not unique (reconstruction, orthogonality, triangularity),
//! by value where results are unique (spectra, det, inv, solve, Cholesky); plus the derived
//! functions (norms, diagonal, trace, cross, outer, matrix_power, pinv, matrix_rank) on hand-
//! checked values, and the errors.

use kiln::linalg as la;
use kiln::{Array, C64, C128, DType, PythonKind};
use proptest::prelude::*;
use support::{FLOATS, Lcg, array, eps, kind, reference, values};

#[path = "support/linalg.rs"]
mod support;

type R = kiln::Result<()>;

/// `kind` 0: random; 1: diagonally dominant (well conditioned); 2: Hermitian positive definite;
/// 3: Hermitian.
fn matrices(seed: u64, batch: usize, m: usize, n: usize, dtype: DType, kind: u8) -> Vec<C128> {
    let mut rng = Lcg(seed);
    let mut out = Vec::with_capacity(batch * m * n);
    for _ in 0..batch {
        let mut x: Vec<C128> = (0..m * n)
            .map(|_| {
                let im = if dtype.is_complex() { rng.next() } else { 0.0 };
                C128::new(rng.next(), im)
            })
            .collect();
        if kind >= 2 {
            // Hermitian: (X + X^H) / 2, then shifted by n (positive definite) for kind 2.
            let h: Vec<C128> = (0..n * n)
                .map(|k| {
                    let (i, j) = (k / n, k % n);
                    (x[i * n + j] + x[j * n + i].conj()) * 0.5
                })
                .collect();
            x = h;
        }
        if kind == 1 || kind == 2 {
            for i in 0..m.min(n) {
                x[i * n + i] += C128::new(n as f64 + 1.0, 0.0);
            }
        }
        out.extend(x);
    }
    out
}

fn assert_close(got: &[C128], want: &[C128], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).norm() <= tol * (1.0 + w.norm()),
            "{what}[{i}]: got {g}, want {w} (tol {tol})"
        );
    }
}

/// `a (batch x m x k) @ b (batch x k x n)` on complex values.
fn mul(a: &[C128], b: &[C128], batch: usize, m: usize, k: usize, n: usize) -> Vec<C128> {
    let mut out = vec![C128::new(0.0, 0.0); batch * m * n];
    for bi in 0..batch {
        for i in 0..m {
            for j in 0..n {
                out[bi * m * n + i * n + j] = (0..k)
                    .map(|p| a[bi * m * k + i * k + p] * b[bi * k * n + p * n + j])
                    .sum();
            }
        }
    }
    out
}

/// The conjugate transpose of each `m x n` matrix.
fn adj(a: &[C128], batch: usize, m: usize, n: usize) -> Vec<C128> {
    let mut out = vec![C128::new(0.0, 0.0); batch * m * n];
    for bi in 0..batch {
        for i in 0..m {
            for j in 0..n {
                out[bi * m * n + j * m + i] = a[bi * m * n + i * n + j].conj();
            }
        }
    }
    out
}

fn identity(batch: usize, n: usize) -> Vec<C128> {
    (0..batch * n * n)
        .map(|k| {
            C128::new(
                if (k % (n * n)).is_multiple_of(n + 1) {
                    1.0
                } else {
                    0.0
                },
                0.0,
            )
        })
        .collect()
}

#[derive(Debug, Clone)]
struct Case {
    batch: Vec<usize>,
    m: usize,
    n: usize,
    dtype: DType,
    seed: u64,
}

impl Case {
    fn count(&self) -> usize {
        self.batch.iter().product()
    }
    fn shape(&self, m: usize, n: usize) -> Vec<usize> {
        let mut s = self.batch.clone();
        s.extend([m, n]);
        s
    }
    fn tol(&self) -> f64 {
        200.0 * (self.m.max(self.n) as f64 + 1.0) * eps(self.dtype)
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(0usize..3, 0..3),
        0usize..6,
        0usize..6,
        0usize..4,
        any::<u64>(),
    )
        .prop_map(|(batch, m, n, d, seed)| Case {
            batch,
            m,
            n,
            dtype: FLOATS[d],
            seed,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn square_solvers_match_the_oracle(c in case()) {
        let (b, n) = (c.count(), c.n);
        let data = matrices(c.seed, b, n, n, c.dtype, 1);
        let a = array(&data, &c.shape(n, n), c.dtype);
        let tol = c.tol();
        let det = la::det(&a).unwrap();
        assert_close(&values(&det), &reference(&det), tol * 10.0, "det");
        let inv = la::inv(&a).unwrap();
        let inv_v = values(&inv);
        assert_close(&inv_v, &reference(&inv), tol, "inv");
        assert_close(&mul(&data, &inv_v, b, n, n, n), &identity(b, n), tol, "a @ inv");
        let k = c.m;
        let rhs = matrices(c.seed ^ 7, b, n, k, c.dtype, 0);
        let x = la::solve(&a, &array(&rhs, &c.shape(n, k), c.dtype)).unwrap();
        let xv = values(&x);
        assert_close(&xv, &reference(&x), tol, "solve");
        assert_close(&mul(&data, &xv, b, n, n, k), &rhs, tol, "a @ solve");
        let sl = la::slogdet(&a).unwrap();
        let (sign, logabs) = (values(&sl.sign), values(&sl.logabsdet));
        let from_parts: Vec<C128> = sign.iter().zip(&logabs).map(|(s, l)| s * l.re.exp()).collect();
        assert_close(&from_parts, &values(&det), tol * 10.0, "slogdet");
        assert_close(&logabs, &reference(&sl.logabsdet), tol, "logabsdet");
    }

    #[test]
    fn cholesky_and_eigh_match_the_oracle(c in case(), upper in any::<bool>()) {
        let (b, n) = (c.count(), c.n);
        let data = matrices(c.seed, b, n, n, c.dtype, 2);
        let a = array(&data, &c.shape(n, n), c.dtype);
        let tol = c.tol() * (n as f64 + 2.0);
        let l = la::cholesky(&a, upper).unwrap();
        let lv = values(&l);
        assert_close(&lv, &reference(&l), tol, "cholesky");
        let product = if upper {
            mul(&adj(&lv, b, n, n), &lv, b, n, n, n)
        } else {
            mul(&lv, &adj(&lv, b, n, n), b, n, n, n)
        };
        assert_close(&product, &data, tol, "L L^H");
        // Hermitian but indefinite matrices for the eigensolver.
        let data = matrices(c.seed, b, n, n, c.dtype, 3);
        let a = array(&data, &c.shape(n, n), c.dtype);
        let e = la::eigh(&a).unwrap();
        prop_assert_eq!(e.eigenvalues.dtype(), c.dtype.real_part());
        let w = values(&e.eigenvalues);
        assert_close(&w, &reference(&e.eigenvalues), tol, "eigenvalues");
        assert_close(&w, &values(&la::eigvalsh(&a).unwrap()), tol, "eigvalsh");
        let v = values(&e.eigenvectors);
        assert_close(&mul(&adj(&v, b, n, n), &v, b, n, n, n), &identity(b, n), tol, "V^H V");
        let vw: Vec<C128> = v.iter().enumerate().map(|(k, x)| x * w[(k / (n * n)) * n + k % n]).collect();
        assert_close(&mul(&data, &v, b, n, n, n), &vw, tol, "A V = V w");
        for chunk in w.chunks(n.max(1)) {
            prop_assert!(chunk.windows(2).all(|p| p[0].re <= p[1].re));
        }
    }

    #[test]
    fn qr_and_svd_satisfy_their_invariants(c in case(), full in any::<bool>()) {
        let (b, m, n) = (c.count(), c.m, c.n);
        let data = matrices(c.seed, b, m, n, c.dtype, 0);
        let a = array(&data, &c.shape(m, n), c.dtype);
        let tol = c.tol() * (m.max(n) as f64 + 2.0);
        let k = m.min(n);
        let qr = la::qr(&a, full).unwrap();
        let kq = if full { m } else { k };
        prop_assert_eq!(qr.q.shape(), &c.shape(m, kq)[..]);
        prop_assert_eq!(qr.r.shape(), &c.shape(kq, n)[..]);
        let (q, r) = (values(&qr.q), values(&qr.r));
        assert_close(&mul(&q, &r, b, m, kq, n), &data, tol, "Q R");
        assert_close(&mul(&adj(&q, b, m, kq), &q, b, kq, m, kq), &identity(b, kq), tol, "Q^H Q");
        for (idx, x) in r.iter().enumerate() {
            let (i, j) = ((idx / n.max(1)) % kq.max(1), idx % n.max(1));
            prop_assert!(j >= i || x.norm() == 0.0, "R is not upper triangular at {i},{j}");
        }
        let svd = la::svd(&a, full).unwrap();
        let (ku, kv) = if full { (m, n) } else { (k, k) };
        prop_assert_eq!(svd.u.shape(), &c.shape(m, ku)[..]);
        prop_assert_eq!(svd.vh.shape(), &c.shape(kv, n)[..]);
        prop_assert_eq!(svd.s.dtype(), c.dtype.real_part());
        let (u, s, vh) = (values(&svd.u), values(&svd.s), values(&svd.vh));
        assert_close(&s, &reference(&svd.s), tol, "singular values");
        assert_close(&s, &values(&la::svdvals(&a).unwrap()), tol, "svdvals");
        assert_close(&mul(&adj(&u, b, m, ku), &u, b, ku, m, ku), &identity(b, ku), tol, "U^H U");
        assert_close(&mul(&vh, &adj(&vh, b, kv, n), b, kv, n, kv), &identity(b, kv), tol, "Vh Vh^H");
        // U[:, :k] diag(s) Vh[:k, :] = A.
        let mut us = vec![C128::new(0.0, 0.0); b * m * k];
        let mut vk = vec![C128::new(0.0, 0.0); b * k * n];
        for bi in 0..b {
            for i in 0..m {
                for j in 0..k {
                    us[bi * m * k + i * k + j] = u[bi * m * ku + i * ku + j] * s[bi * k + j].re;
                }
            }
            for i in 0..k {
                for j in 0..n {
                    vk[bi * k * n + i * n + j] = vh[bi * kv * n + i * n + j];
                }
            }
        }
        assert_close(&mul(&us, &vk, b, m, k, n), &data, tol, "U S Vh");
    }
}

fn f64s(a: &Array) -> Vec<f64> {
    a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap()
}

#[test]
fn norms_and_derived_functions() -> R {
    let x = Array::from_vec(vec![3.0f64, -4.0, 0.0, 12.0], &[2, 2])?;
    let close = |a: &Array, want: &[f64]| {
        let got = f64s(a);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-9, "{got:?} vs {want:?}");
        }
    };
    close(&la::vector_norm(&x, None, false, 2.0)?, &[13.0]);
    close(&la::vector_norm(&x, Some(&[1]), false, 1.0)?, &[7.0, 12.0]);
    close(&la::vector_norm(&x, None, false, f64::INFINITY)?, &[12.0]);
    close(
        &la::vector_norm(&x, None, false, f64::NEG_INFINITY)?,
        &[0.0],
    );
    close(&la::vector_norm(&x, None, false, 0.0)?, &[3.0]);
    close(
        &la::vector_norm(&x, Some(&[0]), true, 3.0)?,
        &[3.0, (64.0f64 + 1728.0).cbrt()],
    );
    close(&la::matrix_norm(&x, false, la::MatrixOrd::Fro)?, &[13.0]);
    close(&la::matrix_norm(&x, false, la::MatrixOrd::One)?, &[16.0]);
    close(&la::matrix_norm(&x, false, la::MatrixOrd::NegOne)?, &[3.0]);
    close(&la::matrix_norm(&x, false, la::MatrixOrd::Inf)?, &[12.0]);
    close(&la::matrix_norm(&x, false, la::MatrixOrd::NegInf)?, &[7.0]);
    // Singular values of [[3, -4], [0, 12]]: sqrt of the eigenvalues of A^T A = [[9, -12], [-12, 160]].
    let (t, d) = (169.0f64, 9.0 * 160.0 - 144.0);
    let hi = ((t + (t * t - 4.0 * d).sqrt()) / 2.0).sqrt();
    let lo = ((t - (t * t - 4.0 * d).sqrt()) / 2.0).sqrt();
    close(&la::matrix_norm(&x, false, la::MatrixOrd::Two)?, &[hi]);
    close(&la::matrix_norm(&x, false, la::MatrixOrd::NegTwo)?, &[lo]);
    close(&la::matrix_norm(&x, true, la::MatrixOrd::Nuc)?, &[hi + lo]);
    assert_eq!(
        la::matrix_norm(&x, true, la::MatrixOrd::Nuc)?.shape(),
        &[1, 1]
    );

    let m = Array::from_vec((0..12).map(|v| v as i64).collect(), &[3, 4])?;
    assert_eq!(la::diagonal(&m, 0)?.to_vec::<i64>()?, vec![0, 5, 10]);
    assert_eq!(la::diagonal(&m, 1)?.to_vec::<i64>()?, vec![1, 6, 11]);
    assert_eq!(la::diagonal(&m, -1)?.to_vec::<i64>()?, vec![4, 9]);
    assert_eq!(la::diagonal(&m, 5)?.shape(), &[0]);
    assert_eq!(la::trace(&m, 0, None)?.to_vec::<i64>()?, vec![15]);
    assert_eq!(
        la::trace(&m.matrix_transpose()?, 1, None)?.to_vec::<i64>()?,
        vec![4 + 9]
    );

    let u = Array::from_vec(vec![1.0f64, 0.0, 0.0], &[3])?;
    let v = Array::from_vec(vec![0.0f64, 1.0, 0.0], &[3])?;
    close(&la::cross(&u, &v, -1)?, &[0.0, 0.0, 1.0]);
    let stacked = kiln::stack(&[u.clone(), v.clone()], 1)?; // [3, 2]: vectors along axis 0
    close(
        &la::cross(&stacked, &stacked.flip(Some(&[1]))?, 0)?,
        &[0.0, 0.0, 0.0, 0.0, 1.0, -1.0],
    );
    close(
        &la::outer(&u, &v)?,
        &[0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );

    let a = Array::from_vec(vec![2.0f64, 1.0, 0.0, 3.0], &[2, 2])?;
    close(&la::matrix_power(&a, 0)?, &[1.0, 0.0, 0.0, 1.0]);
    close(&la::matrix_power(&a, 3)?, &[8.0, 19.0, 0.0, 27.0]);
    close(
        &la::matrix_power(&a, -1)?,
        &[0.5, -1.0 / 6.0, 0.0, 1.0 / 3.0],
    );
    let ai = Array::from_vec(vec![1i32, 1, 0, 1], &[2, 2])?;
    assert_eq!(la::matrix_power(&ai, 5)?.to_vec::<i32>()?, vec![1, 5, 0, 1]);

    let rank2 = Array::from_vec(vec![1.0f64, 2.0, 2.0, 4.0, 0.0, 1.0], &[3, 2])?;
    assert_eq!(la::matrix_rank(&rank2, None)?.to_vec::<i64>()?, vec![2]);
    let rank1 = Array::from_vec(vec![1.0f32, 2.0, 2.0, 4.0], &[2, 2])?;
    assert_eq!(la::matrix_rank(&rank1, None)?.to_vec::<i64>()?, vec![1]);
    let p = la::pinv(&rank2, None)?;
    assert_eq!(p.shape(), &[2, 3]);
    // A pinv(A) A = A.
    let back = kiln::matmul(&kiln::matmul(&rank2, &p)?, &rank2)?;
    close(&back, &f64s(&rank2));
    let c = Array::from_vec(
        vec![
            C64::new(1.0, 1.0),
            C64::new(0.0, 0.0),
            C64::new(0.0, 0.0),
            C64::new(2.0, 0.0),
        ],
        &[2, 2],
    )?;
    let pc = la::pinv(&c, None)?.to_vec::<C64>()?;
    assert!(
        (pc[0] - C64::new(0.5, -0.5)).norm() < 1e-6 && (pc[3] - C64::new(0.5, 0.0)).norm() < 1e-6
    );
    Ok(())
}

#[test]
fn solve_broadcasts_and_accepts_vectors() -> R {
    let a = Array::from_vec(vec![2.0f64, 0.0, 0.0, 4.0], &[1, 2, 2])?;
    let b = Array::from_vec(vec![2.0f32, 4.0], &[2])?;
    let x = la::solve(&a, &b)?;
    assert_eq!((x.shape(), x.dtype()), (&[1usize, 2][..], DType::F64));
    assert_eq!(x.to_vec::<f64>()?, vec![1.0, 1.0]);
    let bs = Array::from_vec(vec![2.0f64, 4.0, 6.0, 8.0, 10.0, 12.0], &[3, 2, 1])?;
    let xs = la::solve(&a, &bs)?;
    assert_eq!(xs.shape(), &[3, 2, 1]);
    assert_eq!(xs.to_vec::<f64>()?, vec![1.0, 1.0, 3.0, 2.0, 5.0, 3.0]);
    Ok(())
}

#[test]
fn decompositions_are_computed_once() -> R {
    let a = Array::from_vec(vec![2.0f64, 1.0, 1.0, 3.0], &[2, 2])?;
    let e = la::eigh(&a)?;
    e.eigenvalues.eval()?;
    // The factorisation was realized with the eigenvalues: the eigenvectors are a slice of a
    // realized array, so their program has no linalg node left.
    let program = kiln::program_of(&[&e.eigenvectors])?;
    assert!(!program.to_string().contains("linalg"), "{program}");
    Ok(())
}

#[test]
fn bad_input_is_a_typed_error() {
    let ints = Array::from_vec(vec![1i64, 2, 3, 4], &[2, 2]).unwrap();
    assert_eq!(kind(la::inv(&ints)), PythonKind::TypeError);
    assert_eq!(kind(la::svd(&ints, true)), PythonKind::TypeError);
    let wide = Array::from_vec(vec![1.0f64; 6], &[2, 3]).unwrap();
    assert_eq!(kind(la::det(&wide)), PythonKind::ValueError);
    assert_eq!(kind(la::cholesky(&wide, false)), PythonKind::ValueError);
    let vector = Array::from_vec(vec![1.0f64; 3], &[3]).unwrap();
    assert_eq!(kind(la::eigh(&vector)), PythonKind::ValueError);
    assert_eq!(kind(la::qr(&vector, false)), PythonKind::ValueError);
    assert_eq!(kind(la::cross(&vector, &wide, 0)), PythonKind::ValueError);
    assert_eq!(kind(la::outer(&wide, &vector)), PythonKind::ValueError);
    let square = Array::from_vec(vec![1.0f64; 4], &[2, 2]).unwrap();
    assert_eq!(kind(la::solve(&square, &vector)), PythonKind::ValueError);
    // Singular and indefinite matrices fail at evaluation, as NumPy's LinAlgError.
    let singular = Array::from_vec(vec![1.0f64, 2.0, 2.0, 4.0], &[2, 2]).unwrap();
    assert_eq!(
        kind(la::inv(&singular).unwrap().to_vec::<f64>()),
        PythonKind::ValueError
    );
    let x = la::solve(
        &singular,
        &Array::from_vec(vec![1.0f64, 1.0], &[2]).unwrap(),
    )
    .unwrap();
    assert_eq!(kind(x.to_vec::<f64>()), PythonKind::ValueError);
    let chol = la::cholesky(&singular, false).unwrap();
    assert_eq!(kind(chol.to_vec::<f64>()), PythonKind::ValueError);
    assert_eq!(kind(kiln::reference(&[&chol])), PythonKind::ValueError);
    // A singular determinant is simply zero; slogdet gives (0, -inf).
    assert_eq!(
        la::det(&singular).unwrap().to_vec::<f64>().unwrap(),
        vec![0.0]
    );
    let sl = la::slogdet(&singular).unwrap();
    assert_eq!(sl.sign.to_vec::<f64>().unwrap(), vec![0.0]);
    assert_eq!(
        sl.logabsdet.to_vec::<f64>().unwrap(),
        vec![f64::NEG_INFINITY]
    );
}
