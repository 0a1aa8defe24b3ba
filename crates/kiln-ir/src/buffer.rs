//! Realized array data: aligned flat storage, element types, and a strided view into it.
//!
//! Invariant: a `Storage` is a 64-byte-aligned allocation of `len` elements of one dtype whose
//! bytes are always initialised: zeroed by `zeroed`, or (from `for_overwrite`) zeros or the bytes
//! of an earlier storage, for a writer that overwrites every element. A `Realized` pairs one with
//! a `View` that fits inside it. Storage is shared (`Arc`) and never mutated after it is published
//! to more than one owner: kernels write only into storage they allocated for their outputs.
//!
//! Large allocations come from `calloc` (lazily zeroed pages, no memset) and, when dropped,
//! wait in a small pool (`POOL_BYTES` in all) for a `for_overwrite` of the same size, which then
//! reuses them without page faults: a fresh 512 MiB output costs more than computing it.

use crate::dtype::DType;
use crate::error::IrError;
use crate::scalar::{C64, C128, Scalar};
use crate::shape::{IndexIter, Shape, View};
use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::ptr::NonNull;
use std::sync::Arc;

/// Alignment of every storage allocation (a cache line; enough for any SIMD load).
pub const STORAGE_ALIGN: usize = 64;

/// A 64-byte-aligned flat allocation of `len` elements of `dtype` (see the module invariant).
#[derive(Debug)]
pub struct Storage {
    /// Start of the elements (64-byte aligned, inside the allocation at `base`).
    ptr: NonNull<u8>,
    /// What `calloc`-style allocation returned; `None` for a zero-byte storage.
    base: Option<NonNull<u8>>,
    len: usize,
    dtype: DType,
}

// SAFETY: Storage owns its allocation exclusively; shared access only reads, and writers hold the
// only reference while they write (see the module invariant).
unsafe impl Send for Storage {}
// SAFETY: see above: concurrent readers never race with a writer.
unsafe impl Sync for Storage {}

/// Allocations of at least this many bytes are pooled when dropped.
const POOL_MIN_BYTES: usize = 1 << 20;
/// Most bytes the pool keeps.
const POOL_BYTES: usize = 1 << 30;

/// Freed large allocations: (byte size, base pointer as address). Oldest first.
static POOL: std::sync::Mutex<Vec<(usize, usize)>> = std::sync::Mutex::new(Vec::new());

fn pool() -> std::sync::MutexGuard<'static, Vec<(usize, usize)>> {
    // Entries are plain numbers: a panic while holding the lock leaves them consistent.
    POOL.lock().unwrap_or_else(|p| p.into_inner())
}

/// The layout of an allocation of `bytes` usable bytes: alignment 16 (so the system allocator
/// can use `calloc`) plus slack to align the elements to 64.
fn raw_layout(bytes: usize) -> Result<Layout, IrError> {
    let total = bytes
        .checked_add(STORAGE_ALIGN)
        .ok_or_else(|| IrError::TooLarge(format!("{bytes} bytes")))?;
    Layout::from_size_align(total, 16).map_err(|e| IrError::TooLarge(e.to_string()))
}

impl Storage {
    fn checked_bytes(dtype: DType, len: usize) -> Result<usize, IrError> {
        len.checked_mul(dtype.size_bytes())
            .filter(|&b| b <= isize::MAX as usize / 2)
            .ok_or_else(|| IrError::TooLarge(format!("{len} elements of {dtype}")))
    }

    fn from_base(base: NonNull<u8>, dtype: DType, len: usize) -> Storage {
        let offset = base.as_ptr().align_offset(STORAGE_ALIGN);
        // SAFETY: the allocation has STORAGE_ALIGN bytes of slack, so base + offset (< 64) plus
        // the element bytes stays inside it.
        let ptr = unsafe { NonNull::new_unchecked(base.as_ptr().add(offset)) };
        Storage {
            ptr,
            base: Some(base),
            len,
            dtype,
        }
    }

    fn empty(dtype: DType, len: usize) -> Storage {
        /// A type whose dangling pointer is aligned for every element type (and SIMD loads).
        #[repr(align(64))]
        struct Aligned;
        Storage {
            ptr: NonNull::<Aligned>::dangling().cast(),
            base: None,
            len,
            dtype,
        }
    }

    /// Allocates `len` zeroed elements.
    pub fn zeroed(dtype: DType, len: usize) -> Result<Storage, IrError> {
        let bytes = Storage::checked_bytes(dtype, len)?;
        if bytes == 0 {
            return Ok(Storage::empty(dtype, len));
        }
        let layout = raw_layout(bytes)?;
        // SAFETY: layout has non-zero size.
        let raw = unsafe { alloc_zeroed(layout) };
        let base = NonNull::new(raw).ok_or_else(|| IrError::TooLarge(format!("{bytes} bytes")))?;
        Ok(Storage::from_base(base, dtype, len))
    }

    /// Allocates `len` elements for a writer that overwrites every one of them: the bytes are
    /// initialised (zeros, or those of a dropped storage of the same size from the pool) but
    /// unspecified.
    pub fn for_overwrite(dtype: DType, len: usize) -> Result<Storage, IrError> {
        let bytes = Storage::checked_bytes(dtype, len)?;
        if bytes >= POOL_MIN_BYTES {
            let mut free = pool();
            if let Some(i) = free.iter().position(|&(b, _)| b == bytes) {
                let (_, addr) = free.remove(i);
                drop(free);
                // SAFETY: pooled addresses are non-null bases of live allocations of exactly
                // `raw_layout(bytes)`, owned by the pool until taken here.
                let base = unsafe { NonNull::new_unchecked(addr as *mut u8) };
                return Ok(Storage::from_base(base, dtype, len));
            }
        }
        Storage::zeroed(dtype, len)
    }

    /// Copies a typed slice into new storage.
    pub fn from_slice<T: Element>(data: &[T]) -> Result<Storage, IrError> {
        let storage = Storage::zeroed(T::DTYPE, data.len())?;
        // SAFETY: the allocation holds exactly data.len() elements of T and is not yet shared.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), storage.ptr.as_ptr() as *mut T, data.len())
        };
        Ok(storage)
    }

    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    pub fn byte_len(&self) -> usize {
        self.len * self.dtype.size_bytes()
    }
    pub fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }
    /// Raw pointer for kernels that write their freshly allocated output.
    pub fn as_mut_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The storage as a typed slice; `None` if `T` is not this storage's dtype.
    pub fn as_slice<T: Element>(&self) -> Option<&[T]> {
        (T::DTYPE == self.dtype).then(|| {
            // SAFETY: the allocation holds `len` initialised elements of T, aligned to 64.
            unsafe { std::slice::from_raw_parts(self.ptr.as_ptr() as *const T, self.len) }
        })
    }

    /// The storage as a mutable typed slice; only for an exclusively owned storage.
    pub fn as_mut_slice<T: Element>(&mut self) -> Option<&mut [T]> {
        (T::DTYPE == self.dtype).then(|| {
            // SAFETY: &mut self proves exclusive access; layout as in `as_slice`.
            unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr() as *mut T, self.len) }
        })
    }

    /// Reads element `i` as a scalar (bounds-checked).
    pub fn get(&self, i: usize) -> Option<Scalar> {
        (i < self.len).then(|| read_scalar(self.dtype, self.ptr.as_ptr(), i))
    }

    /// Writes element `i` (bounds- and dtype-checked); only for exclusively owned storage.
    pub fn set(&mut self, i: usize, value: Scalar) -> Result<(), IrError> {
        if i >= self.len {
            return Err(IrError::IndexOutOfBounds {
                index: i as i64,
                axis: 0,
                size: self.len,
            });
        }
        let value = value.cast(self.dtype);
        write_scalar(self.ptr.as_ptr(), i, value);
        Ok(())
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        let Some(base) = self.base else { return };
        let bytes = self.byte_len();
        if bytes >= POOL_MIN_BYTES {
            let mut free = pool();
            free.push((bytes, base.as_ptr() as usize));
            let mut held: usize = free.iter().map(|&(b, _)| b).sum();
            while held > POOL_BYTES {
                let (b, addr) = free.remove(0);
                held -= b;
                if let Ok(layout) = raw_layout(b) {
                    // SAFETY: the pool owned this allocation, made with exactly this layout.
                    unsafe { dealloc(addr as *mut u8, layout) };
                }
            }
            return;
        }
        if let Ok(layout) = raw_layout(bytes) {
            // SAFETY: allocated in `zeroed` with exactly this layout.
            unsafe { dealloc(base.as_ptr(), layout) };
        }
    }
}

fn read_scalar(dtype: DType, base: *const u8, i: usize) -> Scalar {
    // SAFETY: callers check `i < len`; the pointer is aligned for every dtype.
    unsafe {
        match dtype {
            DType::Bool => Scalar::Bool(*base.add(i) != 0),
            DType::I8 => Scalar::I8(*(base as *const i8).add(i)),
            DType::I16 => Scalar::I16(*(base as *const i16).add(i)),
            DType::I32 => Scalar::I32(*(base as *const i32).add(i)),
            DType::I64 => Scalar::I64(*(base as *const i64).add(i)),
            DType::U8 => Scalar::U8(*base.add(i)),
            DType::U16 => Scalar::U16(*(base as *const u16).add(i)),
            DType::U32 => Scalar::U32(*(base as *const u32).add(i)),
            DType::U64 => Scalar::U64(*(base as *const u64).add(i)),
            DType::F32 => Scalar::F32(*(base as *const f32).add(i)),
            DType::F64 => Scalar::F64(*(base as *const f64).add(i)),
            DType::C64 => Scalar::C64(*(base as *const C64).add(i)),
            DType::C128 => Scalar::C128(*(base as *const C128).add(i)),
        }
    }
}

fn write_scalar(base: *mut u8, i: usize, value: Scalar) {
    // SAFETY: callers check bounds and that value has the storage's dtype.
    unsafe {
        match value {
            Scalar::Bool(v) => *base.add(i) = v as u8,
            Scalar::I8(v) => *(base as *mut i8).add(i) = v,
            Scalar::I16(v) => *(base as *mut i16).add(i) = v,
            Scalar::I32(v) => *(base as *mut i32).add(i) = v,
            Scalar::I64(v) => *(base as *mut i64).add(i) = v,
            Scalar::U8(v) => *base.add(i) = v,
            Scalar::U16(v) => *(base as *mut u16).add(i) = v,
            Scalar::U32(v) => *(base as *mut u32).add(i) = v,
            Scalar::U64(v) => *(base as *mut u64).add(i) = v,
            Scalar::F32(v) => *(base as *mut f32).add(i) = v,
            Scalar::F64(v) => *(base as *mut f64).add(i) = v,
            Scalar::C64(v) => *(base as *mut C64).add(i) = v,
            Scalar::C128(v) => *(base as *mut C128).add(i) = v,
        }
    }
}

/// A Rust element type that maps onto one kiln dtype. `bool` is stored as a byte 0/1.
pub trait Element: Copy + Send + Sync + 'static + std::fmt::Debug {
    const DTYPE: DType;
    fn to_scalar(self) -> Scalar;
    /// Converts a scalar of any dtype with `astype` semantics.
    fn from_scalar(s: Scalar) -> Self;
}

macro_rules! element {
    ($t:ty, $d:ident) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            fn to_scalar(self) -> Scalar {
                Scalar::$d(self)
            }
            fn from_scalar(s: Scalar) -> Self {
                match s.cast(DType::$d) {
                    Scalar::$d(v) => v,
                    _ => unreachable!("Scalar::cast returns the requested dtype"),
                }
            }
        }
    };
}
element!(bool, Bool);
element!(i8, I8);
element!(i16, I16);
element!(i32, I32);
element!(i64, I64);
element!(u8, U8);
element!(u16, U16);
element!(u32, U32);
element!(u64, U64);
element!(f32, F32);
element!(f64, F64);
element!(C64, C64);
element!(C128, C128);

/// A realized array: shared storage seen through a view.
#[derive(Debug, Clone)]
pub struct Realized {
    pub storage: Arc<Storage>,
    pub view: View,
}

impl Realized {
    /// Wraps storage as a contiguous array of `shape`; the shape must match the storage length.
    pub fn contiguous(storage: Arc<Storage>, shape: Shape) -> Result<Realized, IrError> {
        if shape.numel() != storage.len() {
            return Err(IrError::Reshape {
                from: Shape::from([storage.len()]),
                from_numel: storage.len(),
                to: shape,
            });
        }
        Ok(Realized {
            storage,
            view: View::contiguous(shape),
        })
    }

    /// A realized array from typed data in row-major order.
    pub fn from_vec<T: Element>(data: &[T], shape: Shape) -> Result<Realized, IrError> {
        Realized::contiguous(Arc::new(Storage::from_slice(data)?), shape)
    }

    /// A realized array through an arbitrary view; the view must fit the storage.
    pub fn with_view(storage: Arc<Storage>, view: View) -> Result<Realized, IrError> {
        if !view.fits(storage.len()) {
            return Err(IrError::Verify(format!(
                "view {view:?} does not fit a storage of {} elements",
                storage.len()
            )));
        }
        Ok(Realized { storage, view })
    }

    pub fn dtype(&self) -> DType {
        self.storage.dtype()
    }
    pub fn shape(&self) -> &Shape {
        &self.view.shape
    }

    /// Element at a multi-index (bounds-checked).
    pub fn get(&self, index: &[usize]) -> Option<Scalar> {
        if index.len() != self.view.shape.rank()
            || index
                .iter()
                .zip(self.view.shape.dims())
                .any(|(&i, &d)| i >= d)
        {
            return None;
        }
        self.storage.get(self.view.offset_of(index) as usize)
    }

    /// All elements in row-major order as scalars (slow; for tests, printing and the oracle).
    pub fn scalars(&self) -> Vec<Scalar> {
        IndexIter::new(&self.view.shape)
            .map(|ix| {
                read_scalar(
                    self.dtype(),
                    self.storage.as_ptr(),
                    self.view.offset_of(&ix) as usize,
                )
            })
            .collect()
    }

    /// All elements in row-major order converted to `T` (the view is respected).
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        if T::DTYPE == self.dtype()
            && self.view.is_contiguous()
            && let Some(s) = self.storage.as_slice::<T>()
        {
            return s[..self.view.shape.numel()].to_vec();
        }
        self.scalars().into_iter().map(T::from_scalar).collect()
    }

    /// A contiguous copy built from scalars (used by reference code; casts to `dtype`).
    pub fn from_scalars(
        dtype: DType,
        shape: Shape,
        values: &[Scalar],
    ) -> Result<Realized, IrError> {
        let mut storage = Storage::zeroed(dtype, shape.numel())?;
        for (i, v) in values.iter().enumerate() {
            storage.set(i, *v)?;
        }
        Realized::contiguous(Arc::new(storage), shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_is_aligned_and_zeroed() {
        let s = Storage::zeroed(DType::F64, 10).unwrap();
        assert_eq!(s.as_ptr() as usize % STORAGE_ALIGN, 0);
        assert!(s.as_slice::<f64>().unwrap().iter().all(|&v| v == 0.0));
        assert!(s.as_slice::<f32>().is_none());
    }

    #[test]
    fn strided_read_back() {
        let r = Realized::from_vec(&[1i32, 2, 3, 4, 5, 6], Shape::from([2, 3])).unwrap();
        let flipped = Realized::with_view(
            r.storage.clone(),
            View {
                shape: Shape::from([3, 2]),
                strides: vec![-1, 3],
                offset: 2,
            },
        )
        .unwrap();
        assert_eq!(flipped.to_vec::<i32>(), vec![3, 6, 2, 5, 1, 4]);
    }

    #[test]
    fn pooled_storage_is_reused_and_aligned() {
        let a = Storage::zeroed(DType::F32, 1 << 20).unwrap();
        let addr = a.as_ptr() as usize;
        drop(a);
        let b = Storage::for_overwrite(DType::F32, 1 << 20).unwrap();
        assert_eq!(b.as_ptr() as usize % STORAGE_ALIGN, 0);
        // Another thread may have taken it, but in this test binary nothing else pools 4 MiB.
        assert_eq!(b.as_ptr() as usize, addr);
        let z = Storage::zeroed(DType::F32, 1 << 20).unwrap();
        assert!(z.as_slice::<f32>().unwrap().iter().all(|&v| v == 0.0));
    }

    #[test]
    fn empty_storage_is_aligned() {
        let e = Storage::zeroed(DType::C128, 0).unwrap();
        assert_eq!(e.as_ptr() as usize % STORAGE_ALIGN, 0);
        assert!(e.as_slice::<C128>().unwrap().is_empty());
    }

    #[test]
    fn oversize_is_an_error() {
        assert!(Storage::zeroed(DType::C128, usize::MAX / 2).is_err());
    }
}
