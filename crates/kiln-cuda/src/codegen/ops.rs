//! C expressions of elementwise instructions: the one table from kiln ops to the prelude's
//! functions (`kernels/*.cuh`) and C operators.
//!
//! Invariant: every (op, operand dtype) pair that `UnaryOp::result_dtype` /
//! `BinaryOp::result_dtype` accept gets an expression of exactly the result dtype whose value is
//! kiln-interp's `scalar_ops` reference; anything else is `CudaError::Unsupported`, never a panic.
//! Real f32 ops use single-precision CUDA math (a few ULP from the reference's f64-then-round).

use super::types::ctype;
use crate::error::CudaError;
use kiln_ir::{BinaryOp, DType, UnaryOp};

fn unsupported(op: &str, d: DType) -> CudaError {
    CudaError::Unsupported(format!("{op} on {d}"))
}

/// The C math function of a float op (`sinf` / `sin`), or `None` for non-math ops: the IR's op
/// name, which is the C name for every transcendental and for floor/ceil/trunc.
fn math_name(op: UnaryOp) -> Option<&'static str> {
    use UnaryOp::*;
    match op {
        // rint rounds half to even in the default rounding mode.
        Round => Some("rint"),
        Abs => Some("fabs"),
        Floor | Ceil | Trunc => Some(op.name()),
        _ if op.needs_float() => Some(op.name()),
        _ => None,
    }
}

/// Expression of `op(x)` where `x` has dtype `d`.
pub fn unary(op: UnaryOp, x: &str, d: DType) -> Result<String, CudaError> {
    use UnaryOp::*;
    if op.result_dtype(d).is_none() {
        return Err(unsupported(op.name(), d));
    }
    let t = ctype(d);
    Ok(match d {
        DType::Bool => match op {
            Not => format!("!{x}"),
            _ => return Err(unsupported(op.name(), d)),
        },
        DType::F32 | DType::F64 => {
            let suffix = if d == DType::F32 { "f" } else { "" };
            match op {
                Neg => format!("-{x}"),
                Sign => format!("kiln_sign_{t}({x})"),
                SignBit => format!("(signbit({x}) != 0)"),
                IsNan => format!("(isnan({x}) != 0)"),
                IsInf => format!("(isinf({x}) != 0)"),
                IsFinite => format!("(isfinite({x}) != 0)"),
                Real | Conj => x.to_string(),
                Imag => format!("({t})0"),
                _ => match math_name(op) {
                    Some(f) => format!("{f}{suffix}({x})"),
                    None => return Err(unsupported(op.name(), d)),
                },
            }
        }
        DType::C64 | DType::C128 => match op {
            Real => format!("{x}.re"),
            Imag => format!("{x}.im"),
            Abs | IsNan | IsInf | IsFinite | Neg | Conj | Sign | Round | Sqrt | Exp | Expm1
            | Log | Log1p | Log2 | Log10 | Sin | Cos | Tan | Asin | Acos | Atan | Sinh | Cosh
            | Tanh | Asinh | Acosh | Atanh => {
                format!("kiln_{}_{t}({x})", op.name())
            }
            _ => return Err(unsupported(op.name(), d)),
        },
        _ => match op {
            Neg | Abs | Sign => format!("kiln_{}_{t}({x})", op.name()),
            Floor | Ceil | Trunc | Round | Real | Conj => x.to_string(),
            Imag => format!("({t})0"),
            Not => format!("({t})~{x}"),
            IsNan | IsInf => "false".to_string(),
            IsFinite => "true".to_string(),
            _ => return Err(unsupported(op.name(), d)),
        },
    })
}

fn comparison(op: BinaryOp) -> Option<&'static str> {
    use BinaryOp::*;
    Some(match op {
        Eq => "==",
        Ne => "!=",
        Lt => "<",
        Le => "<=",
        Gt => ">",
        Ge => ">=",
        _ => return None,
    })
}

/// Expression of `op(a, b)` where both operands have dtype `d`.
pub fn binary(op: BinaryOp, a: &str, b: &str, d: DType) -> Result<String, CudaError> {
    use BinaryOp::*;
    if op.result_dtype(d).is_none() {
        return Err(unsupported(op.name(), d));
    }
    let t = ctype(d);
    let call = |name: &str| format!("kiln_{name}_{t}({a}, {b})");
    Ok(match d {
        DType::Bool => match op {
            BitAnd | LogicalAnd => format!("({a} & {b})"),
            BitOr | LogicalOr => format!("({a} | {b})"),
            BitXor | LogicalXor | Ne => format!("({a} != {b})"),
            Eq => format!("({a} == {b})"),
            // false < true, as bytes.
            Lt => format!("(!{a} & {b})"),
            Le => format!("(!{a} | {b})"),
            Gt => format!("({a} & !{b})"),
            Ge => format!("({a} | !{b})"),
            _ => return Err(unsupported(op.name(), d)),
        },
        DType::F32 | DType::F64 => {
            let suffix = if d == DType::F32 { "f" } else { "" };
            match op {
                Add => format!("({a} + {b})"),
                Sub => format!("({a} - {b})"),
                Mul => format!("({a} * {b})"),
                Div => format!("({a} / {b})"),
                Pow => format!("pow{suffix}({a}, {b})"),
                Atan2 => format!("atan2{suffix}({a}, {b})"),
                Hypot => format!("hypot{suffix}({a}, {b})"),
                Copysign => format!("copysign{suffix}({a}, {b})"),
                Maximum | Minimum | Nextafter | FloorDiv | Rem => call(op.name()),
                LogAddExp => call("logaddexp"),
                _ => match comparison(op) {
                    Some(c) => format!("({a} {c} {b})"),
                    None => return Err(unsupported(op.name(), d)),
                },
            }
        }
        DType::C64 | DType::C128 => match op {
            Add | Sub | Mul | Div | Pow => call(op.name()),
            Eq => call("eq"),
            Ne => format!("!{}", call("eq")),
            _ => return Err(unsupported(op.name(), d)),
        },
        _ => match op {
            Add | Sub | Mul | Pow | Maximum | Minimum | FloorDiv | Rem | Shl | Shr => {
                call(op.name())
            }
            BitAnd => format!("({t})({a} & {b})"),
            BitOr => format!("({t})({a} | {b})"),
            BitXor => format!("({t})({a} ^ {b})"),
            _ => match comparison(op) {
                Some(c) => format!("({a} {c} {b})"),
                None => return Err(unsupported(op.name(), d)),
            },
        },
    })
}

/// Expression of `astype(x, to)` where `x` has dtype `from`, with the reference's rules
/// (`Scalar::cast`): integers wrap, floats saturate into integers (NaN -> 0), integers reach
/// floats through f64 (i64 via its value, u64 via its own value), complex to real keeps the real
/// part, and anything is true when nonzero.
pub fn cast(x: &str, from: DType, to: DType) -> String {
    if from == to {
        return x.to_string();
    }
    let t = ctype(to);
    // The value as f64, as the reference converts it before rounding to a float.
    let as_f64 = |x: &str| -> String {
        match from {
            DType::F64 => x.to_string(),
            DType::C128 => format!("{x}.re"),
            DType::C64 => format!("(f64){x}.re"),
            DType::U64 => format!("(f64){x}"),
            DType::Bool => format!("({x} ? 1.0 : 0.0)"),
            _ => format!("(f64){x}"),
        }
    };
    match to {
        DType::Bool if from.is_complex() => format!("({x}.re != 0 || {x}.im != 0)"),
        DType::Bool => format!("({x} != 0)"),
        DType::C64 if from.is_complex() => format!("kiln_narrow({x})"),
        DType::C128 if from == DType::C64 => format!("kiln_widen({x})"),
        DType::C64 => format!("c64{{(f32){}, 0.0f}}", as_f64(x)),
        DType::C128 => format!("c128{{{}, 0.0}}", as_f64(x)),
        DType::F32 if from == DType::C64 => format!("{x}.re"),
        DType::F64 => as_f64(x),
        DType::F32 => format!("(f32){}", as_f64(x)),
        _ if from.is_floating() => format!("kiln_f2i_{t}({})", as_f64(x)),
        // Integers and bool wrap (C++ integral conversion is modular on CUDA).
        _ => format!("({t}){x}"),
    }
}
