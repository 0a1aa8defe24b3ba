//! The cost model and extraction: what the optimiser believes a program costs to run.
//!
//! Units are abstract: 1 is about one byte moved through memory or one cheap operation on one
//! element (both are roughly a nanosecond-fraction per element on one core, and kiln's kernels
//! are fused, so intermediate elementwise results never reach memory). Per node:
//!
//! | node | own cost |
//! |---|---|
//! | attribute leaf, `outputs` root | 0 (plus 0.001 per listed axis, a tie-break) |
//! | realized input | its bytes (it must be read) |
//! | `full` | 1 (generated in registers) |
//! | `arange`, `eye` | 1 + elements |
//! | view (reshape, permute, broadcast, slice) | 1 (an index remap) |
//! | elementwise | 1 + elements × op weight: 1 cheap, 4 division/sqrt/rounding-division, 16 transcendental, 32 `pow` and two-argument transcendentals; ×4 for complex |
//! | reduction | 1 + input elements + output bytes (the input streams through; the result is written) |
//! | scan, matmul (library) | 1 + 2 × operand bytes (operands are materialised, written then read) + arithmetic (elements, or m·n·k) |
//!
//! So a slice pushed below an elementwise op is cheaper because the op runs on fewer elements,
//! `x*x` beats `pow(x, 2)`, and fewer transcendental calls win.
//!
//! The cost of a program is the sum of its distinct nodes' own costs (a DAG cost, so a value used
//! twice is paid once). Extraction is egg's greedy bottom-up search with this DAG cost: each
//! candidate carries the set of classes it uses. The `+1` on every op makes each node cost more
//! than all of its operands together, so the extracted choice never forms a cycle.
//!
//! Invariant: costs are finite, non-negative and deterministic (no hashing order or time enters).

use crate::analysis::{ArrayGraph, ArrayInfo, ClassData, node_data};
use crate::lang::{ArrayLang, Attr};
use egg::{CostFunction, Id, Language, RecExpr};
use kiln_ir::{BinaryOp, UnaryOp};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// The own cost of one node given its type (`out`) and its operands' types.
pub fn own_cost(node: &ArrayLang, out: &ClassData, operands: &[&ArrayInfo]) -> f64 {
    let Some(out) = out.array() else {
        // A tie-break only: between equal plans, prefer fewer reduced axes and shorter specs.
        return match node {
            ArrayLang::Attr(Attr::Dims(d)) => 0.001 * d.len() as f64,
            ArrayLang::Attr(Attr::Slices(s)) => 0.001 * s.len() as f64,
            _ => 0.0,
        };
    };
    let n = out.shape.numel() as f64;
    let bytes = |a: &ArrayInfo| (a.shape.numel() * a.dtype.size_bytes()) as f64;
    let complex = if operands.iter().any(|a| a.dtype.is_complex()) || out.dtype.is_complex() {
        4.0
    } else {
        1.0
    };
    match node {
        ArrayLang::Attr(_) | ArrayLang::Outputs(_) => 0.0,
        ArrayLang::Input(_) => bytes(out),
        ArrayLang::Full(_) => 1.0,
        ArrayLang::Arange { .. } | ArrayLang::Eye { .. } => 1.0 + n,
        ArrayLang::Reshape(_)
        | ArrayLang::Permute(_)
        | ArrayLang::Broadcast(_)
        | ArrayLang::Slice(_) => 1.0,
        ArrayLang::Unary(op, _) => 1.0 + n * unary_weight(*op) * complex,
        ArrayLang::Binary(op, _) => 1.0 + n * binary_weight(*op) * complex,
        ArrayLang::Where(_) | ArrayLang::Cast(_) => 1.0 + n * complex,
        ArrayLang::Reduce(..) => {
            let input: f64 = operands.iter().map(|a| a.shape.numel() as f64).sum();
            1.0 + input * complex + bytes(out)
        }
        ArrayLang::Scan(..) => {
            let input: f64 = operands.iter().map(|a| bytes(a)).sum();
            1.0 + 2.0 * input + n * complex
        }
        ArrayLang::Lib(kiln_ir::LibOp::Linalg(_), _) => {
            // Factorisations are cubic: about `m * n * min(m, n)` flops per matrix.
            let input: f64 = operands.iter().map(|a| bytes(a)).sum();
            let work: f64 = operands
                .first()
                .map(|a| {
                    a.shape.numel() as f64 * a.shape.dims().last().copied().unwrap_or(1) as f64
                })
                .unwrap_or(0.0);
            1.0 + 2.0 * input + bytes(out) + work * complex
        }
        ArrayLang::Lib(..) => {
            // A pass over every operand and the result, plus a log factor for sorts.
            let input: f64 = operands.iter().map(|a| bytes(a)).sum();
            1.0 + 2.0 * input + bytes(out) + n * n.max(2.0).log2()
        }
        ArrayLang::MatMul(_) => {
            let input: f64 = operands.iter().map(|a| bytes(a)).sum();
            let k = operands
                .first()
                .and_then(|a| a.shape.dims().last())
                .copied()
                .unwrap_or(1) as f64;
            1.0 + 2.0 * input + n * k * complex
        }
    }
}

fn unary_weight(op: UnaryOp) -> f64 {
    use UnaryOp::*;
    match op {
        Sqrt => 4.0,
        Exp | Expm1 | Log | Log1p | Log2 | Log10 | Sin | Cos | Tan | Asin | Acos | Atan | Sinh
        | Cosh | Tanh | Asinh | Acosh | Atanh => 16.0,
        Neg | Abs | Floor | Ceil | Trunc | Round | Sign | SignBit | IsNan | IsInf | IsFinite
        | Not | Real | Imag | Conj => 1.0,
    }
}

fn binary_weight(op: BinaryOp) -> f64 {
    use BinaryOp::*;
    match op {
        Div | FloorDiv | Rem | Nextafter => 4.0,
        Pow | Atan2 | Hypot | LogAddExp => 32.0,
        Add | Sub | Mul | Maximum | Minimum | Copysign | BitAnd | BitOr | BitXor | Shl | Shr
        | Eq | Ne | Lt | Le | Gt | Ge | LogicalAnd | LogicalOr | LogicalXor => 1.0,
    }
}

/// A DAG cost: the node's own cost plus the own costs of every distinct class below it.
#[derive(Debug, Clone)]
pub struct DagCost {
    pub total: f64,
    own: f64,
    below: Rc<BTreeMap<Id, f64>>,
}

impl PartialEq for DagCost {
    fn eq(&self, other: &Self) -> bool {
        self.total == other.total
    }
}

impl PartialOrd for DagCost {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.total.partial_cmp(&other.total)
    }
}

/// The own cost of an e-node of the e-graph (its class's type, or the type the node would have).
fn enode_own_cost(eg: &ArrayGraph, enode: &ArrayLang) -> f64 {
    let computed;
    let out = match eg.lookup(enode.clone()).map(|id| &eg[id].data) {
        Some(data) => data,
        None => {
            computed = node_data(enode, |id| &eg[id].data);
            &computed
        }
    };
    let operands: Vec<&ArrayInfo> = enode
        .operands()
        .iter()
        .filter_map(|&id| eg[id].data.array())
        .collect();
    own_cost(enode, out, &operands)
}

/// The cost function egg's extractor uses on a saturated e-graph.
#[derive(Debug)]
pub struct GraphCost<'a> {
    pub egraph: &'a ArrayGraph,
}

impl CostFunction<ArrayLang> for GraphCost<'_> {
    type Cost = DagCost;

    fn cost<C>(&mut self, enode: &ArrayLang, mut costs: C) -> DagCost
    where
        C: FnMut(Id) -> DagCost,
    {
        let eg = self.egraph;
        let own = enode_own_cost(eg, enode);
        let mut below: Option<BTreeMap<Id, f64>> = None;
        for &child in enode.children() {
            let child = eg.find(child);
            let c = costs(child);
            match below.as_mut() {
                None => below = Some((*c.below).clone()),
                Some(map) => map.extend(c.below.iter().map(|(&id, &cost)| (id, cost))),
            }
            if let Some(map) = below.as_mut() {
                map.insert(child, c.own);
            }
        }
        let below = below.unwrap_or_default();
        let total = own + below.values().sum::<f64>();
        DagCost {
            total,
            own,
            below: Rc::new(below),
        }
    }
}

/// Additive (tree) cost: a node's own cost plus its children's, saturating at `f64::MAX`.
///
/// It double-counts shared sub-terms, so it is only the fallback for e-graphs too large for the
/// DAG-aware [`GraphCost`], whose per-class sets make extraction quadratic in the graph's depth.
/// It is linear in the e-graph's size.
#[derive(Debug)]
pub struct TreeCost<'a> {
    pub egraph: &'a ArrayGraph,
}

impl CostFunction<ArrayLang> for TreeCost<'_> {
    type Cost = f64;

    fn cost<C>(&mut self, enode: &ArrayLang, mut costs: C) -> f64
    where
        C: FnMut(Id) -> f64,
    {
        let own = enode_own_cost(self.egraph, enode);
        let below: f64 = enode.children().iter().map(|&c| costs(c)).sum();
        (own + below).min(f64::MAX)
    }
}

/// The DAG cost of an expression: each distinct node reachable from the root counted once (nodes
/// are hash-consed first, so a subtree written twice is paid once).
pub fn expr_cost(expr: &RecExpr<ArrayLang>) -> f64 {
    let nodes = expr.as_ref();
    let mut data: Vec<ClassData> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let d = node_data(node, |i| &data[usize::from(i)]);
        data.push(d);
    }
    let mut canon: Vec<usize> = Vec::with_capacity(nodes.len());
    let mut seen: HashMap<ArrayLang, usize> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        let shared = node
            .clone()
            .map_children(|c| Id::from(canon[usize::from(c)]));
        canon.push(*seen.entry(shared).or_insert(i));
    }
    let mut reachable = vec![false; nodes.len()];
    if let Some(root) = canon.last() {
        reachable[*root] = true;
    }
    for i in (0..nodes.len()).rev() {
        if reachable[i] {
            for &c in nodes[i].children() {
                reachable[canon[usize::from(c)]] = true;
            }
        }
    }
    (0..nodes.len())
        .filter(|&i| reachable[i])
        .map(|i| {
            let node = &nodes[i];
            let operands: Vec<&ArrayInfo> = node
                .operands()
                .iter()
                .filter_map(|&c| data[usize::from(c)].array())
                .collect();
            own_cost(node, &data[i], &operands)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(text: &str) -> f64 {
        match text.parse::<RecExpr<ArrayLang>>() {
            Ok(e) => expr_cost(&e),
            Err(e) => panic!("{text}: {e}"),
        }
    }

    #[test]
    fn prefers_products_over_pow() {
        assert!(
            cost("(mul input#0:f32[64] input#0:f32[64])")
                < cost("(pow input#0:f32[64] (full 2.0:f32 [64]))")
        );
    }

    #[test]
    fn prefers_fewer_transcendentals() {
        assert!(cost("(sin input#0:f64[64])") < cost("(exp (log input#0:f64[64]))"));
    }

    #[test]
    fn prefers_smaller_computed_regions() {
        assert!(
            cost("(exp (slice <0:2:8> input#0:f32[16]))")
                < cost("(slice <0:2:8> (exp input#0:f32[16]))")
        );
    }

    #[test]
    fn shared_nodes_are_paid_once() {
        let once = cost("(exp input#0:f32[16])");
        let twice = cost("(add (exp input#0:f32[16]) (exp input#0:f32[16]))");
        let add = 1.0 + 16.0;
        assert_eq!(twice, once + add);
    }
}
