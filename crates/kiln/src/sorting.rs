//! Sorting, sorted search and set functions: sort, argsort, searchsorted, unique_*.
//!
//! Invariant: sort, argsort and searchsorted are lazy library nodes in `kiln_ir::sort_order`
//! (NaN last, stable; `descending` keeps equal elements in their original order). The unique_*
//! family has a data-dependent length: it evaluates a lazy argsort of its input, groups equal
//! neighbours on the host
//! (every NaN is its own group, `-0.0` and `+0.0` are one), and returns realized arrays whose
//! values ascend in sort order.

use kiln_ir::{LibOp, Op};

use crate::error::{Result, invalid};
use crate::graph::Array;
use crate::manipulation::{Idx, normalize_axis};
use crate::operand::cast;

/// Which insertion point `searchsorted` returns among equal elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

/// What `Array::unique_all` finds: the distinct values, the flat index of each one's first
/// occurrence, for every element the index of its value (in `x`'s shape), and the counts.
#[derive(Clone, Debug)]
pub struct Unique {
    pub values: Array,
    pub indices: Array,
    pub inverse_indices: Array,
    pub counts: Array,
}

impl Array {
    /// A stable sort along `axis`.
    pub fn sort(&self, axis: isize, descending: bool) -> Result<Array> {
        let axis = self.sort_axis(axis)?;
        Array::from_op(
            Op::Lib(LibOp::Sort { axis, descending }),
            vec![self.clone()],
        )
    }

    /// The int64 indices that sort along `axis` (stable).
    pub fn argsort(&self, axis: isize, descending: bool) -> Result<Array> {
        let axis = self.sort_axis(axis)?;
        Array::from_op(
            Op::Lib(LibOp::ArgSort { axis, descending }),
            vec![self.clone()],
        )
    }

    fn sort_axis(&self, axis: isize) -> Result<usize> {
        if self.ndim() == 0 {
            return Err(invalid("cannot sort a zero-dimensional array"));
        }
        normalize_axis(axis, self.ndim())
    }

    /// The distinct values (flattened, ascending), with first indices, inverse indices and
    /// counts. Evaluates `self`.
    pub fn unique_all(&self) -> Result<Unique> {
        // The backend's stable argsort orders the values and a fused kernel flags where a
        // sorted value differs from its predecessor (`!=`: -0.0 equals 0.0, and NaN differs
        // from everything, so each NaN is its own group as the standard says). Only the i64
        // order and the flags are read on the host, by a typed pass that numbers the groups; the
        // distinct values are a lazy gather of the sorted values.
        let flat = self.reshape(&[-1])?;
        let len = flat.shape()[0];
        let order = flat.argsort(0, false)?;
        let sorted = flat.take(&order, Some(0))?;
        let differs = neighbours_differ(&sorted, len)?;
        let mut wanted = vec![&order, &sorted];
        wanted.extend(differs.as_ref());
        crate::pipeline::eval(&wanted)?;
        let order = order.to_vec::<i64>()?;
        let differs = differs.map(|d| d.to_vec::<bool>()).transpose()?;
        let mut starts: Vec<i64> = Vec::new();
        let mut first: Vec<i64> = Vec::new();
        let mut counts: Vec<i64> = Vec::new();
        let mut inverse = vec![0i64; len];
        for (pos, &i) in order.iter().enumerate() {
            let new_group = pos == 0
                || differs
                    .as_ref()
                    .and_then(|d| d.get(pos - 1))
                    .copied()
                    .unwrap_or(true);
            if new_group {
                starts.push(pos as i64);
                first.push(i);
                counts.push(0);
            }
            if let Some(c) = counts.last_mut() {
                *c += 1;
            }
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| inverse.get_mut(i)) {
                *slot = counts.len() as i64 - 1;
            }
        }
        let n = starts.len();
        let on = |data: Vec<i64>, shape: &[usize]| Array::from_vec_on(data, shape, self.device());
        let values = sorted.take(&on(starts, &[n])?, Some(0))?;
        Ok(Unique {
            values,
            indices: on(first, &[n])?,
            inverse_indices: on(inverse, self.shape())?,
            counts: on(counts, &[n])?,
        })
    }

    /// The distinct values, flattened and ascending. Evaluates `self`.
    pub fn unique_values(&self) -> Result<Array> {
        // Values only: a sort (no argsort), the same `!=` flags, and a lazy gather of the
        // first element of each run.
        let flat = self.reshape(&[-1])?;
        let len = flat.shape()[0];
        let sorted = flat.sort(0, false)?;
        let differs = neighbours_differ(&sorted, len)?;
        let mut wanted = vec![&sorted];
        wanted.extend(differs.as_ref());
        crate::pipeline::eval(&wanted)?;
        let differs = differs.map(|d| d.to_vec::<bool>()).transpose()?;
        let mut starts: Vec<i64> = Vec::new();
        if len > 0 {
            starts.push(0);
        }
        if let Some(d) = differs {
            starts.extend(
                d.iter()
                    .enumerate()
                    .filter(|(_, new)| **new)
                    .map(|(i, _)| i as i64 + 1),
            );
        }
        let n = starts.len();
        sorted.take(&Array::from_vec_on(starts, &[n], self.device())?, Some(0))
    }
}

/// `sorted[1:] != sorted[:-1]` (lazy; `None` for fewer than two elements): true where a run
/// of equal values starts. `-0.0` equals `0.0`, and NaN differs from everything, so each NaN
/// is its own run, as the standard's `unique_*` say.
fn neighbours_differ(sorted: &Array, len: usize) -> Result<Option<Array>> {
    if len < 2 {
        return Ok(None);
    }
    let head = sorted.slice(&[Idx::Range {
        start: Some(1),
        stop: None,
        step: 1,
    }])?;
    let prev = sorted.slice(&[Idx::Range {
        start: Some(0),
        stop: Some(len as i64 - 1),
        step: 1,
    }])?;
    Ok(Some(crate::elementwise::not_equal(&head, &prev)?))
}

/// For each of `values`, where it would be inserted into the 1-D ascending `sorted` (after
/// `sorter` is applied, when given) to keep it sorted. Operands are promoted to one dtype.
pub fn searchsorted(
    sorted: &Array,
    values: &Array,
    side: Side,
    sorter: Option<&Array>,
) -> Result<Array> {
    if sorted.ndim() != 1 {
        return Err(invalid(format!(
            "searchsorted needs a 1-D sorted array, got shape {}",
            sorted.shape_ref()
        )));
    }
    let sorted = match sorter {
        Some(s) => sorted.take(s, Some(0))?,
        None => sorted.clone(),
    };
    let dtype = kiln_ir::promote(sorted.dtype(), values.dtype());
    Array::from_op(
        Op::Lib(LibOp::SearchSorted {
            right: side == Side::Right,
        }),
        vec![cast(&sorted, dtype)?, cast(values, dtype)?],
    )
}
