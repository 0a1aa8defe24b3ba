//! Properties of the random program generator: every program verifies and the oracle evaluates
//! it without error (and returns one array per output with the recorded dtype and shape).

use kiln_interp::run_program;
use kiln_interp::testgen::{GenConfig, arb_program, arb_realized};
use kiln_ir::{DType, Op, OpClass, Scalar, Shape};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use std::collections::BTreeSet;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn generated_programs_verify_and_evaluate(p in arb_program(GenConfig::default())) {
        prop_assert!(p.verify().is_ok(), "{p}");
        let outs = run_program(&p);
        prop_assert!(outs.is_ok(), "{p}\n{:?}", outs.err());
        let outs = outs.unwrap_or_default();
        prop_assert_eq!(outs.len(), p.outputs.len());
        for (o, r) in p.outputs.iter().zip(&outs) {
            prop_assert_eq!(r.dtype(), p.node(*o).dtype);
            prop_assert_eq!(r.shape(), &p.node(*o).shape);
            prop_assert!(r.view.is_contiguous());
        }
    }

    #[test]
    fn realized_views_fit_and_read_back(
        r in prop_oneof![
            arb_realized(DType::I32, Shape::from([3, 0, 2])),
            arb_realized(DType::I32, Shape::from([2, 3, 4])),
        ]
    ) {
        prop_assert!(r.view.fits(r.storage.len()));
        prop_assert_eq!(r.scalars().len(), r.shape().numel());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Restricted configurations are honoured: no op class the config excludes, and inputs only
    /// of the configured dtypes.
    #[test]
    fn restricted_configs_are_honoured(p in arb_program(GenConfig {
        max_rank: 2,
        max_dim: 3,
        max_nodes: 6,
        dtypes: vec![DType::F32, DType::I32],
        allow_reduce: false,
        allow_views: false,
        allow_library: false,
    })) {
        prop_assert!(p.verify().is_ok());
        for n in &p.nodes {
            prop_assert!(!matches!(n.op.class(), OpClass::Reduce | OpClass::Library), "{p}");
            prop_assert!(!matches!(n.op, Op::Permute(_) | Op::Slice(_)), "{p}");
        }
        for r in &p.inputs {
            prop_assert!(matches!(r.dtype(), DType::F32 | DType::I32));
        }
        prop_assert!(run_program(&p).is_ok());
    }
}

/// Over a fixed-seed sample, the generator produces every feature its docs promise.
#[test]
fn generator_covers_its_promises() {
    let mut runner = TestRunner::deterministic();
    let strategy = arb_program(GenConfig::default());
    let mut seen = BTreeSet::new();
    for _ in 0..400 {
        let p = strategy
            .new_tree(&mut runner)
            .map_err(|e| e.to_string())
            .map(|t| t.current());
        let Ok(p) = p else {
            panic!("generation failed: {:?}", p.err());
        };
        for r in &p.inputs {
            if !r.view.is_contiguous() {
                seen.insert("strided input");
            }
            if r.view.strides.iter().any(|&s| s < 0) {
                seen.insert("negative input stride");
            }
            if r.shape().numel() == 0 {
                seen.insert("empty input");
            }
            if r.scalars()
                .iter()
                .any(|s| matches!(s, Scalar::F32(v) if v.is_nan()))
            {
                seen.insert("nan input");
            }
        }
        if p.outputs.len() == 2 {
            seen.insert("two outputs");
        }
        for n in &p.nodes {
            let feature = match &n.op {
                Op::Slice(axes) if axes.iter().any(|a| a.step < 0) => "negative slice",
                Op::Reduce { op, .. } if op.is_arg() => "arg reduce",
                Op::Reduce { axes, .. } if axes.len() > 1 => "multi-axis reduce",
                Op::Scan { .. } => "scan",
                Op::MatMul => "matmul",
                Op::Where => "where",
                Op::Broadcast(_) => "broadcast",
                Op::Permute(_) => "permute",
                Op::Eye { .. } => "eye",
                Op::Arange { .. } => "arange",
                Op::Full(..) => "full",
                Op::Cast(_) => "cast",
                Op::Unary(_) => "unary",
                Op::Binary(_) => "binary",
                _ => continue,
            };
            seen.insert(feature);
        }
    }
    let promised = [
        "strided input",
        "negative input stride",
        "empty input",
        "nan input",
        "two outputs",
        "negative slice",
        "arg reduce",
        "multi-axis reduce",
        "scan",
        "matmul",
        "where",
        "broadcast",
        "permute",
        "eye",
        "arange",
        "full",
        "cast",
        "unary",
        "binary",
    ];
    let missing: Vec<_> = promised.iter().filter(|f| !seen.contains(*f)).collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
}
