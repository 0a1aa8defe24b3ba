//! Creation functions: arrays from Rust data and lazy generators (`zeros`, `arange`, `eye`, ...).
//!
//! Invariant: generators build lazy nodes (`Full`, `Arange`, `Eye`), never buffers, so a
//! `zeros(...) + x` fuses into one kernel; data from Rust is copied once into aligned storage.

use kiln_ir::{DType, Element, IrError, Op, Realized, Scalar, Shape};

use crate::error::{Result, invalid};
use crate::graph::Array;
use crate::operand::{ScalarArg, cast, constant};

impl Array {
    /// An array holding `data` (row-major) with `shape`.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Result<Array> {
        Array::from_slice(&data, shape)
    }

    /// An array copied from a slice (row-major) with `shape`.
    pub fn from_slice<T: Element>(data: &[T], shape: &[usize]) -> Result<Array> {
        let shape = Shape::from(shape);
        if shape.numel() != data.len() {
            return Err(IrError::Reshape {
                from: Shape::from([data.len()]),
                from_numel: data.len(),
                to: shape,
            }
            .into());
        }
        Ok(Array::from_realized(Realized::from_vec(data, shape)?))
    }

    /// An array over already realized data, shared without a copy (for example foreign memory
    /// wrapped by `Storage::from_foreign`, or another array's storage seen through a view).
    pub fn from_data(data: Realized) -> Array {
        Array::from_realized(data)
    }

    /// An array copied from an `ndarray` array (any layout).
    pub fn from_ndarray<T: Element, D: ndarray::Dimension>(
        a: &ndarray::Array<T, D>,
    ) -> Result<Array> {
        let data: Vec<T> = a.iter().copied().collect();
        Array::from_slice(&data, a.shape())
    }

    /// A rank-0 array.
    pub fn scalar<T: Element>(value: T) -> Result<Array> {
        Array::from_slice(&[value], &[])
    }
}

/// A constant array of `shape` filled with `value` in `dtype` (the scalar's default dtype if None).
pub fn full(shape: &[usize], value: impl Into<ScalarArg>, dtype: Option<DType>) -> Result<Array> {
    let value = value.into();
    let dtype = dtype.unwrap_or(value.default_dtype());
    let v = match value {
        // `full` converts any value to the requested dtype (as `astype` would), unlike operands.
        ScalarArg::Int(i) => Scalar::I64(i).cast(dtype),
        other => other.to_scalar(dtype)?,
    };
    Array::from_op(Op::Full(v, Shape::from(shape)), vec![])
}

pub fn zeros(shape: &[usize], dtype: DType) -> Result<Array> {
    Array::from_op(Op::Full(Scalar::zero(dtype), Shape::from(shape)), vec![])
}

pub fn ones(shape: &[usize], dtype: DType) -> Result<Array> {
    Array::from_op(Op::Full(Scalar::one(dtype), Shape::from(shape)), vec![])
}

/// `empty` has no uninitialised memory in kiln: it is `zeros`.
pub fn empty(shape: &[usize], dtype: DType) -> Result<Array> {
    zeros(shape, dtype)
}

pub fn zeros_like(x: &Array, dtype: Option<DType>) -> Result<Array> {
    zeros(x.shape(), dtype.unwrap_or(x.dtype()))
}
pub fn ones_like(x: &Array, dtype: Option<DType>) -> Result<Array> {
    ones(x.shape(), dtype.unwrap_or(x.dtype()))
}
pub fn empty_like(x: &Array, dtype: Option<DType>) -> Result<Array> {
    zeros_like(x, dtype)
}
pub fn full_like(x: &Array, value: impl Into<ScalarArg>, dtype: Option<DType>) -> Result<Array> {
    let dtype = dtype.unwrap_or(x.dtype());
    full(x.shape(), value, Some(dtype))
}

/// Values `start, start+step, ...` below `stop` (above it for a negative step).
///
/// With `dtype` None, the result is int64 if all three are integers, else float64.
pub fn arange(
    start: impl Into<ScalarArg>,
    stop: Option<ScalarArg>,
    step: impl Into<ScalarArg>,
    dtype: Option<DType>,
) -> Result<Array> {
    let (start, stop) = match stop {
        Some(stop) => (start.into(), stop),
        None => (ScalarArg::Int(0), start.into()),
    };
    let step = step.into();
    let all_int = [start, stop, step]
        .iter()
        .all(|s| matches!(s, ScalarArg::Int(_) | ScalarArg::Bool(_)));
    let dtype = dtype.unwrap_or(if all_int { DType::I64 } else { DType::F64 });
    if dtype.is_bool() || dtype.is_complex() {
        return Err(invalid(format!("arange does not support dtype {dtype}")));
    }
    let as_f64 = |s: ScalarArg| match s {
        ScalarArg::Bool(b) => Ok(b as u8 as f64),
        ScalarArg::Int(i) => Ok(i as f64),
        ScalarArg::Float(f) => Ok(f),
        ScalarArg::Complex(_) => Err(invalid("arange arguments must be real")),
    };
    let (a, b, s) = (as_f64(start)?, as_f64(stop)?, as_f64(step)?);
    if s == 0.0 || !s.is_finite() || !a.is_finite() || !b.is_finite() {
        return Err(invalid(format!(
            "arange needs finite arguments and a non-zero step, got ({a}, {b}, {s})"
        )));
    }
    let len = if all_int {
        let (a, b, s) = (int_of(start), int_of(stop), int_of(step));
        let span = b as i128 - a as i128;
        if (span > 0) == (s > 0) && span != 0 {
            ((span.abs() + s.unsigned_abs() as i128 - 1) / s.unsigned_abs() as i128) as usize
        } else {
            0
        }
    } else {
        ((b - a) / s).ceil().max(0.0) as usize
    };
    if len > (1usize << 40) {
        return Err(IrError::TooLarge(format!("arange of {len} elements")).into());
    }
    let (start_s, step_s) = if dtype.is_integer() {
        (
            Scalar::I64(int_of(start)).cast(dtype),
            Scalar::I64(int_of(step)).cast(dtype),
        )
    } else {
        (Scalar::F64(a).cast(dtype), Scalar::F64(s).cast(dtype))
    };
    if dtype.is_integer() && !all_int {
        // Fractional bounds with an integer dtype: compute in float64, then truncate.
        let f = Array::from_op(
            Op::Arange {
                start: Scalar::F64(a),
                step: Scalar::F64(s),
                len,
            },
            vec![],
        )?;
        return cast(&f, dtype);
    }
    Array::from_op(
        Op::Arange {
            start: start_s,
            step: step_s,
            len,
        },
        vec![],
    )
}

fn int_of(s: ScalarArg) -> i64 {
    match s {
        ScalarArg::Bool(b) => b as i64,
        ScalarArg::Int(i) => i,
        ScalarArg::Float(f) => f as i64,
        ScalarArg::Complex(c) => c.re as i64,
    }
}

/// `num` evenly spaced values over `[start, stop]` (or `[start, stop)` without endpoint).
pub fn linspace(
    start: f64,
    stop: f64,
    num: usize,
    endpoint: bool,
    dtype: Option<DType>,
) -> Result<Array> {
    let dtype = dtype.unwrap_or(DType::F64);
    if !dtype.is_real_float() {
        return Err(invalid(format!(
            "linspace supports real floating dtypes, got {dtype}"
        )));
    }
    let div = if endpoint { num.saturating_sub(1) } else { num };
    let step = if div > 0 {
        (stop - start) / div as f64
    } else {
        0.0
    };
    let values = Array::from_op(
        Op::Arange {
            start: Scalar::F64(start),
            step: Scalar::F64(step),
            len: num,
        },
        vec![],
    )?;
    let values = if endpoint && num > 1 {
        // Pin the last element to `stop` exactly, as NumPy does.
        let index = Array::from_op(
            Op::Arange {
                start: Scalar::I64(0),
                step: Scalar::I64(1),
                len: num,
            },
            vec![],
        )?;
        let last = crate::elementwise::equal(&index, (num - 1) as i64)?;
        let stop_c = constant(Scalar::F64(stop), &Shape::from([num]))?;
        crate::elementwise::where_(&last, &stop_c, &values)?
    } else {
        values
    };
    cast(&values, dtype)
}

/// A `rows x cols` matrix with ones on diagonal `k`.
pub fn eye(rows: usize, cols: Option<usize>, k: i64, dtype: DType) -> Result<Array> {
    Array::from_op(
        Op::Eye {
            rows,
            cols: cols.unwrap_or(rows),
            k,
            dtype,
        },
        vec![],
    )
}
