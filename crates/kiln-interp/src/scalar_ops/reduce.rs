//! Reference reductions over a sequence of scalars of one dtype.
//!
//! Invariant: the oracle is at least as accurate as any backend: float sums accumulate in f64
//! (complex in complex128, per component) with Neumaier compensation and round once to the dtype;
//! float products accumulate in f64 / complex128 and round once; integer sums and products wrap
//! in the dtype. `max`/`min` propagate NaN; `argmax`/`argmin` return the index of the first NaN if
//! any, else of the first extremum. Empty sequences give the identity, or `EmptyReduction` for
//! the reductions that have none.

use super::{complex_scalar, int, real_scalar};
use crate::error::InterpError;
use kiln_ir::{C128, DType, ReduceOp, Scalar};

/// Reduces `values` (all of dtype `dtype`) with `op`; the result has `op.result_dtype(dtype)`.
pub fn reduce(op: ReduceOp, dtype: DType, values: &[Scalar]) -> Result<Scalar, InterpError> {
    let unsupported = || InterpError::UnsupportedDType {
        op: op.name().to_string(),
        dtype,
    };
    op.result_dtype(dtype).ok_or_else(unsupported)?;
    if let Some(bad) = values.iter().find(|v| v.dtype() != dtype) {
        return Err(InterpError::DTypeMismatch {
            op: op.name().to_string(),
            a: dtype,
            b: bad.dtype(),
        });
    }
    let empty = || InterpError::EmptyReduction {
        op: op.name().to_string(),
    };
    match op {
        ReduceOp::Sum => Ok(sum(dtype, values)),
        ReduceOp::Prod => Ok(prod(dtype, values)),
        ReduceOp::Any => Ok(Scalar::Bool(values.iter().any(is_true))),
        ReduceOp::All => Ok(Scalar::Bool(values.iter().all(is_true))),
        ReduceOp::Max | ReduceOp::Min => {
            let extremum = if op == ReduceOp::Max {
                kiln_ir::BinaryOp::Maximum
            } else {
                kiln_ir::BinaryOp::Minimum
            };
            let (first, rest) = values.split_first().ok_or_else(empty)?;
            rest.iter()
                .try_fold(*first, |acc, &v| super::binary(extremum, acc, v))
        }
        ReduceOp::ArgMax | ReduceOp::ArgMin => {
            arg_extremum(op == ReduceOp::ArgMax, values).ok_or_else(empty)
        }
    }
}

fn is_true(v: &Scalar) -> bool {
    matches!(v, Scalar::Bool(true))
}

/// Neumaier-compensated f64 sum; non-finite running sums are returned as they are (the
/// compensation term would turn `inf` into NaN).
fn compensated_sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for v in values {
        let t = sum + v;
        comp += if sum.abs() >= v.abs() {
            (sum - t) + v
        } else {
            (v - t) + sum
        };
        sum = t;
    }
    if sum.is_finite() { sum + comp } else { sum }
}

fn sum(dtype: DType, values: &[Scalar]) -> Scalar {
    if dtype.is_complex() {
        let re = compensated_sum(values.iter().map(|v| v.to_c128().re));
        let im = compensated_sum(values.iter().map(|v| v.to_c128().im));
        complex_scalar(C128::new(re, im), dtype)
    } else if dtype.is_real_float() {
        real_scalar(compensated_sum(values.iter().map(|v| v.to_f64())), dtype)
    } else {
        let total = values
            .iter()
            .filter_map(|v| int::to_i128(*v))
            .fold(0i128, i128::wrapping_add);
        int::wrap(total, dtype)
    }
}

fn prod(dtype: DType, values: &[Scalar]) -> Scalar {
    if dtype.is_complex() {
        let p = values.iter().fold(C128::new(1.0, 0.0), |acc, v| {
            kiln_cmath::mul(acc, v.to_c128())
        });
        complex_scalar(p, dtype)
    } else if dtype.is_real_float() {
        real_scalar(values.iter().fold(1.0, |acc, v| acc * v.to_f64()), dtype)
    } else {
        let total = values
            .iter()
            .filter_map(|v| int::to_i128(*v))
            .fold(1i128, i128::wrapping_mul);
        int::wrap(total, dtype)
    }
}

/// Index of the first NaN, else of the first maximum (or minimum).
fn arg_extremum(max: bool, values: &[Scalar]) -> Option<Scalar> {
    let first = values.first()?;
    let best = if first.dtype().is_real_float() {
        let xs: Vec<f64> = values.iter().map(Scalar::to_f64).collect();
        match xs.iter().position(|x| x.is_nan()) {
            Some(nan) => nan,
            None => first_extremum(&xs, max),
        }
    } else {
        let xs: Vec<i128> = values.iter().filter_map(|v| int::to_i128(*v)).collect();
        first_extremum(&xs, max)
    };
    Some(Scalar::I64(best as i64))
}

/// Index of the first strict extremum (ties keep the earlier index, so `-0.0` and `0.0` tie).
fn first_extremum<T: PartialOrd>(xs: &[T], max: bool) -> usize {
    let mut best = 0;
    for (i, x) in xs.iter().enumerate().skip(1) {
        let better = if max { *x > xs[best] } else { *x < xs[best] };
        if better {
            best = i;
        }
    }
    best
}
