//! Reference semantics of integer ops: exact arithmetic in i128, wrapped to the dtype.
//!
//! Invariant: every integer of every dtype fits in i128 (signed values sign-extended, unsigned
//! zero-extended), so each op is computed exactly (or mod 2^128, which keeps the low 64 bits
//! exact) and then truncated to the dtype's width, which is two's complement wrap-around:
//! - add/sub/mul/neg/abs wrap (`abs(i8::MIN) = i8::MIN`, `-(1u8) = 255`);
//! - `floor_divide` and `remainder` follow Python's sign rules; by zero both give 0;
//!   `MIN // -1` wraps to `MIN` and `MIN % -1 = 0`;
//! - `pow` by squaring with wrap-around; a negative exponent gives 1 for base 1, ±1 for base -1
//!   (by the exponent's parity) and 0 otherwise (including base 0);
//! - shifts by a count outside `0..bits` give 0 (left, or right of a non-negative value) or -1
//!   (right of a negative value); right shifts of signed values are arithmetic.

use kiln_ir::{BinaryOp, DType, Scalar, UnaryOp};

/// The value of an integer scalar, exactly; `None` for other dtypes.
pub fn to_i128(s: Scalar) -> Option<i128> {
    Some(match s {
        Scalar::I8(v) => v as i128,
        Scalar::I16(v) => v as i128,
        Scalar::I32(v) => v as i128,
        Scalar::I64(v) => v as i128,
        Scalar::U8(v) => v as i128,
        Scalar::U16(v) => v as i128,
        Scalar::U32(v) => v as i128,
        Scalar::U64(v) => v as i128,
        _ => return None,
    })
}

/// Wraps an exact value into an integer dtype (two's complement truncation).
pub fn wrap(v: i128, dtype: DType) -> Scalar {
    Scalar::from_i64(v as i64, dtype)
}

pub fn unary(op: UnaryOp, x: i128, dtype: DType) -> Option<Scalar> {
    use UnaryOp::*;
    Some(match op {
        Neg => wrap(x.wrapping_neg(), dtype),
        Abs => wrap(x.abs(), dtype),
        Sign => wrap(x.signum(), dtype),
        Floor | Ceil | Trunc | Round | Real | Conj => wrap(x, dtype),
        Imag => wrap(0, dtype),
        Not => wrap(!x, dtype),
        IsNan | IsInf => Scalar::Bool(false),
        IsFinite => Scalar::Bool(true),
        _ => return None,
    })
}

pub fn binary(op: BinaryOp, a: i128, b: i128, dtype: DType) -> Option<Scalar> {
    use BinaryOp::*;
    let bits = dtype.int_bits() as i128;
    let v = match op {
        Add => a.wrapping_add(b),
        Sub => a.wrapping_sub(b),
        Mul => a.wrapping_mul(b),
        Pow => pow(a, b),
        Maximum => a.max(b),
        Minimum => a.min(b),
        FloorDiv => floor_div(a, b),
        Rem => remainder(a, b),
        BitAnd => a & b,
        BitOr => a | b,
        BitXor => a ^ b,
        Shl if (0..bits).contains(&b) => a.wrapping_shl(b as u32),
        Shl => 0,
        Shr if (0..bits).contains(&b) => a >> b,
        Shr => {
            if a < 0 {
                -1
            } else {
                0
            }
        }
        Eq => return Some(Scalar::Bool(a == b)),
        Ne => return Some(Scalar::Bool(a != b)),
        Lt => return Some(Scalar::Bool(a < b)),
        Le => return Some(Scalar::Bool(a <= b)),
        Gt => return Some(Scalar::Bool(a > b)),
        Ge => return Some(Scalar::Bool(a >= b)),
        _ => return None,
    };
    Some(wrap(v, dtype))
}

/// Python `//` (floor of the exact quotient); by zero gives 0.
pub fn floor_div(a: i128, b: i128) -> i128 {
    if b == 0 {
        return 0;
    }
    let q = a / b;
    if a % b != 0 && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

/// Python `%` (sign of the divisor); by zero gives 0.
pub fn remainder(a: i128, b: i128) -> i128 {
    if b == 0 {
        return 0;
    }
    let r = a % b;
    if r != 0 && ((r < 0) != (b < 0)) {
        r + b
    } else {
        r
    }
}

/// Integer power by squaring, mod 2^128 (the caller wraps to the dtype).
pub fn pow(base: i128, exp: i128) -> i128 {
    if exp < 0 {
        return match base {
            1 => 1,
            -1 if exp % 2 == 0 => 1,
            -1 => -1,
            _ => 0,
        };
    }
    let mut result: i128 = 1;
    let mut square = base;
    let mut e = exp;
    while e > 0 {
        if e & 1 == 1 {
            result = result.wrapping_mul(square);
        }
        square = square.wrapping_mul(square);
        e >>= 1;
    }
    result
}
