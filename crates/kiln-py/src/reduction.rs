//! Reductions and scans: one facade call per function.
//!
//! Invariant: `axes` is `None` (all axes) or a Python-normalised list; dtype rules (sum of int8
//! accumulates in int64, mean of integers in float64, ...) are the facade's.

use pyo3::prelude::*;

use crate::array::RawArray;
use crate::convert::opt_dtype;
use crate::error::run_array;

macro_rules! typed_reductions {
    ($($name:ident),*) => {$(
        #[pyfunction]
        #[pyo3(signature = (x, axes, keepdims, dtype=None))]
        fn $name(
            py: Python<'_>,
            x: &RawArray,
            axes: Option<Vec<isize>>,
            keepdims: bool,
            dtype: Option<&str>,
        ) -> PyResult<RawArray> {
            let dtype = opt_dtype(dtype)?;
            run_array(py, || x.0.$name(axes.as_deref(), keepdims, dtype))
        }
    )*};
}

macro_rules! plain_reductions {
    ($($name:ident),*) => {$(
        #[pyfunction]
        fn $name(
            py: Python<'_>,
            x: &RawArray,
            axes: Option<Vec<isize>>,
            keepdims: bool,
        ) -> PyResult<RawArray> {
            run_array(py, || x.0.$name(axes.as_deref(), keepdims))
        }
    )*};
}

macro_rules! corrected_reductions {
    ($($name:ident as $py_name:literal => $method:ident),*) => {$(
        #[pyfunction]
        #[pyo3(name = $py_name)]
        fn $name(
            py: Python<'_>,
            x: &RawArray,
            axes: Option<Vec<isize>>,
            correction: f64,
            keepdims: bool,
        ) -> PyResult<RawArray> {
            run_array(py, || x.0.$method(axes.as_deref(), correction, keepdims))
        }
    )*};
}

macro_rules! arg_reductions {
    ($($name:ident),*) => {$(
        #[pyfunction]
        fn $name(
            py: Python<'_>,
            x: &RawArray,
            axis: Option<isize>,
            keepdims: bool,
        ) -> PyResult<RawArray> {
            run_array(py, || x.0.$name(axis, keepdims))
        }
    )*};
}

macro_rules! scans {
    ($($name:ident),*) => {$(
        #[pyfunction]
        fn $name(
            py: Python<'_>,
            x: &RawArray,
            axis: Option<isize>,
            dtype: Option<&str>,
            include_initial: bool,
        ) -> PyResult<RawArray> {
            let dtype = opt_dtype(dtype)?;
            run_array(py, || x.0.$name(axis, dtype, include_initial))
        }
    )*};
}

typed_reductions!(sum, prod);
plain_reductions!(max, min, mean, any, all);
// `std` would shadow the standard library's crate name inside the module.
corrected_reductions!(var as "var" => var, std_ as "std" => std);
arg_reductions!(argmax, argmin);
scans!(cumulative_sum, cumulative_prod);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sum, m)?)?;
    m.add_function(wrap_pyfunction!(prod, m)?)?;
    m.add_function(wrap_pyfunction!(max, m)?)?;
    m.add_function(wrap_pyfunction!(min, m)?)?;
    m.add_function(wrap_pyfunction!(mean, m)?)?;
    m.add_function(wrap_pyfunction!(any, m)?)?;
    m.add_function(wrap_pyfunction!(all, m)?)?;
    m.add_function(wrap_pyfunction!(var, m)?)?;
    m.add_function(wrap_pyfunction!(std_, m)?)?;
    m.add_function(wrap_pyfunction!(argmax, m)?)?;
    m.add_function(wrap_pyfunction!(argmin, m)?)?;
    m.add_function(wrap_pyfunction!(cumulative_sum, m)?)?;
    m.add_function(wrap_pyfunction!(cumulative_prod, m)?)?;
    Ok(())
}
