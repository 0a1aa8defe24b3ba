//! Conversions between Python values and kiln values: dtype names, scalar operands, index
//! entries, scalars read back, and NumPy copies of array values (NumPy data comes in through
//! DLPack: see `dlpack`).
//!
//! Invariant: conversions are exact or fail with a `TypeError`/`ValueError`; nothing here
//! guesses (argument normalisation such as `axis=3 -> [3]` is done in Python before the call).

use kiln::{Array, C64, C128, DType, Idx, Operand, Scalar, ScalarArg};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyComplex, PyFloat, PyInt};

use crate::array::RawArray;
use crate::error::{run, type_error, value_error};

/// A dtype from its standard name.
pub(crate) fn dtype(name: &str) -> PyResult<DType> {
    DType::from_name(name).ok_or_else(|| type_error(format!("kiln has no dtype {name:?}")))
}

/// An optional dtype from an optional name.
pub(crate) fn opt_dtype(name: Option<&str>) -> PyResult<Option<DType>> {
    name.map(dtype).transpose()
}

/// A Python `bool`, `int`, `float` or `complex` as a scalar operand (None for anything else).
pub(crate) fn scalar_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<ScalarArg>> {
    if obj.is_instance_of::<PyBool>() {
        return Ok(Some(ScalarArg::Bool(obj.extract()?)));
    }
    if obj.is_instance_of::<PyInt>() {
        let v: i64 = obj
            .extract()
            .map_err(|_| value_error(format!("Python integer {obj} does not fit in int64")))?;
        return Ok(Some(ScalarArg::Int(v)));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(Some(ScalarArg::Float(obj.extract()?)));
    }
    if obj.is_instance_of::<PyComplex>() {
        let re: f64 = obj.getattr("real")?.extract()?;
        let im: f64 = obj.getattr("imag")?.extract()?;
        return Ok(Some(ScalarArg::Complex(C128::new(re, im))));
    }
    Ok(None)
}

/// A scalar that must be one (creation functions' fill values, `arange` bounds).
pub(crate) fn scalar(obj: &Bound<'_, PyAny>) -> PyResult<ScalarArg> {
    scalar_arg(obj)?.ok_or_else(|| {
        type_error(format!(
            "expected a Python bool, int, float or complex, got {}",
            type_name(obj)
        ))
    })
}

/// An operand: a `RawArray` or a Python scalar.
pub(crate) fn operand(obj: &Bound<'_, PyAny>) -> PyResult<Operand> {
    if let Ok(a) = obj.cast::<RawArray>() {
        return Ok(Operand::Array(a.get().0.clone()));
    }
    scalar_arg(obj)?.map(Operand::Scalar).ok_or_else(|| {
        type_error(format!(
            "expected a kiln array or a Python scalar, got {}",
            type_name(obj)
        ))
    })
}

/// An optional operand (`clip`'s bounds).
pub(crate) fn opt_operand(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Operand>> {
    obj.filter(|o| !o.is_none()).map(operand).transpose()
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "an unknown type".into(), |n| n.to_string())
}

/// Index entry codes shared with python/kiln/_indexing.py.
const INDEX: i64 = 0;
const RANGE: i64 = 1;
const NEWAXIS: i64 = 2;
const ELLIPSIS: i64 = 3;

/// One normalised index entry `(code, a, b, step)` as an `Idx`.
pub(crate) fn index_entry(
    (code, a, b, step): (i64, Option<i64>, Option<i64>, i64),
) -> PyResult<Idx> {
    match code {
        INDEX => a
            .map(Idx::Index)
            .ok_or_else(|| value_error("integer index entry without a value")),
        RANGE => Ok(Idx::Range {
            start: a,
            stop: b,
            step,
        }),
        NEWAXIS => Ok(Idx::NewAxis),
        ELLIPSIS => Ok(Idx::Ellipsis),
        other => Err(value_error(format!("unknown index entry code {other}"))),
    }
}

/// A scalar read back as the Python value of its kind.
pub(crate) fn scalar_to_py<'py>(py: Python<'py>, s: Scalar) -> PyResult<Bound<'py, PyAny>> {
    match s {
        Scalar::Bool(v) => v.into_bound_py_any(py),
        Scalar::U64(v) => v.into_bound_py_any(py),
        Scalar::F32(_) | Scalar::F64(_) => s.to_f64().into_bound_py_any(py),
        Scalar::C64(_) | Scalar::C128(_) => {
            let c = s.to_c128();
            Ok(PyComplex::from_doubles(py, c.re, c.im).into_any())
        }
        _ => s.to_i64().into_bound_py_any(py),
    }
}

/// The values of `a` (evaluated without the GIL) as a new NumPy array of the same dtype.
pub(crate) fn to_numpy<'py>(py: Python<'py>, a: &Array) -> PyResult<Bound<'py, PyAny>> {
    macro_rules! out {
        ($t:ty) => {{
            let values = run(py, || Ok(a.data()?.to_vec::<$t>()))?;
            PyArray1::from_vec(py, values)
                .reshape(a.shape().to_vec())?
                .into_any()
        }};
    }
    Ok(match a.dtype() {
        DType::Bool => out!(bool),
        DType::I8 => out!(i8),
        DType::I16 => out!(i16),
        DType::I32 => out!(i32),
        DType::I64 => out!(i64),
        DType::U8 => out!(u8),
        DType::U16 => out!(u16),
        DType::U32 => out!(u32),
        DType::U64 => out!(u64),
        DType::F32 => out!(f32),
        DType::F64 => out!(f64),
        DType::C64 => out!(C64),
        DType::C128 => out!(C128),
    })
}
