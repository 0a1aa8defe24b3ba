//! Differential property tests: for random verified programs, the schedule run by the kernel
//! interpreter equals the graph interpreter (exactly for integers and bools, within
//! `Tolerance::program()` for floats, whose reductions may combine in another order).

mod common;
use common::*;
use kiln_interp::testgen::{GenConfig, arb_program};
use kiln_ir::{DType, Step};
use proptest::prelude::*;

fn check(p: &kiln_ir::Program) -> Result<(), TestCaseError> {
    let s = kiln_sched::schedule(p, &kiln_sched::SchedConfig::default())
        .map_err(|e| TestCaseError::fail(format!("{e}\n{p}")))?;
    check_against_oracle(p, &s).map_err(|e| {
        TestCaseError::fail(format!(
            "{e}\nprogram:\n{p}\nschedule:\n{}",
            kiln_sched::explain(&s)
        ))
    })?;
    // Canonical kernel text never names an extent: rescheduling is deterministic.
    let again = kiln_sched::schedule(p, &kiln_sched::SchedConfig::default())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
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
