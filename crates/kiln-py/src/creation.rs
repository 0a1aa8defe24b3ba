//! Creation functions and the data boundary: arrays from Python scalars and NumPy arrays, and
//! values back out (NumPy arrays, Python scalars).
//!
//! Invariant: generators (`full`, `arange`, `eye`, ...) build lazy nodes and copy nothing;
//! `from_numpy` copies once; every read-back evaluates without the GIL first.

use pyo3::prelude::*;

use crate::array::RawArray;
use crate::convert::{dtype, opt_dtype, scalar, scalar_to_py};
use crate::error::{run, run_array};

#[pyfunction]
fn full(
    py: Python<'_>,
    shape: Vec<usize>,
    fill_value: &Bound<'_, PyAny>,
    dtype: Option<&str>,
) -> PyResult<RawArray> {
    let (value, dtype) = (scalar(fill_value)?, opt_dtype(dtype)?);
    run_array(py, || kiln::full(&shape, value, dtype))
}

#[pyfunction]
fn zeros(py: Python<'_>, shape: Vec<usize>, dtype_name: &str) -> PyResult<RawArray> {
    let dtype = dtype(dtype_name)?;
    run_array(py, || kiln::zeros(&shape, dtype))
}

#[pyfunction]
fn ones(py: Python<'_>, shape: Vec<usize>, dtype_name: &str) -> PyResult<RawArray> {
    let dtype = dtype(dtype_name)?;
    run_array(py, || kiln::ones(&shape, dtype))
}

#[pyfunction]
fn empty(py: Python<'_>, shape: Vec<usize>, dtype_name: &str) -> PyResult<RawArray> {
    let dtype = dtype(dtype_name)?;
    run_array(py, || kiln::empty(&shape, dtype))
}

#[pyfunction]
fn arange(
    py: Python<'_>,
    start: &Bound<'_, PyAny>,
    stop: Option<&Bound<'_, PyAny>>,
    step: &Bound<'_, PyAny>,
    dtype: Option<&str>,
) -> PyResult<RawArray> {
    let (start, step, dtype) = (scalar(start)?, scalar(step)?, opt_dtype(dtype)?);
    let stop = stop.map(scalar).transpose()?;
    run_array(py, || kiln::arange(start, stop, step, dtype))
}

#[pyfunction]
fn linspace(
    py: Python<'_>,
    start: f64,
    stop: f64,
    num: usize,
    endpoint: bool,
    dtype: Option<&str>,
) -> PyResult<RawArray> {
    let dtype = opt_dtype(dtype)?;
    run_array(py, || kiln::linspace(start, stop, num, endpoint, dtype))
}

#[pyfunction]
fn eye(
    py: Python<'_>,
    n_rows: usize,
    n_cols: Option<usize>,
    k: i64,
    dtype_name: &str,
) -> PyResult<RawArray> {
    let dtype = dtype(dtype_name)?;
    run_array(py, || kiln::eye(n_rows, n_cols, k, dtype))
}

/// The values as a new NumPy array (evaluating first).
#[pyfunction]
fn to_numpy<'py>(py: Python<'py>, x: &RawArray) -> PyResult<Bound<'py, PyAny>> {
    crate::convert::to_numpy(py, &x.0)
}

/// The single element of a size-1 array as a Python bool, int, float or complex.
#[pyfunction]
fn item<'py>(py: Python<'py>, x: &RawArray) -> PyResult<Bound<'py, PyAny>> {
    scalar_to_py(py, run(py, || x.0.item())?)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(full, m)?)?;
    m.add_function(wrap_pyfunction!(zeros, m)?)?;
    m.add_function(wrap_pyfunction!(ones, m)?)?;
    m.add_function(wrap_pyfunction!(empty, m)?)?;
    m.add_function(wrap_pyfunction!(arange, m)?)?;
    m.add_function(wrap_pyfunction!(linspace, m)?)?;
    m.add_function(wrap_pyfunction!(eye, m)?)?;
    m.add_function(wrap_pyfunction!(to_numpy, m)?)?;
    m.add_function(wrap_pyfunction!(item, m)?)?;
    Ok(())
}
