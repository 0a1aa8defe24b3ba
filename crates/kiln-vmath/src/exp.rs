//! `exp` and `expm1`: Cody-Waite reduction `x = k ln2 + r`, `|r| <= ln2/2`, then a minimax
//! polynomial for `expm1(r)` and a scale by `2^k` built from bits.
//!
//! Invariant: `reduce` is the one place the reduction and polynomial live; every exp-based
//! function (`exp`, `expm1`, and the hyperbolic functions) goes through it, so their accuracy
//! claims rest on one kernel. Out-of-range inputs are clamped before reduction so `k` always stays
//! where `Lanes::ldexp` is exact; NaN passes the clamps untouched (the comparisons are ordered).

use cranelift_codegen::ir::Value;
use cranelift_codegen::ir::condcodes::FloatCC;

use crate::lanes::Lanes;

/// `(expm1(r) - r) / r^2` on `[-ln2/2, ln2/2]`, lowest degree first (Chebyshev fits, see
/// `tests/`): degree 10 for f64 (abs error 1.4e-18), degree 5 for f32 (1.4e-9).
const P_F64: [f64; 11] = [
    0.5,
    0.166_666_666_666_666_709_86,
    0.041_666_666_666_666_669_752,
    0.008_333_333_333_326_140_884,
    0.001_388_888_888_888_375_241_7,
    0.000_198_412_698_748_004_919_81,
    0.000_024_801_587_325_533_363_819,
    2.755_725_542_574_643_428_2e-6,
    2.755_727_366_134_863_621_9e-7,
    2.510_520_637_395_701_111_6e-8,
    2.091_467_937_658_393_51e-9,
];
const P_F32: [f64; 6] = [
    0.500_000_001_345_772_715_3,
    0.166_666_666_816_142_557_06,
    0.041_666_465_006_040_048_761,
    0.008_333_310_934_448_868_468_7,
    0.001_393_364_103_198_670_115,
    0.000_198_909_808_697_503_255_63,
];

const LOG2E: f64 = std::f64::consts::LOG2_E;
/// ln2 split in two parts of the lane precision: with FMA, `x - k*LN2_HI` is exact.
const LN2_HI_F64: f64 = std::f64::consts::LN_2;
const LN2_LO_F64: f64 = 2.319_046_813_846_299_6e-17;
const LN2_HI_F32: f64 = 0.693_147_182_464_599_6;
const LN2_LO_F32: f64 = -1.904_654_212_125_933_6e-9;

/// `x = k ln2 + r` with `expm1(r) = hi + tail`: `hi` is the exactly reduced argument's leading
/// part and `tail` carries the rest (the lo part of `k ln2` and the polynomial), unrounded into
/// `hi` so callers that scale by `2^k` can add them in the order that loses least.
pub(crate) struct Reduced {
    pub(crate) k: Value,
    pub(crate) hi: Value,
    pub(crate) tail: Value,
}

pub(crate) fn reduce(l: &mut Lanes, x: Value) -> Reduced {
    let e = l.elem;
    let scaled = l.mulc(x, LOG2E);
    let k = l.nearest(scaled);
    // Exact with FMA: the result is a multiple of ulp(ln2 hi) below 1 in magnitude.
    let hi = l.fmac(k, -e.pick(LN2_HI_F32, LN2_HI_F64), x);
    let lo = l.mulc(k, -e.pick(LN2_LO_F32, LN2_LO_F64));
    let r = l.add(hi, lo);
    let r2 = l.mul(r, r);
    let p = l.poly(r, e.pick(&P_F32[..], &P_F64[..]));
    let tail = l.fma(r2, p, lo);
    Reduced { k, hi, tail }
}

/// `1 + expm1(r)`, i.e. `exp(x) / 2^k`.
pub(crate) fn mantissa(l: &mut Lanes, red: &Reduced) -> Value {
    let q = l.add(red.hi, red.tail);
    l.addc(q, 1.0)
}

/// `2^k expm1(r) + (2^k - 1) = expm1(x)` for `k` below the top of the exponent range.
pub(crate) fn expm1_from(l: &mut Lanes, red: &Reduced) -> Value {
    let scale = l.pow2(red.k);
    let scale_m1 = l.addc(scale, -1.0);
    // 2^k hi + (2^k - 1) first: for small k both are exact and only the sum rounds.
    let head = l.fma(scale, red.hi, scale_m1);
    l.fma(scale, red.tail, head)
}

/// Clamps `x` into `[lo, hi]`, letting NaN through.
pub(crate) fn clamp(l: &mut Lanes, x: Value, lo: f64, hi: f64) -> Value {
    let above = l.fcmpc(FloatCC::GreaterThan, x, hi);
    let x = l.selectc(above, hi, x);
    let below = l.fcmpc(FloatCC::LessThan, x, lo);
    l.selectc(below, lo, x)
}

/// `exp(x) * 2^extra` (`extra` a small integer used by the hyperbolic functions), correct through
/// overflow to `inf` and gradual underflow to subnormals and zero.
pub(crate) fn exp_scaled(l: &mut Lanes, x: Value, extra: f64) -> Value {
    // Beyond these bounds the result is inf/0 anyway; inside them k stays within ldexp's range.
    let (lo, hi) = l.elem.pick((-104.0, 90.0), (-746.0, 711.0));
    let x = clamp(l, x, lo, hi);
    let red = reduce(l, x);
    let p = mantissa(l, &red);
    let k = if extra == 0.0 {
        red.k
    } else {
        l.addc(red.k, extra)
    };
    l.ldexp(p, k)
}

pub(crate) fn exp(l: &mut Lanes, x: Value) -> Value {
    exp_scaled(l, x, 0.0)
}

pub(crate) fn expm1(l: &mut Lanes, x: Value) -> Value {
    // Below `lo` expm1 rounds to -1; above `hi` it overflows. Within, k <= max exponent + 1.
    let (lo, hi) = l.elem.pick((-18.0, 89.0), (-40.0, 710.0));
    let xc = clamp(l, x, lo, hi);
    let red = reduce(l, xc);
    let small_k = expm1_from(l, &red);
    // When 2^k itself overflows (k at the top of the range) the -1 is irrelevant.
    let p = mantissa(l, &red);
    let km1 = l.addc(red.k, -1.0);
    let half_scale = l.pow2(km1);
    let big = l.mul(p, half_scale);
    let big_k = l.mulc(big, 2.0);
    let use_big = l.fcmpc(FloatCC::GreaterThan, red.k, l.elem.pick(100.0, 1000.0));
    let result = l.select(use_big, big_k, small_k);
    // expm1 has the sign of x; this also restores expm1(-0) = -0, which the reduction loses.
    let sign = l.sign_bits(x);
    let bits = l.bits(result);
    let signed = l.ior(bits, sign);
    l.float_of_bits(signed)
}
