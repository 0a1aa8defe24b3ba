//! The kernels of the benchmark workloads W1-W4 (`/work/shared/bench/workloads.md`, and
//! `kiln eval-workload`), built as programs, optimised with kiln-opt and scheduled with
//! kiln-sched's defaults, as `pipeline.rs` does.
//!
//! - W1: `log(sin(x) + 5)`, f32;
//! - W2: `a*b + c*d - e`, f64;
//! - W3: `sum(x*x)`, f32;
//! - W4: row softmax `exp(x - max(x, 1)) / sum(exp(..), 1)`, f32.

use kiln_ir::{
    BinaryOp, DType, Kernel, NodeId, Op, Program, Realized, ReduceOp, Scalar, Shape, Step, UnaryOp,
};

fn input(p: &mut Program, dtype: DType, shape: &[usize]) -> NodeId {
    let n: usize = shape.iter().product();
    let r = match dtype {
        DType::F64 => Realized::from_vec(&vec![0.5f64; n], Shape::from(shape)),
        _ => Realized::from_vec(&vec![0.5f32; n], Shape::from(shape)),
    };
    p.add_input(r.expect("input"))
}

fn add(p: &mut Program, op: Op, inputs: Vec<NodeId>) -> NodeId {
    p.add(op, inputs).expect("well-typed workload")
}

fn program(name: &str) -> Program {
    let mut p = Program::new();
    let n = 1 << 12;
    let out = match name {
        "W1" => {
            let x = input(&mut p, DType::F32, &[n]);
            let s = add(&mut p, Op::Unary(UnaryOp::Sin), vec![x]);
            let five = add(&mut p, Op::Full(Scalar::F32(5.0), Shape::from([n])), vec![]);
            let a = add(&mut p, Op::Binary(BinaryOp::Add), vec![s, five]);
            add(&mut p, Op::Unary(UnaryOp::Log), vec![a])
        }
        "W2" => {
            let v: Vec<NodeId> = (0..5).map(|_| input(&mut p, DType::F64, &[n])).collect();
            let ab = add(&mut p, Op::Binary(BinaryOp::Mul), vec![v[0], v[1]]);
            let cd = add(&mut p, Op::Binary(BinaryOp::Mul), vec![v[2], v[3]]);
            let s = add(&mut p, Op::Binary(BinaryOp::Add), vec![ab, cd]);
            add(&mut p, Op::Binary(BinaryOp::Sub), vec![s, v[4]])
        }
        "W3" => {
            let x = input(&mut p, DType::F32, &[n]);
            let sq = add(&mut p, Op::Binary(BinaryOp::Mul), vec![x, x]);
            add(
                &mut p,
                Op::Reduce {
                    op: ReduceOp::Sum,
                    axes: vec![0],
                },
                vec![sq],
            )
        }
        _ => {
            let shape = Shape::from([16, 256]);
            let x = input(&mut p, DType::F32, &[16, 256]);
            let m = add(
                &mut p,
                Op::Reduce {
                    op: ReduceOp::Max,
                    axes: vec![1],
                },
                vec![x],
            );
            let mb = add(&mut p, Op::Broadcast(shape.clone()), vec![m]);
            let d = add(&mut p, Op::Binary(BinaryOp::Sub), vec![x, mb]);
            let e = add(&mut p, Op::Unary(UnaryOp::Exp), vec![d]);
            let z = add(
                &mut p,
                Op::Reduce {
                    op: ReduceOp::Sum,
                    axes: vec![1],
                },
                vec![e],
            );
            let zb = add(&mut p, Op::Broadcast(shape), vec![z]);
            add(&mut p, Op::Binary(BinaryOp::Div), vec![e, zb])
        }
    };
    p.outputs.push(out);
    p
}

/// `(workload, kernel)` for every kernel W1-W4 schedule, in schedule order.
pub fn workload_kernels() -> Vec<(&'static str, Kernel)> {
    let mut out = Vec::new();
    for name in ["W1", "W2", "W3", "W4"] {
        let p = program(name);
        let (optimized, _) =
            kiln_opt::optimize(&p, &kiln_opt::OptConfig::default()).expect("optimise");
        let schedule = kiln_sched::schedule(&optimized, &kiln_sched::SchedConfig::default())
            .expect("schedule");
        for step in schedule.steps {
            if let Step::Kernel(k) = step {
                out.push((name, k.kernel));
            }
        }
    }
    out
}
