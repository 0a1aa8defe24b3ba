//! Elementwise functions, `where` and `clip`: one PyO3 function per facade function.
//!
//! Invariant: each function converts its arguments (`convert::operand`) and makes exactly one
//! facade call under `run_array`; promotion, broadcasting and dtype checks are the facade's.

use pyo3::prelude::*;

use crate::array::RawArray;
use crate::convert::{operand, opt_operand};
use crate::error::run_array;

macro_rules! unary_functions {
    ($($name:ident),* $(,)?) => {
        $(
            #[pyfunction]
            fn $name(py: Python<'_>, x: &RawArray) -> PyResult<RawArray> {
                run_array(py, || kiln::$name(&x.0))
            }
        )*
        fn register_unary(m: &Bound<'_, PyModule>) -> PyResult<()> {
            $(m.add_function(wrap_pyfunction!($name, m)?)?;)*
            Ok(())
        }
    };
}

macro_rules! binary_functions {
    ($($name:ident),* $(,)?) => {
        $(
            #[pyfunction]
            fn $name(
                py: Python<'_>,
                x1: &Bound<'_, PyAny>,
                x2: &Bound<'_, PyAny>,
            ) -> PyResult<RawArray> {
                let (x1, x2) = (operand(x1)?, operand(x2)?);
                run_array(py, || kiln::$name(x1, x2))
            }
        )*
        fn register_binary(m: &Bound<'_, PyModule>) -> PyResult<()> {
            $(m.add_function(wrap_pyfunction!($name, m)?)?;)*
            Ok(())
        }
    };
}

unary_functions! {
    abs, acos, acosh, asin, asinh, atan, atanh, ceil, cos, cosh, exp, expm1, floor, isfinite,
    isinf, isnan, log, log1p, log2, log10, negative, round, sign, sin, sinh, sqrt, tan, tanh,
    trunc, conj, real, imag, signbit, bitwise_invert, logical_not, positive, square, reciprocal,
}

binary_functions! {
    add, subtract, multiply, divide, pow, maximum, minimum, atan2, hypot, copysign, nextafter,
    logaddexp, floor_divide, remainder, bitwise_and, bitwise_or, bitwise_xor, bitwise_left_shift,
    bitwise_right_shift, equal, not_equal, less, less_equal, greater, greater_equal, logical_and,
    logical_or, logical_xor,
}

/// `where(condition, x1, x2)`.
#[pyfunction]
#[pyo3(name = "where")]
fn where_(
    py: Python<'_>,
    condition: &RawArray,
    x1: &Bound<'_, PyAny>,
    x2: &Bound<'_, PyAny>,
) -> PyResult<RawArray> {
    let (x1, x2) = (operand(x1)?, operand(x2)?);
    run_array(py, || kiln::where_(&condition.0, x1, x2))
}

/// `clip(x, min, max)` with optional bounds.
#[pyfunction]
#[pyo3(signature = (x, min=None, max=None))]
fn clip(
    py: Python<'_>,
    x: &RawArray,
    min: Option<&Bound<'_, PyAny>>,
    max: Option<&Bound<'_, PyAny>>,
) -> PyResult<RawArray> {
    let (min, max) = (opt_operand(min)?, opt_operand(max)?);
    run_array(py, || kiln::clip(&x.0, min, max))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    register_unary(m)?;
    register_binary(m)?;
    m.add_function(wrap_pyfunction!(where_, m)?)?;
    m.add_function(wrap_pyfunction!(clip, m)?)?;
    Ok(())
}
