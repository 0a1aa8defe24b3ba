//! kiln-cmath: complex128 scalar math, one implementation shared by the reference interpreter
//! (kiln-interp) and the CPU backend's helper calls (kiln-cpu), so the two agree bit for bit.
//!
//! Invariant: every function follows the Array API's complex special cases, which are C99
//! Annex G's (branch cuts, signed zeros, infinities and NaNs in either part). The C99 functions
//! come from the platform's C library (`libc_complex`: glibc's `cacos`, `ctanh`, ... are what
//! NumPy calls too); the functions C99 lacks (`expm1`, `log1p`, `sign`, `pow`, division) are
//! defined here from them, with NumPy's formulas for finite inputs.
//!
//! complex64 is computed in complex128 and rounded per component by the callers.

mod libc_complex;

pub use kiln_ir::C128;
use kiln_ir::{BinaryOp, UnaryOp};

pub use libc_complex::{
    acos, acosh, asin, asinh, atan, atanh, cos, cosh, exp, ln, sin, sinh, sqrt, tan,
};

/// `tanh(z)`: C99's `ctanh`, except for an infinite real part with a finite imaginary part,
/// where the Array API gives `±1 + 0j` with the zero carrying the sign of the imaginary part
/// (C99 gives it the sign of `sin(2 im)`).
pub fn tanh(z: C128) -> C128 {
    if z.re.is_infinite() && z.im.is_finite() {
        return C128::new(1f64.copysign(z.re), 0f64.copysign(z.im));
    }
    libc_complex::tanh(z)
}

/// `log2(z) = ln(z) / ln 2`.
pub fn log2(z: C128) -> C128 {
    ln(z) / std::f64::consts::LN_2
}

/// `log10(z) = ln(z) / ln 10`.
pub fn log10(z: C128) -> C128 {
    ln(z) / std::f64::consts::LN_10
}

/// `exp(z) - 1`: NumPy's `nc_expm1` for finite `z` (accurate near 0); for an infinite or NaN
/// part, `exp(z) - 1` from C99's `cexp`, which gives the Array API's special cases
/// (`expm1(-inf + bj) = -1 + 0j`, `expm1(+inf + 0j) = +inf + 0j`, ...).
pub fn expm1(z: C128) -> C128 {
    if !(z.re.is_finite() && z.im.is_finite()) {
        let e = exp(z);
        return C128::new(e.re - 1.0, e.im);
    }
    if z.im == 0.0 {
        // Exact imaginary zero: keep its sign (exp(re) * sin(±0) = ±0) and avoid 2*sin^2 noise.
        // `expm1(±0 + 0j) = 0 + 0j` (the standard's +0 real part, where `expm1(-0.0)` is -0).
        let re = if z.re == 0.0 { 0.0 } else { z.re.exp_m1() };
        return C128::new(re, z.im);
    }
    let half = (z.im / 2.0).sin();
    C128::new(
        z.re.exp_m1() * z.im.cos() - 2.0 * half * half,
        z.re.exp() * z.im.sin(),
    )
}

/// `ln(1 + z)`: NumPy's `nc_log1p` for finite `z`; `ln(1 + z)` from C99's `clog` otherwise (the
/// sum is exact for an infinite or NaN part, so Annex G's `clog` cases carry over).
pub fn log1p(z: C128) -> C128 {
    if !(z.re.is_finite() && z.im.is_finite()) {
        return ln(C128::new(z.re + 1.0, z.im));
    }
    let l = (z.re + 1.0).hypot(z.im);
    C128::new(l.ln(), z.im.atan2(z.re + 1.0))
}

/// `z / |z|`, and 0 for 0 (the Array API's `sign`).
pub fn sign(z: C128) -> C128 {
    if z.re == 0.0 && z.im == 0.0 {
        return C128::new(0.0, 0.0);
    }
    let n = z.re.hypot(z.im);
    C128::new(z.re / n, z.im / n)
}

/// The textbook product (what NumPy computes; no special infinity recovery).
pub fn mul(a: C128, b: C128) -> C128 {
    C128::new(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
}

/// Smith's division, as in NumPy's `nc_quot` (a zero divisor gives infinite or NaN parts).
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

/// `a ** b`: `z ** 0 = 1`; `0 ** w = 0` for real positive `w` and NaN otherwise; else
/// `exp(b * ln a)`.
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
    exp(mul(b, ln(a)))
}

/// Rounds both parts half to even (the Array API's `round` on complex input).
pub fn round(z: C128) -> C128 {
    C128::new(z.re.round_ties_even(), z.im.round_ties_even())
}

/// The complex function of a unary op that maps complex to complex (`None` for the ops that do
/// not, such as `abs`, `real` or the predicates): the one table both the oracle and the CPU
/// helpers dispatch through.
pub fn unary(op: UnaryOp, z: C128) -> Option<C128> {
    use UnaryOp::*;
    Some(match op {
        Neg => -z,
        Conj => z.conj(),
        Sign => sign(z),
        Sqrt => sqrt(z),
        Exp => exp(z),
        Expm1 => expm1(z),
        Log => ln(z),
        Log1p => log1p(z),
        Log2 => log2(z),
        Log10 => log10(z),
        Sin => sin(z),
        Cos => cos(z),
        Tan => tan(z),
        Asin => asin(z),
        Acos => acos(z),
        Atan => atan(z),
        Sinh => sinh(z),
        Cosh => cosh(z),
        Tanh => tanh(z),
        Asinh => asinh(z),
        Acosh => acosh(z),
        Atanh => atanh(z),
        Round => round(z),
        _ => return None,
    })
}

/// The complex function of a binary op that maps complex pairs to complex (`None` otherwise).
pub fn binary(op: BinaryOp, a: C128, b: C128) -> Option<C128> {
    Some(match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => mul(a, b),
        BinaryOp::Div => div(a, b),
        BinaryOp::Pow => pow(a, b),
        _ => return None,
    })
}
