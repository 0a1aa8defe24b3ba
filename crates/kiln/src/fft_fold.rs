//! Folding rolls (`fftshift`, `ifftshift`, `roll`) into the transform steps next to them, so a
//! shift around a transform costs no pass of its own (`kiln_ir::fftop`: each step carries a roll
//! of its operand and of its result along its axis).
//!
//! Two identities, both exact (a roll only permutes indices):
//! - a roll along a step's axis is that step's `roll_out` (added modulo the extent), and a roll
//!   along another axis commutes with the step (its lines are transformed independently), so
//!   `roll(t, k, a)` moves down a chain of pending steps to the step along `a`;
//! - a roll of a transform's operand along a transformed axis is that step's `roll_in`, and
//!   commutes with the dtype cast and `norm` scaling in front of it.
//!
//! A roll is recognised by its exact graph form (`Array::roll`: `concat([x[.., m-k:], x[.., :m-k]])`
//! along one axis, both slices of the same node), so anything that matches is a roll whoever
//! built it.
//!
//! Invariant: every rewrite here builds new nodes and leaves the given ones untouched, and it
//! only fires on pending nodes; when nothing matches, the caller's unfolded graph is used.

use kiln_ir::{FftOp, LibOp, Op, SliceAxis};

use crate::error::Result;
use crate::graph::{Array, NodeState};

/// The pending op and inputs of `x`, if it is not realized.
fn pending(x: &Array) -> Option<(Op, Vec<Array>)> {
    match &*x.0.lock() {
        NodeState::Pending { op, inputs } => Some((op.clone(), inputs.clone())),
        NodeState::Realized(_) | NodeState::Resident(_) => None,
    }
}

/// `roll(x, k)` along `axis` (`k` already reduced modulo the extent, nonzero) folded into the
/// pending transform chain that produced `x`, or `None` when `x` is not such a chain.
pub(crate) fn roll_into_output(x: &Array, axis: usize, k: usize) -> Option<Result<Array>> {
    let (Op::Lib(LibOp::Fft(step)), inputs) = pending(x)? else {
        return None;
    };
    let [operand] = inputs.as_slice() else {
        return None;
    };
    if step.axis == axis {
        let roll_out = (step.roll_out + k) % step.out_extent();
        let folded = FftOp { roll_out, ..step };
        return Some(Array::from_op(
            Op::Lib(LibOp::Fft(folded)),
            vec![operand.clone()],
        ));
    }
    // A roll along another axis commutes with this step; it folds if it reaches a step along
    // its own axis further down (the operand has the same extent along `axis`).
    Some(
        roll_into_output(operand, axis, k)?
            .and_then(|inner| Array::from_op(Op::Lib(LibOp::Fft(step)), vec![inner])),
    )
}

/// `Some((source, axis, k))` when `x` is `roll(source, k)` along `axis` in the form
/// `Array::roll` builds, with `0 < k < m`.
fn as_roll(x: &Array) -> Option<(Array, usize, usize)> {
    let (Op::Lib(LibOp::Concat { axis, n: 2 }), parts) = pending(x)? else {
        return None;
    };
    let [tail, head] = parts.as_slice() else {
        return None;
    };
    let (Op::Slice(tail_spec), tail_src) = pending(tail)? else {
        return None;
    };
    let (Op::Slice(head_spec), head_src) = pending(head)? else {
        return None;
    };
    let ([source], [head_source]) = (tail_src.as_slice(), head_src.as_slice()) else {
        return None;
    };
    if !std::sync::Arc::ptr_eq(&source.0, &head_source.0) {
        return None;
    }
    let dims = source.shape();
    let m = *dims.get(axis)?;
    let k = tail_spec.get(axis)?.len;
    let full = |d: usize| SliceAxis {
        start: 0,
        step: 1,
        len: d,
    };
    let expect = |start: usize, len: usize| -> Vec<SliceAxis> {
        let mut spec: Vec<SliceAxis> = dims.iter().map(|&d| full(d)).collect();
        spec[axis] = SliceAxis {
            start,
            step: 1,
            len,
        };
        spec
    };
    let is_roll = k > 0 && k < m && tail_spec == expect(m - k, k) && head_spec == expect(0, m - k);
    is_roll.then(|| (source.clone(), axis, k))
}

/// `x` without the rolls along `axes` on top of it, and the total roll per axis of `x` (the
/// rolls a transform over `axes` takes as its `roll_in`s).
pub(crate) fn peel_input_rolls(x: &Array, axes: &[usize]) -> (Array, Vec<usize>) {
    let mut rolls = vec![0; x.ndim()];
    let mut source = x.clone();
    while let Some((inner, axis, k)) = as_roll(&source)
        && axes.contains(&axis)
    {
        let m = x.shape()[axis];
        rolls[axis] = (rolls[axis] + k) % m;
        source = inner;
    }
    (source, rolls)
}
