//! The structure of a generated CUDA kernel: parameters, the geometry struct, index loops,
//! values and stores; reducing kernels' loops and block reductions are `reduce.rs`.
//!
//! Invariant: the text depends only on the `Kernel` (never on extents): sizes, offsets and
//! strides arrive in one `kiln_geom` struct of `i64`s (see `geometry_words`), so one compiled
//! module serves every launch of its shape class. Elementwise kernels are grid-stride loops over
//! the flattened outer space; reducing kernels give each block one outer point at a time (a
//! grid-stride loop over outer points), stride the block's threads over the reduce space, and
//! combine with `kiln_block_reduce` (kernels/reduce.cuh); thread 0 runs the epilogue and stores.
//!
//! Vectorised elementwise kernels (`vectorizable`) also take the `flat[params]` geometry words
//! (`FLAT_*`): when every written param is flat (element `t` of the space at `off + t`), every
//! read param flat or fixed (one element for the whole space), and every flat param's first
//! element aligned to `VEC` elements, each thread moves `VEC` elements per iteration through
//! one `kiln_vec` load or store per param, with a scalar tail; otherwise the general loop runs.
//! The words are computed on the host from the launch's layouts, so the choice never changes
//! what is computed, only how memory is accessed.

use super::ops;
use super::reduce::{Part, reducing};
use super::types::{ctype, literal};
use crate::error::CudaError;
use kiln_ir::{Access, InnerStride, Inst, Kernel, Value};
use std::fmt::Write;

/// Threads per block (`KILN_BLOCK` in kernels/reduce.cuh).
pub const BLOCK: u32 = 256;

/// Elements per thread in the vectorised path (`KILN_VEC` in kernels/prelude.cuh).
pub const VEC: usize = 4;

/// `flat[p]` words: the param's elements are not a simple run.
pub const FLAT_NO: i64 = 0;
/// `flat[p]` words: element `t` of the flattened space is at `off + t`.
pub const FLAT_RUN: i64 = 1;
/// `flat[p]` words: every element of the space reads `off` (a broadcast scalar).
pub const FLAT_FIXED: i64 = 2;

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
    let load = |param: usize| -> Result<String, CudaError> {
        let p = k
            .params
            .get(param)
            .ok_or_else(|| internal(format!("load of missing param p{param}")))?;
        Ok(format!("p{param}[{}]", address(param, space_rank, p.inner)))
    };
    emit_value_with(out, indent, k, id, v, reduced, &load)
}

/// `emit_value` with loads written by `load(param)`.
fn emit_value_with(
    out: &mut String,
    indent: &str,
    k: &Kernel,
    id: u32,
    v: &Value,
    reduced: &str,
    load: &dyn Fn(usize) -> Result<String, CudaError>,
) -> Result<(), CudaError> {
    let dt = |op: kiln_ir::ValueId| k.value(op).dtype;
    let n = |op: kiln_ir::ValueId| name(op.0);
    let expr = match &v.inst {
        Inst::Load { param } => load(*param)?,
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
    let flat = if vectorizable(k) {
        format!("  i64 flat[{nparams}];\n")
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "struct kiln_geom {{\n  i64 dim[{rank}];\n  i64 off[{nparams}];\n  i64 stride[{nparams}][{rank}];\n{flat}}};\n"
    );
}

/// Whether an elementwise kernel gets the vectorised path (see the module doc): no reduction,
/// no index values (the vectorised loop never unflattens `t`), real or bool params only, at
/// most one store per param.
pub fn vectorizable(k: &Kernel) -> bool {
    let mut stored: Vec<usize> = k.stores.iter().map(|s| s.param).collect();
    stored.sort_unstable();
    let distinct = stored.windows(2).all(|w| w[0] != w[1]);
    k.reduce.is_none()
        && k.outer_rank > 0
        && !k.stores.is_empty()
        && distinct
        && k.params.iter().all(|p| !p.dtype.is_complex())
        && !k
            .values()
            .any(|(_, v)| matches!(v.inst, Inst::Index { .. }))
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
    if vectorizable(k) {
        vectorized(out, k)?;
    }
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

/// The vectorised path of an elementwise kernel: taken when the `flat` words and alignment allow
/// (see the module doc), it covers the whole space and returns.
fn vectorized(out: &mut String, k: &Kernel) -> Result<(), CudaError> {
    let vec = |p: usize| format!("kiln_vec<{}, KILN_VEC>", ctype(k.params[p].dtype));
    let mut conds = Vec::new();
    for (i, p) in k.params.iter().enumerate() {
        let aligned = format!("kiln_aligned(p{i} + g.off[{i}], sizeof({}))", vec(i));
        conds.push(match p.access {
            Access::Write => format!("g.flat[{i}] == {FLAT_RUN} && {aligned}"),
            Access::Read => format!(
                "g.flat[{i}] != {FLAT_NO} &&\n      (g.flat[{i}] != {FLAT_RUN} || {aligned})"
            ),
        });
    }
    let _ = writeln!(out, "  if ({}) {{", conds.join(" &&\n      "));
    out.push_str("    const i64 nv = n / KILN_VEC;\n");
    out.push_str(
        "    for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < nv;\n         t += (i64)gridDim.x * blockDim.x) {\n",
    );
    let loaded: Vec<usize> = k
        .params
        .iter()
        .enumerate()
        .filter(|(i, p)| {
            p.access == Access::Read
                && k.values()
                    .any(|(_, v)| matches!(v.inst, Inst::Load { param } if param == *i))
        })
        .map(|(i, _)| i)
        .collect();
    for &i in &loaded {
        let _ = writeln!(
            out,
            "      {v} x{i};\n      if (g.flat[{i}] == {FLAT_RUN}) {{\n        x{i} = *(const {v}*)(p{i} + g.off[{i}] + t * KILN_VEC);\n      }} else {{\n        for (int j = 0; j < KILN_VEC; ++j) x{i}.v[j] = p{i}[g.off[{i}]];\n      }}",
            v = vec(i)
        );
    }
    for s in &k.stores {
        let _ = writeln!(out, "      {} o{};", vec(s.param), s.param);
    }
    out.push_str("#pragma unroll\n      for (int j = 0; j < KILN_VEC; ++j) {\n");
    let lane = |param: usize| Ok(format!("x{param}.v[j]"));
    for (id, v) in k.values() {
        emit_value_with(out, "        ", k, id.0, v, "", &lane)?;
    }
    for s in &k.stores {
        let _ = writeln!(out, "        o{}.v[j] = {};", s.param, name(s.value.0));
    }
    out.push_str("      }\n");
    for s in &k.stores {
        let _ = writeln!(
            out,
            "      *({}*)(p{p} + g.off[{p}] + t * KILN_VEC) = o{p};",
            vec(s.param),
            p = s.param
        );
    }
    out.push_str("    }\n");
    out.push_str(
        "    for (i64 t = nv * KILN_VEC + (i64)blockIdx.x * blockDim.x + threadIdx.x; t < n;\n         t += (i64)gridDim.x * blockDim.x) {\n",
    );
    let scalar = |param: usize| {
        Ok(format!(
            "p{param}[g.off[{param}] + (g.flat[{param}] == {FLAT_RUN} ? t : 0)]"
        ))
    };
    for (id, v) in k.values() {
        emit_value_with(out, "      ", k, id.0, v, "", &scalar)?;
    }
    for s in &k.stores {
        let _ = writeln!(
            out,
            "      p{p}[g.off[{p}] + t] = {};",
            name(s.value.0),
            p = s.param
        );
    }
    out.push_str("    }\n    return;\n  }\n");
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
