//! Shapes, broadcasting and strided views over flat storage.
//!
//! Invariant: a `View` addresses only elements inside its storage: for every in-range index,
//! `offset + sum(index[i] * strides[i])` lies in `0..storage_len` (checked by `View::fits`).
//! Strides are in elements and may be zero (broadcast) or negative (flipped).

use crate::error::IrError;
use std::fmt;

/// The extents of an array, outermost first. Rank 0 is a scalar.
#[derive(Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Shape(pub Vec<usize>);

impl Shape {
    pub fn new(dims: impl Into<Vec<usize>>) -> Shape {
        Shape(dims.into())
    }
    pub fn scalar() -> Shape {
        Shape(Vec::new())
    }
    pub fn rank(&self) -> usize {
        self.0.len()
    }
    pub fn dims(&self) -> &[usize] {
        &self.0
    }
    /// Number of elements (1 for a scalar, 0 if any extent is 0). Saturates at `usize::MAX`
    /// instead of overflowing, so absurd shapes fail cleanly when storage is allocated.
    pub fn numel(&self) -> usize {
        if self.0.contains(&0) {
            return 0;
        }
        self.0.iter().fold(1usize, |acc, &d| acc.saturating_mul(d))
    }
    /// The number of elements, or `None` if it overflows `usize`.
    pub fn checked_numel(&self) -> Option<usize> {
        if self.0.contains(&0) {
            return Some(0);
        }
        self.0.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }

    /// Row-major (C order) strides in elements. Saturates instead of overflowing: shapes too
    /// large to allocate are rejected by `op::infer` and by `Storage`, never strided.
    pub fn contiguous_strides(&self) -> Vec<isize> {
        let mut strides = vec![0isize; self.rank()];
        let mut acc = 1isize;
        for (s, &d) in strides.iter_mut().zip(&self.0).rev() {
            *s = acc;
            acc = acc.saturating_mul(d.max(1).min(isize::MAX as usize) as isize);
        }
        strides
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Shape {
    /// `[2,3]`; a scalar prints as `[]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("]")
    }
}

impl From<Vec<usize>> for Shape {
    fn from(v: Vec<usize>) -> Shape {
        Shape(v)
    }
}
impl From<&[usize]> for Shape {
    fn from(v: &[usize]) -> Shape {
        Shape(v.to_vec())
    }
}
impl<const N: usize> From<[usize; N]> for Shape {
    fn from(v: [usize; N]) -> Shape {
        Shape(v.to_vec())
    }
}

/// The broadcast shape of two shapes under NumPy / Array API rules (align right; 1 stretches).
pub fn broadcast_shapes(a: &Shape, b: &Shape) -> Result<Shape, IrError> {
    let rank = a.rank().max(b.rank());
    let mut out = vec![0; rank];
    for (i, o) in out.iter_mut().enumerate() {
        let da = dim_from_right(a, rank - 1 - i);
        let db = dim_from_right(b, rank - 1 - i);
        *o = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(IrError::Broadcast {
                    a: a.clone(),
                    b: b.clone(),
                });
            }
        };
    }
    Ok(Shape(out))
}

fn dim_from_right(s: &Shape, k: usize) -> usize {
    if k < s.rank() {
        s.0[s.rank() - 1 - k]
    } else {
        1
    }
}

/// How an array's elements sit in a flat storage.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct View {
    pub shape: Shape,
    /// Element strides, one per dimension; 0 broadcasts, negative walks backwards.
    pub strides: Vec<isize>,
    /// Element offset of index `[0, 0, ...]`.
    pub offset: usize,
}

impl View {
    pub fn contiguous(shape: Shape) -> View {
        let strides = shape.contiguous_strides();
        View {
            shape,
            strides,
            offset: 0,
        }
    }

    /// Whether the view is the whole row-major layout starting at offset 0 (extent-1 dims ignored).
    pub fn is_contiguous(&self) -> bool {
        if self.offset != 0 {
            return false;
        }
        let want = self.shape.contiguous_strides();
        self.shape
            .0
            .iter()
            .zip(self.strides.iter().zip(&want))
            .all(|(&d, (&s, &w))| d <= 1 || s == w)
    }

    /// The smallest and largest element offsets this view touches (None if it is empty).
    pub fn extent(&self) -> Option<(isize, isize)> {
        if self.shape.numel() == 0 {
            return None;
        }
        let mut lo = self.offset as isize;
        let mut hi = self.offset as isize;
        for (&d, &s) in self.shape.0.iter().zip(&self.strides) {
            let span = (d as isize - 1) * s;
            if span < 0 {
                lo += span;
            } else {
                hi += span;
            }
        }
        Some((lo, hi))
    }

    /// Whether every element of the view lies inside a storage of `len` elements.
    pub fn fits(&self, len: usize) -> bool {
        self.strides.len() == self.shape.rank()
            && match self.extent() {
                None => true,
                Some((lo, hi)) => lo >= 0 && (hi as usize) < len,
            }
    }

    /// Element offset of a multi-index.
    pub fn offset_of(&self, index: &[usize]) -> isize {
        self.offset as isize
            + index
                .iter()
                .zip(&self.strides)
                .map(|(&i, &s)| i as isize * s)
                .sum::<isize>()
    }
}

/// Iterates all multi-indices of a shape in row-major order.
#[derive(Debug, Clone)]
pub struct IndexIter {
    dims: Vec<usize>,
    next: Option<Vec<usize>>,
}

impl IndexIter {
    pub fn new(shape: &Shape) -> IndexIter {
        let next = (shape.numel() > 0).then(|| vec![0; shape.rank()]);
        IndexIter {
            dims: shape.0.clone(),
            next,
        }
    }
}

impl Iterator for IndexIter {
    type Item = Vec<usize>;
    fn next(&mut self) -> Option<Vec<usize>> {
        let current = self.next.take()?;
        let mut following = current.clone();
        let mut carried = true;
        for axis in (0..self.dims.len()).rev() {
            following[axis] += 1;
            if following[axis] < self.dims[axis] {
                carried = false;
                break;
            }
            following[axis] = 0;
        }
        if !carried {
            self.next = Some(following);
        }
        Some(current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_rules() {
        let s = |v: &[usize]| Shape::from(v);
        assert_eq!(broadcast_shapes(&s(&[3, 1]), &s(&[4])).unwrap(), s(&[3, 4]));
        assert_eq!(broadcast_shapes(&s(&[]), &s(&[2, 0])).unwrap(), s(&[2, 0]));
        assert!(broadcast_shapes(&s(&[3]), &s(&[4])).is_err());
    }

    #[test]
    fn view_extent_with_negative_strides() {
        let v = View {
            shape: Shape::from([3]),
            strides: vec![-2],
            offset: 4,
        };
        assert_eq!(v.extent(), Some((0, 4)));
        assert!(v.fits(5));
        assert!(!v.fits(4));
    }

    #[test]
    fn index_iter_counts() {
        assert_eq!(IndexIter::new(&Shape::from([2, 3])).count(), 6);
        assert_eq!(IndexIter::new(&Shape::scalar()).count(), 1);
        assert_eq!(IndexIter::new(&Shape::from([2, 0])).count(), 0);
    }
}
