//! Layout classes of programs: the key under which an optimised program is reused for new
//! lengths, the rebinding of a cached optimised program to new extents, and the probe that
//! decides whether a program's optimisation may be rebound at all.
//!
//! A program's *class key* is the program with every extent (node shapes and the shape attributes
//! of `Full`, `Broadcast` and `Reshape`) replaced by its class: `0`, `1`, an exact value, or a
//! symbol. Extents greater than 1 become symbols, numbered by first appearance, so equal extents
//! get the same symbol and the key records which extents are equal. An extent equal to a number
//! in any other attribute (slice bounds, arange and eye sizes, library-op parameters, axes) stays
//! exact, so no rewrite condition that compares extents with attributes can change within a
//! class. Ops, their other attributes, constants, dtypes, ranks, operands, outputs and the
//! optimiser options are part of the key as they are; input strides keep their contiguity class
//! (0, row-major, or exact) and offsets stay exact.
//!
//! Invariant: a class template is used for new extents only after the *probe* has shown that the
//! optimiser's output is parametric in the program's symbols: the optimiser, run again on the
//! same program with every symbol moved to a fresh value (distinct from every number in the
//! program), produced exactly the cached optimised program with the same symbols moved. A
//! rewrite whose result depends on an extent in any other way than by copying it (a count folded
//! into a constant, a product in a reshape target, a condition that held only for one extent)
//! makes the two differ, and the template is then used for exact hits only. A rebound program is
//! verified (`Program::verify`) before it is scheduled, and the scheduler and kernel resolution
//! run on it as on any program, so a class hit skips only the optimiser.

use kiln_ir::{DType, Node, NodeId, Op, Program, Realized, Shape};
use rustc_hash::FxHashMap;

/// The class of one extent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Ext {
    Zero,
    One,
    /// An extent equal to a number in some attribute: kept exact.
    Exact(usize),
    /// Any other extent; equal extents share a symbol.
    Sym(u32),
}

/// The class of one input stride.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum StrideClass {
    Zero,
    /// The row-major stride of that dimension in the input's own shape.
    RowMajor,
    Exact(isize),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ClassNode {
    /// The op with its shape attribute (if any) emptied: that attribute's classes are `attr`.
    op: Op,
    attr: Vec<Ext>,
    inputs: Vec<NodeId>,
    dtype: DType,
    shape: Vec<Ext>,
}

/// See the module docs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ClassKey {
    nodes: Vec<ClassNode>,
    outputs: Vec<NodeId>,
    layouts: Vec<(Vec<StrideClass>, usize)>,
    optimize: bool,
    fast_math: bool,
    /// The optimiser's limits (they can change its result).
    opt_limits: (usize, usize, u128, usize),
}

/// A program's class key and the value of each of its symbols.
pub(crate) struct Classified {
    pub key: ClassKey,
    pub values: Vec<usize>,
    /// Every number the program mentions (extents and attributes): a probe avoids them all.
    pub taken: Vec<usize>,
}

/// The shape attribute of an op, if it has one (the attributes `rebind` moves).
fn shape_attr_mut(op: &mut Op) -> Option<&mut Shape> {
    match op {
        Op::Full(_, s) | Op::Reshape(s) | Op::Broadcast(s) => Some(s),
        _ => None,
    }
}

/// The numbers in an op's attributes other than its shape attribute: extents equal to one of them
/// stay exact in the class key.
fn attr_numbers(op: &Op, out: &mut Vec<usize>) {
    match op {
        Op::Arange { len, .. } => out.push(*len),
        Op::Eye { rows, cols, k, .. } => {
            out.extend([*rows, *cols, k.unsigned_abs() as usize]);
        }
        Op::Slice(axes) => {
            for a in axes {
                out.extend([a.start, a.len, a.step.unsigned_abs()]);
            }
        }
        Op::Permute(p) => out.extend(p.iter().copied()),
        Op::Reduce { axes, .. } => out.extend(axes.iter().copied()),
        Op::Scan { axis, .. } => out.push(*axis),
        // Library ops carry axes, counts and lengths in many shapes: take every integer of
        // their debug text (conservative: more exact extents, never fewer).
        Op::Lib(lib) => {
            let text = format!("{lib:?}");
            out.extend(
                text.split(|c: char| !c.is_ascii_digit())
                    .filter_map(|t| t.parse::<usize>().ok()),
            );
        }
        Op::Input(_)
        | Op::Full(..)
        | Op::Unary(_)
        | Op::Binary(_)
        | Op::Where
        | Op::Cast(_)
        | Op::Reshape(_)
        | Op::Broadcast(_)
        | Op::MatMul => {}
    }
}

/// Optimiser options that take part in the key.
pub(crate) struct KeyOptions {
    pub optimize: bool,
    pub opt: kiln_opt::OptConfig,
}

/// Computes the class key of a program.
pub(crate) fn classify(program: &Program, options: &KeyOptions) -> Classified {
    let mut pinned = Vec::new();
    for n in &program.nodes {
        attr_numbers(&n.op, &mut pinned);
    }
    pinned.sort_unstable();
    pinned.dedup();
    let mut symbols: FxHashMap<usize, u32> = FxHashMap::default();
    let mut values: Vec<usize> = Vec::new();
    let mut taken = pinned.clone();
    let mut class_of = |d: usize| -> Ext {
        match d {
            0 => Ext::Zero,
            1 => Ext::One,
            _ if pinned.binary_search(&d).is_ok() => Ext::Exact(d),
            _ => Ext::Sym(*symbols.entry(d).or_insert_with(|| {
                values.push(d);
                taken.push(d);
                (values.len() - 1) as u32
            })),
        }
    };
    let nodes = program
        .nodes
        .iter()
        .map(|n| {
            let mut op = n.op.clone();
            let attr = match shape_attr_mut(&mut op) {
                Some(s) => std::mem::take(&mut s.0)
                    .into_iter()
                    .map(&mut class_of)
                    .collect(),
                None => Vec::new(),
            };
            ClassNode {
                op,
                attr,
                inputs: n.inputs.clone(),
                dtype: n.dtype,
                shape: n.shape.dims().iter().map(|&d| class_of(d)).collect(),
            }
        })
        .collect();
    let layouts = program
        .inputs
        .iter()
        .map(|r| {
            let row_major = r.view.shape.contiguous_strides();
            let strides = r
                .view
                .strides
                .iter()
                .zip(&row_major)
                .map(|(&s, &c)| match s {
                    0 => StrideClass::Zero,
                    _ if s == c => StrideClass::RowMajor,
                    _ => StrideClass::Exact(s),
                })
                .collect();
            (strides, r.view.offset)
        })
        .collect();
    let opt = &options.opt;
    Classified {
        key: ClassKey {
            nodes,
            outputs: program.outputs.clone(),
            layouts,
            optimize: options.optimize,
            fast_math: opt.fast_math,
            opt_limits: (
                opt.node_limit,
                opt.iter_limit,
                opt.time_limit.as_nanos(),
                opt.max_program_nodes,
            ),
        },
        values,
        taken,
    }
}

/// `program` with every extent equal to `from[i]` (in node shapes and shape attributes) replaced
/// by `to[i]`, reading `inputs`; `None` unless the result passes `Program::verify`.
pub(crate) fn rebind(
    program: &Program,
    from: &[usize],
    to: &[usize],
    inputs: Vec<Realized>,
) -> Option<Program> {
    let map: FxHashMap<usize, usize> = from.iter().copied().zip(to.iter().copied()).collect();
    let move_dims = |s: &mut Shape| {
        for d in &mut s.0 {
            if let Some(&new) = map.get(d) {
                *d = new;
            }
        }
    };
    let nodes = program
        .nodes
        .iter()
        .map(|n| {
            let mut n: Node = n.clone();
            move_dims(&mut n.shape);
            if let Some(s) = shape_attr_mut(&mut n.op) {
                move_dims(s);
            }
            n
        })
        .collect();
    let rebound = Program {
        nodes,
        inputs,
        outputs: program.outputs.clone(),
    };
    rebound.verify().ok()?;
    Some(rebound)
}

/// Fresh values for the probe: one per symbol, at least 2, distinct, and different from every
/// number in `taken`.
fn probe_values(symbols: usize, taken: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(symbols);
    let mut v = 2usize;
    while out.len() < symbols {
        if !taken.contains(&v) {
            out.push(v);
        }
        v += 1;
    }
    out
}

/// Zero-filled inputs shaped like `program`'s `Input` nodes after moving `from` to `to`.
fn probe_inputs(program: &Program, from: &[usize], to: &[usize]) -> Option<Vec<Realized>> {
    let mut inputs: Vec<Option<Realized>> = vec![None; program.inputs.len()];
    for n in &program.nodes {
        if let Op::Input(slot) = n.op {
            let dims: Vec<usize> = n
                .shape
                .dims()
                .iter()
                .map(|d| from.iter().position(|f| f == d).map_or(*d, |i| to[i]))
                .collect();
            let shape = Shape(dims);
            let storage = kiln_ir::Storage::zeroed(n.dtype, shape.numel()).ok()?;
            let r = Realized::contiguous(std::sync::Arc::new(storage), shape).ok()?;
            *inputs.get_mut(slot)? = Some(r);
        }
    }
    // A slot no node reads still needs a value for `verify`; a scalar of its dtype will do.
    inputs
        .into_iter()
        .zip(&program.inputs)
        .map(|(r, original)| {
            r.or_else(|| {
                let storage = kiln_ir::Storage::zeroed(original.dtype(), 1).ok()?;
                Realized::contiguous(std::sync::Arc::new(storage), Shape(Vec::new())).ok()
            })
        })
        .collect()
}

/// Whether `optimized` (the optimiser's result for `program`) is parametric in the program's
/// symbols: see the module docs. Runs the optimiser once more, on probe extents.
pub(crate) fn is_parametric(
    program: &Program,
    optimized: &Program,
    classified: &Classified,
    opt: &kiln_opt::OptConfig,
) -> bool {
    let from = &classified.values;
    if from.is_empty() {
        // Nothing can change within the class: the class key is the exact key.
        return true;
    }
    let to = probe_values(from.len(), &classified.taken);
    let Some(inputs) = probe_inputs(program, from, &to) else {
        return false;
    };
    let Some(probe) = rebind(program, from, &to, inputs.clone()) else {
        return false;
    };
    let Ok((probe_optimized, _)) = kiln_opt::optimize(&probe, opt) else {
        return false;
    };
    let Some(expected) = rebind(optimized, from, &to, inputs) else {
        return false;
    };
    expected.nodes == probe_optimized.nodes && expected.outputs == probe_optimized.outputs
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn options() -> KeyOptions {
        KeyOptions {
            optimize: true,
            opt: kiln_opt::OptConfig::default(),
        }
    }

    fn input(shape: &[usize]) -> Result<Program, kiln_ir::IrError> {
        let mut p = Program::new();
        let n: usize = shape.iter().product();
        let data = vec![0.5f32; n];
        let x = p.add_input(Realized::from_vec(&data, Shape(shape.to_vec()))?);
        let y = p.add(Op::Unary(kiln_ir::UnaryOp::Sin), vec![x])?;
        p.outputs.push(y);
        Ok(p)
    }

    #[test]
    fn lengths_share_a_class_but_unit_and_zero_do_not() -> TestResult {
        let key = |s: &[usize]| -> Result<ClassKey, kiln_ir::IrError> {
            Ok(classify(&input(s)?, &options()).key)
        };
        assert_eq!(key(&[3, 5])?, key(&[7, 9])?);
        assert_ne!(
            key(&[3, 5])?,
            key(&[4, 4])?,
            "equal extents are a different class"
        );
        assert_ne!(key(&[3, 5])?, key(&[1, 5])?);
        assert_ne!(key(&[3, 5])?, key(&[0, 5])?);
        assert_eq!(classify(&input(&[3, 5])?, &options()).values, vec![3, 5]);
        Ok(())
    }

    #[test]
    fn probe_values_avoid_taken_numbers() {
        assert_eq!(probe_values(3, &[2, 4, 5]), vec![3, 6, 7]);
    }

    #[test]
    fn rebind_moves_shapes_and_verifies() -> TestResult {
        let p = input(&[3, 5])?;
        let q = input(&[8, 6])?;
        let r = rebind(&p, &[3, 5], &[8, 6], q.inputs.clone()).ok_or("rebind refused")?;
        assert_eq!(r.nodes, q.nodes);
        // Inputs that do not fit the moved shapes are refused.
        assert!(rebind(&p, &[3, 5], &[8, 7], q.inputs).is_none());
        Ok(())
    }
}
