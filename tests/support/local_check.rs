//! Per-operation checking of a backend run, for float programs whose end-to-end result is
//! ill-conditioned (`tan(hypot(x, x))` with huge `x`: a 1-ULP difference in `hypot` moves `tan`
//! anywhere).
//!
//! Every node is materialised by a second backend run; each node's value is then compared with
//! the reference interpreter applied to *the backend's own operand values*, so each op is judged
//! by its own error alone: exact for integers, bools, views, casts, selections and max/min/arg
//! reductions; the single-op ULP budget for float elementwise math; and the classic
//! `c * n * eps * sum(|terms|)` bound for float sums, matmuls and scans (relative for products);
//! where the exact result or that bound overflows, any non-finite value is accepted, since the
//! order of accumulation decides between infinities and NaN.

use kiln_interp::compare::{Tolerance, assert_close};
use kiln_ir::{DType, NodeId, Op, OpClass, Program, Realized, ReduceOp, ScanOp, UnaryOp};

/// Checks each live node of `p` on its own. `Err` names the first node whose op is wrong.
///
/// `Ok` holds, per node, whether its value is *tainted*: an accumulation whose order decided
/// between a finite value, an infinity and NaN (accepted by the overflow rule), or any node that
/// depends on one. A tainted value has no backend-independent answer.
pub fn check_each_op(p: &Program) -> Result<Vec<bool>, String> {
    let live = p.live();
    let mut all = p.clone();
    all.outputs = (0..p.nodes.len())
        .filter(|&i| live[i] && !matches!(p.nodes[i].op, Op::Input(_)))
        .map(|i| NodeId(i as u32))
        .collect();
    let values = kiln::run_program(&all).map_err(|e| format!("materialised run failed: {e}"))?;
    let mut value_of: Vec<Option<Realized>> = vec![None; p.nodes.len()];
    for (i, n) in p.nodes.iter().enumerate() {
        if let Op::Input(slot) = n.op {
            value_of[i] = Some(p.inputs[slot].clone());
        }
    }
    for (id, v) in all.outputs.iter().zip(values) {
        value_of[id.index()] = Some(v);
    }
    let mut tainted = vec![false; p.nodes.len()];
    for &id in &all.outputs {
        let node = p.node(id);
        let operands: Vec<Realized> = node
            .inputs
            .iter()
            .map(|o| value_of[o.index()].clone().ok_or("operand not computed"))
            .collect::<Result<_, _>>()?;
        let got = value_of[id.index()].as_ref().ok_or("node not computed")?;
        let reference = run_single(&node.op, &operands, None)?;
        let overflowed = check_node(node, &operands, &reference, got).map_err(|m| {
            format!(
                "node {id} ({}) is wrong on its own operands: {m}\n{p}",
                node.op
            )
        })?;
        tainted[id.index()] = overflowed || node.inputs.iter().any(|o| tainted[o.index()]);
    }
    Ok(tainted)
}

/// Whether some element is NaN in both with different sign bits. IEEE 754 leaves the sign of a
/// NaN produced by an invalid operation unspecified (x86's default NaN is negative, Rust's `NAN`
/// constant positive), so such a value has no backend-independent answer (for `signbit`,
/// `copysign`) and taints its consumers.
///
/// With `zeros`, the same holds for zeros: the sign of a zero sum depends on where the
/// accumulation starts (`-0 + -0 = -0`, but BLAS starts from `+0`).
fn unspecified_signs_differ(reference: &Realized, got: &Realized, zeros: bool) -> bool {
    reference.scalars().iter().zip(got.scalars()).any(|(w, h)| {
        let (w, h) = (w.to_c128(), h.to_c128());
        [(w.re, h.re), (w.im, h.im)].iter().any(|(a, b)| {
            let unspecified = (a.is_nan() && b.is_nan()) || (zeros && *a == 0.0 && *b == 0.0);
            unspecified && a.is_sign_negative() != b.is_sign_negative()
        })
    })
}

/// The interpreter's value of `op` over realized operands (optionally through `abs` first).
fn run_single(op: &Op, operands: &[Realized], pre: Option<UnaryOp>) -> Result<Realized, String> {
    let mut mini = Program::new();
    let mut ids = Vec::new();
    for o in operands {
        let mut id = mini.add_input(o.clone());
        if let Some(u) = pre {
            id = mini
                .add(Op::Unary(u), vec![id])
                .map_err(|e| e.to_string())?;
        }
        ids.push(id);
    }
    let out = mini.add(op.clone(), ids).map_err(|e| e.to_string())?;
    mini.outputs.push(out);
    let mut r = kiln_interp::run_program(&mini).map_err(|e| e.to_string())?;
    r.pop().ok_or_else(|| "no output".to_string())
}

/// `prod(max(|x|, 1))` over the same axes as a product reduction or scan, in f64.
fn worst_partial_product(op: &Op, x: &Realized) -> Result<Vec<f64>, String> {
    let mut mini = Program::new();
    let input = mini.add_input(x.clone());
    let abs = mini
        .add(Op::Unary(UnaryOp::Abs), vec![input])
        .map_err(|e| e.to_string())?;
    let wide = mini
        .add(Op::Cast(DType::F64), vec![abs])
        .map_err(|e| e.to_string())?;
    let one = mini
        .add(
            Op::Full(kiln_ir::Scalar::F64(1.0), x.shape().clone()),
            vec![],
        )
        .map_err(|e| e.to_string())?;
    let clamped = mini
        .add(Op::Binary(kiln_ir::BinaryOp::Maximum), vec![wide, one])
        .map_err(|e| e.to_string())?;
    let out = mini
        .add(op.clone(), vec![clamped])
        .map_err(|e| e.to_string())?;
    mini.outputs.push(out);
    let r = kiln_interp::run_program(&mini).map_err(|e| e.to_string())?;
    Ok(r.first().map(|r| r.to_vec::<f64>()).unwrap_or_default())
}

fn eps(dtype: DType) -> f64 {
    match dtype.real_part() {
        DType::F32 => f32::EPSILON as f64,
        _ => f64::EPSILON,
    }
}

/// Checks one node; `Ok(true)` when its value has no backend-independent answer (accepted only
/// by the overflow rule, or a NaN whose sign differs from the reference's).
fn check_node(
    node: &kiln_ir::Node,
    operands: &[Realized],
    reference: &Realized,
    got: &Realized,
) -> Result<bool, String> {
    let floating = node.dtype.is_floating();
    let accumulating = match &node.op {
        Op::Reduce {
            op: ReduceOp::Sum | ReduceOp::Prod,
            ..
        }
        | Op::Scan { .. }
        | Op::MatMul => floating,
        _ => false,
    };
    if !accumulating {
        let tol = match node.op.class() {
            OpClass::Elementwise if floating && !matches!(node.op, Op::Cast(_) | Op::Where) => {
                Tolerance::single_op()
            }
            _ => Tolerance::exact(),
        };
        assert_close(reference, got, &tol)?;
        return Ok(unspecified_signs_differ(reference, got, false));
    }
    let terms = match &node.op {
        Op::Reduce { axes, .. } => axes
            .iter()
            .map(|&a| operands[0].shape().dims()[a])
            .product(),
        Op::Scan { axis, .. } => operands[0].shape().dims()[*axis],
        _ => operands[0].shape().dims().last().copied().unwrap_or(1),
    };
    let relative = matches!(
        node.op,
        Op::Reduce {
            op: ReduceOp::Prod,
            ..
        } | Op::Scan {
            op: ScanOp::Prod,
            ..
        }
    );
    let magnitude = if relative {
        reference.clone()
    } else {
        run_single(&node.op, operands, Some(UnaryOp::Abs))?
    };
    // For products, the largest partial product any order can meet is prod(max(|x|, 1)); where
    // that overflows, some order of multiplication overflows midway.
    let worst_partial = if relative {
        Some(worst_partial_product(&node.op, &operands[0])?)
    } else {
        None
    };
    let e = eps(node.dtype);
    let tiny = if node.dtype.real_part() == DType::F32 {
        1e-37
    } else {
        1e-300
    };
    let (want, have, mag) = (reference.scalars(), got.scalars(), magnitude.scalars());
    // Set when this value has no backend-independent answer (overflow or cancellation).
    let mut undetermined = false;
    for i in 0..want.len() {
        let (w, h) = (want[i].to_c128(), have[i].to_c128());
        let bound = 8.0 * terms.max(1) as f64 * e * mag[i].to_c128().norm() + tiny;
        for (a, b) in [(w.re, h.re), (w.im, h.im)] {
            // Where the error bound or some partial result overflows, the order of accumulation
            // decides between a finite value, +-inf and NaN (`inf - inf`, a complex `inf * 0`):
            // BLAS and NumPy differ from a sequential sum there too, and so may two kernels of
            // this backend. Such values taint their consumers even when this run agrees.
            let partial_overflow = worst_partial.as_ref().is_some_and(|w| !w[i].is_finite());
            if !bound.is_finite() || partial_overflow || (!a.is_finite() && !b.is_finite()) {
                undetermined = true;
                continue;
            }
            if a == b || (a.is_nan() && b.is_nan()) {
                continue;
            }
            let diff = (a - b).abs();
            if diff.is_nan() || diff > bound {
                return Err(format!(
                    "element {i}: reference {a}, backend {b}, bound {bound:.3e}"
                ));
            }
            // Within the bound, but further apart than a chain's tolerance: the sum cancelled
            // (`1e16 + 1 - 1e16` is 1 or 0 by order), so its value, and everything computed
            // from it, is fixed by the inputs only up to that bound.
            let rel = if node.dtype.real_part() == DType::F32 {
                1e-4
            } else {
                1e-10
            };
            if (a - b).abs() > rel * a.abs().max(b.abs()) {
                undetermined = true;
            }
        }
    }
    Ok(undetermined || unspecified_signs_differ(reference, got, true))
}

/// The interpreter's outputs of `p` with the value of every float node (inputs included)
/// multiplied element by element by `1 + k * eps`, `k` in `-16..=16`: the rounding differences a
/// backend's own approximations introduce at each op. Seeds 0 and 1 push every element up / down
/// (a value near a boundary or a near-tie is then pushed across it); other seeds are random.
pub fn perturbed_references(p: &Program, seeds: &[u64]) -> Result<Vec<Vec<Realized>>, String> {
    seeds
        .iter()
        .map(|&seed| {
            let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let mut next_k = move || -> f64 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                match seed {
                    0 => 16.0,
                    1 => -16.0,
                    _ => (state % 33) as f64 - 16.0,
                }
            };
            let err = |e: kiln_ir::IrError| e.to_string();
            let mut q = Program::new();
            let mut map: Vec<NodeId> = Vec::with_capacity(p.nodes.len());
            for node in &p.nodes {
                let mut id = match node.op {
                    Op::Input(slot) => q.add_input(p.inputs[slot].clone()),
                    _ => {
                        let inputs = node.inputs.iter().map(|o| map[o.index()]).collect();
                        q.add(node.op.clone(), inputs).map_err(err)?
                    }
                };
                if node.dtype.is_floating() {
                    let e = eps(node.dtype);
                    let factors: Vec<kiln_ir::Scalar> = (0..node.shape.numel())
                        .map(|_| kiln_ir::Scalar::F64(1.0 + next_k() * e).cast(node.dtype))
                        .collect();
                    let factor = Realized::from_scalars(node.dtype, node.shape.clone(), &factors)
                        .map_err(err)?;
                    let f = q.add_input(factor);
                    id = q
                        .add(Op::Binary(kiln_ir::BinaryOp::Mul), vec![id, f])
                        .map_err(err)?;
                }
                map.push(id);
            }
            q.outputs = p.outputs.iter().map(|o| map[o.index()]).collect();
            kiln_interp::run_program(&q).map_err(|e| e.to_string())
        })
        .collect()
}

fn scalar_realized(v: kiln_ir::Scalar) -> Result<Realized, String> {
    Realized::from_scalars(v.dtype(), kiln_ir::Shape::scalar(), &[v]).map_err(|e| e.to_string())
}

/// Accepts each element of `got` that is close to `expected`, or whose reference moves beyond
/// `tol` under some input perturbation (it is ill-conditioned: no backend can be held to it).
/// A well-conditioned mismatch is an error.
pub fn mismatches_are_ill_conditioned(
    expected: &Realized,
    got: &Realized,
    perturbed: &[&Realized],
    tol: &Tolerance,
) -> Result<(), String> {
    let (want, have) = (expected.scalars(), got.scalars());
    let others: Vec<Vec<kiln_ir::Scalar>> = perturbed.iter().map(|r| r.scalars()).collect();
    for i in 0..want.len() {
        let close = |a: kiln_ir::Scalar, b: kiln_ir::Scalar| -> Result<bool, String> {
            Ok(assert_close(&scalar_realized(a)?, &scalar_realized(b)?, tol).is_ok())
        };
        if close(want[i], have[i])? {
            continue;
        }
        let mut sensitive = false;
        for o in &others {
            if !close(want[i], o[i])? {
                sensitive = true;
                break;
            }
        }
        if !sensitive {
            return Err(format!(
                "element {i}: reference {}, backend {}, and the reference is stable under input perturbation",
                want[i], have[i]
            ));
        }
    }
    Ok(())
}

/// The end-to-end tolerance of a program's outputs: exact for integers and bools; for floats,
/// `Tolerance::program()`, loosened to single-precision error for every float output when any
/// node computes in float32/complex64 (an f32 intermediate carries f32 error into f64 results).
pub fn output_tolerance(p: &Program, dtype: DType) -> Tolerance {
    if !dtype.is_floating() {
        return Tolerance::exact();
    }
    let single = p.nodes.iter().any(|n| n.dtype.real_part() == DType::F32);
    let mut tol = Tolerance::program();
    if single && dtype.real_part() == DType::F64 {
        // 16 float32 ULPs, in float64 ULPs; `rtol`/`atol` are scaled down for f64 by
        // `compare`, so the ULP budget carries the single-precision allowance.
        tol.max_ulps_f64 = 16 << 29;
    }
    tol
}

/// `got` (a backend's outputs of `p`) against the reference interpreter, end to end: floats
/// within the program tolerance, a mismatch excused only where the output is tainted
/// (`check_each_op`) or ill-conditioned (`mismatches_are_ill_conditioned` over perturbed
/// references). `Err` describes the first unexcused mismatch, with the program.
pub fn check_outputs(p: &Program, got: &[Realized]) -> Result<(), String> {
    let expected = kiln_interp::run_program(p).map_err(|e| e.to_string())?;
    if expected.len() != got.len() {
        return Err(format!(
            "{} outputs, expected {}\n{p}",
            got.len(),
            expected.len()
        ));
    }
    let tolerance = |d: DType| output_tolerance(p, d);
    let mismatched: Vec<usize> = (0..got.len())
        .filter(|&i| assert_close(&expected[i], &got[i], &tolerance(expected[i].dtype())).is_err())
        .collect();
    if mismatched.is_empty() {
        return Ok(());
    }
    let fail = |m: String| format!("{m}\nprogram:\n{p}");
    let tainted = check_each_op(p).map_err(fail)?;
    let perturbed = perturbed_references(p, &[0, 1, 2, 3, 4, 5]).map_err(fail)?;
    for i in mismatched {
        if tainted[p.outputs[i].index()] {
            continue;
        }
        let others: Vec<&Realized> = perturbed.iter().map(|o| &o[i]).collect();
        mismatches_are_ill_conditioned(
            &expected[i],
            &got[i],
            &others,
            &tolerance(expected[i].dtype()),
        )
        .map_err(|m| fail(format!("output {i}: {m}")))?;
    }
    Ok(())
}

/// `cfg` restricted to real dtypes (no complex).
pub fn real_dtypes(cfg: kiln_interp::testgen::GenConfig) -> kiln_interp::testgen::GenConfig {
    kiln_interp::testgen::GenConfig {
        dtypes: DType::ALL.into_iter().filter(|d| !d.is_complex()).collect(),
        ..cfg
    }
}
