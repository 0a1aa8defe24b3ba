//! Programs: the sub-DAG of the lazy graph that one evaluation computes, as an arena.
//!
//! Invariants (checked by `Program::verify`): nodes are in topological order (a node's operands
//! have smaller ids); each node's dtype and shape are exactly what `op::infer` gives for its op and
//! operands; `Input(slot)` nodes have the dtype and shape of `inputs[slot]`; outputs name nodes.

use crate::buffer::Realized;
use crate::dtype::DType;
use crate::error::IrError;
use crate::op::{Op, OpClass, TypeInfo, infer};
use crate::shape::Shape;
use std::fmt;

/// Index of a node in `Program::nodes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    pub op: Op,
    pub inputs: Vec<NodeId>,
    pub dtype: DType,
    pub shape: Shape,
}

#[derive(Clone, Debug, Default)]
pub struct Program {
    pub nodes: Vec<Node>,
    /// Realized arrays the program reads (`Op::Input(slot)`).
    pub inputs: Vec<Realized>,
    pub outputs: Vec<NodeId>,
}

impl Program {
    pub fn new() -> Program {
        Program::default()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// Adds a realized input and a node reading it.
    pub fn add_input(&mut self, data: Realized) -> NodeId {
        let slot = self.inputs.len();
        let node = Node {
            op: Op::Input(slot),
            inputs: vec![],
            dtype: data.dtype(),
            shape: data.shape().clone(),
        };
        self.inputs.push(data);
        self.push_node(node)
    }

    /// Adds a node after checking it with `infer`.
    pub fn add(&mut self, op: Op, inputs: Vec<NodeId>) -> Result<NodeId, IrError> {
        let TypeInfo { dtype, shape } = self.infer(&op, &inputs)?;
        Ok(self.push_node(Node {
            op,
            inputs,
            dtype,
            shape,
        }))
    }

    fn infer(&self, op: &Op, inputs: &[NodeId]) -> Result<TypeInfo, IrError> {
        if let Some(bad) = inputs.iter().find(|i| i.index() >= self.nodes.len()) {
            return Err(IrError::Verify(format!("operand {bad} does not exist")));
        }
        let operands: Vec<(DType, &Shape)> = inputs
            .iter()
            .map(|i| (self.node(*i).dtype, &self.node(*i).shape))
            .collect();
        infer(op, &operands)
    }

    fn push_node(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        NodeId(self.nodes.len() as u32 - 1)
    }

    /// For each node, the nodes that use it (with repetition when used twice).
    pub fn consumers(&self) -> Vec<Vec<NodeId>> {
        let mut users = vec![Vec::new(); self.nodes.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            for &op in &n.inputs {
                users[op.index()].push(NodeId(i as u32));
            }
        }
        users
    }

    /// Which nodes the outputs depend on.
    pub fn live(&self) -> Vec<bool> {
        let mut live = vec![false; self.nodes.len()];
        for o in &self.outputs {
            live[o.index()] = true;
        }
        for i in (0..self.nodes.len()).rev() {
            if live[i] {
                for op in &self.nodes[i].inputs {
                    live[op.index()] = true;
                }
            }
        }
        live
    }

    /// Checks the module invariants.
    pub fn verify(&self) -> Result<(), IrError> {
        for (i, n) in self.nodes.iter().enumerate() {
            let fail = |msg: String| Err(IrError::Verify(format!("node %{i} ({}): {msg}", n.op)));
            if n.inputs.iter().any(|op| op.index() >= i) {
                return fail("operand is not earlier in the program".into());
            }
            if let Op::Input(slot) = n.op {
                match self.inputs.get(slot) {
                    Some(r) if r.dtype() == n.dtype && *r.shape() == n.shape => {}
                    _ => return fail(format!("input slot {slot} disagrees with the node")),
                }
                continue;
            }
            let t = self.infer(&n.op, &n.inputs)?;
            if t.dtype != n.dtype || t.shape != n.shape {
                return fail(format!(
                    "recorded {}{} but inference gives {}{}",
                    n.dtype.short_name(),
                    n.shape,
                    t.dtype.short_name(),
                    t.shape
                ));
            }
        }
        if let Some(o) = self.outputs.iter().find(|o| o.index() >= self.nodes.len()) {
            return Err(IrError::Verify(format!("output {o} does not exist")));
        }
        Ok(())
    }

    /// Number of nodes of each class (for `explain` summaries).
    pub fn class_counts(&self) -> Vec<(OpClass, usize)> {
        let classes = [
            OpClass::Leaf,
            OpClass::Elementwise,
            OpClass::Movement,
            OpClass::Reduce,
            OpClass::Library,
        ];
        classes
            .into_iter()
            .map(|c| (c, self.nodes.iter().filter(|n| n.op.class() == c).count()))
            .collect()
    }
}

impl fmt::Display for Program {
    /// One line per node, `%3 = add %1 %2 : f32[4,5]`, then `out %3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.nodes.iter().enumerate() {
            write!(f, "%{i} = {}", n.op)?;
            for op in &n.inputs {
                write!(f, " {op}")?;
            }
            writeln!(f, " : {}{}", n.dtype.short_name(), n.shape)?;
        }
        let outs: Vec<String> = self.outputs.iter().map(|o| o.to_string()).collect();
        writeln!(f, "out {}", outs.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::{BinaryOp, UnaryOp};
    use crate::scalar::Scalar;

    #[test]
    fn build_print_verify() {
        let mut p = Program::new();
        let x = p.add_input(Realized::from_vec(&[1.0f32, 2.0, 3.0], Shape::from([3])).unwrap());
        let s = p.add(Op::Unary(UnaryOp::Sin), vec![x]).unwrap();
        let c = p
            .add(Op::Full(Scalar::F32(5.0), Shape::from([3])), vec![])
            .unwrap();
        let y = p.add(Op::Binary(BinaryOp::Add), vec![s, c]).unwrap();
        p.outputs.push(y);
        p.verify().unwrap();
        assert_eq!(
            p.to_string(),
            "%0 = input#0 : f32[3]\n%1 = sin %0 : f32[3]\n%2 = full[5.0:f32][3] : f32[3]\n%3 = add %1 %2 : f32[3]\nout %3\n"
        );
    }

    #[test]
    fn verify_catches_forged_types() {
        let mut p = Program::new();
        let x = p.add_input(Realized::from_vec(&[1i64, 2], Shape::from([2])).unwrap());
        let y = p.add(Op::Unary(UnaryOp::Neg), vec![x]).unwrap();
        p.nodes[y.index()].dtype = DType::F32;
        assert!(p.verify().is_err());
    }
}
