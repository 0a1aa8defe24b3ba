//! The `linalg` extension (`kiln.linalg`): one facade call per function, named `linalg_*` in
//! the extension module.
//!
//! Invariant: every function only builds lazy nodes (factorisations fail at evaluation, not
//! here); functions with several results return a tuple of arrays that python/kiln/linalg.py
//! wraps in the standard's named tuples. Argument normalisation (axes, `ord`, `mode`) is
//! Python's.

use kiln::linalg::{self as la, MatrixOrd};
use pyo3::prelude::*;

use crate::array::RawArray;
use crate::convert::{opt_dtype, opt_operand};
use crate::error::{run, run_array, value_error};

type Pair = (RawArray, RawArray);

#[pyfunction]
fn linalg_cholesky(py: Python<'_>, x: &RawArray, upper: bool) -> PyResult<RawArray> {
    run_array(py, || la::cholesky(&x.0, upper))
}

#[pyfunction]
fn linalg_cross(py: Python<'_>, x1: &RawArray, x2: &RawArray, axis: isize) -> PyResult<RawArray> {
    run_array(py, || la::cross(&x1.0, &x2.0, axis))
}

#[pyfunction]
fn linalg_det(py: Python<'_>, x: &RawArray) -> PyResult<RawArray> {
    run_array(py, || la::det(&x.0))
}

#[pyfunction]
fn linalg_diagonal(py: Python<'_>, x: &RawArray, offset: i64) -> PyResult<RawArray> {
    run_array(py, || la::diagonal(&x.0, offset))
}

/// `(eigenvalues, eigenvectors)`.
#[pyfunction]
fn linalg_eigh(py: Python<'_>, x: &RawArray) -> PyResult<Pair> {
    let x = x.0.clone();
    let r = run(py, move || la::eigh(&x))?;
    Ok((RawArray(r.eigenvalues), RawArray(r.eigenvectors)))
}

/// `(eigenvalues, eigenvectors)` of general matrices (complex).
#[pyfunction]
fn linalg_eig(py: Python<'_>, x: &RawArray) -> PyResult<Pair> {
    let x = x.0.clone();
    let r = run(py, move || la::eig(&x))?;
    Ok((RawArray(r.eigenvalues), RawArray(r.eigenvectors)))
}

#[pyfunction]
fn linalg_eigvals(py: Python<'_>, x: &RawArray) -> PyResult<RawArray> {
    run_array(py, || la::eigvals(&x.0))
}

#[pyfunction]
fn linalg_eigvalsh(py: Python<'_>, x: &RawArray) -> PyResult<RawArray> {
    run_array(py, || la::eigvalsh(&x.0))
}

#[pyfunction]
fn linalg_inv(py: Python<'_>, x: &RawArray) -> PyResult<RawArray> {
    run_array(py, || la::inv(&x.0))
}

/// `ord` is one of `fro`, `nuc`, `inf`, `-inf`, `1`, `-1`, `2`, `-2`.
#[pyfunction]
fn linalg_matrix_norm(
    py: Python<'_>,
    x: &RawArray,
    keepdims: bool,
    ord: &str,
) -> PyResult<RawArray> {
    let ord = match ord {
        "fro" => MatrixOrd::Fro,
        "nuc" => MatrixOrd::Nuc,
        "inf" => MatrixOrd::Inf,
        "-inf" => MatrixOrd::NegInf,
        "1" => MatrixOrd::One,
        "-1" => MatrixOrd::NegOne,
        "2" => MatrixOrd::Two,
        "-2" => MatrixOrd::NegTwo,
        other => return Err(value_error(format!("matrix_norm: unknown ord {other}"))),
    };
    run_array(py, || la::matrix_norm(&x.0, keepdims, ord))
}

#[pyfunction]
fn linalg_matrix_power(py: Python<'_>, x: &RawArray, n: i64) -> PyResult<RawArray> {
    run_array(py, || la::matrix_power(&x.0, n))
}

#[pyfunction]
#[pyo3(signature = (x, rtol=None))]
fn linalg_matrix_rank(
    py: Python<'_>,
    x: &RawArray,
    rtol: Option<&Bound<'_, PyAny>>,
) -> PyResult<RawArray> {
    let rtol = opt_operand(rtol)?;
    run_array(py, || la::matrix_rank(&x.0, rtol))
}

#[pyfunction]
fn linalg_outer(py: Python<'_>, x1: &RawArray, x2: &RawArray) -> PyResult<RawArray> {
    run_array(py, || la::outer(&x1.0, &x2.0))
}

#[pyfunction]
#[pyo3(signature = (x, rtol=None))]
fn linalg_pinv(
    py: Python<'_>,
    x: &RawArray,
    rtol: Option<&Bound<'_, PyAny>>,
) -> PyResult<RawArray> {
    let rtol = opt_operand(rtol)?;
    run_array(py, || la::pinv(&x.0, rtol))
}

/// `(Q, R)`.
#[pyfunction]
fn linalg_qr(py: Python<'_>, x: &RawArray, complete: bool) -> PyResult<Pair> {
    let x = x.0.clone();
    let r = run(py, move || la::qr(&x, complete))?;
    Ok((RawArray(r.q), RawArray(r.r)))
}

/// `(sign, logabsdet)`.
#[pyfunction]
fn linalg_slogdet(py: Python<'_>, x: &RawArray) -> PyResult<Pair> {
    let x = x.0.clone();
    let r = run(py, move || la::slogdet(&x))?;
    Ok((RawArray(r.sign), RawArray(r.logabsdet)))
}

#[pyfunction]
fn linalg_solve(py: Python<'_>, x1: &RawArray, x2: &RawArray) -> PyResult<RawArray> {
    run_array(py, || la::solve(&x1.0, &x2.0))
}

/// `(U, S, Vh)`.
#[pyfunction]
fn linalg_svd(
    py: Python<'_>,
    x: &RawArray,
    full_matrices: bool,
) -> PyResult<(RawArray, RawArray, RawArray)> {
    let x = x.0.clone();
    let r = run(py, move || la::svd(&x, full_matrices))?;
    Ok((RawArray(r.u), RawArray(r.s), RawArray(r.vh)))
}

#[pyfunction]
fn linalg_svdvals(py: Python<'_>, x: &RawArray) -> PyResult<RawArray> {
    run_array(py, || la::svdvals(&x.0))
}

#[pyfunction]
#[pyo3(signature = (x, offset, dtype=None))]
fn linalg_trace(
    py: Python<'_>,
    x: &RawArray,
    offset: i64,
    dtype: Option<&str>,
) -> PyResult<RawArray> {
    let dtype = opt_dtype(dtype)?;
    run_array(py, || la::trace(&x.0, offset, dtype))
}

#[pyfunction]
#[pyo3(signature = (x, axes, keepdims, ord))]
fn linalg_vector_norm(
    py: Python<'_>,
    x: &RawArray,
    axes: Option<Vec<isize>>,
    keepdims: bool,
    ord: f64,
) -> PyResult<RawArray> {
    run_array(py, || la::vector_norm(&x.0, axes.as_deref(), keepdims, ord))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(linalg_cholesky, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_cross, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_det, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_diagonal, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_eig, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_eigh, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_eigvals, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_eigvalsh, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_inv, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_matrix_norm, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_matrix_power, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_matrix_rank, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_outer, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_pinv, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_qr, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_slogdet, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_solve, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_svd, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_svdvals, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_trace, m)?)?;
    m.add_function(wrap_pyfunction!(linalg_vector_norm, m)?)?;
    Ok(())
}
