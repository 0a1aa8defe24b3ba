//! Reference semantics of complex ops, computed in complex128 and rounded per component.
//!
//! Invariant: results follow NumPy / the Array API for complex operands:
//! - `abs(z) = hypot(re, im)` (real dtype); `sign(z) = z / |z|`, 0 for 0;
//! - `isnan` if either part is NaN, `isinf` if either part is infinite (C99 treats a complex with
//!   one infinite part as infinite even if the other is NaN), `isfinite` if both are finite;
//! - division uses Smith's algorithm as NumPy does (division by 0 gives inf/NaN parts);
//! - `pow(z, 0) = 1`; `pow(0, w) = 0` for real positive `w` and NaN otherwise; else
//!   `exp(w * log(z))` (NumPy's repeated-multiplication path for small integer exponents is not
//!   reproduced: results agree to a few ULPs);
//! - `expm1` uses NumPy's formula; `log` scales tiny inputs (subnormal parts keep precision);
//!   other transcendentals come from `num-complex`;
//! - `==` compares both parts with IEEE equality.

use super::{complex_scalar, real_scalar};
use kiln_ir::{BinaryOp, C128, DType, Scalar, UnaryOp};

pub fn unary(op: UnaryOp, z: C128, dtype: DType) -> Option<Scalar> {
    use UnaryOp::*;
    let c = |v: C128| Some(complex_scalar(v, dtype));
    match op {
        Neg => c(-z),
        Abs => Some(real_scalar(z.re.hypot(z.im), dtype)),
        Sqrt => c(z.sqrt()),
        Exp => c(z.exp()),
        Expm1 => c(expm1(z)),
        Log => c(complex_ln(z)),
        Log1p => c(log1p(z)),
        Log2 => c(complex_ln(z) / std::f64::consts::LN_2),
        Log10 => c(complex_ln(z) / std::f64::consts::LN_10),
        Sin => c(z.sin()),
        Cos => c(z.cos()),
        Tan => c(z.tan()),
        Asin => c(z.asin()),
        Acos => c(z.acos()),
        Atan => c(z.atan()),
        Sinh => c(z.sinh()),
        Cosh => c(z.cosh()),
        Tanh => c(z.tanh()),
        Asinh => c(z.asinh()),
        Acosh => c(z.acosh()),
        Atanh => c(z.atanh()),
        Sign => c(sign(z)),
        IsNan => Some(Scalar::Bool(z.re.is_nan() || z.im.is_nan())),
        IsInf => Some(Scalar::Bool(z.re.is_infinite() || z.im.is_infinite())),
        IsFinite => Some(Scalar::Bool(z.re.is_finite() && z.im.is_finite())),
        Real => Some(real_scalar(z.re, dtype)),
        Imag => Some(real_scalar(z.im, dtype)),
        Conj => c(z.conj()),
        Floor | Ceil | Trunc | Round | SignBit | Not => None,
    }
}

/// `ln(z)` with `ln|z|` computed from a scaled `z` when both parts are tiny, so subnormal
/// inputs keep full precision (`hypot` of two subnormals rounds to a subnormal); otherwise
/// num-complex's `ln` (which handles the infinities and NaNs).
pub fn complex_ln(z: C128) -> C128 {
    let m = z.re.abs().max(z.im.abs());
    if m > 0.0 && m < 1e-300 {
        let scale = 2f64.powi(600);
        let ln_abs = (z.re * scale).hypot(z.im * scale).ln() - 600.0 * std::f64::consts::LN_2;
        return C128::new(ln_abs, z.im.atan2(z.re));
    }
    z.ln()
}

pub fn binary(op: BinaryOp, a: C128, b: C128, dtype: DType) -> Option<Scalar> {
    use BinaryOp::*;
    let c = |v: C128| Some(complex_scalar(v, dtype));
    match op {
        Add => c(a + b),
        Sub => c(a - b),
        Mul => c(mul(a, b)),
        Div => c(div(a, b)),
        Pow => c(pow(a, b)),
        Eq => Some(Scalar::Bool(a.re == b.re && a.im == b.im)),
        Ne => Some(Scalar::Bool(!(a.re == b.re && a.im == b.im))),
        _ => None,
    }
}

/// The textbook product (what NumPy computes; no special inf recovery).
pub fn mul(a: C128, b: C128) -> C128 {
    C128::new(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
}

/// Smith's division, as in NumPy's `nc_quot`.
pub fn div(a: C128, b: C128) -> C128 {
    let (br_abs, bi_abs) = (b.re.abs(), b.im.abs());
    if br_abs >= bi_abs {
        if br_abs == 0.0 && bi_abs == 0.0 {
            return C128::new(a.re / br_abs, a.im / br_abs);
        }
        let rat = b.im / b.re;
        let scl = 1.0 / (b.re + b.im * rat);
        C128::new((a.re + a.im * rat) * scl, (a.im - a.re * rat) * scl)
    } else {
        let rat = b.re / b.im;
        let scl = 1.0 / (b.im + b.re * rat);
        C128::new((a.re * rat + a.im) * scl, (a.im * rat - a.re) * scl)
    }
}

pub fn pow(a: C128, b: C128) -> C128 {
    if b.re == 0.0 && b.im == 0.0 {
        return C128::new(1.0, 0.0);
    }
    if a.re == 0.0 && a.im == 0.0 {
        return if b.re > 0.0 && b.im == 0.0 {
            C128::new(0.0, 0.0)
        } else {
            C128::new(f64::NAN, f64::NAN)
        };
    }
    mul(b, a.ln()).exp()
}

/// `z / |z|`, and 0 for 0.
pub fn sign(z: C128) -> C128 {
    if z.re == 0.0 && z.im == 0.0 {
        return C128::new(0.0, 0.0);
    }
    let n = z.re.hypot(z.im);
    C128::new(z.re / n, z.im / n)
}

/// NumPy's `nc_expm1`: accurate for small `z`.
pub fn expm1(z: C128) -> C128 {
    let half = (z.im / 2.0).sin();
    C128::new(
        z.re.exp_m1() * z.im.cos() - 2.0 * half * half,
        z.re.exp() * z.im.sin(),
    )
}

/// NumPy's `nc_log1p`.
pub fn log1p(z: C128) -> C128 {
    let l = (z.re + 1.0).hypot(z.im);
    C128::new(l.ln(), z.im.atan2(z.re + 1.0))
}
