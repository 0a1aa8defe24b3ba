//! `linalg.eig` / `linalg.eigvals` (general, non-Hermitian eigendecomposition): the CPU backend
//! (faer) against the reference interpreter on random batched matrices of every floating dtype
//! (including empty batches and 0x0 / 1x1 matrices). Eigenpairs are not unique (order, phase),
//! so the checks are invariants: `A V = V diag(w)` relative to `|A|` on arbitrary random
//! matrices (a backward-stable solver satisfies it however ill-conditioned the spectrum is),
//! unit-norm eigenvectors, and the eigenvalue multiset equal to the oracle's on matrices whose
//! spectrum is well separated (with complex-conjugate pairs for real dtypes). Plus rotations,
//! dtype rules, batches against their slices (bit for bit), scaling, and the errors.

use kiln::linalg as la;
use kiln::{Array, C128, DType, PythonKind};
use proptest::prelude::*;
use support::{FLOATS, Lcg, array, eps, kind, reference, values};

#[path = "support/linalg.rs"]
mod support;

fn c(re: f64, im: f64) -> C128 {
    C128::new(re, im)
}

/// `batch` random `n x n` matrices with entries in [-1, 1) (complex for complex dtypes).
fn random(seed: u64, batch: usize, n: usize, dtype: DType) -> Vec<C128> {
    let mut rng = Lcg(seed);
    (0..batch * n * n)
        .map(|_| {
            let re = rng.next();
            c(re, if dtype.is_complex() { rng.next() } else { 0.0 })
        })
        .collect()
}

/// Matrices with a well-separated spectrum: a block diagonal of real eigenvalues `3k` and, for
/// real dtypes, 2x2 blocks `[[3k, -2], [2, 3k]]` (eigenvalues `3k ± 2i`), plus a small random
/// perturbation (0.05 per entry).
fn separated(seed: u64, batch: usize, n: usize, dtype: DType) -> Vec<C128> {
    let mut x = random(seed, batch, n, dtype);
    for z in x.iter_mut() {
        *z *= 0.05;
    }
    for bi in 0..batch {
        let at = |i: usize, j: usize| bi * n * n + i * n + j;
        let mut k = 0;
        while k < n {
            let centre = 3.0 * k as f64 - n as f64;
            x[at(k, k)] += c(centre, 0.0);
            if !dtype.is_complex() && k + 1 < n && k % 4 == 0 {
                x[at(k + 1, k + 1)] += c(centre, 0.0);
                x[at(k, k + 1)] -= c(2.0, 0.0);
                x[at(k + 1, k)] += c(2.0, 0.0);
                k += 2;
            } else {
                if dtype.is_complex() {
                    x[at(k, k)] += c(0.0, (k % 3) as f64);
                }
                k += 1;
            }
        }
    }
    x
}

fn frobenius(a: &[C128]) -> f64 {
    a.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt()
}

/// Checks `A V = V diag(w)` (relative to `|A|`) and unit-norm columns for each matrix.
fn check_eigenpairs(a: &[C128], w: &[C128], v: &[C128], n: usize, tol: f64) {
    let batch = w.len() / n.max(1);
    for bi in 0..batch {
        let a = &a[bi * n * n..(bi + 1) * n * n];
        let v = &v[bi * n * n..(bi + 1) * n * n];
        let w = &w[bi * n..(bi + 1) * n];
        let scale = frobenius(a).max(f64::MIN_POSITIVE);
        for k in 0..n {
            let norm: f64 = (0..n).map(|i| v[i * n + k].norm_sqr()).sum::<f64>().sqrt();
            assert!(
                (norm - 1.0).abs() <= tol,
                "matrix {bi}: |v_{k}| = {norm} (tol {tol})"
            );
            for i in 0..n {
                let av: C128 = (0..n).map(|j| a[i * n + j] * v[j * n + k]).sum();
                let r = (av - v[i * n + k] * w[k]).norm();
                assert!(
                    r <= tol * scale,
                    "matrix {bi}: (A v_{k} - w_{k} v_{k})[{i}] = {r} > {tol} * |A| = {scale}"
                );
            }
        }
    }
}

/// Checks that each chunk of `n` values in `got` matches the same chunk of `want` as a multiset
/// (greedy nearest matching, which is exact for well-separated values).
fn same_multiset(got: &[C128], want: &[C128], n: usize, tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (g, w) in got.chunks(n.max(1)).zip(want.chunks(n.max(1))) {
        let mut unused: Vec<C128> = g.to_vec();
        for x in w {
            let (at, d) = unused
                .iter()
                .enumerate()
                .map(|(i, y)| (i, (y - x).norm()))
                .min_by(|p, q| p.1.total_cmp(&q.1))
                .unwrap_or_else(|| panic!("{what}: {g:?} has fewer values than {w:?}"));
            assert!(
                d <= tol * (1.0 + x.norm()),
                "{what}: no value near {x} in {g:?}"
            );
            unused.swap_remove(at);
        }
    }
}

#[derive(Debug, Clone)]
struct Case {
    batch: Vec<usize>,
    n: usize,
    dtype: DType,
    seed: u64,
}

impl Case {
    fn count(&self) -> usize {
        self.batch.iter().product()
    }
    fn shape(&self) -> Vec<usize> {
        let mut s = self.batch.clone();
        s.extend([self.n, self.n]);
        s
    }
    fn tol(&self) -> f64 {
        50.0 * (self.n as f64 + 1.0) * eps(self.dtype)
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(0usize..3, 0..3),
        0usize..8,
        0usize..4,
        any::<u64>(),
    )
        .prop_map(|(batch, n, d, seed)| Case {
            batch,
            n,
            dtype: FLOATS[d],
            seed,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn eigenpairs_of_random_matrices(c in case()) {
        let (b, n) = (c.count(), c.n);
        let data = random(c.seed, b, n, c.dtype);
        // The eigenpairs are checked against the values the backend saw (rounded to dtype).
        let a = array(&data, &c.shape(), c.dtype);
        let seen = values(&a);
        let e = la::eig(&a).unwrap();
        let complex = c.dtype.to_complex().unwrap();
        prop_assert_eq!(e.eigenvalues.dtype(), complex);
        prop_assert_eq!(e.eigenvectors.dtype(), complex);
        prop_assert_eq!(e.eigenvalues.shape(), &c.shape()[..c.shape().len() - 1]);
        prop_assert_eq!(e.eigenvectors.shape(), &c.shape()[..]);
        let (w, v) = (values(&e.eigenvalues), values(&e.eigenvectors));
        check_eigenpairs(&seen, &w, &v, n, c.tol());
        // The oracle's eigenpairs satisfy the same invariants.
        let (rw, rv) = (reference(&e.eigenvalues), reference(&e.eigenvectors));
        check_eigenpairs(&seen, &rw, &rv, n, c.tol());
        let ev = la::eigvals(&a).unwrap();
        prop_assert_eq!(ev.dtype(), complex);
        prop_assert_eq!(ev.shape(), e.eigenvalues.shape());
    }

    #[test]
    fn spectra_match_the_oracle(c in case()) {
        let (b, n) = (c.count(), c.n);
        let data = separated(c.seed, b, n, c.dtype);
        let a = array(&data, &c.shape(), c.dtype);
        let tol = c.tol() * 10.0;
        let e = la::eig(&a).unwrap();
        let w = values(&e.eigenvalues);
        same_multiset(&w, &reference(&e.eigenvalues), n, tol, "eig vs oracle");
        let ev = la::eigvals(&a).unwrap();
        same_multiset(&values(&ev), &reference(&ev), n, tol, "eigvals vs oracle");
        same_multiset(&values(&ev), &w, n, tol, "eigvals vs eig");
        check_eigenpairs(&values(&a), &w, &values(&e.eigenvectors), n, c.tol());
        if !c.dtype.is_complex() {
            // A real matrix's spectrum is closed under conjugation.
            let conj: Vec<C128> = w.iter().map(|z| z.conj()).collect();
            same_multiset(&conj, &w, n, tol, "conjugate pairs");
        }
    }
}

#[test]
fn rotations_have_conjugate_pairs() {
    for dtype in FLOATS {
        let a = array(
            &[c(0.0, 0.0), c(-1.0, 0.0), c(1.0, 0.0), c(0.0, 0.0)],
            &[2, 2],
            dtype,
        );
        let e = la::eig(&a).unwrap();
        let w = values(&e.eigenvalues);
        let tol = 10.0 * eps(dtype);
        same_multiset(&w, &[c(0.0, 1.0), c(0.0, -1.0)], 2, tol, "rotation");
        check_eigenpairs(&values(&a), &w, &values(&e.eigenvectors), 2, tol);
    }
    // A 3-D rotation about (1, 1, 1) by 120 degrees permutes the axes: eigenvalues 1, e^{±2πi/3}.
    let p = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0].map(|x| c(x, 0.0));
    let a = array(&p, &[3, 3], DType::F64);
    let w = values(&la::eigvals(&a).unwrap());
    let t = 2.0 * std::f64::consts::PI / 3.0;
    same_multiset(
        &w,
        &[c(1.0, 0.0), c(t.cos(), t.sin()), c(t.cos(), -t.sin())],
        3,
        1e-14,
        "cyclic permutation",
    );
}

#[test]
fn one_by_one_and_diagonal_matrices() {
    let a = array(&[c(2.5, -1.0)], &[1, 1], DType::C128);
    let e = la::eig(&a).unwrap();
    assert_eq!(values(&e.eigenvalues), vec![c(2.5, -1.0)]);
    assert_eq!(values(&e.eigenvectors), vec![c(1.0, 0.0)]);
    let d = array(
        &[c(3.0, 0.0), c(0.0, 0.0), c(0.0, 0.0), c(-2.0, 0.0)],
        &[2, 2],
        DType::F32,
    );
    let w = values(&la::eigvals(&d).unwrap());
    same_multiset(&w, &[c(3.0, 0.0), c(-2.0, 0.0)], 2, 1e-6, "diagonal");
    let empty = array(&[], &[3, 0, 0], DType::F64);
    let e = la::eig(&empty).unwrap();
    assert_eq!(e.eigenvalues.shape(), &[3, 0]);
    assert_eq!(e.eigenvectors.shape(), &[3, 0, 0]);
    assert!(values(&e.eigenvectors).is_empty());
}

#[test]
fn batches_equal_their_slices_bit_for_bit() {
    for dtype in FLOATS {
        let n = 5;
        let data = random(11, 6, n, dtype);
        let a = array(&data, &[2, 3, n, n], dtype);
        let e = la::eig(&a).unwrap();
        let (w, v) = (values(&e.eigenvalues), values(&e.eigenvectors));
        let ev = values(&la::eigvals(&a).unwrap());
        for i in 0..2i64 {
            for j in 0..3i64 {
                let idx = [kiln::Idx::Index(i), kiln::Idx::Index(j)];
                let one = la::eig(&a.slice(&idx).unwrap()).unwrap();
                let k = (i * 3 + j) as usize;
                assert_eq!(values(&one.eigenvalues), w[k * n..(k + 1) * n]);
                assert_eq!(values(&one.eigenvectors), v[k * n * n..(k + 1) * n * n]);
                let one_vals = values(&la::eigvals(&a.slice(&idx).unwrap()).unwrap());
                assert_eq!(one_vals, ev[k * n..(k + 1) * n]);
            }
        }
    }
}

#[test]
fn extreme_scales_do_not_overflow() {
    for (dtype, scale) in [
        (DType::F64, 1e300),
        (DType::F32, 1e36),
        (DType::F64, 1e-300),
    ] {
        let a = array(
            &[c(0.0, 0.0), c(-scale, 0.0), c(scale, 0.0), c(0.0, 0.0)],
            &[2, 2],
            dtype,
        );
        let e = la::eig(&a).unwrap();
        let w: Vec<C128> = values(&e.eigenvalues).iter().map(|z| z / scale).collect();
        same_multiset(&w, &[c(0.0, 1.0), c(0.0, -1.0)], 2, 1e-5, "scaled rotation");
        let v = values(&e.eigenvectors);
        assert!(
            v.iter().all(|z| z.re.is_finite() && z.im.is_finite()),
            "{v:?}"
        );
    }
}

#[test]
fn eigenvalues_and_eigenvectors_are_computed_once() {
    let a = array(
        &[c(1.0, 0.0), c(2.0, 0.0), c(-3.0, 0.0), c(0.5, 0.0)],
        &[2, 2],
        DType::F64,
    );
    let e = la::eig(&a).unwrap();
    e.eigenvalues.eval().unwrap();
    let program = kiln::program_of(&[&e.eigenvectors]).unwrap();
    assert!(!program.to_string().contains("linalg"), "{program}");
}

#[test]
fn bad_input_is_a_typed_error() {
    let ints = Array::from_vec(vec![1i64, 2, 3, 4], &[2, 2]).unwrap();
    assert_eq!(kind(la::eig(&ints)), PythonKind::TypeError);
    assert_eq!(kind(la::eigvals(&ints)), PythonKind::TypeError);
    let bools = Array::from_vec(vec![true; 4], &[2, 2]).unwrap();
    assert_eq!(kind(la::eigvals(&bools)), PythonKind::TypeError);
    let wide = Array::from_vec(vec![1.0f64; 6], &[2, 3]).unwrap();
    assert_eq!(kind(la::eig(&wide)), PythonKind::ValueError);
    assert_eq!(kind(la::eigvals(&wide)), PythonKind::ValueError);
    let vector = Array::from_vec(vec![1.0f64; 3], &[3]).unwrap();
    assert_eq!(kind(la::eig(&vector)), PythonKind::ValueError);
    // Non-finite entries fail at evaluation (NumPy's LinAlgError), in the backend and the oracle.
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        for dtype in FLOATS {
            let a = array(
                &[c(1.0, 0.0), c(bad, 0.0), c(0.0, 0.0), c(1.0, 0.0)],
                &[1, 2, 2],
                dtype,
            );
            let e = la::eig(&a).unwrap();
            assert_eq!(kind(e.eigenvectors.eval()), PythonKind::ValueError);
            let ev = la::eigvals(&a).unwrap();
            assert_eq!(kind(ev.eval()), PythonKind::ValueError);
            assert_eq!(kind(kiln::reference(&[&ev])), PythonKind::ValueError);
        }
    }
}
