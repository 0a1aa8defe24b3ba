//! Gathers and advanced indexing: `take`, `take_along_axis`, `nonzero`, and NumPy-style indexing
//! by integer arrays and boolean masks (`Array::index`).
//!
//! Invariant: gathers stay lazy (one `Take`/`TakeAlongAxis` library node, plus elementwise index
//! arithmetic when several index arrays combine); only data-dependent shapes evaluate: `nonzero`
//! and boolean masks realize their input first, then the result continues lazily. An index
//! outside `-n..n` is an `IndexOutOfBounds` error (at the call when the index array is small and
//! already realized, else when the gather runs), never a wrapped read.

use kiln_ir::{DType, IrError, LibOp, Op, Scalar, Shape, broadcast_shapes};

use crate::error::{KilnError, Result, invalid};
use crate::graph::Array;
use crate::manipulation::{Idx, normalize_axis};
use crate::operand::{broadcast_array, cast, constant};

/// One entry of an index that may mix basic entries with index arrays.
#[derive(Clone, Debug)]
pub enum Index {
    /// An int, a slice, `None` or `...` (see [`Idx`]).
    Basic(Idx),
    /// An integer array (gather) or a boolean array (mask over as many axes as its rank).
    Array(Array),
}

impl From<Idx> for Index {
    fn from(i: Idx) -> Index {
        Index::Basic(i)
    }
}

impl From<Array> for Index {
    fn from(a: Array) -> Index {
        Index::Array(a)
    }
}

/// Index arrays up to this many elements are checked when the gather is built, if realized;
/// longer ones (and lazy ones) are checked by the backend when the gather runs, with the same
/// error, so that building a large gather stays O(1).
const EAGER_CHECK_MAX: usize = 1 << 12;

/// Checks realized index values against an axis of extent `n` (see [`EAGER_CHECK_MAX`]).
fn check_realized_indices(indices: &Array, axis: usize, n: usize) -> Result<()> {
    let Some(r) = indices
        .realized()
        .filter(|_| indices.size() <= EAGER_CHECK_MAX)
    else {
        return Ok(());
    };
    for s in r.scalars() {
        kiln_ir::normalise_index(s.to_i128(), axis, n)?;
    }
    Ok(())
}

fn require_integer(indices: &Array, what: &str) -> Result<()> {
    if !indices.dtype().is_integer() {
        return Err(KilnError::Invalid(IrError::UnsupportedDType {
            op: format!("{what} indices (need an integer dtype)"),
            dtype: indices.dtype(),
        }));
    }
    Ok(())
}

impl Array {
    /// `x[..., indices, ...]` along `axis` for 1-D integer `indices` (negative ones count from
    /// the end). `axis` may be omitted for 1-D `x`.
    pub fn take(&self, indices: &Array, axis: Option<isize>) -> Result<Array> {
        require_integer(indices, "take")?;
        if indices.ndim() != 1 {
            return Err(invalid(format!(
                "take needs 1-D indices, got shape {}",
                indices.shape_ref()
            )));
        }
        let axis = match (axis, self.ndim()) {
            (Some(a), r) => normalize_axis(a, r)?,
            (None, 1) => 0,
            (None, r) => {
                return Err(invalid(format!(
                    "take needs an axis for an array of rank {r}"
                )));
            }
        };
        check_realized_indices(indices, axis, self.shape()[axis])?;
        Array::from_op(
            Op::Lib(LibOp::Take { axis }),
            vec![self.clone(), indices.clone()],
        )
    }

    /// `out[.., j, ..] = x[.., indices[.., j, ..], ..]` along `axis`; `x` and `indices` have one
    /// rank and broadcast against each other in every other axis.
    pub fn take_along_axis(&self, indices: &Array, axis: isize) -> Result<Array> {
        require_integer(indices, "take_along_axis")?;
        if indices.ndim() != self.ndim() {
            return Err(invalid(format!(
                "take_along_axis needs indices of x's rank {}, got shape {}",
                self.ndim(),
                indices.shape_ref()
            )));
        }
        let axis = normalize_axis(axis, self.ndim())?;
        // Broadcast every axis but `axis`.
        let (mut xs, mut is) = (self.shape().to_vec(), indices.shape().to_vec());
        let (xa, ia) = (xs[axis], is[axis]);
        xs[axis] = 1;
        is[axis] = 1;
        let common = broadcast_shapes(&Shape(xs), &Shape(is))?;
        let (mut xt, mut it) = (common.clone(), common);
        xt.0[axis] = xa;
        it.0[axis] = ia;
        check_realized_indices(indices, axis, xa)?;
        let x = broadcast_array(self, &xt)?;
        let i = broadcast_array(indices, &it)?;
        Array::from_op(Op::Lib(LibOp::TakeAlongAxis { axis }), vec![x, i])
    }

    /// The int64 coordinates of the non-zero elements, one array per axis, in row-major order.
    /// Evaluates `self` (the result's length depends on its values).
    pub fn nonzero(&self) -> Result<Vec<Array>> {
        if self.ndim() == 0 {
            return Err(invalid(
                "nonzero of a zero-dimensional array (use atleast_1d first)",
            ));
        }
        let mask = if self.dtype() == DType::Bool {
            self.clone()
        } else {
            crate::not_equal(
                self,
                constant(Scalar::zero(self.dtype()), &Shape::scalar())?,
            )?
        };
        let coords = crate::nonzero::coordinates(&mask.data()?);
        let count = coords.first().map_or(0, Vec::len);
        coords
            .into_iter()
            .map(|c| Array::from_vec_on(c, &[count], self.device()))
            .collect()
    }

    /// NumPy indexing with any mix of ints, slices, `None`, `...`, integer arrays and boolean
    /// masks. Integer arrays broadcast together; their result axes replace the indexed axes in
    /// place when the array entries are adjacent, else they come first. Boolean masks evaluate.
    pub fn index(&self, index: &[Index]) -> Result<Array> {
        let basic_only = |entries: &[Index]| -> Option<Vec<Idx>> {
            entries
                .iter()
                .map(|e| match e {
                    Index::Basic(b) => Some(*b),
                    Index::Array(_) => None,
                })
                .collect()
        };
        if let Some(basic) = basic_only(index) {
            return self.slice(&basic);
        }
        // x[True] / x[False] (0-d masks) add an axis of length 1 / 0; supported without other
        // index arrays.
        let zero_d: Vec<bool> = index
            .iter()
            .filter_map(|e| match e {
                Index::Array(a) if a.dtype() == DType::Bool && a.ndim() == 0 => Some(true),
                Index::Array(_) => Some(false),
                Index::Basic(_) => None,
            })
            .collect();
        if zero_d.iter().all(|&z| z) {
            return self.index_zero_d_masks(index);
        }
        if zero_d.iter().any(|&z| z) {
            return Err(KilnError::Invalid(IrError::Index(
                "a zero-dimensional boolean index combined with other index arrays is not supported"
                    .into(),
            )));
        }
        // Boolean masks become their nonzero coordinates (each with the extent it must match);
        // ints become 0-d index arrays.
        let mut entries: Vec<(Index, Option<usize>)> = Vec::with_capacity(index.len());
        for e in index {
            match e {
                Index::Array(a) if a.dtype() == DType::Bool => {
                    let coords = a.nonzero()?;
                    for (c, &extent) in coords.into_iter().zip(a.shape()) {
                        entries.push((Index::Array(c), Some(extent)));
                    }
                }
                Index::Array(a) if !a.dtype().is_integer() => {
                    return Err(KilnError::Invalid(IrError::Index(format!(
                        "arrays used as indices must be of integer or boolean dtype, got {}",
                        a.dtype()
                    ))));
                }
                Index::Basic(Idx::Index(i)) => {
                    entries.push((Index::Array(Array::scalar(*i)?), None));
                }
                other => entries.push((other.clone(), None)),
            }
        }
        let full = expand_ellipsis(entries, self.ndim())?;
        // Basic pass: array entries keep their axis whole; note where each one lands.
        let mut basic = Vec::with_capacity(full.len());
        let mut arrays: Vec<(usize, usize, Array)> = Vec::new(); // (result axis, source axis, idx)
        let (mut out_axis, mut src_axis) = (0, 0);
        for (e, mask_extent) in &full {
            match e {
                Index::Basic(b) => {
                    basic.push(*b);
                    match b {
                        Idx::NewAxis => out_axis += 1,
                        Idx::Index(_) => src_axis += 1,
                        _ => {
                            out_axis += 1;
                            src_axis += 1;
                        }
                    }
                }
                Index::Array(a) => {
                    let n = self.shape()[src_axis];
                    // A mask axis of extent 0 selects nothing, whatever the array's extent (the
                    // conformance suite accepts it; NumPy raises).
                    if let Some(m) = mask_extent
                        && *m != n
                        && *m != 0
                    {
                        return Err(KilnError::Invalid(IrError::Index(format!(
                            "boolean index did not match indexed array along axis {src_axis}; \
                             size of axis is {n} but size of corresponding boolean axis is {m}"
                        ))));
                    }
                    basic.push(Idx::Full);
                    arrays.push((out_axis, src_axis, a.clone()));
                    out_axis += 1;
                    src_axis += 1;
                }
            }
        }
        let y = self.slice(&basic)?;
        gather_axes(&y, &arrays)
    }

    /// Indexing whose only arrays are 0-d booleans: each is a new axis, emptied when false.
    fn index_zero_d_masks(&self, index: &[Index]) -> Result<Array> {
        let mut basic = Vec::with_capacity(index.len());
        let mut falses = Vec::new();
        let mut out_axis = 0;
        let ellipsis_fill = self.ndim().saturating_sub(
            index
                .iter()
                .filter(|e| {
                    matches!(
                        e,
                        Index::Basic(Idx::Index(_) | Idx::Full | Idx::Range { .. })
                    )
                })
                .count(),
        );
        for e in index {
            match e {
                Index::Array(a) => {
                    if a.item()? != Scalar::Bool(true) {
                        falses.push(out_axis);
                    }
                    basic.push(Idx::NewAxis);
                    out_axis += 1;
                }
                Index::Basic(b) => {
                    basic.push(*b);
                    out_axis += match b {
                        Idx::Index(_) => 0,
                        Idx::Ellipsis => ellipsis_fill,
                        _ => 1,
                    };
                }
            }
        }
        let mut y = self.slice(&basic)?;
        for axis in falses {
            let mut empty = vec![Idx::Full; y.ndim()];
            empty[axis] = Idx::Range {
                start: Some(0),
                stop: Some(0),
                step: 1,
            };
            y = y.slice(&empty)?;
        }
        Ok(y)
    }
}

/// Replaces `...` (at most one) by the `:` entries that make the index cover every axis, or
/// appends them; rejects indices over more axes than `rank`.
fn expand_ellipsis(
    entries: Vec<(Index, Option<usize>)>,
    rank: usize,
) -> Result<Vec<(Index, Option<usize>)>> {
    let is = |e: &Index, f: fn(&Idx) -> bool| matches!(e, Index::Basic(b) if f(b));
    let consumed = entries
        .iter()
        .filter(|(e, _)| !is(e, |b| matches!(b, Idx::NewAxis | Idx::Ellipsis)))
        .count();
    let ellipses = entries
        .iter()
        .filter(|(e, _)| is(e, |b| matches!(b, Idx::Ellipsis)))
        .count();
    if ellipses > 1 {
        return Err(KilnError::Invalid(IrError::Index(
            "an index can only have a single ellipsis ('...')".into(),
        )));
    }
    if consumed > rank {
        return Err(KilnError::Invalid(IrError::Index(format!(
            "too many indices for array: array is {rank}-dimensional, but {consumed} were indexed"
        ))));
    }
    let fill = || (0..rank - consumed).map(|_| (Index::Basic(Idx::Full), None));
    let mut full = Vec::with_capacity(entries.len() + rank);
    for (e, m) in entries {
        if is(&e, |b| matches!(b, Idx::Ellipsis)) {
            full.extend(fill());
        } else {
            full.push((e, m));
        }
    }
    if ellipses == 0 {
        full.extend(fill());
    }
    Ok(full)
}

/// Applies broadcast integer index arrays at axes `arrays[k].0` of `y` (NumPy placement).
fn gather_axes(y: &Array, arrays: &[(usize, usize, Array)]) -> Result<Array> {
    let mut b = Shape::scalar();
    for (_, _, a) in arrays {
        // NumPy reports index arrays that do not broadcast as an IndexError.
        b = broadcast_shapes(&b, a.shape_ref()).map_err(|_| {
            KilnError::Invalid(IrError::Index(format!(
                "shape mismatch: indexing arrays could not be broadcast together with shapes {} and {}",
                b,
                a.shape_ref()
            )))
        })?;
    }
    let axes: Vec<usize> = arrays.iter().map(|(o, _, _)| *o).collect();
    let adjacent = axes.windows(2).all(|w| w[1] == w[0] + 1);
    for (o, src, a) in arrays {
        check_realized_indices(a, *src, y.shape()[*o])?;
    }
    let rank = y.ndim();
    // Move the indexed axes to the front, in order, and flatten them into one.
    let mut perm: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
    perm.extend((0..rank).filter(|d| !axes.contains(d)).map(|d| d as isize));
    let moved = y.permute_dims(&perm)?;
    let extents: Vec<usize> = axes.iter().map(|&a| y.shape()[a]).collect();
    let rest: Vec<usize> = (0..rank)
        .filter(|d| !axes.contains(d))
        .map(|d| y.shape()[d])
        .collect();
    let flat_len: usize = extents.iter().product();
    let mut flat_shape: Vec<isize> = vec![flat_len as isize];
    flat_shape.extend(rest.iter().map(|&d| d as isize));
    let source = moved.reshape(&flat_shape)?;
    let flat_index = if let [(_, _, only)] = arrays {
        broadcast_array(only, &b)?
    } else {
        // Row-major combination of normalised indices; an out-of-range index maps to an
        // out-of-range flat index (-(flat_len + 1)) so the gather reports it.
        let mut acc: Option<Array> = None;
        let mut stride = 1i64;
        for (k, (_, _, a)) in arrays.iter().enumerate().rev() {
            let n = extents[k] as i64;
            let i = broadcast_array(&cast(a, DType::I64)?, &b)?;
            let wrapped = crate::where_(&crate::less(&i, 0i64)?, crate::add(&i, n)?, &i)?;
            let ok = crate::logical_and(
                crate::greater_equal(&wrapped, 0i64)?,
                crate::less(&wrapped, n)?,
            )?;
            let term = crate::multiply(&wrapped, stride)?;
            let term = crate::where_(&ok, &term, -(flat_len as i64) - 1)?;
            acc = Some(match acc {
                None => term,
                Some(s) => {
                    let bad = crate::logical_or(crate::less(&s, 0i64)?, crate::less(&term, 0i64)?)?;
                    crate::where_(&bad, -(flat_len as i64) - 1, crate::add(&s, &term)?)?
                }
            });
            stride = stride.saturating_mul(n);
        }
        acc.ok_or_else(|| invalid("no index arrays"))?
    };
    let gathered = source.take(&flat_index.reshape(&[-1])?, Some(0))?;
    // [prod(b), rest...] -> [b..., rest...]
    let mut shape: Vec<isize> = b.dims().iter().map(|&d| d as isize).collect();
    shape.extend(rest.iter().map(|&d| d as isize));
    let out = gathered.reshape(&shape)?;
    if !adjacent || axes[0] == 0 {
        return Ok(out);
    }
    // Adjacent index arrays: their result axes go where the first indexed axis was.
    let nb = b.rank();
    let first = axes[0];
    let mut perm: Vec<isize> = (nb..nb + first).map(|d| d as isize).collect();
    perm.extend((0..nb).map(|d| d as isize));
    perm.extend((nb + first..nb + rest.len()).map(|d| d as isize));
    out.permute_dims(&perm)
}
