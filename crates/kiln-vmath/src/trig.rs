//! `sin`, `cos`, `tan`: three-part Cody-Waite reduction of `|x|` by multiples of pi/2 with FMA,
//! minimax polynomials for sin and cos on `[-pi/4, pi/4]`, and quadrant/sign selection by bits.
//!
//! Invariant: the reduction works on `|x|` and the sign of `x` is applied by a final sign-bit xor,
//! so `sin` and `tan` are exactly odd (sin(-0) = -0) and `cos` exactly even. With FMA the first
//! reduction step `|x| - q C1` is exact and the second is rounded once after cancellation, so the
//! reduced argument keeps full relative precision while the quadrant `q` fits the magic-number
//! trick (|x| < 2^22 pi/2 for f32, 2^51 pi/2 for f64; beyond that results are not meaningful).
//! ±inf and NaN give NaN through `inf - inf` in the reduction.

use cranelift_codegen::ir::Value;

use crate::lanes::Lanes;

/// `(sin r - r) / r^3` as a polynomial in `z = r^2` on `[0, (pi/4)^2]`, lowest degree first.
const S_F64: [f64; 6] = [
    -0.166_666_666_666_666_646_22,
    0.008_333_333_333_330_947_294_5,
    -0.000_198_412_698_367_567_725_28,
    2.755_731_610_161_787_443_7e-6,
    -2.505_113_165_023_518_147e-8,
    1.591_811_526_326_597_519_5e-10,
];
const S_F32: [f64; 3] = [
    -0.166_666_646_617_146_984_65,
    0.008_332_748_154_085_032_145,
    -0.000_195_878_657_021_018_751_3,
];
/// `(cos r - 1 + z/2) / z^2` as a polynomial in `z = r^2` on `[0, (pi/4)^2]`.
const C_F64: [f64; 6] = [
    0.041_666_666_666_666_665_388,
    -0.001_388_888_888_888_739_649_2,
    0.000_024_801_587_298_764_560_771,
    -2.755_731_727_114_514_596_2e-7,
    2.087_614_614_655_861_158_2e-9,
    -1.138_262_364_747_460_463e-11,
];
const C_F32: [f64; 3] = [
    0.041_666_664_658_901_403_725,
    -0.001_388_830_291_911_363_280_6,
    0.000_024_547_916_853_691_016_929,
];

const TWO_OVER_PI: f64 = std::f64::consts::FRAC_2_PI;
/// pi/2 = C1 + C2 + C3 in the lane precision.
const PIO2_F64: [f64; 3] = [
    std::f64::consts::FRAC_PI_2,
    6.123_233_995_736_766e-17,
    -1.497_384_904_859_169_8e-33,
];
const PIO2_F32: [f64; 3] = [
    1.570_796_370_506_286_6,
    -4.371_138_828_673_793e-8,
    -1.715_124_510_005_881_9e-15,
];

/// The reduced argument of `|x|` and the polynomial values at it.
struct Reduced {
    /// Integer bit pattern whose low bits hold the quadrant `q`.
    q_bits: Value,
    sin_r: Value,
    cos_r: Value,
}

fn reduce(l: &mut Lanes, x: Value) -> Reduced {
    let el = l.elem;
    let a = l.abs(x);
    let scaled = l.mulc(a, TWO_OVER_PI);
    let q = l.nearest(scaled);
    let [c1, c2, c3] = el.pick(PIO2_F32, PIO2_F64);
    let r1 = l.fmac(q, -c1, a);
    // r = hi + lo; lo only matters where hi has cancelled to a tiny value.
    let hi = l.fmac(q, -c2, r1);
    let lo = l.mulc(q, -c3);
    let z = l.mul(hi, hi);
    let s_poly = l.poly(z, el.pick(&S_F32[..], &S_F64[..]));
    let hz = l.mul(hi, z);
    let s_tail = l.fma(hz, s_poly, lo);
    let sin_r = l.add(hi, s_tail);
    // cos r = w + ((1 - w) - z/2 + z^2 C(z)) with w = 1 - z/2: the parenthesis recovers the
    // rounding error of w. The lo part changes cos by |hi lo|, far below an ulp.
    let c_poly = l.poly(z, el.pick(&C_F32[..], &C_F64[..]));
    let half_z = l.mulc(z, 0.5);
    let one = l.c(1.0);
    let w = l.sub(one, half_z);
    let one_minus_w = l.sub(one, w);
    let w_err = l.sub(one_minus_w, half_z);
    let z2 = l.mul(z, z);
    let c_tail = l.fma(z2, c_poly, w_err);
    let cos_r = l.add(w, c_tail);
    let q_bits = l.int_bits(q);
    Reduced {
        q_bits,
        sin_r,
        cos_r,
    }
}

/// Moves bit 1 of the quadrant into the sign position.
fn quadrant_sign(l: &mut Lanes, q_bits: Value) -> Value {
    let el = l.elem;
    let bit = l.iandc(q_bits, 2);
    l.ishl(bit, el.width() - 2)
}

pub(crate) fn sin(l: &mut Lanes, x: Value) -> Value {
    let red = reduce(l, x);
    let odd = l.bit_set(red.q_bits, 1);
    let v = l.select(odd, red.cos_r, red.sin_r);
    let q_sign = quadrant_sign(l, red.q_bits);
    let x_sign = l.sign_bits(x);
    let sign = l.ixor(q_sign, x_sign);
    l.xor_sign(v, sign)
}

pub(crate) fn cos(l: &mut Lanes, x: Value) -> Value {
    let red = reduce(l, x);
    // cos(x) = sin(x + pi/2): the quadrant moves by one.
    let q1 = l.iaddc(red.q_bits, 1);
    let odd = l.bit_set(q1, 1);
    let v = l.select(odd, red.cos_r, red.sin_r);
    let sign = quadrant_sign(l, q1);
    l.xor_sign(v, sign)
}

pub(crate) fn tan(l: &mut Lanes, x: Value) -> Value {
    let red = reduce(l, x);
    // tan has period pi: odd quadrants give -cos r / sin r.
    let odd = l.bit_set(red.q_bits, 1);
    let neg_cos = l.neg(red.cos_r);
    let num = l.select(odd, neg_cos, red.sin_r);
    let den = l.select(odd, red.sin_r, red.cos_r);
    let t = l.div(num, den);
    let x_sign = l.sign_bits(x);
    l.xor_sign(t, x_sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pi_over_two_splits_sum_to_pi_over_two() {
        // The f64 split's leading part is the correctly rounded pi/2.
        assert_eq!(PIO2_F64[0], std::f64::consts::FRAC_PI_2);
        // The f32 leading part is exactly an f32.
        assert_eq!(f64::from(PIO2_F32[0] as f32), PIO2_F32[0]);
        let sum = PIO2_F32[0] + PIO2_F32[1] + PIO2_F32[2];
        assert!((sum - std::f64::consts::FRAC_PI_2).abs() < 4e-16);
        let sum = PIO2_F64[0] + PIO2_F64[1];
        assert_eq!(sum, std::f64::consts::FRAC_PI_2);
    }
}
