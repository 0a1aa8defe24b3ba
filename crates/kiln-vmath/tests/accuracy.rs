//! Accuracy of every supported (function, type) pair against the C library: dense sweeps of
//! representative ranges, thousands of fixed-seed random points (uniform and random bit
//! patterns), and special values. Each must stay within `max_ulps`, the vector form must agree
//! bit for bit with the scalar form, and the AVX-512 host build with the baseline x86-64-v3 build.
//!
//! Invariant: the domains below are the ones the crate documents; widening a claim means
//! widening a domain here.

mod common;

use common::{Isa, Rng, compile, reference, ulps_f32, ulps_f64, ulps_scaled};
use cranelift_codegen::ir::types;
use kiln_vmath::{MathFn, max_ulps, supports};

/// Where a function is tested: ranges swept and sampled uniformly for each operand, whether
/// random bit patterns (all magnitudes, NaN, inf, subnormals) are in the domain, and an
/// absolute bound on the operands beyond which accuracy is not claimed.
struct Domain {
    x: Vec<(f64, f64)>,
    y: Vec<(f64, f64)>,
    random_bits: bool,
    limit: f64,
}

fn domain(f: MathFn, f32: bool) -> Domain {
    use MathFn::*;
    let trig_limit = if f32 { 1e5 } else { 1e9 };
    let (x, random_bits, limit): (Vec<(f64, f64)>, bool, f64) = match f {
        Exp => (
            vec![(-1.0, 1.0), (-750.0, 750.0), (-110.0, 110.0)],
            true,
            f64::INFINITY,
        ),
        Expm1 => (
            vec![(-1e-3, 1e-3), (-1.0, 1.0), (-50.0, 50.0), (-750.0, 750.0)],
            true,
            f64::INFINITY,
        ),
        Log | Log2 | Log10 => (
            vec![(0.5, 2.0), (0.0, 10.0), (0.0, 1e6), (0.99, 1.01)],
            true,
            f64::INFINITY,
        ),
        Log1p => (
            vec![(-1.0, 1.0), (-1e-3, 1e-3), (-1.0, 1e6), (-0.3, 0.5)],
            true,
            f64::INFINITY,
        ),
        Sin | Cos | Tan => (
            vec![
                (-1.0, 1.0),
                (-10.0, 10.0),
                (-1000.0, 1000.0),
                (-trig_limit, trig_limit),
            ],
            true,
            trig_limit,
        ),
        Asin | Acos => (
            vec![
                (-1.0, 1.0),
                (-0.5, 0.5),
                (0.49, 0.51),
                (0.99, 1.0),
                (-1.0, -0.99),
            ],
            true,
            f64::INFINITY,
        ),
        Atan => (
            vec![(-1.0, 1.0), (-10.0, 10.0), (0.3, 2.5), (-1e6, 1e6)],
            true,
            f64::INFINITY,
        ),
        Sinh | Cosh => {
            let top = if f32 { 95.0 } else { 720.0 };
            (
                vec![(-1.0, 1.0), (-30.0, 30.0), (-top, top), (-1e-3, 1e-3)],
                true,
                f64::INFINITY,
            )
        }
        Tanh => (
            vec![(-1.0, 1.0), (-25.0, 25.0), (-1e-3, 1e-3), (0.3, 0.7)],
            true,
            f64::INFINITY,
        ),
        Asinh => (
            vec![(-1.0, 1.0), (-10.0, 10.0), (-1e10, 1e10), (1.9, 2.1)],
            true,
            f64::INFINITY,
        ),
        Acosh => (
            vec![(1.0, 2.0), (1.0, 100.0), (1.0, 1e10), (0.0, 1.001)],
            true,
            f64::INFINITY,
        ),
        Atanh => (
            vec![(-1.0, 1.0), (-0.01, 0.01), (0.99, 1.0), (0.45, 0.55)],
            true,
            f64::INFINITY,
        ),
        Atan2 | Hypot => (
            vec![(-10.0, 10.0), (-1e3, 1e3), (-1.0, 1.0), (0.0, 1e-3)],
            true,
            f64::INFINITY,
        ),
        LogAddExp => (
            vec![(-10.0, 10.0), (-800.0, 800.0), (-1.0, 1.0), (-100.0, 100.0)],
            true,
            f64::INFINITY,
        ),
        Pow => (vec![(0.0, 10.0), (-10.0, 10.0)], true, f64::INFINITY),
    };
    let y = match f {
        Atan2 | Hypot | LogAddExp => x.clone(),
        _ => vec![(-10.0, 10.0)],
    };
    Domain {
        x,
        y,
        random_bits,
        limit,
    }
}

const SWEEP: usize = 20_000;
const RANDOM: usize = 20_000;
const BITS: usize = 40_000;

fn specials() -> Vec<f64> {
    let mut v = vec![
        0.0,
        f64::INFINITY,
        f64::NAN,
        f64::MIN_POSITIVE,
        5e-324,
        1e-310,
        f64::MAX,
        f64::from(f32::MIN_POSITIVE),
        f64::from(f32::MAX),
        1e-45,
        1e-40,
        1.0,
        0.5,
        2.0,
        1e-8,
        1e-20,
        std::f64::consts::PI,
        std::f64::consts::FRAC_PI_2,
        std::f64::consts::FRAC_PI_4,
        88.72,
        89.0,
        709.78,
        710.0,
        -745.1,
        -103.9,
        -87.3,
        -708.4,
        0.999_999,
        1.000_001,
    ];
    let neg: Vec<f64> = v.iter().map(|x| -x).collect();
    v.extend(neg);
    v
}

/// Operand lists (x, y) for `f`, as f64 values exactly representable in the lane type.
fn inputs(f: MathFn, f32: bool) -> (Vec<f64>, Vec<f64>) {
    let d = domain(f, f32);
    let round = |v: f64| if f32 { f64::from(v as f32) } else { v };
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15 ^ (f as u64));
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let unary = f.arity() == 1;
    let push = |xs: &mut Vec<f64>, ys: &mut Vec<f64>, x: f64, y: f64| {
        let y = if unary { 1.0 } else { y };
        let in_limit = |v: f64| v.is_nan() || v.abs() <= d.limit;
        if in_limit(x) && in_limit(y) {
            xs.push(round(x));
            ys.push(round(y));
        }
    };
    let pair_range = |i: usize| (d.x[i % d.x.len()], d.y[i % d.y.len()]);
    for i in 0..d.x.len().max(d.y.len()) {
        let ((xl, xh), (yl, yh)) = pair_range(i);
        for k in 0..SWEEP {
            let t = k as f64 / (SWEEP - 1) as f64;
            let y = rng.uniform(yl, yh);
            push(&mut xs, &mut ys, xl + (xh - xl) * t, y);
        }
        for _ in 0..RANDOM {
            let x = rng.uniform(xl, xh);
            let y = rng.uniform(yl, yh);
            push(&mut xs, &mut ys, x, y);
        }
    }
    if d.random_bits {
        for _ in 0..BITS {
            let (x, y) = if f32 {
                (
                    f64::from(f32::from_bits(rng.next_u64() as u32)),
                    f64::from(f32::from_bits(rng.next_u64() as u32)),
                )
            } else {
                (
                    f64::from_bits(rng.next_u64()),
                    f64::from_bits(rng.next_u64()),
                )
            };
            push(&mut xs, &mut ys, x, y);
        }
    }
    let sp = specials();
    for &a in &sp {
        if f.arity() == 2 {
            for &b in &sp {
                push(&mut xs, &mut ys, a, b);
            }
        } else {
            push(&mut xs, &mut ys, a, 1.0);
        }
    }
    (xs, ys)
}

/// Measures the maximum error of `f` over its domain for the f32 or f64 types, asserting the
/// documented bound and scalar/vector/ISA agreement. Returns the measured maximum.
fn check(f: MathFn, f32: bool) -> f64 {
    let (scalar_ty, vector_ty) = if f32 {
        (types::F32, types::F32X4)
    } else {
        (types::F64, types::F64X2)
    };
    assert!(supports(f, scalar_ty) && supports(f, vector_ty));
    let (xs, ys) = inputs(f, f32);
    let bound = max_ulps(f, scalar_ty) as f64;
    assert_eq!(max_ulps(f, scalar_ty), max_ulps(f, vector_ty));
    let scalar = compile(f, scalar_ty, Isa::Native);
    let vector = compile(f, vector_ty, Isa::Native);
    let baseline = compile(f, vector_ty, Isa::Baseline);
    let (got, got_vec, got_base): (Vec<f64>, Vec<f64>, Vec<f64>) = if f32 {
        let x: Vec<f32> = xs.iter().map(|&v| v as f32).collect();
        let y: Vec<f32> = ys.iter().map(|&v| v as f32).collect();
        let widen = |v: Vec<f32>| v.into_iter().map(f64::from).collect();
        (
            widen(scalar.run_f32(&x, &y)),
            widen(vector.run_f32(&x, &y)),
            widen(baseline.run_f32(&x, &y)),
        )
    } else {
        (
            scalar.run_f64(&xs, &ys),
            vector.run_f64(&xs, &ys),
            baseline.run_f64(&xs, &ys),
        )
    };
    let mut worst = (0.0f64, 0.0, 0.0);
    for i in 0..xs.len() {
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        assert!(
            same(got[i], got_vec[i]),
            "{f}: scalar {} != vector {} at x={:e} y={:e}",
            got[i],
            got_vec[i],
            xs[i],
            ys[i]
        );
        assert!(
            same(got_vec[i], got_base[i]),
            "{f}: native != baseline at x={:e}",
            xs[i]
        );
        let want = reference(f, xs[i], ys[i]);
        let err = if f == MathFn::LogAddExp {
            // max(x, y) + log1p(exp(-|x - y|)) cancels where the result is near 0; like NumPy,
            // the error is bounded relative to the larger of the result and max(x, y).
            let scale = want.abs().max(xs[i].max(ys[i]).abs());
            ulps_scaled(got[i], want, scale, f32)
        } else if f32 {
            ulps_f32(got[i] as f32, want)
        } else {
            ulps_f64(got[i], want)
        };
        if err > worst.0 || err.is_nan() {
            worst = (err, xs[i], ys[i]);
        }
    }
    let name = if f32 { "f32" } else { "f64" };
    println!(
        "{f:>10} {name}: max {:.3} ulp (bound {bound}) at x={:e} y={:e} over {} points",
        worst.0,
        worst.1,
        worst.2,
        xs.len()
    );
    assert!(
        worst.0 <= bound,
        "{f} {name}: {} ulp > {bound} at x={:e} y={:e} (got {}, want {})",
        worst.0,
        worst.1,
        worst.2,
        {
            let i = xs
                .iter()
                .position(|&v| v.to_bits() == worst.1.to_bits())
                .unwrap_or(0);
            got[i]
        },
        reference(f, worst.1, worst.2)
    );
    worst.0
}

macro_rules! accuracy_tests {
    ($($name:ident => $f:expr),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check($f, true);
                check($f, false);
            }
        )*
    };
}

accuracy_tests! {
    exp => MathFn::Exp,
    expm1 => MathFn::Expm1,
    log => MathFn::Log,
    log1p => MathFn::Log1p,
    log2 => MathFn::Log2,
    log10 => MathFn::Log10,
    sin => MathFn::Sin,
    cos => MathFn::Cos,
    tan => MathFn::Tan,
    asin => MathFn::Asin,
    acos => MathFn::Acos,
    atan => MathFn::Atan,
    sinh => MathFn::Sinh,
    cosh => MathFn::Cosh,
    tanh => MathFn::Tanh,
    asinh => MathFn::Asinh,
    acosh => MathFn::Acosh,
    atanh => MathFn::Atanh,
    atan2 => MathFn::Atan2,
    hypot => MathFn::Hypot,
    logaddexp => MathFn::LogAddExp,
}
