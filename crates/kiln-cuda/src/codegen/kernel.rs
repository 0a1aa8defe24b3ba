//! The structure of a generated CUDA kernel: parameters, the geometry struct, index loops,
//! and the block reduction.
//!
//! Invariant: the text depends only on the `Kernel` (never on extents): sizes, offsets and
//! strides arrive in one `kiln_geom` struct of `i64`s (see `geometry_words`), so one compiled
//! module serves every launch of its shape class. Elementwise kernels are grid-stride loops over
//! the flattened outer space; reducing kernels give each block one outer point at a time (a
//! grid-stride loop over outer points), stride the block's threads over the reduce space, and
//! combine with `kiln_block_reduce` (kernels/reduce.cuh); thread 0 runs the epilogue and stores.

use super::ops;
use super::types::{ctype, literal};
use crate::error::CudaError;
use kiln_ir::{Access, DType, InnerStride, Inst, Kernel, ReduceOp, Scalar, Value};
use std::fmt::Write;

/// Threads per block (`KILN_BLOCK` in kernels/reduce.cuh).
pub const BLOCK: u32 = 256;

/// The name of the generated entry point.
pub const ENTRY: &str = "kiln_main";
/// Split reductions: partial accumulators of `splits` chunks per row into `scratch`.
pub const PARTIAL_ENTRY: &str = "kiln_partial";
/// Split reductions: combines each row's partials and runs the epilogue.
pub const FINISH_ENTRY: &str = "kiln_finish";

fn internal(msg: String) -> CudaError {
    CudaError::Unsupported(msg)
}

/// Value names: `v<id>`.
fn name(id: u32) -> String {
    format!("v{id}")
}

/// Product of `g.dim[d]` over a range of dims, as C (`1` for an empty range).
fn extent_product(dims: std::ops::Range<usize>) -> String {
    if dims.is_empty() {
        return "1".into();
    }
    dims.map(|d| format!("g.dim[{d}]"))
        .collect::<Vec<_>>()
        .join(" * ")
}

/// Lines that split the flat index `flat` into `i<d>` for dims `dims` (row-major).
fn unflatten(out: &mut String, indent: &str, flat: &str, dims: std::ops::Range<usize>) {
    let (first, last) = (dims.start, dims.end);
    if first == last {
        return;
    }
    if last - first == 1 {
        let _ = writeln!(out, "{indent}const i64 i{first} = {flat};");
        return;
    }
    let _ = writeln!(out, "{indent}i64 rest = {flat};");
    for d in (first + 1..last).rev() {
        let _ = writeln!(
            out,
            "{indent}const i64 i{d} = rest % g.dim[{d}];\n{indent}rest /= g.dim[{d}];"
        );
    }
    let _ = writeln!(out, "{indent}const i64 i{first} = rest;");
}

/// The element address of parameter `p` over dims `0..rank` whose innermost is `rank - 1`.
fn address(p: usize, rank: usize, inner: InnerStride) -> String {
    let mut s = format!("g.off[{p}]");
    for d in 0..rank {
        let is_inner = d + 1 == rank;
        match (is_inner, inner) {
            (true, InnerStride::Unit) => {
                let _ = write!(s, " + i{d}");
            }
            (true, InnerStride::Zero) => {}
            _ => {
                let _ = write!(s, " + i{d} * g.stride[{p}][{d}]");
            }
        }
    }
    s
}

/// Whether each body value varies along the reduce dims (loads and reduce-dim indices do).
fn body_variance(k: &Kernel) -> Vec<bool> {
    let mut varies: Vec<bool> = Vec::with_capacity(k.body.len());
    for v in &k.body {
        let own = match v.inst {
            Inst::Load { .. } => true,
            Inst::Index { dim } => dim >= k.outer_rank,
            _ => false,
        };
        let inherited = Kernel::operands(&v.inst)
            .iter()
            .any(|op| varies.get(op.0 as usize).copied().unwrap_or(true));
        varies.push(own || inherited);
    }
    varies
}

/// Emits `const T v<id> = ...;` for one value. `space_rank` is the rank its loads address.
fn emit_value(
    out: &mut String,
    indent: &str,
    k: &Kernel,
    id: u32,
    v: &Value,
    space_rank: usize,
    reduced: &str,
) -> Result<(), CudaError> {
    let dt = |op: kiln_ir::ValueId| k.value(op).dtype;
    let n = |op: kiln_ir::ValueId| name(op.0);
    let expr = match &v.inst {
        Inst::Load { param } => {
            let p = k
                .params
                .get(*param)
                .ok_or_else(|| internal(format!("load of missing param p{param}")))?;
            format!("p{param}[{}]", address(*param, space_rank, p.inner))
        }
        Inst::Const(s) => literal(s),
        Inst::Index { dim } => format!("i{dim}"),
        Inst::Unary { op, arg } => ops::unary(*op, &n(*arg), dt(*arg))?,
        Inst::Binary { op, lhs, rhs } => ops::binary(*op, &n(*lhs), &n(*rhs), dt(*lhs))?,
        Inst::Select {
            cond,
            then,
            otherwise,
        } => format!("({} ? {} : {})", n(*cond), n(*then), n(*otherwise)),
        Inst::Cast { arg, to } => ops::cast(&n(*arg), dt(*arg), *to),
        Inst::Reduced => reduced.to_string(),
    };
    let _ = writeln!(
        out,
        "{indent}const {} {} = {expr};",
        ctype(v.dtype),
        name(id)
    );
    Ok(())
}

fn emit_stores(out: &mut String, indent: &str, k: &Kernel) {
    for s in &k.stores {
        let inner = k.params.get(s.param).map_or(InnerStride::Any, |p| p.inner);
        let _ = writeln!(
            out,
            "{indent}p{}[{}] = {};",
            s.param,
            address(s.param, k.outer_rank, inner),
            name(s.value.0)
        );
    }
}

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

fn geom_struct(out: &mut String, k: &Kernel) {
    let rank = k.space_rank().max(1);
    let nparams = k.params.len().max(1);
    let _ = writeln!(
        out,
        "struct kiln_geom {{\n  i64 dim[{rank}];\n  i64 off[{nparams}];\n  i64 stride[{nparams}][{rank}];\n}};\n"
    );
}

/// Opens entry point `entry`: the kernel's params, the geometry, then `extra` arguments.
fn signature(out: &mut String, k: &Kernel, entry: &str, extra: &[String]) {
    let params: Vec<String> = k
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let c = if p.access == Access::Read {
                "const "
            } else {
                ""
            };
            format!("{c}{}* __restrict__ p{i}", ctype(p.dtype))
        })
        .chain(std::iter::once("const kiln_geom g".to_string()))
        .chain(extra.iter().cloned())
        .collect();
    let _ = writeln!(
        out,
        "extern \"C\" __global__ void __launch_bounds__(KILN_BLOCK)\n{entry}({}) {{",
        params.join(", ")
    );
}

fn elementwise(out: &mut String, k: &Kernel) -> Result<(), CudaError> {
    let rank = k.outer_rank;
    let _ = writeln!(out, "  const i64 n = {};", extent_product(0..rank));
    out.push_str(
        "  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < n;\n       t += (i64)gridDim.x * blockDim.x) {\n",
    );
    unflatten(out, "    ", "t", 0..rank);
    for (id, v) in k.values() {
        emit_value(out, "    ", k, id.0, v, rank, "")?;
    }
    emit_stores(out, "    ", k);
    out.push_str("  }\n");
    Ok(())
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
enum Part {
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

fn reducing(
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

/// The kernel's functions (geometry struct and entry points), without the prelude: `ENTRY`, or
/// with `split`, `PARTIAL_ENTRY` and `FINISH_ENTRY` for reductions of long rows over few outer
/// points (the runtime compiles those lazily, on the first launch that splits).
pub fn kernel_text(k: &Kernel, split: bool) -> Result<String, CudaError> {
    k.verify()
        .map_err(|e| CudaError::Unsupported(format!("unverified kernel: {e}")))?;
    if k.reduce.is_some() {
        // The epilogue may only use reduce-invariant body values (kernel.rs invariant).
        let varies = body_variance(k);
        let mut uses: Vec<kiln_ir::ValueId> = k
            .epilogue
            .iter()
            .flat_map(|v| Kernel::operands(&v.inst))
            .collect();
        uses.extend(k.stores.iter().map(|s| s.value));
        if let Some(bad) = uses
            .iter()
            .find(|u| varies.get(u.0 as usize).copied().unwrap_or(false))
        {
            return Err(CudaError::Unsupported(format!(
                "kernel {}: the epilogue uses {bad}, which varies over the reduce dims",
                k.name
            )));
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "// kiln kernel {}", k.name);
    for line in k.canonical_text().lines() {
        let _ = writeln!(out, "//   {line}");
    }
    geom_struct(&mut out, k);
    match (&k.reduce, split) {
        (None, false) => {
            signature(&mut out, k, ENTRY, &[]);
            elementwise(&mut out, k)?;
        }
        (None, true) => {
            return Err(CudaError::Unsupported(format!(
                "split entries of kernel {} without a reduction",
                k.name
            )));
        }
        (Some(r), false) => reducing(&mut out, k, r, Part::Whole)?,
        (Some(r), true) => {
            reducing(&mut out, k, r, Part::Partial)?;
            out.push_str("}\n\n");
            reducing(&mut out, k, r, Part::Finish)?;
        }
    }
    out.push_str("}\n");
    Ok(out)
}
