//! The boundary between kiln's typed errors and Python exceptions.
//!
//! Invariant: every call into the facade goes through `run` (or `run_array`), which releases the
//! GIL while kiln builds, optimises, compiles or executes, maps a `KilnError` onto the exception
//! class named by `KilnError::python_kind`, and turns a panic (a kiln bug) into a `RuntimeError`,
//! so no `PanicException` ever reaches a user.

use std::panic::{AssertUnwindSafe, catch_unwind};

use kiln::{KilnError, PythonKind};
use pyo3::exceptions::{PyIndexError, PyMemoryError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::array::RawArray;

/// The Python exception for a kiln error.
pub(crate) fn to_pyerr(err: &KilnError) -> PyErr {
    let msg = err.to_string();
    match err.python_kind() {
        PythonKind::ValueError => PyValueError::new_err(msg),
        PythonKind::TypeError => PyTypeError::new_err(msg),
        PythonKind::IndexError => PyIndexError::new_err(msg),
        PythonKind::MemoryError => PyMemoryError::new_err(msg),
        PythonKind::RuntimeError => PyRuntimeError::new_err(msg),
    }
}

/// Runs `f` without the GIL and with panics caught (see the module invariant).
pub(crate) fn run<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> kiln::Result<T> + Send,
    T: Send,
{
    match py.detach(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(to_pyerr(&err)),
        Err(payload) => Err(panic_error(payload.as_ref())),
    }
}

/// `run` for the common case of a function that returns an array.
pub(crate) fn run_array<F>(py: Python<'_>, f: F) -> PyResult<RawArray>
where
    F: FnOnce() -> kiln::Result<kiln::Array> + Send,
{
    run(py, f).map(RawArray)
}

/// A `RuntimeError` that says a panic happened inside kiln (always a bug to report).
fn panic_error(payload: &(dyn std::any::Any + Send)) -> PyErr {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_string());
    PyRuntimeError::new_err(format!("internal error in kiln (please report): {detail}"))
}

/// A `TypeError` for an argument the bindings cannot convert.
pub(crate) fn type_error(msg: impl Into<String>) -> PyErr {
    PyTypeError::new_err(msg.into())
}

/// A `ValueError` for an argument of the right type but a bad value.
pub(crate) fn value_error(msg: impl Into<String>) -> PyErr {
    PyValueError::new_err(msg.into())
}
