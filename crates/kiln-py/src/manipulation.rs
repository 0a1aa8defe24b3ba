//! Views, reshapes, indexing, casts and matrix products: one facade call per function.
//!
//! Invariant: axes arrive as Python-normalised integer lists (negative axes are the facade's to
//! resolve), so these functions only convert types and delegate.

use pyo3::prelude::*;

use crate::array::RawArray;
use crate::convert::{dtype, index_entry};
use crate::error::run_array;

#[pyfunction]
fn astype(py: Python<'_>, x: &RawArray, dtype_name: &str) -> PyResult<RawArray> {
    let dtype = dtype(dtype_name)?;
    run_array(py, || x.0.astype(dtype))
}

#[pyfunction]
fn reshape(py: Python<'_>, x: &RawArray, shape: Vec<isize>) -> PyResult<RawArray> {
    run_array(py, || x.0.reshape(&shape))
}

#[pyfunction]
fn permute_dims(py: Python<'_>, x: &RawArray, axes: Vec<isize>) -> PyResult<RawArray> {
    run_array(py, || x.0.permute_dims(&axes))
}

#[pyfunction]
fn matrix_transpose(py: Python<'_>, x: &RawArray) -> PyResult<RawArray> {
    run_array(py, || x.0.matrix_transpose())
}

#[pyfunction]
fn broadcast_to(py: Python<'_>, x: &RawArray, shape: Vec<usize>) -> PyResult<RawArray> {
    run_array(py, || x.0.broadcast_to(&shape))
}

#[pyfunction]
fn expand_dims(py: Python<'_>, x: &RawArray, axis: isize) -> PyResult<RawArray> {
    run_array(py, || x.0.expand_dims(axis))
}

#[pyfunction]
fn squeeze(py: Python<'_>, x: &RawArray, axes: Vec<isize>) -> PyResult<RawArray> {
    run_array(py, || x.0.squeeze(&axes))
}

#[pyfunction]
#[pyo3(signature = (x, axes=None))]
fn flip(py: Python<'_>, x: &RawArray, axes: Option<Vec<isize>>) -> PyResult<RawArray> {
    run_array(py, || x.0.flip(axes.as_deref()))
}

/// Basic indexing; `entries` are `(code, a, b, step)` tuples built by python/kiln/_indexing.py.
#[pyfunction]
fn getitem(
    py: Python<'_>,
    x: &RawArray,
    entries: Vec<(i64, Option<i64>, Option<i64>, i64)>,
) -> PyResult<RawArray> {
    let index = entries
        .into_iter()
        .map(index_entry)
        .collect::<PyResult<Vec<_>>>()?;
    run_array(py, || x.0.slice(&index))
}

#[pyfunction]
fn matmul(py: Python<'_>, x1: &RawArray, x2: &RawArray) -> PyResult<RawArray> {
    run_array(py, || kiln::matmul(&x1.0, &x2.0))
}

#[pyfunction]
fn tensordot(py: Python<'_>, x1: &RawArray, x2: &RawArray, axes: usize) -> PyResult<RawArray> {
    run_array(py, || kiln::tensordot(&x1.0, &x2.0, axes))
}

#[pyfunction]
fn tensordot_axes(
    py: Python<'_>,
    x1: &RawArray,
    x2: &RawArray,
    axes1: Vec<usize>,
    axes2: Vec<usize>,
) -> PyResult<RawArray> {
    run_array(py, || kiln::tensordot_axes(&x1.0, &x2.0, &axes1, &axes2))
}

#[pyfunction]
fn vecdot(py: Python<'_>, x1: &RawArray, x2: &RawArray, axis: isize) -> PyResult<RawArray> {
    run_array(py, || kiln::vecdot(&x1.0, &x2.0, axis))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(astype, m)?)?;
    m.add_function(wrap_pyfunction!(reshape, m)?)?;
    m.add_function(wrap_pyfunction!(permute_dims, m)?)?;
    m.add_function(wrap_pyfunction!(matrix_transpose, m)?)?;
    m.add_function(wrap_pyfunction!(broadcast_to, m)?)?;
    m.add_function(wrap_pyfunction!(expand_dims, m)?)?;
    m.add_function(wrap_pyfunction!(squeeze, m)?)?;
    m.add_function(wrap_pyfunction!(flip, m)?)?;
    m.add_function(wrap_pyfunction!(getitem, m)?)?;
    m.add_function(wrap_pyfunction!(matmul, m)?)?;
    m.add_function(wrap_pyfunction!(tensordot, m)?)?;
    m.add_function(wrap_pyfunction!(tensordot_axes, m)?)?;
    m.add_function(wrap_pyfunction!(vecdot, m)?)?;
    Ok(())
}
