//! The structure of a generated CUDA kernel: parameters, the geometry struct, index loops,
//! values and stores; reducing kernels' loops and block reductions are `reduce.rs`.
//!
//! Invariant: the text depends only on the `Kernel` (never on extents): sizes, offsets and
//! strides arrive in one `kiln_geom` struct of `i64`s (see `geometry_words`), so one compiled
//! module serves every launch of its shape class. Elementwise kernels are grid-stride loops over
//! the flattened outer space; reducing kernels give each block one outer point at a time (a
//! grid-stride loop over outer points), stride the block's threads over the reduce space, and
//! combine with `kiln_block_reduce` (kernels/reduce.cuh); thread 0 runs the epilogue and stores.

use super::ops;
use super::reduce::{Part, reducing};
use super::types::{ctype, literal};
use crate::error::CudaError;
use kiln_ir::{Access, InnerStride, Inst, Kernel, Value};
use std::fmt::Write;

/// Threads per block (`KILN_BLOCK` in kernels/reduce.cuh).
pub const BLOCK: u32 = 256;

/// The name of the generated entry point.
pub const ENTRY: &str = "kiln_main";
/// Split reductions: partial accumulators of `splits` chunks per row into `scratch`.
pub const PARTIAL_ENTRY: &str = "kiln_partial";
/// Split reductions: combines each row's partials and runs the epilogue.
pub const FINISH_ENTRY: &str = "kiln_finish";

pub(super) fn internal(msg: String) -> CudaError {
    CudaError::Unsupported(msg)
}

/// Value names: `v<id>`.
pub(super) fn name(id: u32) -> String {
    format!("v{id}")
}

/// Product of `g.dim[d]` over a range of dims, as C (`1` for an empty range).
pub(super) fn extent_product(dims: std::ops::Range<usize>) -> String {
    if dims.is_empty() {
        return "1".into();
    }
    dims.map(|d| format!("g.dim[{d}]"))
        .collect::<Vec<_>>()
        .join(" * ")
}

/// Lines that split the flat index `flat` into `i<d>` for dims `dims` (row-major).
pub(super) fn unflatten(out: &mut String, indent: &str, flat: &str, dims: std::ops::Range<usize>) {
    let (first, last) = (dims.start, dims.end);
    if first == last {
        return;
    }
    if last - first == 1 {
        let _ = writeln!(out, "{indent}const i64 i{first} = {flat};");
        return;
    }
    // kiln_divmod divides in 32 bits when both operands fit (64-bit division is a long
    // software sequence on the GPU).
    let _ = writeln!(out, "{indent}i64 rest = {flat};");
    for d in (first + 1..last).rev() {
        let _ = writeln!(
            out,
            "{indent}i64 i{d};\n{indent}rest = kiln_divmod(rest, g.dim[{d}], &i{d});"
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
pub(super) fn body_variance(k: &Kernel) -> Vec<bool> {
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
pub(super) fn emit_value(
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

pub(super) fn emit_stores(out: &mut String, indent: &str, k: &Kernel) {
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

fn geom_struct(out: &mut String, k: &Kernel) {
    let rank = k.space_rank().max(1);
    let nparams = k.params.len().max(1);
    let _ = writeln!(
        out,
        "struct kiln_geom {{\n  i64 dim[{rank}];\n  i64 off[{nparams}];\n  i64 stride[{nparams}][{rank}];\n}};\n"
    );
}

/// Opens entry point `entry`: the kernel's params, the geometry, then `extra` arguments.
pub(super) fn signature(out: &mut String, k: &Kernel, entry: &str, extra: &[String]) {
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
