//! kiln's scheduler: fusion, buffer planning and lowering of programs to kernel IR.
//!
//! The pipeline, in order (each stage in its own module):
//! 1. [`realize`]: decide which nodes get a buffer (reductions, library ops, outputs, reshapes
//!    that are not views, and the recompute-versus-materialise policy of [`config`]);
//! 2. [`group`]: partition the buffered nodes into kernels and library steps (a petgraph DAG),
//!    fusing same-point consumers into a producer's kernel (reduction epilogues, multi-store
//!    kernels);
//! 3. `lower`: lower each kernel group to a loop nest whose loads compose views ([`affine`]);
//! 4. `emit`: collapse dimensions and produce verified kernel IR with its launch geometry.
//!
//! Architecture invariant: views never copy (a movement op is index arithmetic on the loads of
//! buffers it reaches), kernels never contain extents, and the result of [`schedule`] always
//! passes `Schedule::verify`. This crate knows nothing of egg, cranelift or CUDA.
//!
//! Known limits: a generator seen through a reshape that does not collapse away (e.g.
//! `arange(12).reshape(3, 4) + eye(3, 4)`) keeps its view strides as `const` coefficients of its
//! index arithmetic, so such kernels are specialised on those strides; a complex `arange` with a
//! non-finite start or step can differ from the reference in NaN placement (the kernel IR has no
//! op that builds a complex from two reals, so the index is scaled as the complex `(i, 0)`).

pub mod affine;
pub mod config;
mod emit;
mod error;
pub mod group;
mod lower;
pub mod realize;

pub use config::SchedConfig;
pub use error::SchedError;

use group::{GroupKind, Groups};
use kiln_ir::{
    BufferDecl, BufferRef, LibraryStep, NodeId, Op, Operand, Program, Schedule, Step, View,
};
use petgraph::graph::NodeIndex;
use realize::{Mat, Plan, buffer_view};
use std::fmt::Write;

/// Lowers a verified program to a schedule whose `outputs[i]` holds `p.outputs[i]`.
/// The result passes `Schedule::verify(&p.inputs)`.
pub fn schedule(p: &Program, cfg: &SchedConfig) -> Result<Schedule, SchedError> {
    p.verify().map_err(SchedError::Program)?;
    let plan = realize::plan(p, cfg);
    let groups = group::build(p, &plan, cfg)?;
    let order = groups.order()?;
    let (buffers, temp_of) = plan_buffers(p, &groups, &order);
    let env = lower::Env {
        p,
        plan: &plan,
        groups: &groups,
        temp_of: &temp_of,
    };
    let mut steps = Vec::with_capacity(order.len());
    for &g in &order {
        if let Some(step) = build_step(&env, g, steps.len())? {
            steps.push(step);
        }
    }
    let outputs = p
        .outputs
        .iter()
        .map(|&o| operand(p, &plan, &temp_of, o))
        .collect::<Result<Vec<_>, _>>()?;
    let s = Schedule {
        buffers,
        steps,
        outputs,
    };
    s.verify(&p.inputs).map_err(SchedError::Verify)?;
    Ok(s)
}

/// Temporaries in step order: each stored member of a kernel group, each library result.
fn plan_buffers(
    p: &Program,
    groups: &Groups,
    order: &[NodeIndex],
) -> (Vec<BufferDecl>, Vec<Option<usize>>) {
    let mut buffers = Vec::new();
    let mut temp_of = vec![None; p.nodes.len()];
    for &g in order {
        for &m in &groups.graph[g].members {
            if groups.stored[m.index()] {
                temp_of[m.index()] = Some(buffers.len());
                let node = p.node(m);
                buffers.push(BufferDecl {
                    dtype: node.dtype,
                    len: node.shape.numel(),
                });
            }
        }
    }
    (buffers, temp_of)
}

fn build_step(env: &lower::Env, g: NodeIndex, index: usize) -> Result<Option<Step>, SchedError> {
    let group = &env.groups.graph[g];
    if let GroupKind::Library { node } = group.kind {
        return library_step(env, node).map(|s| Some(Step::Library(s)));
    }
    if !group.members.iter().any(|m| env.groups.stored[m.index()]) {
        return Ok(None);
    }
    let lowered = lower::lower_group(env, g)?;
    let mut names: Vec<&str> = Vec::new();
    for n in &lowered.op_names {
        if !names.contains(n) && names.len() < 5 {
            names.push(n);
        }
    }
    let name = format!("k{index}_{}", names.join("_"));
    let buffers = lowered.params.iter().map(|p| p.buffer).collect();
    emit::emit(&lowered, name, buffers).map(|k| Some(Step::Kernel(k)))
}

fn library_step(env: &lower::Env, n: NodeId) -> Result<LibraryStep, SchedError> {
    let node = env.p.node(n);
    let out = env.temp_of[n.index()]
        .ok_or_else(|| SchedError::internal(n, "library result without a temporary"))?;
    let arg = |i: usize| -> Result<Operand, SchedError> {
        let o = *node
            .inputs
            .get(i)
            .ok_or_else(|| SchedError::internal(n, "missing operand"))?;
        operand(env.p, env.plan, env.temp_of, o)
    };
    match &node.op {
        Op::MatMul => Ok(LibraryStep::MatMul {
            a: arg(0)?,
            b: arg(1)?,
            out,
            dtype: node.dtype,
        }),
        Op::Scan { op, axis } => Ok(LibraryStep::Scan {
            op: *op,
            axis: *axis,
            input: arg(0)?,
            out,
            dtype: node.dtype,
        }),
        Op::Lib(op) => Ok(LibraryStep::Lib {
            op: *op,
            inputs: (0..node.inputs.len()).map(arg).collect::<Result<_, _>>()?,
            out,
            dtype: node.dtype,
        }),
        _ => Err(SchedError::internal(n, "library group of a non-library op")),
    }
}

/// A node that is a view of a buffer, as the buffer and the view.
fn operand(
    p: &Program,
    plan: &Plan,
    temp_of: &[Option<usize>],
    n: NodeId,
) -> Result<Operand, SchedError> {
    let (base, a) =
        buffer_view(p, &plan.mat, n).ok_or_else(|| SchedError::internal(n, "not a buffer view"))?;
    let buffer = match plan.mat[base.index()] {
        Mat::Input(slot) => BufferRef::Input(slot),
        _ => BufferRef::Temp(
            temp_of[base.index()].ok_or_else(|| SchedError::internal(base, "no temporary"))?,
        ),
    };
    let shape = p.node(n).shape.clone();
    let offset = if shape.numel() == 0 {
        0
    } else {
        usize::try_from(a.offset[0]).map_err(|_| SchedError::internal(n, "negative offset"))?
    };
    Ok(Operand {
        buffer,
        view: View {
            shape,
            strides: a.coefs[0].clone(),
            offset,
        },
    })
}

/// Human-readable text of a schedule with each kernel's IR text, for `explain()`.
pub fn explain(s: &Schedule) -> String {
    let mut out = s.to_string();
    for step in &s.steps {
        if let Step::Kernel(k) = step {
            out.push('\n');
            let _ = write!(out, "{}", k.kernel);
        }
    }
    out
}
