//! Property tests against the reference interpreter: random verified programs, optimised by one
//! rule family at a time and by all of them, must give bit-identical results without fast-math
//! (integers and floats alike, special values included) and close results with fast-math.

use kiln_interp::compare::{Tolerance, assert_close};
use kiln_interp::testgen::{GenConfig, arb_program};
use kiln_ir::{Op, Program, Realized, Scalar};
use kiln_opt::{Family, OptConfig, family_rules, optimize, optimize_with_rules, rules};
use proptest::prelude::*;
use std::sync::Arc;

/// Generous limits so random programs saturate or stop on iterations, never on time.
fn cfg(fast_math: bool) -> OptConfig {
    OptConfig {
        fast_math,
        node_limit: 5_000,
        iter_limit: 8,
        time_limit: std::time::Duration::from_secs(20),
        ..OptConfig::default()
    }
}

fn elementwise_programs() -> GenConfig {
    GenConfig {
        max_nodes: 10,
        allow_reduce: false,
        allow_views: false,
        allow_library: false,
        ..GenConfig::default()
    }
}

fn view_programs() -> GenConfig {
    GenConfig {
        max_nodes: 10,
        allow_reduce: false,
        allow_library: false,
        ..GenConfig::default()
    }
}

fn reduce_programs() -> GenConfig {
    GenConfig {
        max_nodes: 10,
        allow_views: false,
        allow_library: false,
        ..GenConfig::default()
    }
}

/// The optimiser's contract on one program, with results compared under `exact` or fast-math rules.
fn check(p: &Program, optimised: &Program, fast_math: bool) -> Result<(), TestCaseError> {
    prop_assert!(optimised.verify().is_ok(), "{optimised}");
    prop_assert_eq!(p.inputs.len(), optimised.inputs.len());
    for (a, b) in p.inputs.iter().zip(&optimised.inputs) {
        prop_assert!(
            Arc::ptr_eq(&a.storage, &b.storage),
            "inputs are the same arrays"
        );
    }
    prop_assert_eq!(p.outputs.len(), optimised.outputs.len());
    let want = kiln_interp::run_program(p).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let got =
        kiln_interp::run_program(optimised).map_err(|e| TestCaseError::fail(e.to_string()))?;
    for (w, g) in want.iter().zip(&got) {
        prop_assert_eq!(w.dtype(), g.dtype());
        prop_assert_eq!(w.shape(), g.shape());
        let verdict = if fast_math {
            close_where_finite(w, g)
        } else {
            assert_close(w, g, &Tolerance::exact())
        };
        if let Err(msg) = verdict {
            return Err(TestCaseError::fail(format!(
                "{msg}\nbefore:\n{p}after:\n{optimised}"
            )));
        }
    }
    Ok(())
}

fn exact_under(family: Option<Family>, p: &Program) -> Result<(), TestCaseError> {
    let cfg = cfg(false);
    let result = match family {
        Some(f) => optimize_with_rules(p, &cfg, &family_rules(f, &cfg)),
        None => optimize(p, &cfg),
    };
    let (optimised, _) = result.map_err(|e| TestCaseError::fail(format!("{e}\n{p}")))?;
    check(p, &optimised, false)
}

/// Fast-math results must be close wherever the exact result is finite (fast-math may turn
/// `inf - inf` into 0, which is its documented licence).
fn close_where_finite(want: &Realized, got: &Realized) -> Result<(), String> {
    for (i, (w, g)) in want.scalars().into_iter().zip(got.scalars()).enumerate() {
        let finite = match w {
            Scalar::F32(v) => v.is_finite(),
            Scalar::F64(v) => v.is_finite(),
            Scalar::C64(z) => z.re.is_finite() && z.im.is_finite(),
            Scalar::C128(z) => z.re.is_finite() && z.im.is_finite(),
            _ => true,
        };
        if !finite {
            continue;
        }
        let one = |s: Scalar| Realized::from_scalars(s.dtype(), kiln_ir::Shape::scalar(), &[s]);
        let (w1, g1) = (
            one(w).map_err(|e| e.to_string())?,
            one(g).map_err(|e| e.to_string())?,
        );
        assert_close(&w1, &g1, &Tolerance::program()).map_err(|m| format!("element {i}: {m}"))?;
    }
    Ok(())
}

/// Replaces non-finite and large float constants and inputs by small finite values, so fast-math
/// programs stay in the range where its rewrites are approximations rather than different answers.
fn tame(mut p: Program) -> Program {
    let small = |v: f64| {
        if v.is_finite() && v.abs() <= 4.0 && (v == 0.0 || v.abs() >= 1e-3) {
            v
        } else {
            (v.to_bits() % 7) as f64 - 3.0 + 0.25
        }
    };
    let tame_scalar = |s: Scalar| match s {
        Scalar::F32(v) => Scalar::F32(small(v as f64) as f32),
        Scalar::F64(v) => Scalar::F64(small(v)),
        Scalar::C64(z) => Scalar::C64(kiln_ir::C64::new(
            small(z.re as f64) as f32,
            small(z.im as f64) as f32,
        )),
        Scalar::C128(z) => Scalar::C128(kiln_ir::C128::new(small(z.re), small(z.im))),
        other => other,
    };
    for node in &mut p.nodes {
        if let Op::Full(v, _) = &mut node.op {
            *v = tame_scalar(*v);
        }
    }
    for input in &mut p.inputs {
        if input.dtype().is_floating() {
            let values: Vec<Scalar> = input.scalars().into_iter().map(tame_scalar).collect();
            if let Ok(r) = Realized::from_scalars(input.dtype(), input.shape().clone(), &values) {
                *input = r;
            }
        }
    }
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn algebra_rules_are_exact(p in arb_program(elementwise_programs())) {
        exact_under(Some(Family::Algebra), &p)?;
    }

    #[test]
    fn strength_rules_are_exact(p in arb_program(elementwise_programs())) {
        exact_under(Some(Family::Strength), &p)?;
    }

    #[test]
    fn movement_rules_are_exact(p in arb_program(view_programs())) {
        exact_under(Some(Family::Movement), &p)?;
    }

    #[test]
    fn reduce_rules_are_exact(p in arb_program(reduce_programs())) {
        exact_under(Some(Family::Reduce), &p)?;
    }

    #[test]
    fn all_rules_together_are_exact(p in arb_program(GenConfig::default())) {
        exact_under(None, &p)?;
    }

    #[test]
    fn fast_math_stays_close(p in arb_program(GenConfig { allow_library: false, ..GenConfig::default() })) {
        let p = tame(p);
        let cfg = cfg(true);
        let (optimised, _) = optimize_with_rules(&p, &cfg, &rules(&cfg))
            .map_err(|e| TestCaseError::fail(format!("{e}\n{p}")))?;
        check(&p, &optimised, true)?;
    }

    #[test]
    fn optimisation_is_deterministic(p in arb_program(GenConfig::default())) {
        let cfg = OptConfig { time_limit: std::time::Duration::from_secs(20), ..OptConfig::default() };
        let (a, ra) = optimize(&p, &cfg).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (b, rb) = optimize(&p, &cfg).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(a.to_string(), b.to_string());
        prop_assert_eq!(ra, rb);
    }
}
