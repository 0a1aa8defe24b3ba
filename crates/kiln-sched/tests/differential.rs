//! Differential property tests: for random verified programs, the schedule run by the kernel
//! interpreter equals the graph interpreter (exactly for integers and bools, within
//! `Tolerance::program()` for floats, whose reductions may combine in another order).

mod common;
use common::*;
use kiln_interp::testgen::{GenConfig, arb_program};
use kiln_ir::{DType, Step};
use proptest::prelude::*;

fn check(p: &kiln_ir::Program) -> Result<(), TestCaseError> {
    check_with(p, &kiln_sched::SchedConfig::default())
}

fn check_with(p: &kiln_ir::Program, cfg: &kiln_sched::SchedConfig) -> Result<(), TestCaseError> {
    prop_assume!(!has_nonfinite_complex_arange(p));
    let s = kiln_sched::schedule(p, cfg).map_err(|e| TestCaseError::fail(format!("{e}\n{p}")))?;
    check_against_oracle(p, &s).map_err(|e| {
        TestCaseError::fail(format!(
            "{e}\nprogram:\n{p}\nschedule:\n{}",
            kiln_sched::explain(&s)
        ))
    })?;
    // Canonical kernel text never names an extent: rescheduling is deterministic.
    let again = kiln_sched::schedule(p, cfg).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(kiln_sched::explain(&s), kiln_sched::explain(&again));
    for step in &s.steps {
        if let Step::Kernel(k) = step {
            prop_assert!(k.kernel.name.starts_with('k'));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_programs_match_the_oracle(p in arb_program(GenConfig::default())) {
        check(&p)?;
    }

    #[test]
    fn random_float_view_programs_match_the_oracle(p in arb_program(GenConfig {
        max_nodes: 12,
        dtypes: vec![DType::F64, DType::I32],
        ..GenConfig::default()
    })) {
        check(&p)?;
    }
}

/// The policy knobs change performance only: extreme settings still match the oracle.
fn arb_config() -> impl Strategy<Value = kiln_sched::SchedConfig> {
    (0usize..4, 0u32..20, 0u32..12, any::<bool>()).prop_map(|(loads, weight, bcast, fuse)| {
        kiln_sched::SchedConfig {
            recompute_max_loads: loads,
            recompute_max_weight: weight,
            broadcast_materialise_weight: bcast,
            fuse_epilogues: fuse,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_policy_matches_the_oracle(
        p in arb_program(GenConfig { max_nodes: 12, ..GenConfig::default() }),
        cfg in arb_config(),
    ) {
        check_with(&p, &cfg)?;
    }
}

#[test]
fn acceptance_workloads_match_the_oracle_under_every_policy_extreme() {
    let extremes = [
        kiln_sched::SchedConfig::default(),
        kiln_sched::SchedConfig {
            recompute_max_loads: 0,
            recompute_max_weight: 0,
            broadcast_materialise_weight: 0,
            fuse_epilogues: false,
        },
        kiln_sched::SchedConfig {
            recompute_max_loads: usize::MAX,
            recompute_max_weight: u32::MAX,
            broadcast_materialise_weight: u32::MAX,
            fuse_epilogues: true,
        },
    ];
    for cfg in &extremes {
        for p in [
            softmax(4, 6),
            variance(9),
            sum_sq(&[2, 5]),
            log_sin(&[3, 3]),
        ] {
            let s = kiln_sched::schedule(&p, cfg).unwrap();
            check_against_oracle(&p, &s).unwrap();
        }
    }
}
