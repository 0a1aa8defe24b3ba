//! Evaluation and introspection (`eval`, `explain`) and the dtype rules Python needs
//! (`promote`, `can_cast`, `scalar_result_dtype`), delegated to the facade and `kiln-ir`.
//!
//! Invariant: the GIL is released for the whole of an evaluation (optimise, compile, run).

use pyo3::prelude::*;

use crate::array::RawArray;
use crate::convert::{dtype, scalar};
use crate::error::run;

/// Evaluates several arrays together (shared sub-graphs computed once).
#[pyfunction]
#[pyo3(signature = (*arrays))]
fn eval(py: Python<'_>, arrays: Vec<Bound<'_, RawArray>>) -> PyResult<()> {
    let arrays = handles(&arrays);
    run(py, || kiln::eval(&arrays.iter().collect::<Vec<_>>()))
}

/// Evaluates like `eval` and returns the text of every pipeline stage.
#[pyfunction]
#[pyo3(signature = (*arrays))]
fn explain(py: Python<'_>, arrays: Vec<Bound<'_, RawArray>>) -> PyResult<String> {
    let arrays = handles(&arrays);
    run(py, || {
        kiln::explain(&arrays.iter().collect::<Vec<_>>()).map(|e| e.to_string())
    })
}

/// The facade arrays behind Python handles (cheap clones, so the GIL can be released).
fn handles(arrays: &[Bound<'_, RawArray>]) -> Vec<kiln::Array> {
    arrays.iter().map(|a| a.get().0.clone()).collect()
}

/// The result dtype of two array dtypes.
#[pyfunction]
fn promote(a: &str, b: &str) -> PyResult<&'static str> {
    Ok(kiln_ir::promote(dtype(a)?, dtype(b)?).name())
}

/// Whether `from` casts to `to` under the promotion rules.
#[pyfunction]
fn can_cast(from: &str, to: &str) -> PyResult<bool> {
    Ok(kiln_ir::can_cast(dtype(from)?, dtype(to)?))
}

/// The dtype a Python scalar takes next to an array of dtype `array_dtype`.
#[pyfunction]
fn scalar_result_dtype(value: &Bound<'_, PyAny>, array_dtype: &str) -> PyResult<&'static str> {
    Ok(scalar(value)?.result_dtype(dtype(array_dtype)?).name())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(eval, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(promote, m)?)?;
    m.add_function(wrap_pyfunction!(can_cast, m)?)?;
    m.add_function(wrap_pyfunction!(scalar_result_dtype, m)?)?;
    Ok(())
}
