//! Strided element copies into fresh contiguous kiln storage: `__dlpack__(copy=True)`,
//! `from_dlpack(copy=True)`, and foreign memory kiln cannot wrap (misaligned, or `bool` bytes
//! other than 0 and 1).
//!
//! Invariant: a copy reads exactly the elements of the layout it is given, byte by byte (no
//! alignment assumed), writes only the storage it has just allocated, in row-major order, and
//! leaves every `bool` byte 0 or 1.

use kiln::DType;
use kiln_ir::{IrError, Storage};

/// Where the elements of a strided array lie in memory.
#[derive(Debug, Clone)]
pub(crate) struct Strided {
    /// Address of the element at index `[0, 0, ...]`.
    pub(crate) first: usize,
    pub(crate) dtype: DType,
    pub(crate) shape: Vec<usize>,
    /// Strides in elements (any sign, zero included).
    pub(crate) strides: Vec<isize>,
}

impl Strided {
    /// A contiguous row-major copy of the elements.
    ///
    /// # Safety
    /// For every in-range index `i`, the `size` bytes at
    /// `first + (sum_k i[k] * strides[k]) * size` must be readable (`size` = element size).
    pub(crate) unsafe fn copy(&self) -> Result<Storage, IrError> {
        let size = self.dtype.size_bytes();
        let numel = kiln_ir::Shape::from(self.shape.as_slice())
            .checked_numel()
            .ok_or_else(|| IrError::TooLarge(format!("shape {:?}", self.shape)))?;
        let storage = Storage::for_overwrite(self.dtype, numel)?;
        if numel == 0 {
            return Ok(storage);
        }
        let dst = storage.as_mut_ptr();
        let src = self.first as *const u8;
        let Some((&inner, outer_dims)) = self.shape.split_last() else {
            // SAFETY: rank 0: one readable element at `first`; the new storage holds one.
            unsafe { std::ptr::copy_nonoverlapping(src, dst, size) };
            return Ok(storage);
        };
        let inner_stride = self.strides.last().copied().unwrap_or(1);
        let mut index = vec![0usize; outer_dims.len()];
        let mut written = 0usize;
        loop {
            // Offsets stay within the layout the caller vouched for, so nothing wraps.
            let row = index
                .iter()
                .zip(&self.strides)
                .fold(0isize, |acc, (&i, &s)| {
                    acc.wrapping_add((i as isize).wrapping_mul(s))
                });
            let row_src = src.wrapping_offset(row.wrapping_mul(size as isize));
            // SAFETY: the row's elements are readable (the caller's contract) and the
            // destination has `numel * size` bytes, of which `written + inner * size` are used
            // after this row; source and fresh destination never overlap.
            unsafe {
                let row_dst = dst.add(written);
                if inner_stride == 1 {
                    std::ptr::copy_nonoverlapping(row_src, row_dst, inner * size);
                } else {
                    for j in 0..inner {
                        let at = (j as isize).wrapping_mul(inner_stride);
                        let from = row_src.wrapping_offset(at.wrapping_mul(size as isize));
                        std::ptr::copy_nonoverlapping(from, row_dst.add(j * size), size);
                    }
                }
            }
            written += inner * size;
            // Advance the index over the outer dimensions (row-major odometer).
            let mut axis = outer_dims.len();
            loop {
                if axis == 0 {
                    if self.dtype == DType::Bool {
                        // SAFETY: the storage is fresh and exclusively ours; all bytes written.
                        let bytes = unsafe { std::slice::from_raw_parts_mut(dst, numel) };
                        bytes.iter_mut().for_each(|b| *b = u8::from(*b != 0));
                    }
                    return Ok(storage);
                }
                axis -= 1;
                index[axis] += 1;
                if index[axis] < outer_dims[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
    }
}
