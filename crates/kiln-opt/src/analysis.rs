//! The e-class analysis: each class's dtype and shape, and its constant value if it has one.
//!
//! Invariant: a class's dtype and shape are what `kiln_ir::infer` gives for any of its nodes, so
//! every node in a class has the same type; a class whose constant is known contains a `full`
//! node of that value, and only that node is kept (constant classes are pruned to their leaf).
//! Constant folding uses kiln-interp's `scalar_ops`, the reference semantics, so a folded value
//! is bit-identical to what the interpreter computes. A merge of classes with different types (or,
//! without fast-math, different constants) means a rule is unsound: it is recorded in
//! `ArrayAnalysis::conflicts` and `optimize` fails with `OptError::Unsound` instead of panicking.

use crate::lang::{ArrayLang, Attr, Const};
use egg::{Analysis, DidMerge, EGraph, Id};
use kiln_interp::scalar_ops;
use kiln_ir::{DType, Op, ReduceOp, Scalar, Shape, infer};

/// The e-graph type the optimiser works on.
pub type ArrayGraph = EGraph<ArrayLang, ArrayAnalysis>;

/// The analysis state: the fast-math flag (which relaxes constant agreement) and the record of
/// unsound merges.
#[derive(Debug, Default, Clone)]
pub struct ArrayAnalysis {
    pub fast_math: bool,
    pub conflicts: Vec<String>,
}

impl ArrayAnalysis {
    pub fn new(fast_math: bool) -> ArrayAnalysis {
        ArrayAnalysis {
            fast_math,
            conflicts: Vec::new(),
        }
    }
}

/// The type and known value of an array class.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayInfo {
    pub dtype: DType,
    pub shape: Shape,
    /// Every element equals this value (dtype `dtype`).
    pub constant: Option<Scalar>,
}

/// What an e-class is.
#[derive(Debug, Clone, PartialEq)]
pub enum ClassData {
    Attr(Attr),
    Array(ArrayInfo),
    /// The `outputs` root.
    Root,
    /// A node that does not type-check (only from malformed input text or a rule bug).
    Invalid(String),
}

impl ClassData {
    pub fn array(&self) -> Option<&ArrayInfo> {
        match self {
            ClassData::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn attr(&self) -> Option<&Attr> {
        match self {
            ClassData::Attr(a) => Some(a),
            _ => None,
        }
    }
}

/// Types a node from its children's data: the single place where e-nodes meet `kiln_ir::infer`.
pub fn node_data<'a>(node: &ArrayLang, child: impl Fn(Id) -> &'a ClassData) -> ClassData {
    match type_node(node, &child) {
        Ok(data) => data,
        Err(message) => ClassData::Invalid(format!("{node}: {message}")),
    }
}

fn type_node<'a>(
    node: &ArrayLang,
    child: &impl Fn(Id) -> &'a ClassData,
) -> Result<ClassData, String> {
    match node {
        ArrayLang::Input(leaf) => {
            return Ok(ClassData::Array(ArrayInfo {
                dtype: leaf.dtype,
                shape: leaf.shape.clone(),
                constant: None,
            }));
        }
        ArrayLang::Attr(a) => return Ok(ClassData::Attr(a.clone())),
        ArrayLang::Outputs(outs) => {
            if outs.iter().all(|&o| child(o).array().is_some()) {
                return Ok(ClassData::Root);
            }
            return Err("an output is not an array".into());
        }
        _ => {}
    }
    let op = to_op(node, |id| child(id).attr())?;
    let operands: Vec<&ArrayInfo> = node
        .operands()
        .iter()
        .map(|&id| child(id).array().ok_or("operand is not an array"))
        .collect::<Result<_, _>>()?;
    let typed: Vec<(DType, &Shape)> = operands.iter().map(|a| (a.dtype, &a.shape)).collect();
    let info = infer(&op, &typed).map_err(|e| e.to_string())?;
    let constant = fold(&op, &operands);
    Ok(ClassData::Array(ArrayInfo {
        dtype: info.dtype,
        shape: info.shape,
        constant,
    }))
}

/// The kiln-ir op an e-node stands for, reading attributes through `attr`.
pub fn to_op<'a>(node: &ArrayLang, attr: impl Fn(Id) -> Option<&'a Attr>) -> Result<Op, String> {
    let attrs: Vec<&Attr> = node
        .attr_children()
        .iter()
        .map(|&id| attr(id).ok_or_else(|| "attribute child is not an attribute".to_string()))
        .collect::<Result<_, _>>()?;
    let dims = |i: usize| match attrs.get(i) {
        Some(Attr::Dims(d)) => Ok(d.clone()),
        _ => Err(format!("{node} expects a [..] list")),
    };
    Ok(match node {
        ArrayLang::Input(leaf) => Op::Input(leaf.slot),
        ArrayLang::Full(_) => match attrs.first() {
            Some(Attr::Value(c)) => Op::Full(c.0, Shape(dims(1)?)),
            _ => return Err("full expects a value".into()),
        },
        ArrayLang::Arange { start, step, len } => Op::Arange {
            start: start.0,
            step: step.0,
            len: *len,
        },
        &ArrayLang::Eye {
            rows,
            cols,
            k,
            dtype,
        } => Op::Eye {
            rows,
            cols,
            k,
            dtype,
        },
        ArrayLang::Unary(u, _) => Op::Unary(*u),
        ArrayLang::Binary(b, _) => Op::Binary(*b),
        ArrayLang::Where(_) => Op::Where,
        ArrayLang::Cast(_) => match attrs.first() {
            Some(Attr::DType(d)) => Op::Cast(*d),
            _ => return Err("cast expects a dtype".into()),
        },
        ArrayLang::Reshape(_) => Op::Reshape(Shape(dims(0)?)),
        ArrayLang::Permute(_) => Op::Permute(dims(0)?),
        ArrayLang::Broadcast(_) => Op::Broadcast(Shape(dims(0)?)),
        ArrayLang::Slice(_) => match attrs.first() {
            Some(Attr::Slices(s)) => Op::Slice(s.clone()),
            _ => return Err("slice expects slice specs".into()),
        },
        ArrayLang::Reduce(r, _) => Op::Reduce {
            op: *r,
            axes: dims(0)?,
        },
        ArrayLang::Scan(s, axis, _) => Op::Scan {
            op: *s,
            axis: *axis,
        },
        ArrayLang::MatMul(_) => Op::MatMul,
        ArrayLang::Lib(l, _) => Op::Lib(*l),
        ArrayLang::Attr(_) | ArrayLang::Outputs(_) => {
            return Err(format!("{node} is not a graph op"));
        }
    })
}

/// The constant value of an op whose operands' constants are known, computed with the reference
/// semantics. Only exact folds: float sums and products of many copies are left alone.
fn fold(op: &Op, operands: &[&ArrayInfo]) -> Option<Scalar> {
    let c = |i: usize| operands.get(i).and_then(|a| a.constant);
    match op {
        Op::Full(v, _) => Some(*v),
        Op::Unary(u) => scalar_ops::unary(*u, c(0)?).ok(),
        Op::Binary(b) => scalar_ops::binary(*b, c(0)?, c(1)?).ok(),
        Op::Where => match c(0)? {
            Scalar::Bool(true) => c(1),
            _ => c(2),
        },
        Op::Cast(to) => Some(c(0)?.cast(*to)),
        Op::Reshape(_) | Op::Permute(_) | Op::Broadcast(_) | Op::Slice(_) => c(0),
        Op::Reduce { op: r, axes } => {
            let x = operands.first()?;
            let n: usize = axes.iter().map(|&a| x.shape.dims()[a]).product();
            if n == 0 {
                return None;
            }
            match r {
                ReduceOp::Max | ReduceOp::Min | ReduceOp::Any | ReduceOp::All => c(0),
                ReduceOp::ArgMax | ReduceOp::ArgMin => c(0).map(|_| Scalar::I64(0)),
                ReduceOp::Sum if x.dtype.is_integer() => {
                    // Wrapping multiplication is exactly n wrapping additions.
                    let count = Scalar::from_i64(n as i64, x.dtype);
                    scalar_ops::binary(kiln_ir::BinaryOp::Mul, c(0)?, count).ok()
                }
                ReduceOp::Sum | ReduceOp::Prod => None,
            }
        }
        _ => None,
    }
}

impl Analysis<ArrayLang> for ArrayAnalysis {
    type Data = ClassData;

    fn make(egraph: &mut ArrayGraph, enode: &ArrayLang, _id: Id) -> ClassData {
        let data = node_data(enode, |id| &egraph[id].data);
        if let ClassData::Invalid(message) = &data {
            egraph.analysis.conflicts.push(message.clone());
        }
        data
    }

    fn merge(&mut self, a: &mut ClassData, b: ClassData) -> DidMerge {
        match (&mut *a, &b) {
            (ClassData::Array(x), ClassData::Array(y)) => {
                if x.dtype != y.dtype || x.shape != y.shape {
                    self.conflicts.push(format!(
                        "merged {}{} with {}{}",
                        x.dtype.short_name(),
                        x.shape,
                        y.dtype.short_name(),
                        y.shape
                    ));
                    return DidMerge(false, true);
                }
                match (x.constant, y.constant) {
                    (None, None) => DidMerge(false, false),
                    (None, Some(v)) => {
                        x.constant = Some(v);
                        DidMerge(true, false)
                    }
                    (Some(_), None) => DidMerge(false, true),
                    (Some(u), Some(v)) => {
                        let agree = u == v || (is_nan(u) && is_nan(v));
                        if !agree && !self.fast_math {
                            self.conflicts
                                .push(format!("merged constants {u} and {v} of one class"));
                        }
                        DidMerge(false, !agree)
                    }
                }
            }
            (x, y) if *x == *y => DidMerge(false, false),
            (x, y) => {
                self.conflicts.push(format!("merged {x:?} with {y:?}"));
                DidMerge(false, true)
            }
        }
    }

    fn modify(egraph: &mut ArrayGraph, id: Id) {
        let Some(info) = egraph[id].data.array() else {
            return;
        };
        let Some(value) = info.constant else {
            return;
        };
        let shape = info.shape.clone();
        let value_id = egraph.add(ArrayLang::Attr(Attr::Value(Const(value))));
        let dims_id = egraph.add(ArrayLang::Attr(Attr::Dims(shape.0)));
        let full = egraph.add(ArrayLang::Full([value_id, dims_id]));
        egraph.union(id, full);
        // A constant class is best computed by its leaf; dropping the other nodes keeps rules
        // from rewriting inside constant subgraphs for nothing.
        let root = egraph.find(id);
        egraph[root]
            .nodes
            .retain(|n| matches!(n, ArrayLang::Full(_)));
    }
}

fn is_nan(v: Scalar) -> bool {
    match v {
        Scalar::F32(x) => x.is_nan(),
        Scalar::F64(x) => x.is_nan(),
        Scalar::C64(z) => z.re.is_nan() || z.im.is_nan(),
        Scalar::C128(z) => z.re.is_nan() || z.im.is_nan(),
        _ => false,
    }
}
