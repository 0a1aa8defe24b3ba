//! The reference semantics of every elementwise op and reduction, on typed scalars.
//!
//! Invariant: `unary` and `binary` accept exactly the operand dtypes that kiln-ir's
//! `UnaryOp::result_dtype` / `BinaryOp::result_dtype` accept, and return a scalar of exactly the
//! dtype those give; anything else is a typed error, never a panic.
//!
//! Precision policy (what makes this an oracle rather than one more backend):
//! - real floats: every f32 op except `nextafter`, `floor_divide` and `remainder` is computed in
//!   f64 and rounded once. For `+ - * /` and `sqrt` this is exactly IEEE's correctly rounded f32
//!   result (53 >= 2*24+2, so the double rounding is innocuous); for transcendentals it makes the
//!   oracle nearly correctly rounded. f64 transcendentals come from the platform libm via std,
//!   except the inverse hyperbolics, which come from the `libm` crate (std's closed forms
//!   overflow early);
//! - integers: computed exactly in i128, then wrapped (two's complement truncation) to the dtype;
//! - complex: computed in complex128 and rounded per component for complex64.
//!
//! See [`float`], [`int`] and [`complex`] for each family's special values.

pub mod complex;
pub mod float;
pub mod int;
mod reduce;

pub use reduce::reduce;

use crate::error::InterpError;
use kiln_ir::{BinaryOp, C64, DType, Scalar, UnaryOp};

fn unsupported(op: &str, dtype: DType) -> InterpError {
    InterpError::UnsupportedDType {
        op: op.to_string(),
        dtype,
    }
}

/// Applies a unary op. The operand dtype must be accepted by `UnaryOp::result_dtype`; the result
/// has the dtype it gives.
pub fn unary(op: UnaryOp, x: Scalar) -> Result<Scalar, InterpError> {
    let dtype = x.dtype();
    let out = op
        .result_dtype(dtype)
        .ok_or_else(|| unsupported(op.name(), dtype))?;
    let result = match x {
        Scalar::Bool(b) => match op {
            UnaryOp::Not => Some(Scalar::Bool(!b)),
            _ => None,
        },
        Scalar::F32(v) => float::unary_pred(op, v as f64)
            .map(Scalar::Bool)
            .or_else(|| float::unary(op, v as f64).map(|r| Scalar::F32(r as f32))),
        Scalar::F64(v) => float::unary_pred(op, v)
            .map(Scalar::Bool)
            .or_else(|| float::unary(op, v).map(Scalar::F64)),
        Scalar::C64(_) | Scalar::C128(_) => complex::unary(op, x.to_c128(), dtype),
        int_scalar => int::to_i128(int_scalar).and_then(|v| int::unary(op, v, dtype)),
    };
    let result = result.ok_or_else(|| unsupported(op.name(), dtype))?;
    check_result(op.name(), result, out)
}

/// Applies a binary op to operands of one dtype. The dtype must be accepted by
/// `BinaryOp::result_dtype`; the result has the dtype it gives.
pub fn binary(op: BinaryOp, a: Scalar, b: Scalar) -> Result<Scalar, InterpError> {
    let dtype = a.dtype();
    if b.dtype() != dtype {
        return Err(InterpError::DTypeMismatch {
            op: op.name().to_string(),
            a: dtype,
            b: b.dtype(),
        });
    }
    let out = op
        .result_dtype(dtype)
        .ok_or_else(|| unsupported(op.name(), dtype))?;
    let result = match (a, b) {
        (Scalar::Bool(x), Scalar::Bool(y)) => bool_binary(op, x, y),
        (Scalar::F32(x), Scalar::F32(y)) => float::binary_f32(op, x, y),
        (Scalar::F64(x), Scalar::F64(y)) => float::binary_f64(op, x, y),
        (Scalar::C64(_) | Scalar::C128(_), _) => {
            complex::binary(op, a.to_c128(), b.to_c128(), dtype)
        }
        _ => match (int::to_i128(a), int::to_i128(b)) {
            (Some(x), Some(y)) => int::binary(op, x, y, dtype),
            _ => None,
        },
    };
    let result = result.ok_or_else(|| unsupported(op.name(), dtype))?;
    check_result(op.name(), result, out)
}

/// `where(c, a, b)`: `a` where `c` is true, else `b`. A non-bool condition is read with `astype(bool)`
/// semantics (nonzero is true), so the function is total.
pub fn select(c: Scalar, a: Scalar, b: Scalar) -> Scalar {
    match c.cast(DType::Bool) {
        Scalar::Bool(true) => a,
        _ => b,
    }
}

/// Bool operands accept only the bitwise, logical and comparison ops (`false < true`).
fn bool_binary(op: BinaryOp, x: bool, y: bool) -> Option<Scalar> {
    use BinaryOp::*;
    let v = match op {
        BitAnd | LogicalAnd => x & y,
        BitOr | LogicalOr => x | y,
        BitXor | LogicalXor => x ^ y,
        Eq => x == y,
        Ne => x != y,
        Lt => !x & y,
        Le => x <= y,
        Gt => x & !y,
        Ge => x >= y,
        _ => return None,
    };
    Some(Scalar::Bool(v))
}

/// Guards the module invariant: a family function must produce the dtype kiln-ir promises.
fn check_result(op: &str, result: Scalar, expected: DType) -> Result<Scalar, InterpError> {
    if result.dtype() == expected {
        Ok(result)
    } else {
        Err(InterpError::Unsupported(format!(
            "{op} produced {} where kiln-ir promises {expected}",
            result.dtype()
        )))
    }
}

/// Rounds a complex128 result to a complex dtype (or keeps it for complex128).
pub(crate) fn complex_scalar(v: kiln_ir::C128, dtype: DType) -> Scalar {
    match dtype {
        DType::C64 => Scalar::C64(C64::new(v.re as f32, v.im as f32)),
        _ => Scalar::C128(v),
    }
}

/// A real result in the real dtype matching `dtype` (f32 for f32/c64, f64 otherwise).
pub(crate) fn real_scalar(v: f64, dtype: DType) -> Scalar {
    match dtype.real_part() {
        DType::F32 => Scalar::F32(v as f32),
        _ => Scalar::F64(v),
    }
}
