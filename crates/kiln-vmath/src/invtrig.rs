//! `atan`, `atan2`, `asin`, `acos`: argument reduction to a small interval and odd minimax
//! polynomials, with the multiples of pi/4 (or pi/2) added back as hi + lo pairs.
//!
//! Invariant: `atan` and `atan2` share `atan_ratio`, which takes the reduced argument as an
//! unevaluated quotient `num / den` (one division, no intermediate rounding of a ratio), and
//! `asin`/`acos` share `asin_parts`. Signs are applied by sign-bit xor, so the odd functions are
//! exactly odd and keep -0.

use cranelift_codegen::ir::Value;
use cranelift_codegen::ir::condcodes::FloatCC;

use crate::lanes::{Lanes, Mask};

/// `(atan t - t) / t^3` as a polynomial in `z = t^2` on `[0, tan(pi/8)^2]`.
const ATAN_F64: [f64; 11] = [
    -0.333_333_333_333_333_301_56,
    0.199_999_999_999_955_165_45,
    -0.142_857_142_846_656_807_61,
    0.111_111_110_151_870_187_21,
    -0.090_909_045_753_064_890_845,
    0.076_921_831_253_768_920_895,
    -0.066_645_105_255_089_365_989,
    0.058_581_409_048_663_282_827,
    -0.050_854_078_345_894_842_619,
    0.039_230_447_784_793_095_368,
    -0.019_175_404_711_104_933_842,
];
const ATAN_F32: [f64; 5] = [
    -0.333_333_317_604_345_559_43,
    0.199_995_403_149_579_693_97,
    -0.142_639_497_536_057_240_22,
    0.107_436_683_248_300_981_41,
    -0.064_517_188_693_589_580_957,
];
/// `(asin s - s) / s^3` as a polynomial in `z = s^2` on `[0, 1/4]`.
const ASIN_F64: [f64; 13] = [
    0.166_666_666_666_666_678_27,
    0.074_999_999_999_984_329_332,
    0.044_642_857_146_355_429_783,
    0.030_381_944_138_531_247_287,
    0.022_372_172_942_149_887_875,
    0.017_352_392_720_869_972_942,
    0.013_971_212_973_552_933_304,
    0.011_479_177_415_184_905_896,
    0.010_322_814_350_185_779_287,
    0.005_457_506_718_640_358_300_4,
    0.017_400_879_442_694_022_443,
    -0.014_851_887_071_247_203_224,
    0.028_757_851_367_421_564_708,
];
const ASIN_F32: [f64; 5] = [
    0.166_666_724_147_953_052_14,
    0.074_988_550_726_008_211_147,
    0.045_001_380_069_910_167_569,
    0.026_554_542_206_161_328_4,
    0.038_085_023_561_092_653_76,
];

/// pi/4 and pi/2 as hi + lo in each precision.
const PIO4_F64: (f64, f64) = (std::f64::consts::FRAC_PI_4, 3.061_616_997_868_383e-17);
const PIO4_F32: (f64, f64) = (0.785_398_185_253_143_3, -2.185_569_500_093_121_3e-8);
const PIO2_F64: (f64, f64) = (std::f64::consts::FRAC_PI_2, 6.123_233_995_736_766e-17);
const PIO2_F32: (f64, f64) = (1.570_796_370_506_286_6, -4.371_139_000_186_242_6e-8);
const PI_F64: (f64, f64) = (std::f64::consts::PI, 1.224_646_799_147_353_2e-16);
const PI_F32: (f64, f64) = (3.141_592_741_012_573_2, -8.742_278_000_372_485e-8);
/// tan(pi/8): above it the argument is reduced with atan(t) = pi/4 + atan((t-1)/(t+1)).
const TAN_PI_8: f64 = 0.414_213_562_373_095_03;

/// `atan(mn / mx)` for `0 <= mn <= mx`, plus a constant `(c_hi, c_lo)` added with `sign`:
/// returns `c + (sign ? -1 : 1) * atan(mn/mx)` where `c` is chosen per lane from the constants
/// already in `base`. Handles the second reduction (ratio above tan(pi/8)) itself.
fn atan_ratio(l: &mut Lanes, mn: Value, mx: Value, base: (Value, Value), negate: Mask) -> Value {
    let el = l.elem;
    let pio4 = el.pick(PIO4_F32, PIO4_F64);
    let limit = l.mulc(mx, TAN_PI_8);
    let reduce = l.fcmp(FloatCC::GreaterThan, mn, limit);
    // Halve large operands so mn + mx cannot overflow; small ones stay exact (no subnormal loss).
    let large = l.fcmpc(FloatCC::GreaterThan, mx, 1.0);
    let one = l.c(1.0);
    let scale = l.selectc(large, 0.5, one);
    let mn_s = l.mul(mn, scale);
    let mx_s = l.mul(mx, scale);
    let diff = l.sub(mn_s, mx_s);
    let sum = l.add(mn_s, mx_s);
    let num = l.select(reduce, diff, mn);
    let den = l.select(reduce, sum, mx);
    let t = l.div(num, den);
    let z = l.mul(t, t);
    let g = l.poly(z, el.pick(&ATAN_F32[..], &ATAN_F64[..]));
    let tz = l.mul(t, z);
    let tail = l.mul(tz, g);
    // atan(mn/mx) = extra + t + tail, extra = pi/4 where reduced.
    let zero = l.c(0.0);
    let extra_hi = l.selectc(reduce, pio4.0, zero);
    let extra_lo = l.selectc(reduce, pio4.1, zero);
    let neg_t = l.neg(t);
    let neg_tail = l.neg(tail);
    let neg_extra_hi = l.neg(extra_hi);
    let neg_extra_lo = l.neg(extra_lo);
    let t = l.select(negate, neg_t, t);
    let tail = l.select(negate, neg_tail, tail);
    let extra_hi = l.select(negate, neg_extra_hi, extra_hi);
    let extra_lo = l.select(negate, neg_extra_lo, extra_lo);
    // Constant parts first (exact or nearly: they are multiples of pi/4), then the small terms.
    let c_hi = l.add(base.0, extra_hi);
    let c_lo = l.add(base.1, extra_lo);
    let small = l.add(tail, c_lo);
    let head = l.add(c_hi, t);
    l.add(head, small)
}

pub(crate) fn atan(l: &mut Lanes, x: Value) -> Value {
    let a = l.abs(x);
    let one = l.c(1.0);
    // atan(a) = pi/2 - atan(1/a) for a > 1.
    let big = l.fcmp(FloatCC::GreaterThan, a, one);
    let mn = l.select(big, one, a);
    let mx = l.select(big, a, one);
    let pio2 = l.elem.pick(PIO2_F32, PIO2_F64);
    let zero = l.c(0.0);
    let base_hi = l.selectc(big, pio2.0, zero);
    let base_lo = l.selectc(big, pio2.1, zero);
    let r = atan_ratio(l, mn, mx, (base_hi, base_lo), big);
    let sign = l.sign_bits(x);
    l.xor_sign(r, sign)
}

pub(crate) fn atan2(l: &mut Lanes, y: Value, x: Value) -> Value {
    let el = l.elem;
    let a0 = l.abs(y);
    let b0 = l.abs(x);
    // Both infinite: the answer is an odd multiple of pi/4, as for a = b = 1. Both zero: the
    // answer is 0 or pi, as for a = 0, b = 1.
    let a_inf = l.fcmpc(FloatCC::Equal, a0, f64::INFINITY);
    let b_inf = l.fcmpc(FloatCC::Equal, b0, f64::INFINITY);
    let both_inf = l.and(a_inf, b_inf);
    let a_zero = l.fcmpc(FloatCC::Equal, a0, 0.0);
    let b_zero = l.fcmpc(FloatCC::Equal, b0, 0.0);
    let both_zero = l.and(a_zero, b_zero);
    let a = l.selectc(both_inf, 1.0, a0);
    let b1 = l.selectc(both_inf, 1.0, b0);
    let b = l.selectc(both_zero, 1.0, b1);
    // First quadrant angle: swapped means atan(a/b) = pi/2 - atan(b/a).
    let swapped = l.fcmp(FloatCC::GreaterThan, a, b);
    let mn = l.select(swapped, b, a);
    let mx = l.select(swapped, a, b);
    // x < 0 (including -0) mirrors: angle = pi - first quadrant angle.
    let x_sign = l.sign_bits(x);
    let one = l.c(1.0);
    let signed_one = l.xor_sign(one, x_sign);
    let x_neg = l.fcmpc(FloatCC::LessThan, signed_one, 0.0);
    let pio2 = el.pick(PIO2_F32, PIO2_F64);
    let pi = el.pick(PI_F32, PI_F64);
    // Constant c and the sign of atan(mn/mx) per case:
    //   x >= 0: not swapped: 0 + atan, swapped: pi/2 - atan
    //   x < 0:  not swapped: pi - atan, swapped: pi/2 + atan
    let zero = l.c(0.0);
    let pio2_hi = l.c(pio2.0);
    let pio2_lo = l.c(pio2.1);
    let pi_hi = l.c(pi.0);
    let pi_lo = l.c(pi.1);
    let unswapped_hi = l.select(x_neg, pi_hi, zero);
    let unswapped_lo = l.select(x_neg, pi_lo, zero);
    let base_hi = l.select(swapped, pio2_hi, unswapped_hi);
    let base_lo = l.select(swapped, pio2_lo, unswapped_lo);
    // negate = swapped xor x_neg.
    let negate = l.mask_xor(swapped, x_neg);
    let r = atan_ratio(l, mn, mx, (base_hi, base_lo), negate);
    let y_sign = l.sign_bits(y);
    l.xor_sign(r, y_sign)
}

/// The pieces of `asin(s)` for the reduced argument: `asin(s) = s + (c + p)`, where `s` is the
/// rounded reduced argument, `c` its rounding correction (0 when not reduced) and `p` the
/// polynomial tail. `big` marks lanes with `|x| > 1/2`, reduced as
/// `asin(|x|) = pi/2 - 2 asin(sqrt((1 - |x|)/2))`.
struct AsinParts {
    big: Mask,
    s: Value,
    c: Value,
    p: Value,
}

fn asin_parts(l: &mut Lanes, x: Value) -> AsinParts {
    let el = l.elem;
    let a = l.abs(x);
    let big = l.fcmpc(FloatCC::GreaterThan, a, 0.5);
    let one = l.c(1.0);
    let one_minus = l.sub(one, a);
    let w_big = l.mulc(one_minus, 0.5);
    let a2 = l.mul(a, a);
    let z = l.select(big, w_big, a2);
    let root = l.sqrt(w_big);
    let s = l.select(big, root, a);
    // sqrt's rounding error: sqrt(w) = s + (w - s^2) / (2 s) to first order; only on reduced
    // lanes with s > 0 (elsewhere it would be 0/0 or a spurious correction).
    let neg_s = l.neg(s);
    let resid = l.fma(neg_s, s, z);
    let two_s = l.add(s, s);
    let corr = l.div(resid, two_s);
    let positive = l.fcmpc(FloatCC::GreaterThan, s, 0.0);
    let use_corr = l.and(big, positive);
    let zero = l.c(0.0);
    let c = l.select(use_corr, corr, zero);
    let g = l.poly(z, el.pick(&ASIN_F32[..], &ASIN_F64[..]));
    let sz = l.mul(s, z);
    let p = l.mul(sz, g);
    AsinParts { big, s, c, p }
}

pub(crate) fn asin(l: &mut Lanes, x: Value) -> Value {
    let el = l.elem;
    let AsinParts { big, s, c, p } = asin_parts(l, x);
    let cp = l.add(c, p);
    let small = l.add(s, cp);
    // pi/2 - 2 (s + cp) = (pio2_hi - 2 s) + (pio2_lo - 2 cp).
    let pio2 = el.pick(PIO2_F32, PIO2_F64);
    let two_s = l.add(s, s);
    let two_cp = l.add(cp, cp);
    let pio2_hi = l.c(pio2.0);
    let head = l.sub(pio2_hi, two_s);
    let pio2_lo = l.c(pio2.1);
    let tail = l.sub(pio2_lo, two_cp);
    let reduced = l.add(head, tail);
    let r = l.select(big, reduced, small);
    let sign = l.sign_bits(x);
    l.xor_sign(r, sign)
}

pub(crate) fn acos(l: &mut Lanes, x: Value) -> Value {
    let el = l.elem;
    let AsinParts { big, s, c, p } = asin_parts(l, x);
    let pio2 = el.pick(PIO2_F32, PIO2_F64);
    let pi = el.pick(PI_F32, PI_F64);
    let sign = l.sign_bits(x);
    // |x| <= 1/2: pi/2 - asin(x) = pio2_hi - (x + (±p - pio2_lo)).
    let signed_p = l.xor_sign(p, sign);
    let pio2_lo = l.c(pio2.1);
    let inner = l.sub(signed_p, pio2_lo);
    let asin_x = l.add(x, inner);
    let pio2_hi = l.c(pio2.0);
    let small = l.sub(pio2_hi, asin_x);
    // x > 1/2: 2 asin(s). x < -1/2: pi - 2 asin(s) = (pi_hi - 2 s) + (pi_lo - 2 cp).
    let cp = l.add(c, p);
    let two_s = l.add(s, s);
    let two_cp = l.add(cp, cp);
    let pos = l.add(two_s, two_cp);
    let pi_hi = l.c(pi.0);
    let head = l.sub(pi_hi, two_s);
    let pi_lo = l.c(pi.1);
    let tail = l.sub(pi_lo, two_cp);
    let neg = l.add(head, tail);
    let x_neg = l.fcmpc(FloatCC::LessThan, x, 0.0);
    let reduced = l.select(x_neg, neg, pos);
    l.select(big, reduced, small)
}
