//! The Array API's complex special cases (C99 Annex G), one row each, and agreement with
//! `num-complex` on ordinary finite inputs (which also proves the C ABI binding is right).

use kiln_cmath::C128;
use proptest::prelude::*;
use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

const INF: f64 = f64::INFINITY;
const NAN: f64 = f64::NAN;

/// An expected component: exact value (sign of zero included), any-sign value, or NaN.
#[derive(Clone, Copy, Debug)]
enum E {
    Is(f64),
    AnySign(f64),
    Nan,
}
use E::{AnySign, Is, Nan};

fn matches(got: f64, want: E) -> bool {
    match want {
        Nan => got.is_nan(),
        Is(w) if w.is_infinite() || w == 0.0 => {
            got == w && got.is_sign_negative() == w.is_sign_negative()
        }
        Is(w) => (got - w).abs() <= 4.0 * f64::EPSILON * w.abs(),
        AnySign(w) => matches(got.abs(), Is(w.abs())),
    }
}

fn check(name: &str, f: fn(C128) -> C128, re: f64, im: f64, want_re: E, want_im: E) {
    let got = f(C128::new(re, im));
    assert!(
        matches(got.re, want_re) && matches(got.im, want_im),
        "{name}({re} + {im}j) = {got}, expected {want_re:?} + {want_im:?} j"
    );
}

#[test]
fn inverse_trig_and_hyperbolic_special_cases() {
    use kiln_cmath::{acos, acosh, asinh, atanh};
    check("acos", acos, 0.0, NAN, Is(FRAC_PI_2), Nan);
    check("acos", acos, -0.0, NAN, Is(FRAC_PI_2), Nan);
    check("acos", acos, 1.5, INF, Is(FRAC_PI_2), Is(-INF));
    check("acos", acos, -INF, 2.0, Is(PI), Is(-INF));
    check("acos", acos, INF, 2.0, Is(0.0), Is(-INF));
    check("acos", acos, -INF, INF, Is(3.0 * FRAC_PI_4), Is(-INF));
    check("acos", acos, INF, INF, Is(FRAC_PI_4), Is(-INF));
    check("acos", acos, INF, NAN, Nan, AnySign(INF));
    check("acos", acos, NAN, INF, Nan, Is(-INF));
    check("acosh", acosh, 1.5, INF, Is(INF), Is(FRAC_PI_2));
    check("acosh", acosh, 0.0, NAN, Nan, AnySign(FRAC_PI_2));
    check("acosh", acosh, -INF, 2.0, Is(INF), Is(PI));
    check("acosh", acosh, INF, 2.0, Is(INF), Is(0.0));
    check("acosh", acosh, -INF, INF, Is(INF), Is(3.0 * FRAC_PI_4));
    check("acosh", acosh, INF, NAN, Is(INF), Nan);
    check("acosh", acosh, NAN, INF, Is(INF), Nan);
    check("asinh", asinh, 1.5, INF, Is(INF), Is(FRAC_PI_2));
    check("asinh", asinh, INF, 2.0, Is(INF), Is(0.0));
    check("asinh", asinh, INF, INF, Is(INF), Is(FRAC_PI_4));
    check("asinh", asinh, NAN, 0.0, Nan, Is(0.0));
    check("asinh", asinh, NAN, INF, AnySign(INF), Nan);
    check("atanh", atanh, 0.0, NAN, Is(0.0), Nan);
    check("atanh", atanh, 1.5, INF, Is(0.0), Is(FRAC_PI_2));
    check("atanh", atanh, INF, 2.0, Is(0.0), Is(FRAC_PI_2));
    check("atanh", atanh, INF, INF, Is(0.0), Is(FRAC_PI_2));
    check("atanh", atanh, INF, NAN, Is(0.0), Nan);
    check("atanh", atanh, NAN, INF, AnySign(0.0), Is(FRAC_PI_2));
}

#[test]
fn hyperbolic_special_cases() {
    use kiln_cmath::{cosh, sinh, tanh};
    check("cosh", cosh, 0.0, INF, Nan, AnySign(0.0));
    check("cosh", cosh, 0.0, NAN, Nan, AnySign(0.0));
    check("cosh", cosh, INF, 0.0, Is(INF), Is(0.0));
    check("cosh", cosh, INF, INF, AnySign(INF), Nan);
    check("cosh", cosh, INF, NAN, Is(INF), Nan);
    check("cosh", cosh, NAN, 0.0, Nan, AnySign(0.0));
    check("sinh", sinh, 0.0, INF, AnySign(0.0), Nan);
    check("sinh", sinh, 0.0, NAN, AnySign(0.0), Nan);
    check("sinh", sinh, INF, 0.0, Is(INF), Is(0.0));
    check("sinh", sinh, INF, INF, AnySign(INF), Nan);
    check("sinh", sinh, INF, NAN, AnySign(INF), Nan);
    check("sinh", sinh, NAN, 0.0, Nan, Is(0.0));
    check("tanh", tanh, 0.0, INF, Is(0.0), Nan);
    check("tanh", tanh, 0.0, NAN, Is(0.0), Nan);
    check("tanh", tanh, INF, 2.0, Is(1.0), Is(0.0));
    check("tanh", tanh, INF, INF, Is(1.0), AnySign(0.0));
    check("tanh", tanh, INF, NAN, Is(1.0), AnySign(0.0));
    check("tanh", tanh, NAN, 0.0, Nan, Is(0.0));
}

#[test]
fn exp_family_and_sqrt_special_cases() {
    use kiln_cmath::{expm1, log1p, sqrt};
    check("expm1", expm1, 0.0, 0.0, Is(0.0), Is(0.0));
    check("expm1", expm1, -0.0, 0.0, Is(0.0), Is(0.0));
    check("expm1", expm1, INF, 0.0, Is(INF), Is(0.0));
    check("expm1", expm1, -INF, INF, Is(-1.0), AnySign(0.0));
    check("expm1", expm1, INF, INF, AnySign(INF), Nan);
    check("expm1", expm1, -INF, NAN, Is(-1.0), AnySign(0.0));
    check("expm1", expm1, INF, NAN, AnySign(INF), Nan);
    check("expm1", expm1, NAN, 0.0, Nan, Is(0.0));
    check("expm1", expm1, 1.5, INF, Nan, Nan);
    check("expm1", expm1, -INF, 2.0, Is(-1.0), AnySign(0.0));
    check("sqrt", sqrt, INF, 2.0, Is(INF), Is(0.0));
    check("sqrt", sqrt, -INF, NAN, Nan, AnySign(INF));
    check("sqrt", sqrt, INF, NAN, Is(INF), Nan);
    check("sqrt", sqrt, 2.0, INF, Is(INF), Is(INF));
    check("log1p", log1p, -1.0, 0.0, Is(-INF), Is(0.0));
    check("log1p", log1p, -INF, 2.0, Is(INF), Is(PI));
}

#[test]
fn round_rounds_both_parts_half_to_even() {
    let r = kiln_cmath::round(C128::new(2.5, -0.5));
    assert!(r.re == 2.0 && r.im == 0.0 && r.im.is_sign_negative(), "{r}");
    let r = kiln_cmath::round(C128::new(INF, NAN));
    assert!(r.re == INF && r.im.is_nan());
}

#[test]
fn log_of_subnormal_input_keeps_precision() {
    let z = C128::new(5e-324, 5e-324);
    let got = kiln_cmath::ln(z);
    // 5e-324 is 2^-1074, so ln|z| = ln(2^-1074 * sqrt 2) = -1073.5 ln 2.
    let want = -1073.5 * std::f64::consts::LN_2;
    assert!((got.re - want).abs() < 1e-12, "{got} vs {want}");
    assert!((got.im - FRAC_PI_4).abs() < 1e-15);
}

fn ulp_close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

proptest! {
    /// On moderate finite inputs the C library and num-complex's closed forms agree closely;
    /// a wrong ABI binding would return garbage here.
    #[test]
    fn agrees_with_num_complex_on_finite_inputs(re in -3.0f64..3.0, im in -3.0f64..3.0) {
        let z = C128::new(re, im);
        let pairs: [(&str, C128, C128); 9] = [
            ("exp", kiln_cmath::exp(z), z.exp()),
            ("ln", kiln_cmath::ln(z), z.ln()),
            ("sqrt", kiln_cmath::sqrt(z), z.sqrt()),
            ("sin", kiln_cmath::sin(z), z.sin()),
            ("cosh", kiln_cmath::cosh(z), z.cosh()),
            ("tanh", kiln_cmath::tanh(z), z.tanh()),
            ("atan", kiln_cmath::atan(z), z.atan()),
            ("asinh", kiln_cmath::asinh(z), z.asinh()),
            ("acos", kiln_cmath::acos(z), z.acos()),
        ];
        for (name, got, want) in pairs {
            prop_assert!(
                ulp_close(got.re, want.re, 1e-9) || (got.re - want.re).abs() < 1e-12,
                "{name}({z}): {got} vs {want}"
            );
            prop_assert!(
                ulp_close(got.im, want.im, 1e-9) || (got.im - want.im).abs() < 1e-12,
                "{name}({z}): {got} vs {want}"
            );
        }
    }

    /// expm1 and log1p stay accurate near zero (no cancellation), as NumPy's do.
    #[test]
    fn expm1_log1p_accurate_near_zero(re in -1e-8f64..1e-8, im in -1e-8f64..1e-8) {
        let z = C128::new(re, im);
        let e = kiln_cmath::expm1(z);
        prop_assert!(ulp_close(e.re, re.exp_m1() * im.cos() - 2.0 * (im / 2.0).sin().powi(2), 1e-12));
        prop_assert!(ulp_close(e.im, im, 1e-7));
        let l = kiln_cmath::log1p(z);
        prop_assert!(ulp_close(l.im, im.atan2(1.0 + re), 1e-12));
    }
}
