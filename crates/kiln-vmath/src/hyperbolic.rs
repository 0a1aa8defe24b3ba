//! `sinh`, `cosh`, `tanh` from the shared exp reduction, and `asinh`, `acosh`, `atanh` from
//! `log1p` of a cancellation-free argument (the fdlibm formulations).
//!
//! Invariant: every function works on `|x|` and applies the sign by sign-bit xor at the end, so
//! odd functions are exactly odd (f(-0) = -0) and `cosh` is exactly even. Overflow thresholds
//! follow from `exp_scaled`'s clamping (`e^|x| / 2` is formed without overflowing first).

use cranelift_codegen::ir::Value;
use cranelift_codegen::ir::condcodes::FloatCC;

use crate::exp::{clamp, exp_scaled, expm1_from, reduce};
use crate::lanes::Lanes;
use crate::log::log1p;

/// Below this `|x|`, `sinh` is formed from `expm1` (no cancellation); above it `e^|x| / 2` alone
/// is the correctly rounded answer's neighbour (`e^-|x|` is below half an ulp).
fn sinh_threshold(l: &Lanes) -> f64 {
    l.elem.pick(9.0, 20.0)
}

pub(crate) fn sinh(l: &mut Lanes, x: Value) -> Value {
    let a = l.abs(x);
    let threshold = sinh_threshold(l);
    let a_small = clamp(l, a, 0.0, threshold);
    let red = reduce(l, a_small);
    let t = expm1_from(l, &red);
    // sinh = (t + t / (t + 1)) / 2 with t = expm1(|x|).
    let t1 = l.addc(t, 1.0);
    let ratio = l.div(t, t1);
    let sum = l.add(t, ratio);
    let small = l.mulc(sum, 0.5);
    let half_exp = exp_scaled(l, a, -1.0);
    let is_small = l.fcmpc(FloatCC::LessThan, a, threshold);
    let r = l.select(is_small, small, half_exp);
    let sign = l.sign_bits(x);
    l.xor_sign(r, sign)
}

pub(crate) fn cosh(l: &mut Lanes, x: Value) -> Value {
    let a = l.abs(x);
    // cosh = e^a / 2 + (1/4) / (e^a / 2); the second term vanishes (0) once the first overflows.
    let half_exp = exp_scaled(l, a, -1.0);
    let quarter = l.c(0.25);
    let recip = l.div(quarter, half_exp);
    l.add(half_exp, recip)
}

pub(crate) fn tanh(l: &mut Lanes, x: Value) -> Value {
    let a = l.abs(x);
    // Beyond the clamp tanh rounds to 1; NaN passes the clamp.
    let limit = l.elem.pick(9.0, 20.0);
    let ac = clamp(l, a, 0.0, limit);
    let two_a = l.add(ac, ac);
    let red = reduce(l, two_a);
    let t = expm1_from(l, &red);
    // tanh = t / (t + 2) with t = expm1(2|x|).
    let t2 = l.addc(t, 2.0);
    let r = l.div(t, t2);
    let sign = l.sign_bits(x);
    l.xor_sign(r, sign)
}

/// Above this magnitude `1` is negligible next to `x^2`, so `asinh(x)` and `acosh(x)` are
/// `log(x) + ln2` up to rounding; switching there also keeps `x^2` from overflowing.
fn huge(l: &Lanes) -> f64 {
    l.elem.pick(4096.0, 268_435_456.0)
}

pub(crate) fn asinh(l: &mut Lanes, x: Value) -> Value {
    let a = l.abs(x);
    let one = l.c(1.0);
    let sq = {
        let a2p1 = l.fma(a, a, one);
        l.sqrt(a2p1)
    };
    // |x| < 2: log1p(a + a^2 / (1 + sqrt(1 + a^2))).
    let a2 = l.mul(a, a);
    let den = l.add(one, sq);
    let frac = l.div(a2, den);
    let y_small = l.add(a, frac);
    // 2 <= |x| < huge: log(2a + 1 / (sqrt(a^2 + 1) + a)); beyond: log(a) + ln2.
    let sqa = l.add(sq, a);
    let inv = l.div(one, sqa);
    let two_a = l.add(a, a);
    let arg = l.add(two_a, inv);
    let is_huge = l.fcmpc(FloatCC::GreaterThan, a, huge(l));
    let arg = l.select(is_huge, a, arg);
    let y_big = l.addc(arg, -1.0);
    let is_small = l.fcmpc(FloatCC::LessThan, a, 2.0);
    let y = l.select(is_small, y_small, y_big);
    let r = log1p(l, y);
    let zero = l.c(0.0);
    let ln2 = l.selectc(is_huge, std::f64::consts::LN_2, zero);
    let r = l.add(r, ln2);
    let sign = l.sign_bits(x);
    l.xor_sign(r, sign)
}

pub(crate) fn acosh(l: &mut Lanes, x: Value) -> Value {
    // 1 <= x < 2: log1p(t + sqrt(2t + t^2)), t = x - 1 exact.
    let t = l.addc(x, -1.0);
    let two_t = l.add(t, t);
    let inner = l.fma(t, t, two_t);
    let root = l.sqrt(inner);
    let y_small = l.add(t, root);
    // 2 <= x < huge: log(2x - 1 / (x + sqrt(x^2 - 1))); beyond: log(x) + ln2.
    let neg_one = l.c(-1.0);
    let x2m1 = l.fma(x, x, neg_one);
    let sq = l.sqrt(x2m1);
    let xsq = l.add(x, sq);
    let one = l.c(1.0);
    let inv = l.div(one, xsq);
    let two_x = l.add(x, x);
    let arg = l.sub(two_x, inv);
    let is_huge = l.fcmpc(FloatCC::GreaterThan, x, huge(l));
    let arg = l.select(is_huge, x, arg);
    let y_big = l.addc(arg, -1.0);
    let is_small = l.fcmpc(FloatCC::LessThan, x, 2.0);
    let y = l.select(is_small, y_small, y_big);
    let r = log1p(l, y);
    let zero = l.c(0.0);
    let ln2 = l.selectc(is_huge, std::f64::consts::LN_2, zero);
    let r = l.add(r, ln2);
    // For x < -1 the small-branch radicand t (t + 2) is positive again; the domain is x >= 1.
    let below = l.fcmpc(FloatCC::LessThan, x, 1.0);
    l.selectc(below, f64::NAN, r)
}

pub(crate) fn atanh(l: &mut Lanes, x: Value) -> Value {
    let a = l.abs(x);
    // atanh(a) = log1p(2a / (1 - a)) / 2, written for a < 1/2 as log1p(2a + 2a^2 / (1 - a)) / 2
    // so the leading term 2a is exact. a > 1 gives log1p(< -1) = NaN, a = 1 gives inf.
    let one = l.c(1.0);
    let den = l.sub(one, a);
    let two_a = l.add(a, a);
    let two_a2 = l.mul(two_a, a);
    let is_small = l.fcmpc(FloatCC::LessThan, a, 0.5);
    let num = l.select(is_small, two_a2, two_a);
    let q = l.div(num, den);
    let zero = l.c(0.0);
    let lead = l.select(is_small, two_a, zero);
    let y = l.add(lead, q);
    let r = log1p(l, y);
    let half = l.mulc(r, 0.5);
    let sign = l.sign_bits(x);
    l.xor_sign(half, sign)
}
