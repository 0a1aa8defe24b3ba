//! `run_program` on small handwritten programs with hand-computed results.

use kiln_interp::{InterpError, run_program};
use kiln_ir::{
    BinaryOp, DType, NodeId, Op, Program, Realized, ReduceOp, Scalar, ScanOp, Shape, SliceAxis,
    UnaryOp, View,
};
use std::sync::Arc;

fn s(d: &[usize]) -> Shape {
    Shape::from(d)
}

fn run1(p: &Program) -> Realized {
    let mut outs = run_program(p).unwrap();
    assert_eq!(outs.len(), 1);
    outs.remove(0)
}

fn arange_i64(p: &mut Program, n: usize) -> NodeId {
    p.add(
        Op::Arange {
            start: Scalar::I64(0),
            step: Scalar::I64(1),
            len: n,
        },
        vec![],
    )
    .unwrap()
}

#[test]
fn slices_with_negative_steps() {
    let mut p = Program::new();
    let a = arange_i64(&mut p, 6);
    let m = p.add(Op::Reshape(s(&[2, 3])), vec![a]).unwrap();
    let axes = vec![
        SliceAxis {
            start: 1,
            step: -1,
            len: 2,
        },
        SliceAxis {
            start: 2,
            step: -2,
            len: 2,
        },
    ];
    let out = p.add(Op::Slice(axes), vec![m]).unwrap();
    p.outputs.push(out);
    let r = run1(&p);
    assert_eq!(r.shape(), &s(&[2, 2]));
    assert_eq!(r.to_vec::<i64>(), vec![5, 3, 2, 0]);
}

#[test]
fn permute_and_broadcast() {
    let mut p = Program::new();
    let a = arange_i64(&mut p, 6);
    let m = p.add(Op::Reshape(s(&[2, 3])), vec![a]).unwrap();
    let t = p.add(Op::Permute(vec![1, 0]), vec![m]).unwrap();
    p.outputs.push(t);
    let three = arange_i64(&mut p, 3);
    let four = arange_i64(&mut p, 4);
    let col = p.add(Op::Reshape(s(&[3, 1])), vec![three]).unwrap();
    let row = p.add(Op::Reshape(s(&[1, 4])), vec![four]).unwrap();
    let cb = p.add(Op::Broadcast(s(&[3, 4])), vec![col]).unwrap();
    let rb = p.add(Op::Broadcast(s(&[3, 4])), vec![row]).unwrap();
    let sum = p.add(Op::Binary(BinaryOp::Mul), vec![cb, rb]).unwrap();
    p.outputs.push(sum);
    let outs = run_program(&p).unwrap();
    assert_eq!(outs[0].to_vec::<i64>(), vec![0, 3, 1, 4, 2, 5]);
    assert_eq!(
        outs[1].to_vec::<i64>(),
        vec![0, 0, 0, 0, 0, 1, 2, 3, 0, 2, 4, 6]
    );
}

#[test]
fn non_contiguous_realized_inputs_are_read_through_their_view() {
    let storage = Realized::from_vec(&[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], s(&[6])).unwrap();
    // A flipped, transposed view: element [i, j] sits at 5 - i - 3j.
    let view = View {
        shape: s(&[2, 2]),
        strides: vec![-1, -3],
        offset: 5,
    };
    let x = Realized::with_view(Arc::clone(&storage.storage), view).unwrap();
    let mut p = Program::new();
    let input = p.add_input(x);
    let neg = p.add(Op::Unary(UnaryOp::Neg), vec![input]).unwrap();
    p.outputs.push(neg);
    let r = run1(&p);
    assert!(r.view.is_contiguous());
    assert_eq!(r.to_vec::<f32>(), vec![-6.0, -3.0, -5.0, -2.0]);
}

#[test]
fn reductions_keep_dims() {
    let mut p = Program::new();
    let a = arange_i64(&mut p, 6);
    let m = p.add(Op::Reshape(s(&[2, 3])), vec![a]).unwrap();
    let rows = p
        .add(
            Op::Reduce {
                op: ReduceOp::Sum,
                axes: vec![1],
            },
            vec![m],
        )
        .unwrap();
    let all = p
        .add(
            Op::Reduce {
                op: ReduceOp::Max,
                axes: vec![0, 1],
            },
            vec![m],
        )
        .unwrap();
    let none = p
        .add(
            Op::Reduce {
                op: ReduceOp::Prod,
                axes: vec![],
            },
            vec![m],
        )
        .unwrap();
    p.outputs.extend([rows, all, none]);
    let outs = run_program(&p).unwrap();
    assert_eq!(outs[0].shape(), &s(&[2, 1]));
    assert_eq!(outs[0].to_vec::<i64>(), vec![3, 12]);
    assert_eq!(outs[1].shape(), &s(&[1, 1]));
    assert_eq!(outs[1].to_vec::<i64>(), vec![5]);
    assert_eq!(outs[2].to_vec::<i64>(), vec![0, 1, 2, 3, 4, 5]);
}

#[test]
fn empty_sum_gives_identity_per_output() {
    let x = Realized::from_vec::<f64>(&[], s(&[3, 0])).unwrap();
    let mut p = Program::new();
    let input = p.add_input(x);
    let r = p
        .add(
            Op::Reduce {
                op: ReduceOp::Sum,
                axes: vec![1],
            },
            vec![input],
        )
        .unwrap();
    p.outputs.push(r);
    let r = run1(&p);
    assert_eq!(r.shape(), &s(&[3, 1]));
    assert_eq!(r.to_vec::<f64>(), vec![0.0; 3]);
}

#[test]
fn argmax_with_nan_and_ties() {
    let x = Realized::from_vec(&[1.0f32, 5.0, 5.0, f32::NAN, 2.0, f32::NAN], s(&[2, 3])).unwrap();
    let mut p = Program::new();
    let input = p.add_input(x);
    let am = p
        .add(
            Op::Reduce {
                op: ReduceOp::ArgMax,
                axes: vec![1],
            },
            vec![input],
        )
        .unwrap();
    let am0 = p
        .add(
            Op::Reduce {
                op: ReduceOp::ArgMin,
                axes: vec![0],
            },
            vec![input],
        )
        .unwrap();
    p.outputs.extend([am, am0]);
    let outs = run_program(&p).unwrap();
    assert_eq!(outs[0].dtype(), DType::I64);
    assert_eq!(outs[0].to_vec::<i64>(), vec![1, 0]);
    assert_eq!(outs[1].to_vec::<i64>(), vec![1, 1, 1]);
}

#[test]
fn matmul_batched() {
    let a = Realized::from_vec(&[1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], s(&[1, 2, 3])).unwrap();
    let b = Realized::from_vec(&[7.0f64, 8.0, 9.0, 10.0, 11.0, 12.0], s(&[1, 3, 2])).unwrap();
    let mut p = Program::new();
    let (a, b) = (p.add_input(a), p.add_input(b));
    let c = p.add(Op::MatMul, vec![a, b]).unwrap();
    p.outputs.push(c);
    let r = run1(&p);
    assert_eq!(r.shape(), &s(&[1, 2, 2]));
    assert_eq!(r.to_vec::<f64>(), vec![58.0, 64.0, 139.0, 154.0]);
}

#[test]
fn matmul_integers_wrap_and_empty_contraction_is_zero() {
    let a = Realized::from_vec(&[100i8, 100], s(&[1, 2])).unwrap();
    let b = Realized::from_vec(&[2i8, 1], s(&[2, 1])).unwrap();
    let e = Realized::from_vec::<f32>(&[], s(&[2, 0])).unwrap();
    let f = Realized::from_vec::<f32>(&[], s(&[0, 3])).unwrap();
    let mut p = Program::new();
    let (a, b, e, f) = (
        p.add_input(a),
        p.add_input(b),
        p.add_input(e),
        p.add_input(f),
    );
    let ab = p.add(Op::MatMul, vec![a, b]).unwrap();
    let ef = p.add(Op::MatMul, vec![e, f]).unwrap();
    p.outputs.extend([ab, ef]);
    let outs = run_program(&p).unwrap();
    assert_eq!(outs[0].to_vec::<i8>(), vec![44]);
    assert_eq!(outs[1].shape(), &s(&[2, 3]));
    assert_eq!(outs[1].to_vec::<f32>(), vec![0.0; 6]);
}

#[test]
fn scans_along_each_axis() {
    let mut p = Program::new();
    let a = p
        .add(
            Op::Arange {
                start: Scalar::I32(1),
                step: Scalar::I32(1),
                len: 6,
            },
            vec![],
        )
        .unwrap();
    let m = p.add(Op::Reshape(s(&[2, 3])), vec![a]).unwrap();
    let c1 = p
        .add(
            Op::Scan {
                op: ScanOp::Sum,
                axis: 1,
            },
            vec![m],
        )
        .unwrap();
    let c0 = p
        .add(
            Op::Scan {
                op: ScanOp::Prod,
                axis: 0,
            },
            vec![m],
        )
        .unwrap();
    p.outputs.extend([c1, c0]);
    let outs = run_program(&p).unwrap();
    assert_eq!(outs[0].to_vec::<i32>(), vec![1, 3, 6, 4, 9, 15]);
    assert_eq!(outs[1].to_vec::<i32>(), vec![1, 2, 3, 4, 10, 18]);
}

#[test]
fn arange_and_eye() {
    let mut p = Program::new();
    let f = p
        .add(
            Op::Arange {
                start: Scalar::F32(0.5),
                step: Scalar::F32(-0.25),
                len: 4,
            },
            vec![],
        )
        .unwrap();
    let w = p
        .add(
            Op::Arange {
                start: Scalar::U8(250),
                step: Scalar::U8(3),
                len: 3,
            },
            vec![],
        )
        .unwrap();
    let e = p
        .add(
            Op::Eye {
                rows: 2,
                cols: 3,
                k: 1,
                dtype: DType::I16,
            },
            vec![],
        )
        .unwrap();
    let en = p
        .add(
            Op::Eye {
                rows: 3,
                cols: 2,
                k: -1,
                dtype: DType::Bool,
            },
            vec![],
        )
        .unwrap();
    p.outputs.extend([f, w, e, en]);
    let outs = run_program(&p).unwrap();
    assert_eq!(outs[0].to_vec::<f32>(), vec![0.5, 0.25, 0.0, -0.25]);
    assert_eq!(outs[1].to_vec::<u8>(), vec![250, 253, 0]);
    assert_eq!(outs[2].to_vec::<i16>(), vec![0, 1, 0, 0, 0, 1]);
    assert_eq!(
        outs[3].to_vec::<bool>(),
        vec![false, false, true, false, false, true]
    );
}

#[test]
fn where_cast_and_shared_intermediate_output() {
    let x = Realized::from_vec(&[-1.5f64, f64::NAN, 2.5, 300.0], s(&[4])).unwrap();
    let mut p = Program::new();
    let input = p.add_input(x);
    let zero = p.add(Op::Full(Scalar::F64(0.0), s(&[4])), vec![]).unwrap();
    let pos = p.add(Op::Binary(BinaryOp::Gt), vec![input, zero]).unwrap();
    let relu = p.add(Op::Where, vec![pos, input, zero]).unwrap();
    let as_u8 = p.add(Op::Cast(DType::U8), vec![relu]).unwrap();
    p.outputs.extend([as_u8, pos]);
    let outs = run_program(&p).unwrap();
    assert_eq!(outs[0].to_vec::<u8>(), vec![0, 0, 2, 255]);
    assert_eq!(outs[1].to_vec::<bool>(), vec![false, false, true, true]);
}

#[test]
fn invalid_programs_are_typed_errors() {
    let mut p = Program::new();
    let x = p.add_input(Realized::from_vec(&[1i64, 2], s(&[2])).unwrap());
    let y = p.add(Op::Unary(UnaryOp::Neg), vec![x]).unwrap();
    p.outputs.push(y);
    p.nodes[y.index()].dtype = DType::F32;
    assert!(matches!(run_program(&p), Err(InterpError::Ir(_))));
    p.nodes[y.index()].dtype = DType::I64;
    p.outputs.push(NodeId(99));
    assert!(matches!(run_program(&p), Err(InterpError::Ir(_))));
}

#[test]
fn absurd_shapes_are_typed_errors_not_aborts() {
    let mut p = Program::new();
    let huge = p
        .add(Op::Full(Scalar::F32(1.0), s(&[1 << 20, 1 << 20])), vec![])
        .unwrap();
    p.outputs.push(huge);
    assert!(matches!(
        run_program(&p),
        Err(InterpError::Ir(kiln_ir::IrError::TooLarge(_)))
    ));
}
