//! The boundary between kiln's typed errors and Python exceptions.
//!
//! Invariant: every call into the facade goes through `run` or `run_array`, which map a
//! `KilnError` onto the exception class named by `KilnError::python_kind` and turn a panic (a
//! kiln bug) into a `RuntimeError`, so no `PanicException` ever reaches a user. `run` releases the
//! GIL (evaluation: optimise, compile, execute, copy out); `run_array` keeps it, because building
//! a lazy node is a type check and an allocation (well under a microsecond) and never blocks on
//! anything that waits for the GIL, while releasing and re-taking the GIL would cost more than
//! the work itself.

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
    caught(py.detach(|| catch_unwind(AssertUnwindSafe(f))))
}

/// Builds a lazy array with the GIL held (see the module invariant) and panics caught. Only for
/// graph-building facade calls, which never evaluate.
pub(crate) fn run_array<F>(_py: Python<'_>, f: F) -> PyResult<RawArray>
where
    F: FnOnce() -> kiln::Result<kiln::Array>,
{
    caught(catch_unwind(AssertUnwindSafe(f))).map(RawArray)
}

fn caught<T>(result: std::thread::Result<kiln::Result<T>>) -> PyResult<T> {
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(to_pyerr(&err)),
        Err(payload) => Err(panic_error(payload.as_ref())),
    }
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
