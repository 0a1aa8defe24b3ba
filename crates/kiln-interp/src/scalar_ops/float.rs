//! Reference semantics of real floating-point ops (C99 / IEEE 754 / NumPy where they differ).
//!
//! Invariant: every function here is total on its domain, including NaN, ±inf and ±0.0:
//! - `maximum`/`minimum` propagate NaN (the first NaN operand) and order `-0.0 < +0.0`;
//! - `sign(NaN) = NaN`, `sign(±0) = +0`; `signbit(-0.0) = true`; `round` is half to even;
//! - `pow` is C `pow` (`pow(x, 0) = 1` and `pow(1, y) = 1` even for NaN);
//! - `floor_divide`/`remainder` follow NumPy's `npy_divmod` (fmod-based; the remainder has the
//!   sign of the divisor; `x // 0 = x / 0`, `x % 0 = NaN`), computed in the operands' own
//!   precision so f32 results match NumPy bit for bit;
//! - `nextafter` is C99 (`nextafter(x, x) = x`, from ±0 it steps to the smallest subnormal);
//! - `logaddexp` is NumPy's (`logaddexp(inf, inf) = inf`).

use kiln_ir::{BinaryOp, Scalar, UnaryOp};

/// Numeric-valued unary ops in f64 (f32 callers widen, call, and round once).
/// `None` for ops that do not give a float (predicates, `not`).
pub fn unary(op: UnaryOp, x: f64) -> Option<f64> {
    use UnaryOp::*;
    Some(match op {
        Neg => -x,
        Abs => x.abs(),
        Sqrt => x.sqrt(),
        Exp => x.exp(),
        Expm1 => x.exp_m1(),
        Log => x.ln(),
        Log1p => x.ln_1p(),
        Log2 => x.log2(),
        Log10 => x.log10(),
        Sin => x.sin(),
        Cos => x.cos(),
        Tan => x.tan(),
        Asin => x.asin(),
        Acos => x.acos(),
        Atan => x.atan(),
        Sinh => x.sinh(),
        Cosh => x.cosh(),
        Tanh => x.tanh(),
        Asinh => libm::asinh(x),
        // libm's acosh returns finite garbage below 1; C99 and NumPy give NaN there.
        Acosh if x < 1.0 => f64::NAN,
        Acosh => libm::acosh(x),
        Atanh => libm::atanh(x),
        Floor => x.floor(),
        Ceil => x.ceil(),
        Trunc => x.trunc(),
        Round => x.round_ties_even(),
        Sign => sign(x),
        Real | Conj => x,
        Imag => 0.0,
        SignBit | IsNan | IsInf | IsFinite | Not => return None,
    })
}

/// Bool-valued unary ops on a real float; `None` for the others.
pub fn unary_pred(op: UnaryOp, x: f64) -> Option<bool> {
    match op {
        UnaryOp::SignBit => Some(x.is_sign_negative()),
        UnaryOp::IsNan => Some(x.is_nan()),
        UnaryOp::IsInf => Some(x.is_infinite()),
        UnaryOp::IsFinite => Some(x.is_finite()),
        _ => None,
    }
}

/// -1, +0 or +1; NaN stays NaN.
pub fn sign(x: f64) -> f64 {
    if x.is_nan() {
        x
    } else if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// NaN-propagating maximum with `-0.0 < +0.0`.
pub fn maximum(a: f64, b: f64) -> f64 {
    if a.is_nan() {
        a
    } else if b.is_nan() {
        b
    } else if a > b || (a == b && a.is_sign_positive()) {
        a
    } else {
        b
    }
}

/// NaN-propagating minimum with `-0.0 < +0.0`.
pub fn minimum(a: f64, b: f64) -> f64 {
    if a.is_nan() {
        a
    } else if b.is_nan() {
        b
    } else if a < b || (a == b && a.is_sign_negative()) {
        a
    } else {
        b
    }
}

/// NumPy's `logaddexp`: `log(exp(a) + exp(b))` without overflow.
pub fn logaddexp(a: f64, b: f64) -> f64 {
    if a == b {
        // Equal infinities must not produce inf - inf.
        return a + std::f64::consts::LN_2;
    }
    let d = a - b;
    if d > 0.0 {
        a + (-d).exp().ln_1p()
    } else if d <= 0.0 {
        b + d.exp().ln_1p()
    } else {
        d
    }
}

macro_rules! native_precision_ops {
    ($t:ty, $bits:ty, $divmod:ident, $floor_div:ident, $remainder:ident, $nextafter:ident) => {
        /// NumPy's `npy_divmod` in the operands' precision: `(floor quotient, remainder)`.
        pub fn $divmod(a: $t, b: $t) -> ($t, $t) {
            let mut rem = a % b;
            if b == 0.0 {
                return (a / b, rem);
            }
            let mut div = (a - rem) / b;
            if rem != 0.0 {
                if (b < 0.0) != (rem < 0.0) {
                    rem += b;
                    div -= 1.0;
                }
            } else {
                rem = (0.0 as $t).copysign(b);
            }
            let floor_div = if div != 0.0 {
                let f = div.floor();
                if div - f > 0.5 { f + 1.0 } else { f }
            } else {
                (0.0 as $t).copysign(a / b)
            };
            (floor_div, rem)
        }

        /// Python `//` on finite floats (`x // 0 = x / 0`); with an infinite operand, the
        /// Array API's `floor(x1 / x2)` (`inf // 2 = inf`, `1 // -inf = -0.0`), where NumPy's
        /// divmod would give NaN and -1.
        pub fn $floor_div(a: $t, b: $t) -> $t {
            if a.is_infinite() || b.is_infinite() {
                return (a / b).floor();
            }
            $divmod(a, b).0
        }

        /// Python `%` on floats: the sign of the divisor (`x % 0 = NaN`).
        pub fn $remainder(a: $t, b: $t) -> $t {
            $divmod(a, b).1
        }

        /// C99 `nextafter`: the next representable value after `a` towards `b`.
        pub fn $nextafter(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                return a + b;
            }
            if a == b {
                return b;
            }
            if a == 0.0 {
                return <$t>::from_bits(1).copysign(b);
            }
            let bits: $bits = a.to_bits();
            let away_from_zero = (b > a) == (a > 0.0);
            <$t>::from_bits(if away_from_zero { bits + 1 } else { bits - 1 })
        }
    };
}

native_precision_ops!(
    f32,
    u32,
    divmod_f32,
    floor_div_f32,
    remainder_f32,
    nextafter_f32
);
native_precision_ops!(
    f64,
    u64,
    divmod_f64,
    floor_div_f64,
    remainder_f64,
    nextafter_f64
);

/// Float-valued binary ops in f64; `None` for comparisons, native-precision ops and ops real
/// floats do not accept.
fn binary_wide(op: BinaryOp, a: f64, b: f64) -> Option<f64> {
    use BinaryOp::*;
    Some(match op {
        Add => a + b,
        Sub => a - b,
        Mul => a * b,
        Div => a / b,
        Pow => a.powf(b),
        Maximum => maximum(a, b),
        Minimum => minimum(a, b),
        Atan2 => a.atan2(b),
        Hypot => a.hypot(b),
        Copysign => a.copysign(b),
        LogAddExp => logaddexp(a, b),
        _ => return None,
    })
}

/// IEEE comparisons (every comparison with NaN is false, except `!=`).
fn compare(op: BinaryOp, a: f64, b: f64) -> Option<bool> {
    use BinaryOp::*;
    Some(match op {
        Eq => a == b,
        Ne => a != b,
        Lt => a < b,
        Le => a <= b,
        Gt => a > b,
        Ge => a >= b,
        _ => return None,
    })
}

pub fn binary_f32(op: BinaryOp, a: f32, b: f32) -> Option<Scalar> {
    match op {
        BinaryOp::FloorDiv => Some(Scalar::F32(floor_div_f32(a, b))),
        BinaryOp::Rem => Some(Scalar::F32(remainder_f32(a, b))),
        BinaryOp::Nextafter => Some(Scalar::F32(nextafter_f32(a, b))),
        _ => compare(op, a as f64, b as f64)
            .map(Scalar::Bool)
            .or_else(|| binary_wide(op, a as f64, b as f64).map(|v| Scalar::F32(v as f32))),
    }
}

pub fn binary_f64(op: BinaryOp, a: f64, b: f64) -> Option<Scalar> {
    match op {
        BinaryOp::FloorDiv => Some(Scalar::F64(floor_div_f64(a, b))),
        BinaryOp::Rem => Some(Scalar::F64(remainder_f64(a, b))),
        BinaryOp::Nextafter => Some(Scalar::F64(nextafter_f64(a, b))),
        _ => compare(op, a, b)
            .map(Scalar::Bool)
            .or_else(|| binary_wide(op, a, b).map(Scalar::F64)),
    }
}
