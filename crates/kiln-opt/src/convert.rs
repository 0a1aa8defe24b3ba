//! Conversion between kiln programs and e-graph expressions.
//!
//! Invariant: `program_to_expr` keeps only live nodes, shares identical nodes, and ends with one
//! `outputs` root listing the program's outputs in order; `expr_to_program` rebuilds a program
//! with `Program::add` (so every node is re-checked by `infer`) over the *same* `inputs` vector,
//! sharing identical nodes again.

use crate::error::OptError;
use crate::lang::{ArrayLang, Attr, Const, InputLeaf};
use egg::{Id, RecExpr};
use kiln_ir::{Node, NodeId, Op, Program, Realized};
use std::collections::HashMap;

/// Appends nodes to a `RecExpr`, returning the id of an identical earlier node when there is one.
#[derive(Default)]
struct Builder {
    expr: RecExpr<ArrayLang>,
    seen: HashMap<ArrayLang, Id>,
}

impl Builder {
    fn add(&mut self, node: ArrayLang) -> Id {
        if let Some(&id) = self.seen.get(&node) {
            return id;
        }
        let id = self.expr.add(node.clone());
        self.seen.insert(node, id);
        id
    }

    fn attr(&mut self, attr: Attr) -> Id {
        self.add(ArrayLang::Attr(attr))
    }
}

/// The expression of a verified program's live nodes, rooted at `(outputs ...)`.
pub fn program_to_expr(p: &Program) -> Result<RecExpr<ArrayLang>, OptError> {
    let live = p.live();
    let mut b = Builder::default();
    let mut ids: Vec<Option<Id>> = vec![None; p.nodes.len()];
    for (i, node) in p.nodes.iter().enumerate() {
        if !live[i] {
            continue;
        }
        let operands: Vec<Id> = node
            .inputs
            .iter()
            .map(|o| {
                ids[o.index()]
                    .ok_or_else(|| OptError::Internal(format!("operand {o} of %{i} is not live")))
            })
            .collect::<Result<_, _>>()?;
        ids[i] = Some(lower_node(&mut b, node, &operands)?);
    }
    let outputs: Vec<Id> = p
        .outputs
        .iter()
        .map(|o| {
            ids.get(o.index())
                .copied()
                .flatten()
                .ok_or_else(|| OptError::Internal(format!("output {o} is not live")))
        })
        .collect::<Result<_, _>>()?;
    b.add(ArrayLang::Outputs(outputs));
    Ok(b.expr)
}

fn lower_node(b: &mut Builder, node: &Node, operands: &[Id]) -> Result<Id, OptError> {
    let arity_error = || OptError::Internal(format!("{} has {} operands", node.op, operands.len()));
    let one = || -> Result<[Id; 1], OptError> { operands.try_into().map_err(|_| arity_error()) };
    let two = || -> Result<[Id; 2], OptError> { operands.try_into().map_err(|_| arity_error()) };
    let with_attr = |b: &mut Builder, attr: Attr| -> Result<[Id; 2], OptError> {
        let [x] = one()?;
        Ok([b.attr(attr), x])
    };
    let lowered = match &node.op {
        Op::Input(slot) => ArrayLang::Input(InputLeaf {
            slot: *slot,
            dtype: node.dtype,
            shape: node.shape.clone(),
        }),
        Op::Full(value, shape) => {
            let v = b.attr(Attr::Value(Const(*value)));
            let d = b.attr(Attr::Dims(shape.0.clone()));
            ArrayLang::Full([v, d])
        }
        Op::Arange { start, step, len } => ArrayLang::Arange {
            start: Const(*start),
            step: Const(*step),
            len: *len,
        },
        &Op::Eye {
            rows,
            cols,
            k,
            dtype,
        } => ArrayLang::Eye {
            rows,
            cols,
            k,
            dtype,
        },
        Op::Unary(u) => ArrayLang::Unary(*u, one()?),
        Op::Binary(op) => ArrayLang::Binary(*op, two()?),
        Op::Where => ArrayLang::Where(operands.try_into().map_err(|_| arity_error())?),
        Op::Cast(d) => ArrayLang::Cast(with_attr(b, Attr::DType(*d))?),
        Op::Reshape(s) => ArrayLang::Reshape(with_attr(b, Attr::Dims(s.0.clone()))?),
        Op::Permute(p) => ArrayLang::Permute(with_attr(b, Attr::Dims(p.clone()))?),
        Op::Broadcast(s) => ArrayLang::Broadcast(with_attr(b, Attr::Dims(s.0.clone()))?),
        Op::Slice(specs) => ArrayLang::Slice(with_attr(b, Attr::Slices(specs.clone()))?),
        Op::Reduce { op, axes } => ArrayLang::Reduce(*op, with_attr(b, Attr::Dims(axes.clone()))?),
        Op::Scan { op, axis } => ArrayLang::Scan(*op, *axis, one()?),
        Op::MatMul => ArrayLang::MatMul(two()?),
        Op::Lib(l) => ArrayLang::Lib(*l, operands.to_vec()),
    };
    Ok(b.add(lowered))
}

/// Rebuilds a program from an expression over `inputs`. A root that is not `outputs` becomes the
/// single output.
pub fn expr_to_program(
    expr: &RecExpr<ArrayLang>,
    inputs: &[Realized],
) -> Result<Program, OptError> {
    let nodes = expr.as_ref();
    let mut p = Program {
        nodes: Vec::new(),
        inputs: inputs.to_vec(),
        outputs: Vec::new(),
    };
    let mut ids: Vec<Option<NodeId>> = Vec::with_capacity(nodes.len());
    let mut seen: HashMap<(Op, Vec<NodeId>), NodeId> = HashMap::new();
    let missing = |i: Id| OptError::InvalidExpr(format!("node {i} is not an array"));
    for (index, node) in nodes.iter().enumerate() {
        let id = match node {
            ArrayLang::Attr(_) => None,
            ArrayLang::Outputs(outs) => {
                if index + 1 != nodes.len() {
                    return Err(OptError::InvalidExpr("`outputs` must be the root".into()));
                }
                for &o in outs {
                    let out = ids[usize::from(o)].ok_or_else(|| missing(o))?;
                    p.outputs.push(out);
                }
                None
            }
            ArrayLang::Input(leaf) => {
                let ok = inputs
                    .get(leaf.slot)
                    .is_some_and(|r| r.dtype() == leaf.dtype && *r.shape() == leaf.shape);
                if !ok {
                    return Err(OptError::InvalidExpr(format!(
                        "{node} disagrees with the program's input slot {}",
                        leaf.slot
                    )));
                }
                let key = (Op::Input(leaf.slot), Vec::new());
                Some(*seen.entry(key).or_insert_with(|| {
                    p.nodes.push(Node {
                        op: Op::Input(leaf.slot),
                        inputs: Vec::new(),
                        dtype: leaf.dtype,
                        shape: leaf.shape.clone(),
                    });
                    NodeId(p.nodes.len() as u32 - 1)
                }))
            }
            _ => {
                let op = crate::analysis::to_op(node, |c| match &nodes[usize::from(c)] {
                    ArrayLang::Attr(a) => Some(a),
                    _ => None,
                })
                .map_err(OptError::InvalidExpr)?;
                let operands: Vec<NodeId> = node
                    .operands()
                    .iter()
                    .map(|&c| ids[usize::from(c)].ok_or_else(|| missing(c)))
                    .collect::<Result<_, _>>()?;
                let key = (op, operands);
                match seen.get(&key) {
                    Some(&existing) => Some(existing),
                    None => {
                        let id = p
                            .add(key.0.clone(), key.1.clone())
                            .map_err(|e| OptError::InvalidExpr(format!("{node}: {e}")))?;
                        seen.insert(key, id);
                        Some(id)
                    }
                }
            }
        };
        ids.push(id);
    }
    if !matches!(nodes.last(), Some(ArrayLang::Outputs(_))) {
        let root = nodes.len().checked_sub(1).and_then(|i| ids[i]);
        p.outputs
            .push(root.ok_or_else(|| OptError::InvalidExpr("the root is not an array".into()))?);
    }
    Ok(p)
}
