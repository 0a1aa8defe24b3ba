//! Shapes of the schedules of the acceptance workloads: kernel counts, temporaries, what each
//! kernel reads, and the exact kernel text (inline snapshots, so a change of the generated code
//! shows in review). Every schedule is also checked against the oracle.

mod common;
use common::*;
use kiln_ir::{Access, BufferRef, KernelStep, Program};

/// How many parameters of a kernel read a given buffer.
fn reads_of(k: &KernelStep, b: BufferRef) -> usize {
    k.buffers
        .iter()
        .zip(&k.kernel.params)
        .filter(|(buf, p)| **buf == b && p.access == Access::Read)
        .count()
}

fn texts(p: &Program) -> Vec<String> {
    kernels(&schedule_checked(p))
        .iter()
        .map(|k| k.kernel.to_string())
        .collect()
}

#[test]
fn log_sin_is_one_kernel() {
    assert_eq!(
        texts(&log_sin(&[4, 6])),
        vec![
            "kernel k0_sin_add_log(p0: read f32 unit, p1: write f32 unit) outer 1\n  \
             %0 = load p0 : f32\n  %1 = sin %0 : f32\n  %2 = const 5.0:f32 : f32\n  \
             %3 = add %1 %2 : f32\n  %4 = log %3 : f32\n  store p1 %4\n"
        ]
    );
}

#[test]
fn sum_of_squares_is_one_reduction_kernel() {
    let s = schedule_checked(&sum_sq(&[3, 4]));
    assert_eq!(s.steps.len(), 1);
    assert_eq!(s.buffers.len(), 1);
    assert_eq!(s.buffers[0].len, 1);
    assert_eq!(
        texts(&sum_sq(&[3, 4])),
        vec![
            "kernel k0_sum_mul(p0: read f32 unit, p1: write f32 unit) outer 0 reduce 1\n  \
             %0 = load p0 : f32\n  %1 = mul %0 %0 : f32\n  reduce sum %1\n  \
             %2 = reduced : f32\n  store p1 %2\n"
        ]
    );
}

#[test]
fn softmax_is_three_kernels_that_each_read_x_once() {
    let (rows, cols) = (3, 5);
    let s = schedule_checked(&softmax(rows, cols));
    let ks = kernels(&s);
    assert_eq!(ks.len(), 3);
    for k in &ks {
        assert_eq!(reads_of(k, BufferRef::Input(0)), 1, "{}", k.kernel);
    }
    let mut lens: Vec<usize> = s.buffers.iter().map(|b| b.len).collect();
    lens.sort();
    assert_eq!(lens, vec![rows, rows, rows * cols]);
    assert_eq!(
        texts(&softmax(rows, cols)),
        vec![
            "kernel k0_max(p0: read f32 unit, p1: write f32 unit) outer 1 reduce 1\n  \
             %0 = load p0 : f32\n  reduce max %0\n  %1 = reduced : f32\n  store p1 %1\n",
            "kernel k1_sum_sub_exp(p0: read f32 unit, p1: read f32 zero, p2: write f32 unit) \
             outer 1 reduce 1\n  %0 = load p0 : f32\n  %1 = load p1 : f32\n  \
             %2 = sub %0 %1 : f32\n  %3 = exp %2 : f32\n  reduce sum %3\n  \
             %4 = reduced : f32\n  store p2 %4\n",
            "kernel k2_sub_exp_div(p0: read f32 unit, p1: read f32 zero, p2: read f32 zero, \
             p3: write f32 unit) outer 2\n  %0 = load p0 : f32\n  %1 = load p1 : f32\n  \
             %2 = sub %0 %1 : f32\n  %3 = exp %2 : f32\n  %4 = load p2 : f32\n  \
             %5 = div %3 %4 : f32\n  store p3 %5\n",
        ]
    );
}

#[test]
fn variance_is_two_kernels_with_the_divisions_in_epilogues() {
    let s = schedule_checked(&variance(7));
    let ks = kernels(&s);
    assert_eq!(ks.len(), 2);
    for k in &ks {
        assert!(k.kernel.reduce.is_some());
        assert_eq!(reads_of(k, BufferRef::Input(0)), 1);
        assert_eq!(k.kernel.epilogue.len(), 3, "{}", k.kernel);
    }
    assert_eq!(
        s.buffers.len(),
        2,
        "the mean and the result, one element each"
    );
    assert!(s.buffers.iter().all(|b| b.len == 1));
}

#[test]
fn kernels_do_not_depend_on_extents() {
    let canon = |p: &Program| -> Vec<String> {
        kernels(&sched(p))
            .iter()
            .map(|k| k.kernel.canonical_text())
            .collect()
    };
    // A contiguous 2-D elementwise op is the 1-D kernel.
    assert_eq!(canon(&log_sin(&[4, 6])), canon(&log_sin(&[24])));
    assert_eq!(canon(&log_sin(&[2, 3, 5])), canon(&log_sin(&[7])));
    // A full reduction over any rank is the same kernel.
    assert_eq!(canon(&sum_sq(&[3, 4])), canon(&sum_sq(&[100])));
    // New extents give identical kernels.
    assert_eq!(canon(&softmax(3, 5)), canon(&softmax(17, 33)));
    assert_eq!(canon(&variance(7)).len(), canon(&variance(1000)).len());
    for (a, b) in canon(&variance(7)).iter().zip(canon(&variance(1000))) {
        // Only the program's own constant (the divisor n) differs.
        assert_eq!(a.replace("7.0", "N"), b.replace("1000.0", "N"));
    }
}

#[test]
fn explain_lists_steps_buffers_and_kernel_text() {
    let text = kiln_sched::explain(&sched(&softmax(3, 5)));
    for needle in [
        "t0: f32[3]",
        "step 0: kernel k0_max dims [3, 5] buffers (in0, t0)",
        "step 2: kernel k2_sub_exp_div",
        "out 0: t2[3,5] strides [5, 1] offset 0",
        "kernel k1_sum_sub_exp(",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in\n{text}");
    }
}

#[test]
fn reduction_consumers_at_its_points_fuse_into_the_epilogue() {
    // mean(x, axis=1) without keepdims: reduce [n,m] -> [n,1], reshape to [n], divide by m.
    let mut p = Program::new();
    let x = f32_input(&mut p, &[3, 5]);
    let total = reduce(&mut p, kiln_ir::ReduceOp::Sum, x, &[1]);
    let flat = p
        .add(kiln_ir::Op::Reshape(kiln_ir::Shape::from([3])), vec![total])
        .unwrap();
    let m = full(
        &mut p,
        kiln_ir::Scalar::F32(5.0),
        &kiln_ir::Shape::from([3]),
    );
    let mean = bin(&mut p, kiln_ir::BinaryOp::Div, flat, m);
    let root = un(&mut p, kiln_ir::UnaryOp::Sqrt, mean);
    p.outputs.push(root);
    let s = schedule_checked(&p);
    assert_eq!(s.steps.len(), 1);
    assert_eq!(s.buffers.len(), 1, "the sum itself is never stored");
    let k = kernels(&s)[0];
    assert_eq!(k.kernel.epilogue.len(), 4, "{}", k.kernel);
}

#[test]
fn reduction_over_a_leading_axis_permutes_the_loads() {
    let mut p = Program::new();
    let x = f32_input(&mut p, &[3, 4]);
    let am = reduce(&mut p, kiln_ir::ReduceOp::ArgMax, x, &[0]);
    let total = reduce(&mut p, kiln_ir::ReduceOp::Sum, x, &[0]);
    p.outputs.extend([am, total]);
    let s = schedule_checked(&p);
    for k in kernels(&s) {
        assert_eq!(k.geometry.dims, vec![4, 3]);
        assert_eq!(k.geometry.params[0].strides, vec![1, 4]);
        assert_eq!(k.kernel.params[0].inner, kiln_ir::InnerStride::Any);
        assert_eq!(k.kernel.reduce.as_ref().map(|r| r.dims), Some(1));
    }
}

#[test]
fn mergeable_reduce_dims_collapse() {
    // sum over axes [1, 2] of a contiguous [2, 3, 4]: outer 2, one reduce dim of 12.
    let mut p = Program::new();
    let x = f32_input(&mut p, &[2, 3, 4]);
    let total = reduce(&mut p, kiln_ir::ReduceOp::Sum, x, &[1, 2]);
    p.outputs.push(total);
    let s = schedule_checked(&p);
    let k = kernels(&s)[0];
    assert_eq!(k.geometry.dims, vec![2, 12]);
    assert_eq!(k.geometry.params[0].strides, vec![12, 1]);
}
