//! `run_program`: evaluates a verified graph program node by node, one element at a time.
//!
//! Invariant: the program is verified first, only nodes the outputs depend on are evaluated, and
//! every node's result has exactly the dtype and shape the program records for it (checked), so
//! the oracle cannot silently disagree with `kiln_ir::infer`.
//!
//! Leaf semantics: `Arange` computes `start + i*step` in f64 for floats (complex128 for complex)
//! and rounds once; for integers it uses wrapping i64 arithmetic truncated to the dtype, which is
//! wrapping in the dtype. `Eye` puts ones where `col == row + k`.

use crate::dense::Dense;
use crate::error::InterpError;
use crate::libops;
use crate::library;
use crate::scalar_ops;
use kiln_ir::{C128, DType, IndexIter, Node, Op, Program, Realized, Scalar, Shape};

/// Evaluates every output of a (verified) program naively. Returns one contiguous `Realized` per
/// program output, in order.
pub fn run_program(p: &Program) -> Result<Vec<Realized>, InterpError> {
    p.verify()?;
    let live = p.live();
    let mut values: Vec<Option<Dense>> = vec![None; p.nodes.len()];
    for (i, node) in p.nodes.iter().enumerate() {
        if !live[i] {
            continue;
        }
        check_size(i, node)?;
        let args = node
            .inputs
            .iter()
            .map(|id| {
                values[id.index()].as_ref().ok_or_else(|| {
                    InterpError::Unsupported(format!("node %{i} reads unevaluated {id}"))
                })
            })
            .collect::<Result<Vec<&Dense>, _>>()?;
        let result = eval_node(p, node, &args)?;
        if result.dtype != node.dtype || result.shape != node.shape {
            return Err(InterpError::Unsupported(format!(
                "node %{i} ({}) evaluated to {}{} but records {}{}",
                node.op,
                result.dtype.short_name(),
                result.shape,
                node.dtype.short_name(),
                node.shape
            )));
        }
        values[i] = Some(result);
    }
    p.outputs
        .iter()
        .map(|o| match &values[o.index()] {
            Some(d) => d.to_realized(),
            None => Err(InterpError::Unsupported(format!(
                "output {o} was not evaluated"
            ))),
        })
        .collect()
}

/// The largest node the reference evaluates: one `Scalar` per element is 24 bytes, so this
/// bounds a node at about 6 GiB and keeps absurd shapes a typed error instead of an abort.
const MAX_NODE_ELEMENTS: usize = 1 << 28;

fn check_size(i: usize, node: &Node) -> Result<(), InterpError> {
    let numel = node
        .shape
        .dims()
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d));
    match numel {
        Some(n) if n <= MAX_NODE_ELEMENTS => Ok(()),
        _ => Err(InterpError::Ir(kiln_ir::IrError::TooLarge(format!(
            "node %{i} has shape {} (the reference interpreter evaluates at most {MAX_NODE_ELEMENTS} elements per node)",
            node.shape
        )))),
    }
}

fn eval_node(p: &Program, node: &Node, args: &[&Dense]) -> Result<Dense, InterpError> {
    let (dtype, shape) = (node.dtype, node.shape.clone());
    match &node.op {
        Op::Input(slot) => {
            let input = p.inputs.get(*slot).ok_or_else(|| {
                InterpError::Unsupported(format!("input slot {slot} does not exist"))
            })?;
            Dense::from_realized(input)
        }
        Op::Full(value, shape) => {
            Dense::new(value.dtype(), shape.clone(), vec![*value; shape.numel()])
        }
        Op::Arange { start, step, len } => {
            let data = (0..*len).map(|i| arange_at(*start, *step, i)).collect();
            Dense::new(start.dtype(), shape, data)
        }
        Op::Eye {
            rows,
            cols,
            k,
            dtype,
        } => {
            let data = IndexIter::new(&Shape::from([*rows, *cols]))
                .map(|ix| {
                    let on_diagonal = ix[1] as i128 == ix[0] as i128 + *k as i128;
                    if on_diagonal {
                        Scalar::one(*dtype)
                    } else {
                        Scalar::zero(*dtype)
                    }
                })
                .collect();
            Dense::new(*dtype, shape, data)
        }
        Op::Unary(op) => map(dtype, args[0], |x| scalar_ops::unary(*op, x)),
        Op::Binary(op) => {
            let data = zip_with(args[0], args[1], |a, b| scalar_ops::binary(*op, a, b))?;
            Dense::new(dtype, shape, data)
        }
        Op::Where => {
            let (c, a, b) = (args[0], args[1], args[2]);
            let data = c
                .data
                .iter()
                .zip(a.data.iter().zip(&b.data))
                .map(|(&c, (&a, &b))| scalar_ops::select(c, a, b))
                .collect();
            Dense::new(dtype, shape, data)
        }
        Op::Cast(to) => map(dtype, args[0], |x| Ok(x.cast(*to))),
        Op::Reshape(to) => args[0].reshape(to),
        Op::Permute(perm) => args[0].permute(perm),
        Op::Broadcast(to) => args[0].broadcast(to),
        Op::Slice(axes) => args[0].slice(axes),
        Op::Reduce { op, axes } => reduce(args[0], *op, axes, dtype, shape),
        Op::Scan { op, axis } => library::scan(args[0], *op, *axis),
        Op::MatMul => library::matmul(args[0], args[1]),
        Op::Lib(l) => libops::run(*l, args),
    }
}

fn map(
    dtype: DType,
    x: &Dense,
    f: impl Fn(Scalar) -> Result<Scalar, InterpError>,
) -> Result<Dense, InterpError> {
    let data = x
        .data
        .iter()
        .map(|&v| f(v))
        .collect::<Result<Vec<_>, _>>()?;
    Dense::new(dtype, x.shape.clone(), data)
}

fn zip_with(
    a: &Dense,
    b: &Dense,
    f: impl Fn(Scalar, Scalar) -> Result<Scalar, InterpError>,
) -> Result<Vec<Scalar>, InterpError> {
    a.data.iter().zip(&b.data).map(|(&x, &y)| f(x, y)).collect()
}

/// `start + i*step` in `start`'s dtype (see the module docs).
fn arange_at(start: Scalar, step: Scalar, i: usize) -> Scalar {
    let dtype = start.dtype();
    if dtype.is_complex() {
        let v: C128 = start.to_c128() + step.to_c128() * i as f64;
        return scalar_ops::complex_scalar(v, dtype);
    }
    if dtype.is_real_float() {
        return scalar_ops::real_scalar(start.to_f64() + i as f64 * step.to_f64(), dtype);
    }
    let v = start
        .to_i64()
        .wrapping_add((i as i64).wrapping_mul(step.to_i64()));
    Scalar::from_i64(v, dtype)
}

/// Reduces `axes` (kept as extent 1), visiting each reduced block in row-major order.
fn reduce(
    x: &Dense,
    op: kiln_ir::ReduceOp,
    axes: &[usize],
    dtype: DType,
    shape: Shape,
) -> Result<Dense, InterpError> {
    let strides = x.shape.contiguous_strides();
    let block = Shape(axes.iter().map(|&a| x.shape.0[a]).collect());
    let mut data = Vec::with_capacity(shape.numel());
    for out_ix in IndexIter::new(&shape) {
        let base: isize = out_ix
            .iter()
            .zip(&strides)
            .map(|(&i, &s)| i as isize * s)
            .sum();
        let values: Vec<Scalar> = IndexIter::new(&block)
            .map(|bix| {
                let off: isize = bix
                    .iter()
                    .zip(axes)
                    .map(|(&i, &a)| i as isize * strides[a])
                    .sum();
                x.data[(base + off) as usize]
            })
            .collect();
        data.push(scalar_ops::reduce(op, x.dtype, &values)?);
    }
    Dense::new(dtype, shape, data)
}
