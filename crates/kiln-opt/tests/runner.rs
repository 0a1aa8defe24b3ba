//! The pipeline on whole programs: limits and stop reasons, determinism, sharing of duplicated
//! subtrees, the input/output contract, and errors for invalid programs.

use kiln_ir::{BinaryOp, DType, Op, Program, Realized, Scalar, Shape, UnaryOp};
use kiln_opt::{OptConfig, OptError, optimize};
use std::sync::Arc;
use std::time::Duration;

fn input_f32(p: &mut Program, n: usize) -> kiln_ir::NodeId {
    let data: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 1.0).collect();
    p.add_input(Realized::from_vec(&data, Shape::from([n])).expect("input"))
}

/// `depth` layers of `sin(a) + cos(b)` over two inputs, each layer reusing the previous two:
/// plenty of work for the rules (permutes, slices, constants) without saturating quickly.
fn busy_program(depth: usize) -> Program {
    let mut p = Program::new();
    let x = input_f32(&mut p, 16);
    let y = input_f32(&mut p, 16);
    let one = p
        .add(Op::Full(Scalar::F32(1.0), Shape::from([16])), vec![])
        .expect("full");
    let (mut a, mut b) = (x, y);
    for _ in 0..depth {
        let s = p.add(Op::Unary(UnaryOp::Sin), vec![a]).expect("sin");
        let c = p.add(Op::Unary(UnaryOp::Cos), vec![b]).expect("cos");
        let sum = p.add(Op::Binary(BinaryOp::Add), vec![s, c]).expect("add");
        let scaled = p
            .add(Op::Binary(BinaryOp::Mul), vec![sum, one])
            .expect("mul");
        let neg = p.add(Op::Unary(UnaryOp::Neg), vec![scaled]).expect("neg");
        let back = p.add(Op::Unary(UnaryOp::Neg), vec![neg]).expect("neg");
        (a, b) = (back, sum);
    }
    let sliced = p
        .add(
            Op::Slice(vec![kiln_ir::SliceAxis {
                start: 1,
                step: 3,
                len: 5,
            }]),
            vec![a],
        )
        .expect("slice");
    p.outputs = vec![sliced, b];
    p
}

#[test]
fn stops_at_the_iteration_limit_and_says_so() {
    let cfg = OptConfig {
        iter_limit: 1,
        time_limit: Duration::from_secs(20),
        ..OptConfig::default()
    };
    let (_, report) = optimize(&busy_program(6), &cfg).expect("optimise");
    assert_eq!(report.stop_reason, "iteration limit (1)");
    assert_eq!(report.iterations, 1);
}

#[test]
fn stops_at_the_node_limit_and_says_so() {
    let cfg = OptConfig {
        node_limit: 40,
        time_limit: Duration::from_secs(20),
        ..OptConfig::default()
    };
    let (optimised, report) = optimize(&busy_program(6), &cfg).expect("optimise");
    assert!(report.stop_reason.starts_with("node limit"), "{report:?}");
    optimised.verify().expect("still a valid program");
}

#[test]
fn stops_at_the_time_limit_and_says_so() {
    let cfg = OptConfig {
        time_limit: Duration::ZERO,
        ..OptConfig::default()
    };
    let (optimised, report) = optimize(&busy_program(6), &cfg).expect("optimise");
    assert!(report.stop_reason.starts_with("time limit"), "{report:?}");
    optimised.verify().expect("still a valid program");
}

#[test]
fn saturates_small_programs_and_reports_rules() {
    let cfg = OptConfig {
        time_limit: Duration::from_secs(20),
        ..OptConfig::default()
    };
    let (optimised, report) = optimize(&busy_program(2), &cfg).expect("optimise");
    assert_eq!(report.stop_reason, "saturated", "{report:?}");
    assert!(report.cost_after < report.cost_before, "{report:?}");
    let names: Vec<&str> = report
        .rules_applied
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    for rule in ["mul-one-r", "neg-neg", "slice-through-add"] {
        assert!(names.contains(&rule), "{rule} missing from {names:?}");
    }
    let text = optimised.to_string();
    assert!(!text.contains("neg"), "{text}");
    assert!(!text.contains("mul"), "{text}");
}

#[test]
fn same_input_gives_the_same_output_text() {
    let cfg = OptConfig {
        node_limit: 300,
        time_limit: Duration::from_secs(20),
        ..OptConfig::default()
    };
    let p = busy_program(5);
    let (a, ra) = optimize(&p, &cfg).expect("optimise");
    let (b, rb) = optimize(&p, &cfg).expect("optimise");
    assert_eq!(a.to_string(), b.to_string());
    assert_eq!(ra, rb);
}

#[test]
fn duplicated_subtrees_come_out_shared() {
    let mut p = Program::new();
    let x = input_f32(&mut p, 8);
    let mut outs = Vec::new();
    for _ in 0..2 {
        let e = p.add(Op::Unary(UnaryOp::Exp), vec![x]).expect("exp");
        let s = p.add(Op::Unary(UnaryOp::Sin), vec![e]).expect("sin");
        outs.push(s);
    }
    let both = p.add(Op::Binary(BinaryOp::Add), outs.clone()).expect("add");
    p.outputs = vec![both, outs[0], outs[1]];
    let (optimised, _) = optimize(&p, &OptConfig::default()).expect("optimise");
    // input, exp, sin, add: the second exp/sin chain is the first one.
    assert_eq!(optimised.nodes.len(), 4, "{optimised}");
    assert_eq!(optimised.outputs[1], optimised.outputs[2]);
}

#[test]
fn inputs_and_output_types_are_kept() {
    let mut p = Program::new();
    let x = input_f32(&mut p, 6);
    let unused = p.add_input(Realized::from_vec(&[1i64, 2], Shape::from([2])).expect("input"));
    let r = p
        .add(Op::Reshape(Shape::from([2, 3])), vec![x])
        .expect("reshape");
    let c = p.add(Op::Cast(DType::F64), vec![r]).expect("cast");
    let back = p.add(Op::Cast(DType::F32), vec![c]).expect("cast");
    p.outputs = vec![back, x, back];
    let (optimised, _) = optimize(&p, &OptConfig::default()).expect("optimise");
    assert_eq!(optimised.inputs.len(), 2);
    for (a, b) in p.inputs.iter().zip(&optimised.inputs) {
        assert!(Arc::ptr_eq(&a.storage, &b.storage));
    }
    assert_eq!(optimised.outputs.len(), 3);
    for (a, b) in p.outputs.iter().zip(&optimised.outputs) {
        assert_eq!(p.node(*a).dtype, optimised.node(*b).dtype);
        assert_eq!(p.node(*a).shape, optimised.node(*b).shape);
    }
    // cast f32 -> f64 -> f32 is the identity: only the input and the reshape remain.
    assert_eq!(optimised.nodes.len(), 2, "{optimised}");
    let _ = unused;
}

#[test]
fn invalid_programs_are_rejected_with_the_ir_error() {
    let mut p = Program::new();
    let x = input_f32(&mut p, 4);
    let n = p.add(Op::Unary(UnaryOp::Neg), vec![x]).expect("neg");
    p.nodes[n.index()].dtype = DType::F64;
    p.outputs = vec![n];
    match optimize(&p, &OptConfig::default()) {
        Err(e @ OptError::InvalidProgram(_)) => {
            assert_eq!(e.python_kind(), kiln_ir::PythonKind::RuntimeError);
        }
        other => panic!("expected InvalidProgram, got {other:?}"),
    }
}

#[test]
fn programs_over_the_node_limit_are_returned_unchanged() {
    let p = busy_program(40);
    let cfg = OptConfig {
        max_program_nodes: p.nodes.len() - 1,
        ..OptConfig::default()
    };
    let (out, report) = optimize(&p, &cfg).expect("optimise");
    assert!(
        report.stop_reason.starts_with("skipped"),
        "{}",
        report.stop_reason
    );
    assert_eq!(out.to_string(), p.to_string());
}

#[test]
fn large_egraphs_use_linear_extraction_and_stay_exact() {
    // Enough layers for the e-graph to pass the DAG-extraction class limit.
    let p = busy_program(120);
    let cfg = OptConfig {
        time_limit: Duration::from_secs(20),
        ..OptConfig::default()
    };
    let (out, report) = optimize(&p, &cfg).expect("optimise");
    assert!(
        report.egraph_classes > kiln_opt::extract::DAG_EXTRACTION_MAX_CLASSES,
        "only {} classes: the test no longer reaches tree-cost extraction",
        report.egraph_classes
    );
    assert!(report.cost_after <= report.cost_before);
    let want = kiln_interp::run_program(&p).expect("reference");
    let got = kiln_interp::run_program(&out).expect("optimised");
    for (w, g) in want.iter().zip(&got) {
        kiln_interp::compare::assert_close(w, g, &kiln_interp::compare::Tolerance::exact())
            .expect("bit-exact");
    }
}
