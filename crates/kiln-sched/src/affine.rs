//! Affine maps from an index space to a leaf's coordinates, and how movement ops transform them.
//!
//! A leaf is what a fused expression finally reads: a buffer (one coordinate, the element offset
//! in its storage) or a generator (its own coordinates: none for `full`, `i` for `arange`,
//! `(row, col)` for `eye`). Views never copy: a chain of movement ops between a consumer and a
//! leaf composes into one `Affine` per (leaf, path), `coord[r] = offset[r] + sum_d coefs[r][d] *
//! index[d]`. Invariant: every map here is exact for all in-range indices; a transform that
//! cannot be expressed as such a map (a reshape of a layout that is not mergeable) returns `None`
//! and never an approximation.

use kiln_ir::{Op, Shape, SliceAxis, View};

/// `coord[r] = offset[r] + sum_d coefs[r][d] * index[d]` over an index space of `rank` dims.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Affine {
    pub rank: usize,
    pub offset: Vec<isize>,
    pub coefs: Vec<Vec<isize>>,
}

impl Affine {
    /// Coordinates equal to the index (a generator seen in its own shape).
    pub fn identity(rank: usize) -> Affine {
        Affine {
            rank,
            offset: vec![0; rank],
            coefs: (0..rank)
                .map(|r| (0..rank).map(|d| isize::from(r == d)).collect())
                .collect(),
        }
    }

    /// The element offset of a strided view (one row).
    pub fn of_view(view: &View) -> Affine {
        Affine {
            rank: view.shape.rank(),
            offset: vec![view.offset as isize],
            coefs: vec![view.strides.clone()],
        }
    }

    /// The element offset of a row-major array of `shape` (one row).
    pub fn contiguous(shape: &Shape) -> Affine {
        Affine::of_view(&View::contiguous(shape.clone()))
    }

    /// Output dim `i` is input dim `perm[i]`.
    pub fn permute(&self, perm: &[usize]) -> Affine {
        Affine {
            rank: perm.len(),
            offset: self.offset.clone(),
            coefs: self
                .coefs
                .iter()
                .map(|row| perm.iter().map(|&p| row[p]).collect())
                .collect(),
        }
    }

    /// Same-rank broadcast from `from`: extent-1 source dims stop moving (coefficient 0).
    pub fn broadcast(&self, from: &Shape) -> Affine {
        let coefs = self
            .coefs
            .iter()
            .map(|row| {
                row.iter()
                    .zip(from.dims())
                    .map(|(&c, &d)| if d == 1 { 0 } else { c })
                    .collect()
            })
            .collect();
        Affine {
            rank: self.rank,
            offset: self.offset.clone(),
            coefs,
        }
    }

    /// Output index `j` along dim `d` reads source index `start + step * j`.
    pub fn slice(&self, axes: &[SliceAxis]) -> Affine {
        let mut out = self.clone();
        for (off, row) in out.offset.iter_mut().zip(&mut out.coefs) {
            for (c, s) in row.iter_mut().zip(axes) {
                *off += *c * s.start as isize;
                *c *= s.step;
            }
        }
        out
    }

    /// Row-major reshape `from -> to`, or `None` if some row's coefficients are not mergeable
    /// (the copy-free reshape rule of NumPy's `_attempt_nocopy_reshape`, applied to every row).
    pub fn reshape(&self, from: &Shape, to: &Shape) -> Option<Affine> {
        let rows = self.coefs.len();
        let mut coefs = vec![vec![0isize; to.rank()]; rows];
        if from.numel() != to.numel() {
            return None;
        }
        if from.numel() == 0 {
            return Some(Affine {
                rank: to.rank(),
                offset: self.offset.clone(),
                coefs,
            });
        }
        let old: Vec<usize> = (0..from.rank()).filter(|&d| from.0[d] != 1).collect();
        let new: Vec<usize> = (0..to.rank()).filter(|&d| to.0[d] != 1).collect();
        let (mut i, mut j) = (0, 0);
        while i < old.len() && j < new.len() {
            let (mut i_end, mut j_end) = (i + 1, j + 1);
            let mut prod_old = from.0[old[i]];
            let mut prod_new = to.0[new[j]];
            while prod_old != prod_new {
                if prod_old < prod_new {
                    prod_old *= from.0[*old.get(i_end)?];
                    i_end += 1;
                } else {
                    prod_new *= to.0[*new.get(j_end)?];
                    j_end += 1;
                }
            }
            for (row, out) in self.coefs.iter().zip(&mut coefs) {
                for k in i..i_end - 1 {
                    if row[old[k]] != row[old[k + 1]] * from.0[old[k + 1]] as isize {
                        return None;
                    }
                }
                let mut stride = row[old[i_end - 1]];
                for k in (j..j_end).rev() {
                    out[new[k]] = stride;
                    stride *= to.0[new[k]] as isize;
                }
            }
            i = i_end;
            j = j_end;
        }
        (i == old.len() && j == new.len()).then_some(Affine {
            rank: to.rank(),
            offset: self.offset.clone(),
            coefs,
        })
    }

    /// Re-expresses the map over a kernel's iteration space: node dim `p` is space dim
    /// `dims_of[p]`.
    pub fn into_space(&self, dims_of: &[usize], space_rank: usize) -> Affine {
        let coefs = self
            .coefs
            .iter()
            .map(|row| {
                let mut out = vec![0isize; space_rank];
                for (p, &c) in row.iter().enumerate() {
                    out[dims_of[p]] += c;
                }
                out
            })
            .collect();
        Affine {
            rank: space_rank,
            offset: self.offset.clone(),
            coefs,
        }
    }

    /// Whether this one-row map reads a contiguous array of `shape` at the current point, i.e.
    /// it equals `contiguous(shape)` on every dim that can move.
    pub fn is_contiguous_point(&self, shape: &Shape) -> bool {
        if shape.numel() == 0 {
            return true;
        }
        let want = shape.contiguous_strides();
        self.coefs.len() == 1
            && self.offset[0] == 0
            && self.coefs[0]
                .iter()
                .zip(&want)
                .zip(shape.dims())
                .all(|((&c, &w), &d)| d <= 1 || c == w)
    }
}

/// A movement op as a transform of leaf maps from its operand's index space to its own.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Transform {
    Permute(Vec<usize>),
    Broadcast {
        from: Shape,
    },
    Slice(Vec<SliceAxis>),
    Reshape {
        from: Shape,
        to: Shape,
    },
    /// From a node's index space to a kernel's iteration space.
    Space {
        dims_of: Vec<usize>,
        rank: usize,
    },
}

impl Transform {
    /// The transform of a movement op whose operand has shape `from`; `None` for other ops.
    pub fn of_op(op: &Op, from: &Shape) -> Option<Transform> {
        Some(match op {
            Op::Permute(p) => Transform::Permute(p.clone()),
            Op::Broadcast(_) => Transform::Broadcast { from: from.clone() },
            Op::Slice(axes) => Transform::Slice(axes.clone()),
            Op::Reshape(to) => Transform::Reshape {
                from: from.clone(),
                to: to.clone(),
            },
            _ => return None,
        })
    }

    pub fn apply(&self, a: &Affine) -> Option<Affine> {
        match self {
            Transform::Permute(p) => Some(a.permute(p)),
            Transform::Broadcast { from } => Some(a.broadcast(from)),
            Transform::Slice(axes) => Some(a.slice(axes)),
            Transform::Reshape { from, to } => a.reshape(from, to),
            Transform::Space { dims_of, rank } => Some(a.into_space(dims_of, *rank)),
        }
    }
}

/// Applies a context stored root-side first (the leaf-side transform is last, applied first).
pub fn apply_ctx(ctx: &[Transform], a: &Affine) -> Option<Affine> {
    ctx.iter().rev().try_fold(a.clone(), |acc, t| t.apply(&acc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[usize]) -> Shape {
        Shape::from(v)
    }

    #[test]
    fn flatten_of_contiguous_is_unit_stride() {
        let a = Affine::contiguous(&s(&[2, 3]));
        let r = a.reshape(&s(&[2, 3]), &s(&[6])).unwrap();
        assert_eq!(r.coefs, vec![vec![1]]);
    }

    #[test]
    fn flatten_of_transpose_is_not_a_view() {
        let a = Affine::contiguous(&s(&[2, 3])).permute(&[1, 0]);
        assert!(a.reshape(&s(&[3, 2]), &s(&[6])).is_none());
    }

    #[test]
    fn split_of_transpose_is_a_view() {
        // x[2,6].T -> [6,2] -> reshape [3,2,2]: the first dim splits with stride 1.
        let a = Affine::contiguous(&s(&[2, 6])).permute(&[1, 0]);
        let r = a.reshape(&s(&[6, 2]), &s(&[3, 2, 2])).unwrap();
        assert_eq!(r.coefs, vec![vec![2, 1, 6]]);
    }

    #[test]
    fn reshape_ignores_unit_dims() {
        let a = Affine::contiguous(&s(&[4, 1, 3]));
        let r = a.reshape(&s(&[4, 1, 3]), &s(&[1, 12, 1])).unwrap();
        assert_eq!(r.coefs[0][1], 1);
    }

    #[test]
    fn negative_slice_offsets_the_map() {
        let a = Affine::contiguous(&s(&[5]));
        let r = a.slice(&[SliceAxis {
            start: 4,
            step: -1,
            len: 5,
        }]);
        assert_eq!((r.offset[0], r.coefs[0][0]), (4, -1));
    }

    #[test]
    fn eye_rows_split_but_do_not_merge() {
        let eye = Affine::identity(2);
        assert!(eye.reshape(&s(&[3, 4]), &s(&[12])).is_none());
        let split = eye.reshape(&s(&[3, 4]), &s(&[3, 2, 2])).unwrap();
        assert_eq!(split.coefs, vec![vec![1, 0, 0], vec![0, 2, 1]]);
    }
}
