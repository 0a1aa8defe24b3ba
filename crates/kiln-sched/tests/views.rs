//! Views, boundaries and edge shapes: negative strides, broadcast operands, reshapes that force a
//! copy, pure-view outputs, several consumers, library boundaries, empty arrays and scalars.

mod common;
use common::*;
use kiln_ir::{
    Access, BinaryOp, BufferRef, DType, InnerStride, LibraryStep, Op, Program, Realized, ReduceOp,
    Scalar, ScanOp, Shape, SliceAxis, Step, UnaryOp, View,
};
use std::sync::Arc;

fn slice(p: &mut Program, x: kiln_ir::NodeId, axes: &[(usize, isize, usize)]) -> kiln_ir::NodeId {
    let axes = axes
        .iter()
        .map(|&(start, step, len)| SliceAxis { start, step, len })
        .collect();
    p.add(Op::Slice(axes), vec![x]).unwrap()
}

#[test]
fn flipped_realized_input_is_read_with_a_negative_stride() {
    let data: Vec<f32> = (0..6).map(|i| i as f32).collect();
    let base = Realized::from_vec(&data, Shape::from([6])).unwrap();
    let flipped = Realized::with_view(
        Arc::clone(&base.storage),
        View {
            shape: Shape::from([6]),
            strides: vec![-1],
            offset: 5,
        },
    )
    .unwrap();
    let mut p = Program::new();
    let x = p.add_input(flipped);
    let y = un(&mut p, UnaryOp::Neg, x);
    p.outputs.push(y);
    let s = schedule_checked(&p);
    let k = kernels(&s)[0];
    assert_eq!(k.geometry.params[0].strides, vec![-1]);
    assert_eq!(k.geometry.params[0].offset, 5);
    assert_eq!(k.kernel.params[0].inner, InnerStride::Any);
}

#[test]
fn negative_step_slice_composes_into_the_load() {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[4, 5]);
    let r = slice(&mut p, x, &[(3, -1, 4), (4, -2, 3)]);
    let y = un(&mut p, UnaryOp::Abs, r);
    p.outputs.push(y);
    let s = schedule_checked(&p);
    assert_eq!(s.steps.len(), 1);
    let k = kernels(&s)[0];
    assert_eq!(k.geometry.params[0].strides, vec![-5, -2]);
    assert_eq!(k.geometry.params[0].offset, 19);
}

#[test]
fn broadcast_operands_get_zero_strides() {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[3, 4]);
    let row = f32_input(&mut p, &[1, 4]);
    let col = f32_input(&mut p, &[3, 1]);
    let rb = broadcast(&mut p, row, &Shape::from([3, 4]));
    let cb = broadcast(&mut p, col, &Shape::from([3, 4]));
    let a = bin(&mut p, BinaryOp::Add, x, rb);
    let y = bin(&mut p, BinaryOp::Mul, a, cb);
    p.outputs.push(y);
    let s = schedule_checked(&p);
    assert_eq!(s.steps.len(), 1);
    let k = kernels(&s)[0];
    assert_eq!(k.geometry.dims, vec![3, 4]);
    let layout_of = |input: usize| {
        let i = k
            .buffers
            .iter()
            .position(|b| *b == BufferRef::Input(input))
            .unwrap();
        (
            k.geometry.params[i].strides.clone(),
            k.kernel.params[i].inner,
        )
    };
    assert_eq!(layout_of(0), (vec![4, 1], InnerStride::Unit));
    assert_eq!(layout_of(1), (vec![0, 1], InnerStride::Unit));
    assert_eq!(layout_of(2), (vec![1, 0], InnerStride::Zero));
}

#[test]
fn reshape_of_a_transpose_is_materialised_once() {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[2, 3]);
    let t = p.add(Op::Permute(vec![1, 0]), vec![x]).unwrap();
    let flat = p.add(Op::Reshape(Shape::from([6])), vec![t]).unwrap();
    let y = un(&mut p, UnaryOp::Sin, flat);
    p.outputs.push(y);
    let s = schedule_checked(&p);
    // The transpose is computed where it is needed: one kernel walks x transposed and writes the
    // contiguous result; no copy of the transpose is stored.
    assert_eq!(s.steps.len(), 1);
    assert_eq!(s.buffers.len(), 1);
    let k = kernels(&s)[0];
    assert_eq!(k.geometry.params[0].strides, vec![1, 3]);
}

#[test]
fn reshape_of_a_transpose_used_twice_is_a_copy_then_views() {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[2, 3]);
    let t = p.add(Op::Permute(vec![1, 0]), vec![x]).unwrap();
    let flat = p.add(Op::Reshape(Shape::from([6])), vec![t]).unwrap();
    let y = un(&mut p, UnaryOp::Sin, flat);
    let r = slice(&mut p, flat, &[(5, -1, 6)]);
    let z = un(&mut p, UnaryOp::Cos, r);
    p.outputs.extend([y, z]);
    let s = schedule_checked(&p);
    assert!(kernels(&s).len() <= 2, "{}", kiln_sched::explain(&s));
}

#[test]
fn reshape_of_a_non_contiguous_input_copies_it() {
    let data: Vec<i32> = (0..6).collect();
    let base = Realized::from_vec(&data, Shape::from([2, 3])).unwrap();
    let transposed = Realized::with_view(
        Arc::clone(&base.storage),
        View {
            shape: Shape::from([3, 2]),
            strides: vec![1, 3],
            offset: 0,
        },
    )
    .unwrap();
    let mut p = Program::new();
    let x = p.add_input(transposed);
    let flat = p.add(Op::Reshape(Shape::from([6])), vec![x]).unwrap();
    p.outputs.push(flat);
    let s = schedule_checked(&p);
    assert_eq!(s.steps.len(), 1);
    assert_eq!(kernels(&s)[0].kernel.name, "k0_copy");
    assert_eq!(s.outputs[0].buffer, BufferRef::Temp(0));
}

#[test]
fn pure_view_outputs_need_no_step() {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[2, 3]);
    let t = p.add(Op::Permute(vec![1, 0]), vec![x]).unwrap();
    let r = slice(&mut p, t, &[(2, -1, 3), (0, 1, 2)]);
    p.outputs.extend([x, r]);
    let s = schedule_checked(&p);
    assert!(s.steps.is_empty());
    assert!(s.buffers.is_empty());
    assert_eq!(s.outputs[0].buffer, BufferRef::Input(0));
    assert_eq!(s.outputs[1].view.strides, vec![-1, 3]);
    assert_eq!(s.outputs[1].view.offset, 2);
}

#[test]
fn expensive_shared_node_is_stored_by_the_kernel_that_computes_it() {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[8]);
    let c = un(&mut p, UnaryOp::Cos, x);
    let sn = un(&mut p, UnaryOp::Sin, c);
    let y = un(&mut p, UnaryOp::Exp, sn);
    let one = full(&mut p, Scalar::F32(1.0), &Shape::from([8]));
    let out1 = bin(&mut p, BinaryOp::Add, y, one);
    let out2 = reduce(&mut p, ReduceOp::Sum, y, &[0]);
    p.outputs.extend([out1, out2]);
    let s = schedule_checked(&p);
    let ks = kernels(&s);
    assert_eq!(ks.len(), 2, "{}", kiln_sched::explain(&s));
    let writes = |k: &kiln_ir::KernelStep| {
        k.kernel
            .params
            .iter()
            .filter(|p| p.access == Access::Write)
            .count()
    };
    assert_eq!(writes(ks[0]), 2, "stores y and y + 1");
    let transcendental = |k: &kiln_ir::KernelStep| {
        k.kernel
            .body
            .iter()
            .filter(|v| matches!(v.inst, kiln_ir::Inst::Unary { .. }))
            .count()
    };
    assert_eq!(transcendental(ks[0]), 3);
    assert_eq!(
        transcendental(ks[1]),
        0,
        "the reduction reads y, not recomputes it"
    );
}

#[test]
fn cheap_shared_node_is_recomputed_and_siblings_share_a_kernel() {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[8]);
    let two = full(&mut p, Scalar::F32(2.0), &Shape::from([8]));
    let y = bin(&mut p, BinaryOp::Mul, x, two);
    let a = bin(&mut p, BinaryOp::Add, y, x);
    let b = bin(&mut p, BinaryOp::Sub, y, x);
    p.outputs.extend([a, b]);
    let s = schedule_checked(&p);
    assert_eq!(s.steps.len(), 1);
    let k = kernels(&s)[0];
    assert_eq!(
        k.buffers
            .iter()
            .filter(|b| **b == BufferRef::Input(0))
            .count(),
        1
    );
    assert_eq!(s.buffers.len(), 2, "only the two outputs are written");
}

#[test]
fn matmul_operands_are_views_and_results_are_temps() {
    let mut p = Program::new();
    let a = f32_input(&mut p, &[3, 2]);
    let b = f32_input(&mut p, &[3, 4]);
    let at = p.add(Op::Permute(vec![1, 0]), vec![a]).unwrap();
    let one = full(&mut p, Scalar::F32(1.0), &Shape::from([3, 4]));
    let b1 = bin(&mut p, BinaryOp::Add, b, one);
    let m = p.add(Op::MatMul, vec![at, b1]).unwrap();
    let mt = p.add(Op::Permute(vec![1, 0]), vec![m]).unwrap();
    let two = full(&mut p, Scalar::F32(2.0), &Shape::from([2, 4]));
    let y = bin(&mut p, BinaryOp::Mul, m, two);
    p.outputs.extend([y, mt]);
    let s = schedule_checked(&p);
    assert_eq!(s.steps.len(), 3, "{}", kiln_sched::explain(&s));
    let Step::Library(LibraryStep::MatMul { a, b, out, .. }) = &s.steps[1] else {
        panic!("{}", kiln_sched::explain(&s));
    };
    assert_eq!(a.buffer, BufferRef::Input(0));
    assert_eq!(a.view.strides, vec![1, 2]);
    assert!(matches!(b.buffer, BufferRef::Temp(_)));
    assert_eq!(s.outputs[1].buffer, BufferRef::Temp(*out));
    assert_eq!(s.outputs[1].view.strides, vec![1, 4]);
}

#[test]
fn scan_is_a_boundary() {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[3, 4]);
    let e = un(&mut p, UnaryOp::Exp, x);
    let c = p
        .add(
            Op::Scan {
                op: ScanOp::Sum,
                axis: 1,
            },
            vec![e],
        )
        .unwrap();
    let y = un(&mut p, UnaryOp::Log, c);
    p.outputs.push(y);
    let s = schedule_checked(&p);
    assert_eq!(s.steps.len(), 3);
    assert!(matches!(
        s.steps[1],
        Step::Library(LibraryStep::Scan { axis: 1, .. })
    ));
}

#[test]
fn empty_arrays_still_produce_outputs() {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[0, 3]);
    let y = un(&mut p, UnaryOp::Sin, x);
    let total = reduce(&mut p, ReduceOp::Sum, x, &[0]);
    let empty_rows = reduce(&mut p, ReduceOp::Max, x, &[1]);
    p.outputs.extend([y, total, empty_rows]);
    let s = schedule_checked(&p);
    assert_eq!(s.outputs[0].view.shape, Shape::from([0, 3]));
    assert_eq!(s.outputs[1].view.shape, Shape::from([1, 3]));
    assert_eq!(s.outputs[2].view.shape, Shape::from([0, 1]));
}

#[test]
fn scalars_are_rank_zero_kernels() {
    let mut p = Program::new();
    let x = p.add_input(Realized::from_vec(&[0.5f64], Shape::scalar()).unwrap());
    let y = un(&mut p, UnaryOp::Sqrt, x);
    let z = reduce(&mut p, ReduceOp::Sum, y, &[]);
    p.outputs.extend([y, z]);
    let s = schedule_checked(&p);
    for k in kernels(&s) {
        assert_eq!(k.kernel.outer_rank, 0);
    }
}

#[test]
fn generators_become_index_arithmetic() {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[3, 4]);
    let eye = p
        .add(
            Op::Eye {
                rows: 3,
                cols: 4,
                k: 1,
                dtype: DType::F32,
            },
            vec![],
        )
        .unwrap();
    let ar = p
        .add(
            Op::Arange {
                start: Scalar::F32(0.5),
                step: Scalar::F32(0.25),
                len: 12,
            },
            vec![],
        )
        .unwrap();
    let ar2 = p.add(Op::Reshape(Shape::from([3, 4])), vec![ar]).unwrap();
    let a = bin(&mut p, BinaryOp::Add, x, eye);
    let y = bin(&mut p, BinaryOp::Mul, a, ar2);
    p.outputs.push(y);
    let s = schedule_checked(&p);
    assert_eq!(s.steps.len(), 1);
    assert_eq!(s.buffers.len(), 1, "generators never become buffers");
    let text = kernels(&s)[0].kernel.to_string();
    assert!(
        text.contains("index 0") && text.contains("index 1"),
        "{text}"
    );
}

#[test]
fn integer_arange_wraps_like_the_reference() {
    let mut p = Program::new();
    let ar = p
        .add(
            Op::Arange {
                start: Scalar::U8(250),
                step: Scalar::U8(3),
                len: 6,
            },
            vec![],
        )
        .unwrap();
    let sliced = slice(&mut p, ar, &[(5, -2, 3)]);
    p.outputs.push(sliced);
    schedule_checked(&p);
}

#[test]
fn invalid_programs_are_rejected_with_the_ir_error() {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[2]);
    let y = un(&mut p, UnaryOp::Neg, x);
    p.nodes[y.index()].dtype = DType::I32;
    p.outputs.push(y);
    let err = kiln_sched::schedule(&p, &kiln_sched::SchedConfig::default()).unwrap_err();
    assert!(matches!(err, kiln_sched::SchedError::Program(_)), "{err}");
}
