//! `run_kernel`: interprets one kernel launch point by point, following kiln-ir's kernel.rs docs.
//!
//! Semantics: the body is evaluated at every point of the space (outer dims, then reduce dims).
//! Without a reduction, stores happen at every point. With one, the body's `value` is collected
//! over the reduce dims of each outer point (row-major order) and combined by
//! `scalar_ops::reduce`; then the epilogue is evaluated once per outer point (`Reduced` is the
//! combined value, `Index` ranges over outer dims, loads use the outer strides) and the stores
//! write at the outer point. Body reads address `offset + sum(index[d] * strides[d])` over all
//! space dims; epilogue reads and stores use the outer dims only.
//!
//! Invariant: the kernel is verified, the geometry checked against it, and every binding checked
//! (dtype, access, layout inside its storage) before any element is touched, so no launch can
//! read or write out of bounds. One case the IR leaves open is rejected as `Unsupported`: an
//! epilogue that uses a body value depending on a load or a reduce-dim index (which point's value
//! would it be?). Body values built only from constants and outer indices are allowed there.

use crate::error::InterpError;
use crate::scalar_ops;
use kiln_ir::{
    Access, DType, IndexIter, Inst, Kernel, LaunchGeometry, ParamRole, Scalar, Shape, Storage,
    Value, View,
};

/// A storage bound to one kernel parameter: read params borrow shared storage, write params
/// borrow exclusively owned storage.
#[derive(Debug)]
pub enum KernelBuffer<'a> {
    Read(&'a Storage),
    Write(&'a mut Storage),
}

impl KernelBuffer<'_> {
    fn storage(&self) -> &Storage {
        match self {
            KernelBuffer::Read(s) => s,
            KernelBuffer::Write(s) => s,
        }
    }
}

/// Interprets one kernel launch on raw storages: `buffers[i]` is bound to `kernel.params[i]`.
pub fn run_kernel(
    k: &Kernel,
    g: &LaunchGeometry,
    buffers: &mut [KernelBuffer<'_>],
) -> Result<(), InterpError> {
    k.verify()?;
    g.check(k)?;
    check_bindings(k, g, buffers)?;
    let outer_rank = k.outer_rank;
    let outer = Shape(g.dims[..outer_rank].to_vec());
    let inner = Shape(g.dims[outer_rank..].to_vec());
    let body_varies = body_variance(k);
    check_epilogue_operands(k, &body_varies)?;
    for outer_ix in IndexIter::new(&outer) {
        let Some(reduction) = &k.reduce else {
            let values = eval(k, &k.body, Vec::new(), &outer_ix, g, buffers, None)?;
            store(k, g, buffers, &values, &outer_ix)?;
            continue;
        };
        let mut collected = Vec::with_capacity(inner.numel());
        let mut point = outer_ix.clone();
        for inner_ix in IndexIter::new(&inner) {
            point.truncate(outer_rank);
            point.extend_from_slice(&inner_ix);
            let values = eval(k, &k.body, Vec::new(), &point, g, buffers, None)?;
            collected.push(values[reduction.value.0 as usize]);
        }
        let reduced_dtype = k.value(reduction.value).dtype;
        let reduced = scalar_ops::reduce(reduction.op, reduced_dtype, &collected)?;
        // Only reduce-invariant body values may feed the epilogue (checked above); the others get
        // a placeholder that is never read.
        let invariant = invariant_body_values(k, &body_varies, &outer_ix, g, buffers)?;
        let values = eval(
            k,
            &k.epilogue,
            invariant,
            &outer_ix,
            g,
            buffers,
            Some(reduced),
        )?;
        store(k, g, buffers, &values, &outer_ix)?;
    }
    Ok(())
}

fn binding_error(msg: String) -> InterpError {
    InterpError::Binding(msg)
}

/// Checks count, dtype, access and bounds of every binding.
fn check_bindings(
    k: &Kernel,
    g: &LaunchGeometry,
    buffers: &[KernelBuffer<'_>],
) -> Result<(), InterpError> {
    if buffers.len() != k.params.len() {
        return Err(binding_error(format!(
            "kernel {} has {} params but {} buffers are bound",
            k.name,
            k.params.len(),
            buffers.len()
        )));
    }
    for (p, (param, buffer)) in k.params.iter().zip(buffers.iter()).enumerate() {
        let storage = buffer.storage();
        if storage.dtype() != param.dtype {
            return Err(binding_error(format!(
                "p{p} is {} but its storage holds {}",
                param.dtype,
                storage.dtype()
            )));
        }
        let access_ok = matches!(
            (param.access, buffer),
            (Access::Read, KernelBuffer::Read(_)) | (Access::Write, KernelBuffer::Write(_))
        );
        if !access_ok {
            return Err(binding_error(format!(
                "p{p}: access {:?} does not match its buffer",
                param.access
            )));
        }
        let dims = match k.param_role(p) {
            ParamRole::BodyRead => g.dims.clone(),
            _ => g.dims[..k.outer_rank].to_vec(),
        };
        let layout = &g.params[p];
        let view = View {
            strides: layout.strides[..dims.len()].to_vec(),
            shape: Shape(dims),
            offset: layout.offset,
        };
        if !view.fits(storage.len()) {
            return Err(binding_error(format!(
                "p{p} layout {layout:?} leaves its storage of {} elements",
                storage.len()
            )));
        }
    }
    Ok(())
}

/// For each body value: whether it may differ between points of one outer point's reduce space.
fn body_variance(k: &Kernel) -> Vec<bool> {
    let mut varies = Vec::with_capacity(k.body.len());
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

fn check_epilogue_operands(k: &Kernel, body_varies: &[bool]) -> Result<(), InterpError> {
    let mut uses: Vec<kiln_ir::ValueId> = k
        .epilogue
        .iter()
        .flat_map(|v| Kernel::operands(&v.inst))
        .collect();
    if k.reduce.is_some() {
        uses.extend(k.stores.iter().map(|s| s.value));
    }
    for op in uses {
        if body_varies.get(op.0 as usize).copied().unwrap_or(false) {
            return Err(InterpError::Unsupported(format!(
                "kernel {}: the epilogue uses body value {op}, which varies over the reduce dims",
                k.name
            )));
        }
    }
    Ok(())
}

/// Body values evaluated in the epilogue's context (outer point only); varying ones are
/// placeholders.
fn invariant_body_values(
    k: &Kernel,
    body_varies: &[bool],
    outer_ix: &[usize],
    g: &LaunchGeometry,
    buffers: &[KernelBuffer<'_>],
) -> Result<Vec<Scalar>, InterpError> {
    let mut values = Vec::with_capacity(k.body.len());
    for (v, &varies) in k.body.iter().zip(body_varies) {
        let value = if varies {
            Scalar::Bool(false)
        } else {
            eval_inst(k, v, &values, outer_ix, g, buffers, None)?
        };
        values.push(value);
    }
    Ok(values)
}

/// Evaluates `insts` after the already computed `values` (ids continue from `values.len()`).
fn eval(
    k: &Kernel,
    insts: &[Value],
    mut values: Vec<Scalar>,
    point: &[usize],
    g: &LaunchGeometry,
    buffers: &[KernelBuffer<'_>],
    reduced: Option<Scalar>,
) -> Result<Vec<Scalar>, InterpError> {
    for v in insts {
        let value = eval_inst(k, v, &values, point, g, buffers, reduced)?;
        values.push(value);
    }
    Ok(values)
}

fn eval_inst(
    k: &Kernel,
    v: &Value,
    values: &[Scalar],
    point: &[usize],
    g: &LaunchGeometry,
    buffers: &[KernelBuffer<'_>],
    reduced: Option<Scalar>,
) -> Result<Scalar, InterpError> {
    let get = |id: kiln_ir::ValueId| {
        values.get(id.0 as usize).copied().ok_or_else(|| {
            InterpError::Unsupported(format!(
                "kernel {}: value {id} is not available here",
                k.name
            ))
        })
    };
    let result = match &v.inst {
        Inst::Load { param } => {
            let storage = buffers[*param].storage();
            let at = element_offset(&g.params[*param], point);
            usize::try_from(at)
                .ok()
                .and_then(|at| storage.get(at))
                .ok_or_else(|| {
                    binding_error(format!("load of p{param} at {point:?} out of bounds"))
                })?
        }
        Inst::Const(s) => *s,
        Inst::Index { dim } => Scalar::I64(point.get(*dim).copied().unwrap_or(0) as i64),
        Inst::Unary { op, arg } => scalar_ops::unary(*op, get(*arg)?)?,
        Inst::Binary { op, lhs, rhs } => scalar_ops::binary(*op, get(*lhs)?, get(*rhs)?)?,
        Inst::Select {
            cond,
            then,
            otherwise,
        } => scalar_ops::select(get(*cond)?, get(*then)?, get(*otherwise)?),
        Inst::Cast { arg, to } => get(*arg)?.cast(*to),
        Inst::Reduced => reduced.ok_or_else(|| {
            InterpError::Unsupported(format!("kernel {}: `reduced` outside an epilogue", k.name))
        })?,
    };
    check_dtype(k, result, v.dtype)
}

fn check_dtype(k: &Kernel, value: Scalar, want: DType) -> Result<Scalar, InterpError> {
    if value.dtype() == want {
        Ok(value)
    } else {
        Err(InterpError::Unsupported(format!(
            "kernel {}: computed {} for a {want} value",
            k.name,
            value.dtype()
        )))
    }
}

/// `offset + sum(point[d] * strides[d])` over the dims of `point` (outer or whole space).
fn element_offset(layout: &kiln_ir::ParamLayout, point: &[usize]) -> isize {
    layout.offset as isize
        + point
            .iter()
            .zip(&layout.strides)
            .map(|(&i, &s)| i as isize * s)
            .sum::<isize>()
}

fn store(
    k: &Kernel,
    g: &LaunchGeometry,
    buffers: &mut [KernelBuffer<'_>],
    values: &[Scalar],
    outer_ix: &[usize],
) -> Result<(), InterpError> {
    for s in &k.stores {
        let value = values.get(s.value.0 as usize).copied().ok_or_else(|| {
            InterpError::Unsupported(format!(
                "kernel {}: store of unknown value {}",
                k.name, s.value
            ))
        })?;
        let at = element_offset(&g.params[s.param], &outer_ix[..k.outer_rank]);
        let KernelBuffer::Write(storage) = &mut buffers[s.param] else {
            return Err(binding_error(format!("store into read param p{}", s.param)));
        };
        let at = usize::try_from(at).map_err(|_| {
            binding_error(format!(
                "store into p{} at {outer_ix:?} out of bounds",
                s.param
            ))
        })?;
        storage.set(at, value)?;
    }
    Ok(())
}
