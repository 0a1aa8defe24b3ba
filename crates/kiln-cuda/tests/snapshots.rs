//! Snapshots of the generated CUDA C (the kernel part; the helpers are the files in `kernels/`)
//! for representative schedules: an elementwise chain, views with negative strides and a
//! broadcast, row softmax (reductions with fused prologues and a broadcast epilogue), an argmax,
//! and complex arithmetic. A change of the generated code shows in review; every snapshot is
//! also compiled by NVRTC in `nvrtc_compile.rs`'s way when NVRTC is present.

use kiln_ir::{
    BinaryOp, DType, NodeId, Op, Program, Realized, ReduceOp, Scalar, Shape, SliceAxis, Step,
    UnaryOp,
};

fn input(p: &mut Program, dtype: DType, shape: &[usize]) -> NodeId {
    let shape = Shape::from(shape);
    let n = shape.numel();
    let data: Vec<Scalar> = (0..n)
        .map(|i| Scalar::F64(i as f64 * 0.25 - 1.0).cast(dtype))
        .collect();
    let realized = Realized::from_scalars(dtype, shape, &data).expect("input");
    p.add_input(realized)
}

fn add(p: &mut Program, op: Op, inputs: Vec<NodeId>) -> NodeId {
    p.add(op, inputs).unwrap_or_else(|e| panic!("{e}"))
}

/// The kernel parts of the CUDA C of every kernel `p` schedules to, after kiln-opt.
fn cuda_of(p: &Program) -> String {
    let (optimized, _) = kiln_opt::optimize(p, &kiln_opt::OptConfig::default()).expect("optimises");
    let schedule =
        kiln_sched::schedule(&optimized, &kiln_sched::SchedConfig::default()).expect("schedules");
    let mut out = String::new();
    for step in &schedule.steps {
        if let Step::Kernel(k) = step {
            let source = kiln_cuda::generate(&k.kernel).expect("generates");
            if kiln_cuda::nvrtc_available() {
                kiln_cuda::compile(&k.kernel.name, &source, kiln_cuda::DEFAULT_ARCH)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            out.push_str(&source.kernel);
            out.push('\n');
        }
    }
    out
}

#[test]
fn elementwise_chain() {
    // log(sin(x) + 5) on a 2-D f32 array: one grid-stride loop.
    let mut p = Program::new();
    let x = input(&mut p, DType::F32, &[4, 6]);
    let s = add(&mut p, Op::Unary(UnaryOp::Sin), vec![x]);
    let five = add(
        &mut p,
        Op::Full(Scalar::F32(5.0), Shape::from([4, 6])),
        vec![],
    );
    let a = add(&mut p, Op::Binary(BinaryOp::Add), vec![s, five]);
    let out = add(&mut p, Op::Unary(UnaryOp::Log), vec![a]);
    p.outputs.push(out);
    insta::assert_snapshot!(cuda_of(&p));
}

#[test]
fn negative_strides_and_broadcast() {
    // abs(x[::-1, ::-2]) * y, with y of shape [1, 3] broadcast over rows, in f64.
    let mut p = Program::new();
    let x = input(&mut p, DType::F64, &[4, 5]);
    let axes = vec![
        SliceAxis {
            start: 3,
            step: -1,
            len: 4,
        },
        SliceAxis {
            start: 4,
            step: -2,
            len: 3,
        },
    ];
    let r = add(&mut p, Op::Slice(axes), vec![x]);
    let a = add(&mut p, Op::Unary(UnaryOp::Abs), vec![r]);
    let y = input(&mut p, DType::F64, &[1, 3]);
    let yb = add(&mut p, Op::Broadcast(Shape::from([4, 3])), vec![y]);
    let out = add(&mut p, Op::Binary(BinaryOp::Mul), vec![a, yb]);
    p.outputs.push(out);
    insta::assert_snapshot!(cuda_of(&p));
}

#[test]
fn row_softmax() {
    // e = exp(x - max(x, 1)); e / sum(e, 1): two row reductions and an elementwise kernel.
    let mut p = Program::new();
    let x = input(&mut p, DType::F32, &[3, 5]);
    let shape = Shape::from([3, 5]);
    let reduce = |op| Op::Reduce { op, axes: vec![1] };
    let m = add(&mut p, reduce(ReduceOp::Max), vec![x]);
    let mb = add(&mut p, Op::Broadcast(shape.clone()), vec![m]);
    let d = add(&mut p, Op::Binary(BinaryOp::Sub), vec![x, mb]);
    let e = add(&mut p, Op::Unary(UnaryOp::Exp), vec![d]);
    let z = add(&mut p, reduce(ReduceOp::Sum), vec![e]);
    let zb = add(&mut p, Op::Broadcast(shape), vec![z]);
    let out = add(&mut p, Op::Binary(BinaryOp::Div), vec![e, zb]);
    p.outputs.push(out);
    insta::assert_snapshot!(cuda_of(&p));
}

#[test]
fn argmax_of_int_rows() {
    let mut p = Program::new();
    let x = input(&mut p, DType::I16, &[3, 7]);
    let out = add(
        &mut p,
        Op::Reduce {
            op: ReduceOp::ArgMax,
            axes: vec![1],
        },
        vec![x],
    );
    p.outputs.push(out);
    insta::assert_snapshot!(cuda_of(&p));
}

#[test]
fn complex_arithmetic() {
    // z * w + exp(z) / w in complex64, and the sum of |z| in f32.
    let mut p = Program::new();
    let z = input(&mut p, DType::C64, &[8]);
    let w = input(&mut p, DType::C64, &[8]);
    let zw = add(&mut p, Op::Binary(BinaryOp::Mul), vec![z, w]);
    let ez = add(&mut p, Op::Unary(UnaryOp::Exp), vec![z]);
    let q = add(&mut p, Op::Binary(BinaryOp::Div), vec![ez, w]);
    let out = add(&mut p, Op::Binary(BinaryOp::Add), vec![zw, q]);
    let a = add(&mut p, Op::Unary(UnaryOp::Abs), vec![z]);
    let s = add(
        &mut p,
        Op::Reduce {
            op: ReduceOp::Sum,
            axes: vec![0],
        },
        vec![a],
    );
    p.outputs.push(out);
    p.outputs.push(s);
    insta::assert_snapshot!(cuda_of(&p));
}

#[test]
fn split_sum_of_squares() {
    // sum(x * x) over a long axis, in the split form (partial chunks, then a finishing pass).
    let mut p = Program::new();
    let x = input(&mut p, DType::F32, &[64]);
    let sq = add(&mut p, Op::Binary(BinaryOp::Mul), vec![x, x]);
    let out = add(
        &mut p,
        Op::Reduce {
            op: ReduceOp::Sum,
            axes: vec![0],
        },
        vec![sq],
    );
    p.outputs.push(out);
    let schedule =
        kiln_sched::schedule(&p, &kiln_sched::SchedConfig::default()).expect("schedules");
    let Some(Step::Kernel(k)) = schedule.steps.first() else {
        panic!("expected one kernel");
    };
    let source = kiln_cuda::generate_split(&k.kernel).expect("generates");
    if kiln_cuda::nvrtc_available() {
        kiln_cuda::compile(&k.kernel.name, &source, kiln_cuda::DEFAULT_ARCH)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    insta::assert_snapshot!(source.kernel);
}
