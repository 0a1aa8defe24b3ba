//! `RawArray`: the Python-visible handle to a lazy `kiln::Array`.
//!
//! Invariant: a `RawArray` is immutable (a frozen pyclass); operations return new handles, so the
//! Python `kiln.Array` wrapper can rebind itself for in-place operators without aliasing
//! surprises. Only metadata that needs no evaluation is read here; values go through `convert`.

use pyo3::prelude::*;

/// A lazy array handle; the user-facing class is `kiln.Array` (python/kiln/_array.py).
#[pyclass(frozen, module = "kiln._kiln", name = "RawArray")]
#[derive(Clone, Debug)]
pub struct RawArray(pub kiln::Array);

#[pymethods]
impl RawArray {
    /// The dtype's standard name (`"float32"`).
    #[getter]
    fn dtype(&self) -> &'static str {
        self.0.dtype().name()
    }

    #[getter]
    fn shape(&self) -> Vec<usize> {
        self.0.shape().to_vec()
    }

    #[getter]
    fn ndim(&self) -> usize {
        self.0.ndim()
    }

    #[getter]
    fn size(&self) -> usize {
        self.0.size()
    }

    /// The device's name (`"cpu"`).
    #[getter]
    fn device(&self) -> String {
        self.0.device().to_string()
    }

    /// Whether the array already holds data.
    #[getter]
    fn is_realized(&self) -> bool {
        self.0.is_realized()
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.0)
    }
}
