//! Partition of the temps into steps: fused kernels and library calls, as a petgraph DAG.
//!
//! Every `Temp` node is computed by exactly one group. A reduction opens a `Reduce` group, a
//! library op a `Library` group; any other temp joins the group of a temp it reads *at the same
//! point* (so the kernel evaluates it from the in-register value: a reduction's epilogue, or one
//! more store of an elementwise kernel) when that keeps the group graph acyclic, and otherwise
//! opens a `Map` group over its own shape. Edges run from the group that writes a buffer to each
//! group that reads it. Invariants: the graph is acyclic; inside a group, members are read only
//! at the point where they are computed; a member is stored iff something outside its group (a
//! later step or a program output) reads it.

use crate::affine::Affine;
use crate::config::SchedConfig;
use crate::error::SchedError;
use crate::realize::{LeafKey, Mat, Plan, view_chain};
use kiln_ir::{NodeId, Op, OpClass, Program, Shape};
use petgraph::algo::has_path_connecting;
use petgraph::graph::{DiGraph, NodeIndex};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupKind {
    /// An elementwise kernel whose iteration space is `space`.
    Map {
        space: Shape,
    },
    /// A reduction kernel; `outer` is the shape of its output points (the kept extents).
    Reduce {
        node: NodeId,
        outer: Shape,
    },
    Library {
        node: NodeId,
    },
}

#[derive(Clone, Debug)]
pub struct Group {
    pub kind: GroupKind,
    /// Temps the group computes, in program order.
    pub members: Vec<NodeId>,
    /// Buffers (temps and inputs) its members read, for sibling fusion.
    pub reads: Vec<NodeId>,
}

impl Group {
    /// The shape of the points where members are computed and stored.
    pub fn store_space(&self) -> Option<&Shape> {
        match &self.kind {
            GroupKind::Map { space } => Some(space),
            GroupKind::Reduce { outer, .. } => Some(outer),
            GroupKind::Library { .. } => None,
        }
    }
}

#[derive(Debug)]
pub struct Groups {
    pub graph: DiGraph<Group, ()>,
    pub group_of: Vec<Option<NodeIndex>>,
    pub stored: Vec<bool>,
}

impl Groups {
    /// Groups in dependency order; ties go to the group created first (program order).
    pub fn order(&self) -> Result<Vec<NodeIndex>, SchedError> {
        let g = &self.graph;
        let mut indegree: Vec<usize> = g
            .node_indices()
            .map(|n| {
                g.neighbors_directed(n, petgraph::Direction::Incoming)
                    .count()
            })
            .collect();
        let mut ready: BinaryHeap<Reverse<usize>> = indegree
            .iter()
            .enumerate()
            .filter(|(_, d)| **d == 0)
            .map(|(i, _)| Reverse(i))
            .collect();
        let mut order = Vec::with_capacity(indegree.len());
        while let Some(Reverse(i)) = ready.pop() {
            let n = NodeIndex::new(i);
            order.push(n);
            for m in g.neighbors_directed(n, petgraph::Direction::Outgoing) {
                indegree[m.index()] -= 1;
                if indegree[m.index()] == 0 {
                    ready.push(Reverse(m.index()));
                }
            }
        }
        if order.len() != indegree.len() {
            return Err(SchedError::internal(NodeId(0), "group graph has a cycle"));
        }
        Ok(order)
    }
}

/// Outer shape (kept extents, in order) of a reduction over `axes` of `input`.
pub fn reduce_outer(input: &Shape, axes: &[usize]) -> Shape {
    Shape(
        (0..input.rank())
            .filter(|d| !axes.contains(d))
            .map(|d| input.0[d])
            .collect(),
    )
}

pub fn build(p: &Program, plan: &Plan, cfg: &SchedConfig) -> Result<Groups, SchedError> {
    let mut graph: DiGraph<Group, ()> = DiGraph::new();
    let mut group_of: Vec<Option<NodeIndex>> = vec![None; p.nodes.len()];
    for (i, node) in p.nodes.iter().enumerate() {
        if !plan.live[i] || plan.mat[i] != Mat::Temp {
            continue;
        }
        let id = NodeId(i as u32);
        let producers = producer_groups(p, plan, &group_of, id);
        let g = match (&node.op, node.op.class()) {
            (Op::Reduce { axes, .. }, _) => {
                let input = &p.node(node.inputs[0]).shape;
                let kind = GroupKind::Reduce {
                    node: id,
                    outer: reduce_outer(input, axes),
                };
                graph.add_node(Group {
                    kind,
                    members: vec![id],
                    reads: Vec::new(),
                })
            }
            (_, OpClass::Library) => graph.add_node(Group {
                kind: GroupKind::Library { node: id },
                members: vec![id],
                reads: Vec::new(),
            }),
            _ => match merge_target(p, plan, cfg, &graph, &group_of, id, &producers) {
                Some(g) => {
                    graph[g].members.push(id);
                    g
                }
                None => match sibling_target(p, plan, &graph, id, &producers) {
                    Some(g) => {
                        graph[g].members.push(id);
                        g
                    }
                    None => graph.add_node(Group {
                        kind: GroupKind::Map {
                            space: node.shape.clone(),
                        },
                        members: vec![id],
                        reads: Vec::new(),
                    }),
                },
            },
        };
        for (key, _) in &plan.leaves[i] {
            if let LeafKey::Buffer(b) = key
                && !graph[g].reads.contains(b)
            {
                graph[g].reads.push(*b);
            }
        }
        for &src in &producers {
            if src != g {
                graph.update_edge(src, g, ());
            }
        }
        group_of[i] = Some(g);
    }
    let stored = stored_members(p, plan, &group_of);
    Ok(Groups {
        graph,
        group_of,
        stored,
    })
}

/// Groups that write the buffers `n`'s definition reads.
fn producer_groups(
    p: &Program,
    plan: &Plan,
    group_of: &[Option<NodeIndex>],
    n: NodeId,
) -> Vec<NodeIndex> {
    let mut out = Vec::new();
    let mut add = |b: NodeId| {
        if let Some(g) = group_of[b.index()]
            && !out.contains(&g)
        {
            out.push(g);
        }
    };
    if p.node(n).op.class() == OpClass::Library {
        for &o in &p.node(n).inputs {
            if let Some((base, _)) = view_chain(p, &plan.mat, o) {
                add(base);
            }
        }
    } else {
        for (key, _) in &plan.leaves[n.index()] {
            if let LeafKey::Buffer(b) = key {
                add(*b);
            }
        }
    }
    out
}

/// A group `n` can join: one that computes a buffer `n` reads at the same point, provided all of
/// `n`'s reads of that group are at the same point, its leaves re-express over the group's space,
/// and joining creates no cycle.
fn merge_target(
    p: &Program,
    plan: &Plan,
    cfg: &SchedConfig,
    graph: &DiGraph<Group, ()>,
    group_of: &[Option<NodeIndex>],
    n: NodeId,
    producers: &[NodeIndex],
) -> Option<NodeIndex> {
    let shape = &p.node(n).shape;
    let leaves = &plan.leaves[n.index()];
    let reads_at_point = |g: NodeIndex| {
        let mut any = false;
        for (key, a) in leaves {
            if let LeafKey::Buffer(b) = key
                && group_of[b.index()] == Some(g)
            {
                if !a.is_contiguous_point(shape) {
                    return false;
                }
                any = true;
            }
        }
        any
    };
    producers.iter().copied().find(|&g| {
        let group = &graph[g];
        let Some(space) = group.store_space() else {
            return false;
        };
        if matches!(group.kind, GroupKind::Reduce { .. }) && !cfg.fuse_epilogues {
            return false;
        }
        space.numel() == shape.numel()
            && reads_at_point(g)
            && leaves.iter().all(|(_, a)| reexpressible(a, shape, space))
            && producers
                .iter()
                .all(|&other| other == g || !has_path_connecting(graph, g, other, None))
    })
}

/// Sibling fusion: an elementwise kernel over exactly `n`'s shape that already reads one of the
/// buffers `n` reads, so the shared buffer is read once for both (e.g. two outputs of `x`).
fn sibling_target(
    p: &Program,
    plan: &Plan,
    graph: &DiGraph<Group, ()>,
    n: NodeId,
    producers: &[NodeIndex],
) -> Option<NodeIndex> {
    let shape = &p.node(n).shape;
    let buffers: Vec<NodeId> = plan.leaves[n.index()]
        .iter()
        .filter_map(|(key, _)| match key {
            LeafKey::Buffer(b) => Some(*b),
            LeafKey::Gen(_) => None,
        })
        .collect();
    graph.node_indices().find(|&g| {
        let group = &graph[g];
        matches!(&group.kind, GroupKind::Map { space } if space == shape)
            && group.reads.iter().any(|b| buffers.contains(b))
            && producers
                .iter()
                .all(|&other| other != g && !has_path_connecting(graph, g, other, None))
    })
}

fn reexpressible(a: &Affine, from: &Shape, to: &Shape) -> bool {
    from == to || a.reshape(from, to).is_some()
}

fn stored_members(p: &Program, plan: &Plan, group_of: &[Option<NodeIndex>]) -> Vec<bool> {
    let mut stored = vec![false; p.nodes.len()];
    let base_of = |n: NodeId| view_chain(p, &plan.mat, n).map(|(b, _)| b);
    for o in &p.outputs {
        if let Some(b) = base_of(*o) {
            stored[b.index()] = true;
        }
    }
    for (i, node) in p.nodes.iter().enumerate() {
        if !plan.live[i] || plan.mat[i] != Mat::Temp {
            continue;
        }
        if node.op.class() == OpClass::Library {
            stored[i] = true;
            for &o in &node.inputs {
                if let Some(b) = base_of(o) {
                    stored[b.index()] = true;
                }
            }
            continue;
        }
        for (key, _) in &plan.leaves[i] {
            if let LeafKey::Buffer(b) = key
                && group_of[b.index()] != group_of[i]
            {
                stored[b.index()] = true;
            }
        }
    }
    stored
}
