//! Elementwise functions of the Array API on real and complex dtypes, and `where`.
//!
//! Invariant: each function validates dtypes at the call (a `TypeError`-kind error names the
//! function and dtype) and builds exactly one op node after `operand::align` has promoted and
//! broadcast its operands. Integer inputs to functions only defined on floats are computed in
//! float64, as NumPy does.

use kiln_ir::{BinaryOp, DType, IrError, Op, UnaryOp};

use crate::error::{KilnError, Result};
use crate::graph::Array;
use crate::operand::{Operand, align, cast, common_dtype};

fn type_error(op: &str, dtype: DType) -> KilnError {
    KilnError::Invalid(IrError::UnsupportedDType {
        op: op.to_string(),
        dtype,
    })
}

/// Applies a unary op, casting integer inputs to float64 for float-only functions.
pub(crate) fn unary(op: UnaryOp, x: &Array) -> Result<Array> {
    let x = if op.needs_float() && x.dtype().is_integer() {
        cast(x, DType::F64)?
    } else {
        x.clone()
    };
    if op.result_dtype(x.dtype()).is_none() {
        return Err(type_error(op.name(), x.dtype()));
    }
    Array::from_op(Op::Unary(op), vec![x])
}

/// Applies a binary op to two operands after promotion and broadcasting.
pub(crate) fn binary(op: BinaryOp, a: Operand, b: Operand) -> Result<Array> {
    let mut dtype = common_dtype(&a, &b)?;
    let float_only = matches!(
        op,
        BinaryOp::Div
            | BinaryOp::Atan2
            | BinaryOp::Hypot
            | BinaryOp::Copysign
            | BinaryOp::Nextafter
            | BinaryOp::LogAddExp
    );
    if float_only && dtype.is_integer() {
        dtype = DType::F64;
    }
    if op.result_dtype(dtype).is_none() {
        return Err(type_error(op.name(), dtype));
    }
    let operands = align(&[a, b], dtype)?;
    Array::from_op(Op::Binary(op), operands)
}

macro_rules! unary_fns {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(x: &Array) -> Result<Array> { unary(UnaryOp::$op, x) }
    )*};
}

unary_fns! {
    abs => Abs, acos => Acos, acosh => Acosh, asin => Asin, asinh => Asinh, atan => Atan,
    atanh => Atanh, ceil => Ceil, cos => Cos, cosh => Cosh, exp => Exp, expm1 => Expm1,
    floor => Floor, isfinite => IsFinite, isinf => IsInf, isnan => IsNan, log => Log,
    log1p => Log1p, log2 => Log2, log10 => Log10, negative => Neg,
    /// Round half to even.
    round => Round,
    sign => Sign, sin => Sin, sinh => Sinh, sqrt => Sqrt, tan => Tan, tanh => Tanh,
    trunc => Trunc, conj => Conj, real => Real, imag => Imag,
}

/// `signbit`; integer inputs are computed as float64.
pub fn signbit(x: &Array) -> Result<Array> {
    let x = if x.dtype().is_integer() {
        cast(x, DType::F64)?
    } else {
        x.clone()
    };
    unary(UnaryOp::SignBit, &x)
}

/// Bitwise NOT of integers or booleans.
pub fn bitwise_invert(x: &Array) -> Result<Array> {
    if !(x.dtype().is_integer() || x.dtype().is_bool()) {
        return Err(type_error("bitwise_invert", x.dtype()));
    }
    unary(UnaryOp::Not, x)
}

/// Logical NOT of booleans.
pub fn logical_not(x: &Array) -> Result<Array> {
    if !x.dtype().is_bool() {
        return Err(type_error("logical_not", x.dtype()));
    }
    unary(UnaryOp::Not, x)
}

/// `+x`: the same values (numeric dtypes only).
pub fn positive(x: &Array) -> Result<Array> {
    if x.dtype().is_bool() {
        return Err(type_error("positive", x.dtype()));
    }
    Ok(x.clone())
}

/// `x * x`.
pub fn square(x: &Array) -> Result<Array> {
    if x.dtype().is_bool() {
        return Err(type_error("square", x.dtype()));
    }
    binary(BinaryOp::Mul, x.into(), x.into())
}

/// `1 / x` (integers are computed as float64).
pub fn reciprocal(x: &Array) -> Result<Array> {
    binary(
        BinaryOp::Div,
        crate::operand::ScalarArg::Int(1).into(),
        x.into(),
    )
}

macro_rules! binary_fns {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(a: impl Into<Operand>, b: impl Into<Operand>) -> Result<Array> {
            binary(BinaryOp::$op, a.into(), b.into())
        }
    )*};
}

binary_fns! {
    add => Add, subtract => Sub, multiply => Mul,
    /// True division; integers are divided as float64.
    divide => Div,
    pow => Pow, maximum => Maximum, minimum => Minimum, atan2 => Atan2, hypot => Hypot,
    copysign => Copysign, nextafter => Nextafter, logaddexp => LogAddExp,
    floor_divide => FloorDiv,
    /// Remainder with the sign of the divisor (Python's `%`).
    remainder => Rem,
    bitwise_and => BitAnd, bitwise_or => BitOr, bitwise_xor => BitXor,
    bitwise_left_shift => Shl, bitwise_right_shift => Shr,
    equal => Eq, not_equal => Ne, less => Lt, less_equal => Le, greater => Gt,
    greater_equal => Ge, logical_and => LogicalAnd, logical_or => LogicalOr,
    logical_xor => LogicalXor,
}

/// `where(cond, x1, x2)`: elements of `x1` where `cond` holds, else of `x2`.
pub fn where_(cond: &Array, x1: impl Into<Operand>, x2: impl Into<Operand>) -> Result<Array> {
    if !cond.dtype().is_bool() {
        return Err(type_error("where (condition)", cond.dtype()));
    }
    let (a, b) = (x1.into(), x2.into());
    let c: Operand = cond.into();
    let dtype = common_dtype(&a, &b)?;
    let mut all = align(&[c, a, b], dtype)?;
    // `align` cast the condition too; redo it from the original so it stays boolean.
    let shape = all[1].shape_ref().clone();
    all[0] = crate::operand::broadcast_array(cond, &shape)?;
    Array::from_op(Op::Where, all)
}

/// Clamps `x` to `[min, max]` (either bound optional). The result keeps `x`'s dtype; its shape is
/// the broadcast of `x` and the bounds, as the standard specifies.
pub fn clip(x: &Array, min: Option<Operand>, max: Option<Operand>) -> Result<Array> {
    if x.dtype().is_complex() || x.dtype().is_bool() {
        return Err(type_error("clip", x.dtype()));
    }
    let bound = |b: Operand| -> Result<Array> {
        let b = match b {
            Operand::Array(a) => cast(&a, x.dtype())?,
            Operand::Scalar(s) => {
                crate::operand::constant(s.to_scalar(x.dtype())?, &kiln_ir::Shape::scalar())?
            }
        };
        Ok(b)
    };
    let mut y = x.clone();
    if let Some(lo) = min {
        y = maximum(&y, bound(lo)?)?;
    }
    if let Some(hi) = max {
        y = minimum(&y, bound(hi)?)?;
    }
    Ok(y)
}

impl Array {
    /// A copy converted to `dtype` (C-like conversions; float-to-int saturates, NaN -> 0).
    pub fn astype(&self, dtype: DType) -> Result<Array> {
        cast(self, dtype)
    }
}
