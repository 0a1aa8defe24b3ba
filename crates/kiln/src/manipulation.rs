//! Views and shape manipulation: reshape, permute, transpose, broadcast, expand/squeeze, flip,
//! and basic slicing with Python semantics.
//!
//! Invariant: every function here builds movement nodes only (Reshape, Permute, Broadcast,
//! Slice), which the scheduler turns into strided index arithmetic: no data is copied.

use kiln_ir::{IrError, Op, Shape, SliceAxis};

use crate::error::{KilnError, Result, invalid};
use crate::graph::Array;

/// Normalises a possibly negative axis against `rank`.
pub(crate) fn normalize_axis(axis: isize, rank: usize) -> Result<usize> {
    let r = rank as isize;
    if axis < -r || axis >= r {
        return Err(KilnError::Invalid(IrError::AxisOutOfBounds {
            axis: axis as i64,
            rank,
        }));
    }
    Ok(if axis < 0 {
        (axis + r) as usize
    } else {
        axis as usize
    })
}

/// Normalises a list of axes (None = all), rejecting repeats.
pub(crate) fn normalize_axes(axes: Option<&[isize]>, rank: usize) -> Result<Vec<usize>> {
    let Some(axes) = axes else {
        return Ok((0..rank).collect());
    };
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let n = normalize_axis(a, rank)?;
        if out.contains(&n) {
            return Err(KilnError::Invalid(IrError::RepeatedAxis {
                axis: n,
                what: "axes",
            }));
        }
        out.push(n);
    }
    Ok(out)
}

/// One entry of a basic index: `x.slice(&[Idx::Index(0), Idx::Range(..)])`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idx {
    /// A single position (negative counts from the end); removes the axis.
    Index(i64),
    /// `start:stop:step` with Python semantics (None = default, negative counts from the end).
    Range {
        start: Option<i64>,
        stop: Option<i64>,
        step: i64,
    },
    /// `:` the whole axis.
    Full,
    /// `None` / `newaxis`: inserts an axis of extent 1.
    NewAxis,
    /// `...`: as many `Full` as needed.
    Ellipsis,
}

/// Python's `slice.indices`: the start and length of `start:stop:step` over an axis of `dim`.
pub(crate) fn slice_indices(
    start: Option<i64>,
    stop: Option<i64>,
    step: i64,
    dim: usize,
) -> Result<(usize, usize)> {
    if step == 0 {
        return Err(invalid("slice step cannot be zero"));
    }
    let d = dim as i64;
    let clamp = |v: Option<i64>, default: i64, lo: i64, hi: i64| -> i64 {
        match v {
            None => default,
            Some(v) if v < 0 => (v + d).max(lo),
            Some(v) => v.min(hi),
        }
    };
    let (start, stop) = if step > 0 {
        (clamp(start, 0, 0, d), clamp(stop, d, 0, d))
    } else {
        (clamp(start, d - 1, -1, d - 1), clamp(stop, -1, -1, d - 1))
    };
    let len = if step > 0 {
        if stop > start {
            (stop - start + step - 1) / step
        } else {
            0
        }
    } else if start > stop {
        (start - stop + (-step) - 1) / (-step)
    } else {
        0
    };
    Ok((if len > 0 { start as usize } else { 0 }, len as usize))
}

impl Array {
    /// Row-major reshape; one extent may be -1 (inferred).
    pub fn reshape(&self, shape: &[isize]) -> Result<Array> {
        let numel = self.size();
        let mut dims = Vec::with_capacity(shape.len());
        let mut infer = None;
        for (i, &d) in shape.iter().enumerate() {
            match d {
                -1 if infer.is_none() => {
                    infer = Some(i);
                    dims.push(1);
                }
                d if d >= 0 => dims.push(d as usize),
                _ => {
                    return Err(invalid(format!(
                        "invalid extent {d} in reshape to {shape:?}"
                    )));
                }
            }
        }
        if let Some(i) = infer {
            let known: usize = dims.iter().product();
            if known == 0 || !numel.is_multiple_of(known) {
                return Err(KilnError::Invalid(IrError::Reshape {
                    from: self.shape_ref().clone(),
                    from_numel: numel,
                    to: Shape(dims),
                }));
            }
            dims[i] = numel / known;
        }
        let to = Shape(dims);
        if to == *self.shape_ref() {
            return Ok(self.clone());
        }
        Array::from_op(Op::Reshape(to), vec![self.clone()])
    }

    /// Permutes axes: output axis `i` is input axis `axes[i]` (negative axes allowed).
    pub fn permute_dims(&self, axes: &[isize]) -> Result<Array> {
        if axes.len() != self.ndim() {
            return Err(KilnError::Invalid(IrError::BadPermutation {
                perm: axes.iter().map(|&a| a as usize).collect(),
                rank: self.ndim(),
            }));
        }
        let perm = normalize_axes(Some(axes), self.ndim())?;
        if perm.iter().enumerate().all(|(i, &p)| i == p) {
            return Ok(self.clone());
        }
        Array::from_op(Op::Permute(perm), vec![self.clone()])
    }

    /// Swaps the last two axes (rank >= 2).
    pub fn matrix_transpose(&self) -> Result<Array> {
        let r = self.ndim();
        if r < 2 {
            return Err(invalid(format!(
                "matrix_transpose needs rank >= 2, got shape {}",
                self.shape_ref()
            )));
        }
        let mut perm: Vec<isize> = (0..r as isize).collect();
        perm.swap(r - 2, r - 1);
        self.permute_dims(&perm)
    }

    /// Broadcasts to `shape` under NumPy rules.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Array> {
        crate::operand::broadcast_array(self, &Shape::from(shape))
    }

    /// Inserts an axis of extent 1 at `axis` (in the result's numbering).
    pub fn expand_dims(&self, axis: isize) -> Result<Array> {
        let axis = normalize_axis(axis, self.ndim() + 1)?;
        let mut dims = self.shape().to_vec();
        dims.insert(axis, 1);
        Array::from_op(Op::Reshape(Shape(dims)), vec![self.clone()])
    }

    /// Removes axes of extent 1 (an axis of another extent is an error).
    pub fn squeeze(&self, axes: &[isize]) -> Result<Array> {
        let axes = normalize_axes(Some(axes), self.ndim())?;
        if let Some(&a) = axes.iter().find(|&&a| self.shape()[a] != 1) {
            return Err(invalid(format!(
                "cannot squeeze axis {a} of extent {} in shape {}",
                self.shape()[a],
                self.shape_ref()
            )));
        }
        let dims: Vec<usize> = (0..self.ndim())
            .filter(|a| !axes.contains(a))
            .map(|a| self.shape()[a])
            .collect();
        if axes.is_empty() {
            return Ok(self.clone());
        }
        Array::from_op(Op::Reshape(Shape(dims)), vec![self.clone()])
    }

    /// Reverses the order of elements along `axes` (all axes if None).
    pub fn flip(&self, axes: Option<&[isize]>) -> Result<Array> {
        let axes = normalize_axes(axes, self.ndim())?;
        let spec = self
            .shape()
            .iter()
            .enumerate()
            .map(|(a, &d)| {
                if axes.contains(&a) && d > 0 {
                    SliceAxis {
                        start: d - 1,
                        step: -1,
                        len: d,
                    }
                } else {
                    SliceAxis {
                        start: 0,
                        step: 1,
                        len: d,
                    }
                }
            })
            .collect();
        Array::from_op(Op::Slice(spec), vec![self.clone()])
    }

    /// Basic indexing with Python semantics: integers, slices, `NewAxis` and one `Ellipsis`.
    pub fn slice(&self, index: &[Idx]) -> Result<Array> {
        let ellipses = index.iter().filter(|i| **i == Idx::Ellipsis).count();
        if ellipses > 1 {
            return Err(
                IrError::Index("an index can only have a single ellipsis ('...')".into()).into(),
            );
        }
        let consuming = index
            .iter()
            .filter(|i| !matches!(i, Idx::NewAxis | Idx::Ellipsis))
            .count();
        if consuming > self.ndim() {
            return Err(IrError::Index(format!(
                "too many indices for array: array is {}-dimensional, but {consuming} were indexed",
                self.ndim()
            ))
            .into());
        }
        let mut expanded = Vec::new();
        for i in index {
            if *i == Idx::Ellipsis {
                expanded.extend(std::iter::repeat_n(Idx::Full, self.ndim() - consuming));
            } else {
                expanded.push(*i);
            }
        }
        if ellipses == 0 {
            expanded.extend(std::iter::repeat_n(Idx::Full, self.ndim() - consuming));
        }
        let mut spec = Vec::with_capacity(self.ndim());
        let mut out_dims = Vec::new();
        let mut axis = 0;
        for i in &expanded {
            match *i {
                Idx::NewAxis => out_dims.push(1),
                Idx::Index(k) => {
                    let d = self.shape()[axis];
                    let pos = if k < 0 { k + d as i64 } else { k };
                    if pos < 0 || pos >= d as i64 {
                        return Err(KilnError::Invalid(IrError::IndexOutOfBounds {
                            index: k,
                            axis,
                            size: d,
                        }));
                    }
                    spec.push(SliceAxis {
                        start: pos as usize,
                        step: 1,
                        len: 1,
                    });
                    axis += 1;
                }
                Idx::Full => {
                    let d = self.shape()[axis];
                    spec.push(SliceAxis {
                        start: 0,
                        step: 1,
                        len: d,
                    });
                    out_dims.push(d);
                    axis += 1;
                }
                Idx::Range { start, stop, step } => {
                    let d = self.shape()[axis];
                    let (s, len) = slice_indices(start, stop, step, d)?;
                    spec.push(SliceAxis {
                        start: s,
                        step: step as isize,
                        len,
                    });
                    out_dims.push(len);
                    axis += 1;
                }
                Idx::Ellipsis => {}
            }
        }
        let identity = spec
            .iter()
            .zip(self.shape())
            .all(|(s, &d)| s.start == 0 && s.step == 1 && s.len == d);
        let mut x = self.clone();
        if !identity {
            x = Array::from_op(Op::Slice(spec), vec![x])?;
        }
        if x.shape() != out_dims.as_slice() {
            x = Array::from_op(Op::Reshape(Shape(out_dims)), vec![x])?;
        }
        Ok(x)
    }
}
