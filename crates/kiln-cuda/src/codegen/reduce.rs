//! Reducing kernels: accumulators per reduction and dtype, the one-pass form (one block per
//! outer point) and the split form (partial chunks per row into a scratch buffer, then a
//! finishing pass), all ending in `kiln_block_reduce` (kernels/reduce.cuh).
//!
//! Invariant: every block of a launch walks the same rows (and chunks) and calls the block
//! reduction the same number of times, so its barriers are uniform; thread 0 alone runs the
//! epilogue and stores; arg reductions pair each value with its index along the reduce dim and
//! combine associatively, so their result does not depend on the combination order.

use super::kernel::{
    ENTRY, FINISH_ENTRY, PARTIAL_ENTRY, body_variance, emit_stores, emit_value, extent_product,
    internal, name, signature, unflatten,
};
use super::ops;
use super::types::{ctype, literal};
use crate::error::CudaError;
use kiln_ir::{DType, Kernel, ReduceOp, Scalar};
use std::fmt::Write;

/// The accumulator's C type, initial value and combine expression of `a` and `b`.
struct Combiner {
    acc: String,
    init: String,
    combine: String,
    /// The accumulator value of one item `@x` (a widening cast where the accumulator is wider;
    /// arg reductions pair it with `@i`, its index along the reduce dim).
    item: String,
    /// The reduced value (in the reduction's result dtype) from `acc`.
    result: String,
}

/// The accumulator dtype of a sum or product: f32 and complex64 accumulate in double precision,
/// as the reference does (it rounds once at the end), so long sums stay accurate and an
/// intermediate overflow of the narrow type cannot turn into inf - inf.
fn wide(d: DType) -> DType {
    match d {
        DType::F32 => DType::F64,
        DType::C64 => DType::C128,
        other => other,
    }
}

fn arithmetic(op: kiln_ir::BinaryOp, identity: Scalar, d: DType) -> Result<Combiner, CudaError> {
    let w = wide(d);
    Ok(Combiner {
        acc: ctype(w).to_string(),
        init: literal(&identity.cast(w)),
        combine: ops::binary(op, "a", "b", w)?,
        item: ops::cast("@x", d, w),
        result: ops::cast("acc", w, d),
    })
}

fn combiner(op: ReduceOp, d: DType) -> Result<Combiner, CudaError> {
    let t = ctype(d);
    let plain = |init: String, combine: String| Combiner {
        acc: t.to_string(),
        init,
        combine,
        item: "@x".into(),
        result: "acc".into(),
    };
    let bad = || CudaError::Unsupported(format!("{} reduction of {d}", op.name()));
    Ok(match op {
        ReduceOp::Sum => arithmetic(kiln_ir::BinaryOp::Add, Scalar::zero(d), d)?,
        ReduceOp::Prod => arithmetic(kiln_ir::BinaryOp::Mul, Scalar::one(d), d)?,
        ReduceOp::Any if d == DType::Bool => plain("false".into(), "(a | b)".into()),
        ReduceOp::All if d == DType::Bool => plain("true".into(), "(a & b)".into()),
        ReduceOp::Max | ReduceOp::Min => {
            let max = op == ReduceOp::Max;
            let init = match d {
                DType::F32 => literal(&Scalar::F32(if max {
                    f32::NEG_INFINITY
                } else {
                    f32::INFINITY
                })),
                DType::F64 => literal(&Scalar::F64(if max {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                })),
                _ if d.is_integer() => {
                    format!("kiln_{}_value_{t}()", if max { "min" } else { "max" })
                }
                _ => return Err(bad()),
            };
            let f = if max {
                kiln_ir::BinaryOp::Maximum
            } else {
                kiln_ir::BinaryOp::Minimum
            };
            plain(init, ops::binary(f, "a", "b", d)?)
        }
        ReduceOp::ArgMax | ReduceOp::ArgMin if d.is_integer() || d.is_real_float() => {
            let max = op == ReduceOp::ArgMax;
            Combiner {
                acc: format!("kiln_arg<{t}>"),
                init: format!("kiln_arg<{t}>{{{}, -1}}", literal(&Scalar::zero(d))),
                combine: format!("kiln_arg_combine<{max}>(a, b)"),
                item: format!("kiln_arg<{t}>{{@x, @i}}"),
                result: "acc.i".into(),
            }
        }
        _ => return Err(bad()),
    })
}

/// The C type of a reducing kernel's accumulator (the scratch element of split reductions).
pub fn accumulator_ctype(k: &Kernel) -> Result<String, CudaError> {
    let r = k
        .reduce
        .as_ref()
        .ok_or_else(|| internal(format!("kernel {} does not reduce", k.name)))?;
    Ok(combiner(r.op, k.value(r.value).dtype)?.acc)
}

/// Which part of a reduction an entry point computes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    /// Whole rows: one block per outer point, then the epilogue (`kiln_main`).
    Whole,
    /// `splits` chunks of each row, one block per (row, chunk), partials to `scratch`.
    Partial,
    /// Combines each row's `splits` partials from `scratch`, then the epilogue.
    Finish,
}

fn extents(out: &mut String, k: &Kernel) {
    let (outer, space) = (k.outer_rank, k.space_rank());
    let _ = writeln!(out, "  const i64 n_outer = {};", extent_product(0..outer));
    let _ = writeln!(
        out,
        "  const i64 n_reduce = {};",
        extent_product(outer..space)
    );
}

/// The outer indices of row `o` and the reduce-invariant body values (constants, outer
/// indices), which the epilogue may use.
fn row_prologue(out: &mut String, k: &Kernel, varies: &[bool]) -> Result<(), CudaError> {
    unflatten(out, "    ", "o", 0..k.outer_rank);
    for (i, v) in k.body.iter().enumerate() {
        if !varies.get(i).copied().unwrap_or(true) {
            emit_value(out, "    ", k, i as u32, v, k.space_rank(), "")?;
        }
    }
    Ok(())
}

/// Each thread folds the points `start + threadIdx.x + j * blockDim.x < end` of the row's
/// reduce space into `acc`, then the block combines the threads' accumulators.
fn accumulate(
    out: &mut String,
    k: &Kernel,
    r: &kiln_ir::Reduction,
    c: &Combiner,
    varies: &[bool],
    (start, end): (&str, &str),
) -> Result<(), CudaError> {
    let (outer, space) = (k.outer_rank, k.space_rank());
    let _ = writeln!(out, "    {} acc = {};", c.acc, c.init);
    let first = if start == "0" {
        "threadIdx.x".to_string()
    } else {
        format!("{start} + threadIdx.x")
    };
    let _ = writeln!(
        out,
        "    for (i64 t = {first}; t < {end}; t += blockDim.x) {{\n      {{"
    );
    unflatten(out, "        ", "t", outer..space);
    for (i, v) in k.body.iter().enumerate() {
        if varies.get(i).copied().unwrap_or(true) {
            emit_value(out, "        ", k, i as u32, v, space, "")?;
        }
    }
    let item = c
        .item
        .replace("@x", &name(r.value.0))
        .replace("@i", &format!("i{outer}"));
    let _ = writeln!(out, "        const {} b = {item};", c.acc);
    let _ = writeln!(out, "        const {} a = acc;", c.acc);
    let _ = writeln!(out, "        acc = {};", c.combine);
    out.push_str("      }\n    }\n");
    block_reduce(out, c);
    Ok(())
}

fn block_reduce(out: &mut String, c: &Combiner) {
    let _ = writeln!(
        out,
        "    acc = kiln_block_reduce(acc, []({0} a, {0} b) {{ return {1}; }});",
        c.acc, c.combine
    );
}

/// Thread 0 evaluates the epilogue of row `o` on `acc` and stores.
fn finish_row(out: &mut String, k: &Kernel, c: &Combiner) -> Result<(), CudaError> {
    out.push_str("    if (threadIdx.x == 0) {\n");
    let body_len = k.body.len() as u32;
    for (i, v) in k.epilogue.iter().enumerate() {
        emit_value(
            out,
            "      ",
            k,
            body_len + i as u32,
            v,
            k.outer_rank,
            &c.result,
        )?;
    }
    emit_stores(out, "      ", k);
    out.push_str("    }\n");
    Ok(())
}

pub(super) fn reducing(
    out: &mut String,
    k: &Kernel,
    r: &kiln_ir::Reduction,
    part: Part,
) -> Result<(), CudaError> {
    let c = combiner(r.op, k.value(r.value).dtype)?;
    let varies = body_variance(k);
    let acc = &c.acc;
    match part {
        Part::Whole => {
            signature(out, k, ENTRY, &[]);
            extents(out, k);
            out.push_str("  for (i64 o = blockIdx.x; o < n_outer; o += gridDim.x) {\n");
            row_prologue(out, k, &varies)?;
            accumulate(out, k, r, &c, &varies, ("0", "n_reduce"))?;
            finish_row(out, k, &c)?;
        }
        Part::Partial => {
            let extra = [
                format!("{acc}* __restrict__ scratch"),
                "const i64 splits".to_string(),
            ];
            signature(out, k, PARTIAL_ENTRY, &extra);
            extents(out, k);
            out.push_str("  const i64 chunk = (n_reduce + splits - 1) / splits;\n");
            out.push_str("  for (i64 w = blockIdx.x; w < n_outer * splits; w += gridDim.x) {\n");
            out.push_str("    const i64 o = w / splits, start = (w % splits) * chunk;\n");
            out.push_str(
                "    const i64 end = start + chunk < n_reduce ? start + chunk : n_reduce;\n",
            );
            row_prologue(out, k, &varies)?;
            accumulate(out, k, r, &c, &varies, ("start", "end"))?;
            out.push_str("    if (threadIdx.x == 0) scratch[w] = acc;\n");
        }
        Part::Finish => {
            let extra = [
                format!("const {acc}* __restrict__ scratch"),
                "const i64 splits".to_string(),
            ];
            signature(out, k, FINISH_ENTRY, &extra);
            extents(out, k);
            out.push_str("  for (i64 o = blockIdx.x; o < n_outer; o += gridDim.x) {\n");
            row_prologue(out, k, &varies)?;
            let _ = writeln!(out, "    {acc} acc = {};", c.init);
            out.push_str("    for (i64 t = threadIdx.x; t < splits; t += blockDim.x) {\n");
            let _ = writeln!(
                out,
                "      const {acc} a = acc;\n      const {acc} b = scratch[o * splits + t];\n      acc = {};\n    }}",
                c.combine
            );
            block_reduce(out, &c);
            finish_row(out, k, &c)?;
        }
    }
    out.push_str("  }\n");
    Ok(())
}
