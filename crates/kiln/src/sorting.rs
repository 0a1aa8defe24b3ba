//! Sorting, sorted search and set functions: sort, argsort, searchsorted, unique_*.
//!
//! Invariant: sort, argsort and searchsorted are lazy library nodes in `kiln_ir::sort_order`
//! (NaN last, stable; `descending` keeps equal elements in their original order). The unique_*
//! family has a data-dependent length: it evaluates a lazy argsort of its input, groups equal
//! neighbours on the host
//! (every NaN is its own group, `-0.0` and `+0.0` are one), and returns realized arrays whose
//! values ascend in sort order.

use kiln_ir::{LibOp, Op, Realized, Scalar, Shape, sort_order};
use std::cmp::Ordering;

use crate::error::{Result, invalid};
use crate::graph::Array;
use crate::manipulation::normalize_axis;
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
        // The backend's stable argsort orders the values; grouping equal neighbours is a host
        // pass over the sorted values.
        let flat = self.reshape(&[-1])?;
        let order = flat.argsort(0, false)?;
        let sorted = flat.take(&order, Some(0))?;
        crate::pipeline::eval(&[&order, &sorted])?;
        let order = order.to_vec::<i64>()?;
        let sorted = sorted.data()?.scalars();
        let is_nan = |s: Scalar| {
            let c = s.to_c128();
            c.re.is_nan() || c.im.is_nan()
        };
        let mut distinct: Vec<Scalar> = Vec::new();
        let mut first: Vec<i64> = Vec::new();
        let mut counts: Vec<i64> = Vec::new();
        let mut inverse = vec![0i64; sorted.len()];
        for (&v, &i) in sorted.iter().zip(&order) {
            let same = distinct
                .last()
                .is_some_and(|&last| !is_nan(v) && sort_order(last, v) == Ordering::Equal);
            if !same {
                distinct.push(v);
                first.push(i);
                counts.push(0);
            }
            let group = distinct.len() - 1;
            counts[group] += 1;
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| inverse.get_mut(i)) {
                *slot = group as i64;
            }
        }
        let n = distinct.len();
        let values = Realized::from_scalars(self.dtype(), Shape::from([n]), &distinct)?;
        Ok(Unique {
            values: Array::from_realized(values),
            indices: Array::from_vec(first, &[n])?,
            inverse_indices: Array::from_vec(inverse, self.shape())?,
            counts: Array::from_vec(counts, &[n])?,
        })
    }

    /// The distinct values, flattened and ascending. Evaluates `self`.
    pub fn unique_values(&self) -> Result<Array> {
        Ok(self.unique_all()?.values)
    }
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
