//! Joining and rotating arrays: concat, stack, roll.
//!
//! Invariant: `concat` promotes its operands to one dtype (Array API rules) and builds a single
//! `Concat` library node; `stack` is `expand_dims` + `concat`; `roll` is slices + `concat`, so
//! every result stays lazy and shares the scheduler's view handling.

use kiln_ir::{IrError, LibOp, Op};

use crate::error::{KilnError, Result, invalid};
use crate::graph::Array;
use crate::manipulation::{Idx, normalize_axis};
use crate::operand::cast;

/// Joins arrays along an existing `axis` (`None`: flattens each first). Operands are promoted to
/// their common dtype and must agree in every other extent.
pub fn concat(arrays: &[Array], axis: Option<isize>) -> Result<Array> {
    let first = arrays
        .first()
        .ok_or_else(|| invalid("concat needs at least one array"))?;
    let dtype = arrays[1..]
        .iter()
        .fold(first.dtype(), |d, a| kiln_ir::promote(d, a.dtype()));
    let mut parts = Vec::with_capacity(arrays.len());
    for a in arrays {
        let a = cast(a, dtype)?;
        parts.push(match axis {
            None => a.reshape(&[-1])?,
            Some(_) => a,
        });
    }
    let rank = parts[0].ndim();
    if parts.iter().any(|p| p.ndim() != rank) {
        let odd = parts.iter().find(|p| p.ndim() != rank).unwrap_or(&parts[0]);
        return Err(KilnError::Invalid(IrError::ShapeMismatch {
            op: "concat (arrays of different rank)".into(),
            a: parts[0].shape_ref().clone(),
            b: odd.shape_ref().clone(),
        }));
    }
    if rank == 0 {
        return Err(invalid("concat of zero-dimensional arrays: use stack"));
    }
    let axis = normalize_axis(axis.unwrap_or(0), rank)?;
    if parts.len() == 1 {
        return Ok(parts.remove(0));
    }
    let n = parts.len();
    Array::from_op(Op::Lib(LibOp::Concat { axis, n }), parts)
}

/// Joins arrays of one shape along a new `axis` of the result.
pub fn stack(arrays: &[Array], axis: isize) -> Result<Array> {
    let first = arrays
        .first()
        .ok_or_else(|| invalid("stack needs at least one array"))?;
    if let Some(odd) = arrays.iter().find(|a| a.shape() != first.shape()) {
        return Err(KilnError::Invalid(IrError::ShapeMismatch {
            op: "stack".into(),
            a: first.shape_ref().clone(),
            b: odd.shape_ref().clone(),
        }));
    }
    let axis = normalize_axis(axis, first.ndim() + 1)? as isize;
    let expanded = arrays
        .iter()
        .map(|a| a.expand_dims(axis))
        .collect::<Result<Vec<_>>>()?;
    concat(&expanded, Some(axis))
}

impl Array {
    /// Rotates elements by `shift` along each of `axes` (`None`: over the flattened array, then
    /// reshaped back). Elements that roll past the end re-enter at the start.
    pub fn roll(&self, shifts: &[i64], axes: Option<&[isize]>) -> Result<Array> {
        let Some(axes) = axes else {
            let [shift] = shifts else {
                return Err(invalid("roll without axes takes exactly one shift"));
            };
            let shape: Vec<isize> = self.shape().iter().map(|&d| d as isize).collect();
            return self
                .reshape(&[-1])?
                .roll(&[*shift], Some(&[0]))?
                .reshape(&shape);
        };
        let shifts: Vec<i64> = match (shifts.len(), axes.len()) {
            (1, k) => vec![shifts[0]; k],
            (s, k) if s == k => shifts.to_vec(),
            (s, k) => {
                return Err(invalid(format!(
                    "roll: {s} shifts for {k} axes (give one shift or one per axis)"
                )));
            }
        };
        let mut x = self.clone();
        for (&axis, &shift) in axes.iter().zip(&shifts) {
            let a = normalize_axis(axis, self.ndim())?;
            let n = self.shape()[a] as i64;
            if n == 0 {
                continue;
            }
            let k = shift.rem_euclid(n);
            if k == 0 {
                continue;
            }
            let range = |start: Option<i64>, stop: Option<i64>| {
                let mut index = vec![Idx::Full; self.ndim()];
                index[a] = Idx::Range {
                    start,
                    stop,
                    step: 1,
                };
                index
            };
            let tail = x.slice(&range(Some(n - k), None))?;
            let head = x.slice(&range(None, Some(n - k)))?;
            x = concat(&[tail, head], Some(a as isize))?;
        }
        Ok(x)
    }
}
