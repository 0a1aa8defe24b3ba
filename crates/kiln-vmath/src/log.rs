//! `log`, `log1p`, `log2`, `log10`: `x = 2^e m` with `m` in `[sqrt(1/2), sqrt(2))`, then
//! `log1p(f)` for `f = m - 1` via `s = f / (2 + f)` and a minimax polynomial in `s^2` (the fdlibm
//! scheme), recombined with `e` in extra precision.
//!
//! Invariant: `parts` is the single decomposition all four functions use; special inputs (zero,
//! negative, infinite, NaN) are patched afterwards by `fix_special` from the *input of the
//! decomposition*, so the polynomial path never has to care about them. Subnormal inputs are
//! scaled into the normal range first, so they are as accurate as normal ones.

use cranelift_codegen::ir::Value;
use cranelift_codegen::ir::condcodes::FloatCC;

use crate::lanes::{Elem, Lanes};

/// `R(z) / z` where `log1p(f) = 2s + s R(s^2)`, on `z` in `[0, (3 - 2 sqrt 2)^2]`, lowest degree
/// first: degree 6 for f64 (abs error 3.1e-16 on a term scaled by `s^3 < 0.005`), degree 2 for
/// f32 (1.9e-7).
const G_F64: [f64; 7] = [
    0.666_666_666_666_666_968_83,
    0.399_999_999_998_994_432_33,
    0.285_714_286_260_032_687_42,
    0.222_222_111_302_598_770_29,
    0.181_828_894_556_749_460_38,
    0.153_317_106_182_107_715_69,
    0.146_165_854_248_886_219_74,
];
const G_F32: [f64; 3] = [
    0.666_666_850_451_560_290_67,
    0.399_887_782_821_628_077_28,
    0.295_800_530_431_884_421_33,
];

const LN2_HI_F64: f64 = std::f64::consts::LN_2;
const LN2_LO_F64: f64 = 2.319_046_813_846_299_6e-17;
const LN2_HI_F32: f64 = 0.693_147_182_464_599_6;
const LN2_LO_F32: f64 = -1.904_654_212_125_933_6e-9;
const LOG2E_HI_F64: f64 = std::f64::consts::LOG2_E;
const LOG2E_LO_F64: f64 = 2.035_527_374_093_103_3e-17;
const LOG2E_HI_F32: f64 = 1.442_695_021_629_333_5;
const LOG2E_LO_F32: f64 = 1.925_963_033_500_011_5e-8;
const LOG10E_HI_F64: f64 = std::f64::consts::LOG10_E;
const LOG10E_LO_F64: f64 = 1.098_319_650_216_765_1e-17;
const LOG10E_HI_F32: f64 = 0.434_294_492_006_301_9;
const LOG10E_LO_F32: f64 = -1.010_304_995_219_257_8e-8;
const LOG10_2_HI_F64: f64 = std::f64::consts::LOG10_2;
const LOG10_2_LO_F64: f64 = -2.803_728_127_785_170_4e-18;
const LOG10_2_HI_F32: f64 = 0.301_030_009_984_970_1;
const LOG10_2_LO_F32: f64 = -1.432_098_883_924_482e-8;

/// `x = 2^e (1 + f)` and `log1p(f) = f - (hfsq - tail)`, each part exact or nearly so.
struct Parts {
    e: Value,
    f: Value,
    hfsq: Value,
    tail: Value,
}

fn parts(l: &mut Lanes, x: Value) -> Parts {
    let el = l.elem;
    let mant = el.mant_bits();
    // Subnormals: scale by 2^scale_bits and take it back out of the exponent.
    let (min_normal, scale_bits) =
        el.pick((f64::from(f32::MIN_POSITIVE), 32), (f64::MIN_POSITIVE, 54));
    let tiny = l.fcmpc(FloatCC::LessThan, x, min_normal);
    let scaled = l.mulc(x, (scale_bits as f64).exp2());
    let xs = l.select(tiny, scaled, x);
    let zero = l.c(0.0);
    let e_offset = l.selectc(tiny, -(scale_bits as f64), zero);
    // Shifting the bits by one - sqrt(1/2) makes the exponent field roll over exactly where the
    // mantissa crosses sqrt(2), so the reduced mantissa lands in [sqrt(1/2), sqrt(2)).
    let (one_bits, sqrt_half_bits) = match el {
        Elem::F32 => (
            i64::from(1.0f32.to_bits()),
            i64::from(0.5f32.sqrt().to_bits()),
        ),
        Elem::F64 => (1.0f64.to_bits() as i64, 0.5f64.sqrt().to_bits() as i64),
    };
    let bits = l.bits(xs);
    let shifted = l.iaddc(bits, one_bits - sqrt_half_bits);
    let biased_e = l.ushr(shifted, mant);
    // 2^mant + biased_e as a float, read straight from the bits.
    let two_mant = (mant as f64).exp2();
    let two_mant_bits = match el {
        Elem::F32 => i64::from((two_mant as f32).to_bits()),
        Elem::F64 => two_mant.to_bits() as i64,
    };
    let e_bits = l.iaddc(biased_e, two_mant_bits);
    let e_float = l.float_of_bits(e_bits);
    let e_unbiased = l.addc(e_float, -(two_mant + el.bias() as f64));
    let e = l.add(e_unbiased, e_offset);
    let m_low = l.iandc(shifted, (1i64 << mant) - 1);
    let m_bits = l.iaddc(m_low, sqrt_half_bits);
    let m = l.float_of_bits(m_bits);
    let f = l.addc(m, -1.0);
    let two_f = l.addc(f, 2.0);
    let s = l.div(f, two_f);
    let z = l.mul(s, s);
    let g = l.poly(z, el.pick(&G_F32[..], &G_F64[..]));
    let r = l.mul(z, g);
    let half_f = l.mulc(f, 0.5);
    let hfsq = l.mul(half_f, f);
    let hr = l.add(hfsq, r);
    let tail = l.mul(s, hr);
    Parts { e, f, hfsq, tail }
}

/// Patches the results for `x` = +inf or NaN (passed through), 0 (-inf) and negative (NaN).
fn fix_special(l: &mut Lanes, x: Value, r: Value) -> Value {
    let pass = l.fcmpc(FloatCC::UnorderedOrGreaterThanOrEqual, x, f64::INFINITY);
    let r = l.select(pass, x, r);
    let zero = l.fcmpc(FloatCC::Equal, x, 0.0);
    let r = l.selectc(zero, f64::NEG_INFINITY, r);
    let negative = l.fcmpc(FloatCC::LessThan, x, 0.0);
    l.selectc(negative, f64::NAN, r)
}

/// `e ln2 + log1p(f) + c`, `c` a correction of the input (`log1p`) or absent.
fn natural(l: &mut Lanes, p: &Parts, correction: Option<Value>) -> Value {
    let el = l.elem;
    let mut inner = l.fmac(p.e, el.pick(LN2_LO_F32, LN2_LO_F64), p.tail);
    if let Some(c) = correction {
        inner = l.add(inner, c);
    }
    let u = l.sub(p.hfsq, inner);
    let v = l.sub(p.f, u);
    l.fmac(p.e, el.pick(LN2_HI_F32, LN2_HI_F64), v)
}

pub(crate) fn log(l: &mut Lanes, x: Value) -> Value {
    let p = parts(l, x);
    let r = natural(l, &p, None);
    fix_special(l, x, r)
}

pub(crate) fn log1p(l: &mut Lanes, x: Value) -> Value {
    let u = l.addc(x, 1.0);
    // log(u + d) = log(u) + d/u for the rounding error d of 1 + x. It is NaN only where u is 0,
    // inf or NaN, and fix_special overrides exactly those lanes.
    let um1 = l.addc(u, -1.0);
    let d = l.sub(x, um1);
    let c = l.div(d, u);
    let p = parts(l, u);
    let r = natural(l, &p, Some(c));
    let r = fix_special(l, u, r);
    // log1p has the sign of x; this restores log1p(-0) = -0.
    let sign = l.sign_bits(x);
    let bits = l.bits(r);
    let signed = l.ior(bits, sign);
    l.float_of_bits(signed)
}

/// `e * (scale_e) + log1p(f) * (scale_l)`, both scales given as hi + lo pairs, summed with an
/// exact two-sum so the result is within about half an ulp before the final rounding.
fn scaled(l: &mut Lanes, p: &Parts, scale_e: (f64, f64), scale_l: (f64, f64)) -> Value {
    let a = l.mulc(p.e, scale_e.0);
    let neg_a = l.neg(a);
    let a_err = l.fmac(p.e, scale_e.0, neg_a);
    let b = l.mulc(p.f, scale_l.0);
    let neg_b = l.neg(b);
    let b_err = l.fmac(p.f, scale_l.0, neg_b);
    // Two-sum of a + b.
    let s = l.add(a, b);
    let bb = l.sub(s, a);
    let s_minus_bb = l.sub(s, bb);
    let a_part = l.sub(a, s_minus_bb);
    let b_part = l.sub(b, bb);
    let sum_err = l.add(a_part, b_part);
    // Everything small: product errors, the lo parts of the scales, and -(hfsq - tail) * scale.
    let t = l.sub(p.hfsq, p.tail);
    let t_scaled = l.mulc(t, scale_l.0);
    let mut rest = l.sub(a_err, t_scaled);
    rest = l.add(rest, b_err);
    rest = l.fmac(p.e, scale_e.1, rest);
    rest = l.fmac(p.f, scale_l.1, rest);
    let low = l.add(sum_err, rest);
    l.add(s, low)
}

pub(crate) fn log2(l: &mut Lanes, x: Value) -> Value {
    let p = parts(l, x);
    let el = l.elem;
    let lh = el.pick((LOG2E_HI_F32, LOG2E_LO_F32), (LOG2E_HI_F64, LOG2E_LO_F64));
    let r = scaled(l, &p, (1.0, 0.0), lh);
    fix_special(l, x, r)
}

pub(crate) fn log10(l: &mut Lanes, x: Value) -> Value {
    let p = parts(l, x);
    let el = l.elem;
    let eh = el.pick(
        (LOG10_2_HI_F32, LOG10_2_LO_F32),
        (LOG10_2_HI_F64, LOG10_2_LO_F64),
    );
    let lh = el.pick(
        (LOG10E_HI_F32, LOG10E_LO_F32),
        (LOG10E_HI_F64, LOG10E_LO_F64),
    );
    let r = scaled(l, &p, eh, lh);
    fix_special(l, x, r)
}
