//! Which nodes get a buffer: the realization plan every later pass reads.
//!
//! A live node is either `Inline` (evaluated inside each kernel that reads it: elementwise ops,
//! views, generators), the realized program input it names (`Input`), or a `Temp` computed once
//! into a contiguous temporary of its shape. Reductions and library ops are always temps. Others
//! become temps when (1) a reshape above them cannot be expressed as a view of what they read, (2)
//! a library op or a program output needs them as a buffer and they are not a view of one, or (3)
//! the cost policy in `config` says so. The rules only ever turn nodes into temps, so iterating
//! them to a fixpoint terminates. Invariant of the final plan: every leaf map in `leaves` exists
//! (no inexpressible reshape remains), and every output and library operand is a view of a buffer.

use crate::affine::{Affine, Transform, apply_ctx};
use crate::config::{SchedConfig, op_weight};
use kiln_ir::{NodeId, Op, OpClass, Program};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mat {
    /// Evaluated inside every kernel that reads it.
    Inline,
    /// The realized program input in this slot, read in place through its view.
    Input(usize),
    /// Computed once into a contiguous temporary of the node's shape.
    Temp,
}

/// What a fused expression reads: a node's buffer, or a generator evaluated from indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeafKey {
    Buffer(NodeId),
    Gen(NodeId),
}

/// Leaves with their maps, relative to the index space of the node they were gathered for.
pub type Leaves = Vec<(LeafKey, Affine)>;

#[derive(Clone, Debug)]
pub struct Plan {
    pub live: Vec<bool>,
    pub mat: Vec<Mat>,
    /// For each live node, what its *definition* reads through inline nodes, relative to its own
    /// index space (for a reduction or a library op: its operands' leaves in their own spaces).
    pub leaves: Vec<Leaves>,
}

/// The map of a buffer node's storage: the input's view, or row-major for a temp.
pub fn buffer_affine(p: &Program, mat: &[Mat], n: NodeId) -> Affine {
    match mat[n.index()] {
        Mat::Input(slot) if slot < p.inputs.len() => Affine::of_view(&p.inputs[slot].view),
        _ => Affine::contiguous(&p.node(n).shape),
    }
}

/// Follows inline views down from `n` to the buffer node they show. Returns the base and the
/// transforms (root side first), or `None` if the chain reaches a computed inline node.
pub fn view_chain(p: &Program, mat: &[Mat], n: NodeId) -> Option<(NodeId, Vec<Transform>)> {
    let mut ctx = Vec::new();
    let mut cur = n;
    loop {
        if mat[cur.index()] != Mat::Inline {
            return Some((cur, ctx));
        }
        let node = p.node(cur);
        let operand = *node.inputs.first()?;
        ctx.push(Transform::of_op(&node.op, &p.node(operand).shape)?);
        cur = operand;
    }
}

/// The buffer view `n` is of, if it is one: base node and a one-row map over `n`'s index.
pub fn buffer_view(p: &Program, mat: &[Mat], n: NodeId) -> Option<(NodeId, Affine)> {
    let (base, ctx) = view_chain(p, mat, n)?;
    Some((base, apply_ctx(&ctx, &buffer_affine(p, mat, base))?))
}

pub fn plan(p: &Program, cfg: &SchedConfig) -> Plan {
    let live = p.live();
    let mut mat: Vec<Mat> = p
        .nodes
        .iter()
        .map(|n| match (&n.op, n.op.class()) {
            (Op::Input(slot), _) => Mat::Input(*slot),
            (_, OpClass::Reduce | OpClass::Library) => Mat::Temp,
            _ => Mat::Inline,
        })
        .collect();
    cut_deep_chains(p, &live, &mut mat);
    loop {
        let leaves = match gather_leaves(p, &live, &mat) {
            Ok(leaves) => leaves,
            Err(reshape_operand) => {
                mat[reshape_operand.index()] = Mat::Temp;
                continue;
            }
        };
        if buffer_rules(p, &live, &mut mat) || cost_rules(p, &live, &mut mat, &leaves, cfg) {
            continue;
        }
        return Plan { live, mat, leaves };
    }
}

/// Materialises every node whose chain of inlined operands is deeper than `MAX_FUSED_DEPTH`.
/// Later rules only turn inlined nodes into buffers, which never deepens a chain, so one pass
/// in program (topological) order suffices.
fn cut_deep_chains(p: &Program, live: &[bool], mat: &mut [Mat]) {
    let mut depth = vec![0usize; p.nodes.len()];
    for (i, node) in p.nodes.iter().enumerate() {
        if !live[i] || mat[i] != Mat::Inline {
            continue;
        }
        let below = node
            .inputs
            .iter()
            .map(|o| depth[o.index()])
            .max()
            .unwrap_or(0);
        if below + 1 > crate::config::MAX_FUSED_DEPTH {
            mat[i] = Mat::Temp;
        } else {
            depth[i] = below + 1;
        }
    }
}

/// Leaves of every live node, or the operand of the first reshape that is not a view.
fn gather_leaves(p: &Program, live: &[bool], mat: &[Mat]) -> Result<Vec<Leaves>, NodeId> {
    let mut out: Vec<Leaves> = vec![Vec::new(); p.nodes.len()];
    for (i, node) in p.nodes.iter().enumerate() {
        if !live[i] {
            continue;
        }
        let id = NodeId(i as u32);
        let as_leaf = |o: NodeId, out: &[Leaves]| -> Leaves {
            if mat[o.index()] == Mat::Inline {
                out[o.index()].clone()
            } else {
                vec![(LeafKey::Buffer(o), buffer_affine(p, mat, o))]
            }
        };
        let mut leaves: Leaves = Vec::new();
        match &node.op {
            Op::Input(_) | Op::Full(..) => {}
            Op::Arange { .. } => leaves.push((LeafKey::Gen(id), Affine::identity(1))),
            Op::Eye { .. } => leaves.push((LeafKey::Gen(id), Affine::identity(2))),
            op => {
                let transform = node
                    .inputs
                    .first()
                    .and_then(|o| Transform::of_op(op, &p.node(*o).shape));
                for &o in &node.inputs {
                    for (key, a) in as_leaf(o, &out) {
                        let a = match &transform {
                            None => a,
                            Some(t) => t.apply(&a).ok_or(o)?,
                        };
                        if !leaves.contains(&(key, a.clone())) {
                            leaves.push((key, a));
                        }
                    }
                }
            }
        }
        out[i] = leaves;
    }
    Ok(out)
}

/// Outputs and library operands must be views of buffers; makes the first that is not a temp.
fn buffer_rules(p: &Program, live: &[bool], mat: &mut [Mat]) -> bool {
    let library_operands = p
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| live[*i] && n.op.class() == OpClass::Library)
        .flat_map(|(_, n)| n.inputs.iter().copied());
    let needs_buffer: Vec<NodeId> = library_operands.chain(p.outputs.iter().copied()).collect();
    for n in needs_buffer {
        if buffer_view(p, mat, n).is_none() {
            mat[n.index()] = Mat::Temp;
            return true;
        }
    }
    false
}

/// The recompute-versus-materialise policy (see `config` for the reasoning).
fn cost_rules(
    p: &Program,
    live: &[bool],
    mat: &mut [Mat],
    leaves: &[Leaves],
    cfg: &SchedConfig,
) -> bool {
    let roots = kernel_roots(p, live, mat);
    let mut changed = false;
    for (i, node) in p.nodes.iter().enumerate() {
        if !live[i] || mat[i] != Mat::Inline || node.op.class() != OpClass::Elementwise {
            continue;
        }
        if roots[i].len() >= 2 {
            let (loads, weight) = inline_cost(p, mat, NodeId(i as u32));
            if loads > cfg.recompute_max_loads || weight > cfg.recompute_max_weight {
                mat[i] = Mat::Temp;
                changed = true;
            }
        }
    }
    for (i, node) in p.nodes.iter().enumerate() {
        let Op::Broadcast(to) = &node.op else {
            continue;
        };
        if !live[i] || mat[i] != Mat::Inline {
            continue;
        }
        let mut base = node.inputs[0];
        while mat[base.index()] == Mat::Inline && p.node(base).op.class() == OpClass::Movement {
            base = p.node(base).inputs[0];
        }
        let b = p.node(base);
        if mat[base.index()] != Mat::Inline
            || b.op.class() != OpClass::Elementwise
            || to.numel() <= p.node(node.inputs[0]).shape.numel()
        {
            continue;
        }
        let heavy = inline_cost(p, mat, base).1 >= cfg.broadcast_materialise_weight;
        let after_reduce = cfg.fuse_epilogues
            && leaves[base.index()].iter().any(|(key, a)| match key {
                LeafKey::Buffer(r) => {
                    matches!(p.node(*r).op, Op::Reduce { .. })
                        && p.node(*r).shape.numel() == b.shape.numel()
                        && a.is_contiguous_point(&b.shape)
                }
                LeafKey::Gen(_) => false,
            });
        if heavy || after_reduce {
            mat[base.index()] = Mat::Temp;
            changed = true;
        }
    }
    changed
}

/// For each inline node, up to two distinct non-inline nodes whose kernels would evaluate it.
fn kernel_roots(p: &Program, live: &[bool], mat: &[Mat]) -> Vec<Vec<NodeId>> {
    let mut roots: Vec<Vec<NodeId>> = vec![Vec::new(); p.nodes.len()];
    for i in (0..p.nodes.len()).rev() {
        if !live[i] {
            continue;
        }
        let from = if mat[i] == Mat::Inline {
            roots[i].clone()
        } else {
            vec![NodeId(i as u32)]
        };
        for o in &p.nodes[i].inputs {
            let r = &mut roots[o.index()];
            for n in &from {
                if r.len() < 2 && !r.contains(n) {
                    r.push(*n);
                }
            }
        }
    }
    roots
}

/// Distinct buffers read and total op weight of the inline expression rooted at `n`.
fn inline_cost(p: &Program, mat: &[Mat], n: NodeId) -> (usize, u32) {
    let mut seen = vec![false; p.nodes.len()];
    let mut buffers = 0;
    let mut weight = 0;
    let mut stack = vec![n];
    while let Some(cur) = stack.pop() {
        if std::mem::replace(&mut seen[cur.index()], true) {
            continue;
        }
        if cur != n && mat[cur.index()] != Mat::Inline {
            buffers += 1;
            continue;
        }
        let node = p.node(cur);
        weight += op_weight(&node.op);
        stack.extend(node.inputs.iter().copied());
    }
    (buffers, weight)
}
