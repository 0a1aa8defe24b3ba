//! Shared helpers of the scheduler's integration tests: program builders and the differential
//! check (schedule run by the kernel interpreter against the graph interpreter).
#![allow(dead_code)]

use kiln_interp::compare::{Tolerance, assert_close};
use kiln_ir::{
    BinaryOp, DType, NodeId, Op, Program, Realized, ReduceOp, Scalar, Schedule, Shape, Step,
    UnaryOp,
};
use kiln_sched::{SchedConfig, schedule};

pub fn f32_input(p: &mut Program, shape: &[usize]) -> NodeId {
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n).map(|i| ((i * 7 % 11) as f32 - 5.0) * 0.25).collect();
    p.add_input(Realized::from_vec(&data, Shape::from(shape)).unwrap())
}

pub fn un(p: &mut Program, op: UnaryOp, x: NodeId) -> NodeId {
    p.add(Op::Unary(op), vec![x]).unwrap()
}

pub fn bin(p: &mut Program, op: BinaryOp, a: NodeId, b: NodeId) -> NodeId {
    p.add(Op::Binary(op), vec![a, b]).unwrap()
}

pub fn full(p: &mut Program, v: Scalar, shape: &Shape) -> NodeId {
    p.add(Op::Full(v, shape.clone()), vec![]).unwrap()
}

pub fn reduce(p: &mut Program, op: ReduceOp, x: NodeId, axes: &[usize]) -> NodeId {
    p.add(
        Op::Reduce {
            op,
            axes: axes.to_vec(),
        },
        vec![x],
    )
    .unwrap()
}

pub fn broadcast(p: &mut Program, x: NodeId, to: &Shape) -> NodeId {
    p.add(Op::Broadcast(to.clone()), vec![x]).unwrap()
}

pub fn shape(p: &Program, n: NodeId) -> Shape {
    p.node(n).shape.clone()
}

/// Row softmax of a 2-D input: `e = exp(x - max(x, 1)); e / sum(e, 1)`.
pub fn softmax(rows: usize, cols: usize) -> Program {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[rows, cols]);
    let s = shape(&p, x);
    let m = reduce(&mut p, ReduceOp::Max, x, &[1]);
    let mb = broadcast(&mut p, m, &s);
    let d = bin(&mut p, BinaryOp::Sub, x, mb);
    let e = un(&mut p, UnaryOp::Exp, d);
    let z = reduce(&mut p, ReduceOp::Sum, e, &[1]);
    let zb = broadcast(&mut p, z, &s);
    let out = bin(&mut p, BinaryOp::Div, e, zb);
    p.outputs.push(out);
    p
}

/// `log(sin(x) + 5)`.
pub fn log_sin(shape: &[usize]) -> Program {
    let mut p = Program::new();
    let x = f32_input(&mut p, shape);
    let s = un(&mut p, UnaryOp::Sin, x);
    let five = full(&mut p, Scalar::F32(5.0), &Shape::from(shape));
    let a = bin(&mut p, BinaryOp::Add, s, five);
    let out = un(&mut p, UnaryOp::Log, a);
    p.outputs.push(out);
    p
}

/// `sum(x * x)` over every axis.
pub fn sum_sq(shape: &[usize]) -> Program {
    let mut p = Program::new();
    let x = f32_input(&mut p, shape);
    let sq = bin(&mut p, BinaryOp::Mul, x, x);
    let axes: Vec<usize> = (0..shape.len()).collect();
    let out = reduce(&mut p, ReduceOp::Sum, sq, &axes);
    p.outputs.push(out);
    p
}

/// `mean((x - mean(x))**2)` over every axis of a 1-D input.
pub fn variance(n: usize) -> Program {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[n]);
    let s = shape(&p, x);
    let total = reduce(&mut p, ReduceOp::Sum, x, &[0]);
    let count = full(&mut p, Scalar::F32(n as f32), &Shape::from([1]));
    let mean = bin(&mut p, BinaryOp::Div, total, count);
    let mb = broadcast(&mut p, mean, &s);
    let d = bin(&mut p, BinaryOp::Sub, x, mb);
    let two = full(&mut p, Scalar::F32(2.0), &s);
    let sq = bin(&mut p, BinaryOp::Pow, d, two);
    let total2 = reduce(&mut p, ReduceOp::Sum, sq, &[0]);
    let count2 = full(&mut p, Scalar::F32(n as f32), &Shape::from([1]));
    let out = bin(&mut p, BinaryOp::Div, total2, count2);
    p.outputs.push(out);
    p
}

pub fn sched(p: &Program) -> Schedule {
    schedule(p, &SchedConfig::default()).unwrap_or_else(|e| panic!("{e}\n{p}"))
}

pub fn kernels(s: &Schedule) -> Vec<&kiln_ir::KernelStep> {
    s.steps
        .iter()
        .filter_map(|st| match st {
            Step::Kernel(k) => Some(k),
            Step::Library(_) => None,
        })
        .collect()
}

/// Runs the schedule on the kernel interpreter and compares with the graph interpreter.
pub fn check_against_oracle(p: &Program, s: &Schedule) -> Result<(), String> {
    let want = kiln_interp::run_program(p).map_err(|e| format!("oracle: {e}"))?;
    let got = kiln_interp::run_schedule(s, &p.inputs).map_err(|e| format!("schedule: {e}"))?;
    if want.len() != got.len() {
        return Err(format!("{} outputs, expected {}", got.len(), want.len()));
    }
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        let tol = if w.dtype().is_floating() {
            Tolerance::program()
        } else {
            Tolerance::exact()
        };
        assert_close(w, g, &tol).map_err(|e| format!("output {i}: {e}"))?;
    }
    Ok(())
}

/// Schedules `p`, checks it against the oracle, and returns it.
pub fn schedule_checked(p: &Program) -> Schedule {
    let s = sched(p);
    if let Err(e) = check_against_oracle(p, &s) {
        panic!("{e}\nprogram:\n{p}\nschedule:\n{}", kiln_sched::explain(&s));
    }
    s
}

pub fn dtype_of(s: &Schedule, out: usize) -> DType {
    match s.outputs[out].buffer {
        kiln_ir::BufferRef::Temp(t) => s.buffers[t].dtype,
        kiln_ir::BufferRef::Input(_) => DType::Bool,
    }
}

/// Whether the program has a complex `arange` with a non-finite start or step. The kernel IR can
/// only scale a complex step by a complex index `(i, 0)`, whose cross terms `0 * inf` give NaN
/// where the reference (scaling by a real `i`) gives a finite imaginary part; the IR has no op that
/// builds a complex from two reals (reported to the lead as a kiln-ir change).
pub fn has_nonfinite_complex_arange(p: &Program) -> bool {
    p.nodes.iter().any(|n| match &n.op {
        Op::Arange { start, step, .. } if start.dtype().is_complex() => {
            [start, step].iter().any(|s| {
                let c = s.to_c128();
                !c.re.is_finite() || !c.im.is_finite()
            })
        }
        _ => false,
    })
}
