//! Realized array data: flat storage, element types, and a strided view into it.
//!
//! Invariant: a `Storage` holds `len` initialised elements of one dtype (a `bool` byte is 0 or 1)
//! at an address aligned at least to the element size, and is one of two kinds:
//!
//! - kiln's own: a 64-byte-aligned allocation, zeroed by `zeroed`, or (from `for_overwrite`) zeros
//!   or the bytes of an earlier storage, for a writer that overwrites every element;
//! - foreign (`from_foreign`): memory another library owns (a DLPack producer), kept alive by an
//!   owner value that the storage drops exactly once when it is dropped. kiln never writes it,
//!   never pools it and never frees it itself; `as_mut_slice` and `set` refuse it. Dropping the
//!   owner may call into its producer (NumPy's DLPack deleter takes the GIL), so storage must not
//!   be dropped while a lock is held that a Python thread could be waiting for.
//!
//! A `Realized` pairs one with a `View` that fits inside it. Storage is shared (`Arc`) and never
//! mutated by kiln after it is published to more than one owner: kernels write only into storage
//! they allocated for their outputs. (The owner of foreign memory may still write it, as a NumPy
//! array passed to `kiln.asarray` can be; readers then see the new values, as NumPy views do.)
//!
//! Large own allocations come from `calloc` (lazily zeroed pages, no memset) and, when dropped,
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

/// `len` elements of `dtype` in flat memory, kiln's own or foreign (see the module invariant).
pub struct Storage {
    /// Start of the elements (64-byte aligned for kiln's own memory, element-aligned for
    /// foreign memory).
    ptr: NonNull<u8>,
    backing: Backing,
    len: usize,
    dtype: DType,
}

/// What keeps a storage's memory alive and how it is released.
enum Backing {
    /// Zero bytes: nothing to release.
    Empty,
    /// kiln's allocation: what `calloc`-style allocation returned (`ptr` lies inside it).
    Own(NonNull<u8>),
    /// Foreign memory; dropping the owner releases it (for DLPack: calls the producer's deleter).
    Foreign { _owner: ForeignOwner },
}

/// Whatever keeps foreign memory alive; its `Drop` releases the memory.
pub type ForeignOwner = Box<dyn Send + Sync>;

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.backing {
            Backing::Empty => "empty",
            Backing::Own(_) => "own",
            Backing::Foreign { .. } => "foreign",
        };
        f.debug_struct("Storage")
            .field("ptr", &self.ptr)
            .field("kind", &kind)
            .field("len", &self.len)
            .field("dtype", &self.dtype)
            .finish()
    }
}

// SAFETY: Storage owns its allocation exclusively (or, for foreign memory, an owner that is
// itself Send + Sync); shared access only reads, and writers hold the only reference while they
// write (see the module invariant).
unsafe impl Send for Storage {}
// SAFETY: see above: concurrent readers never race with a kiln writer.
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
            backing: Backing::Own(base),
            len,
            dtype,
        }
    }

    fn empty(dtype: DType, len: usize) -> Storage {
        Storage {
            ptr: aligned_dangling(),
            backing: Backing::Empty,
            len,
            dtype,
        }
    }

    /// Whether foreign memory at `ptr` holding `len` elements of `dtype` can be wrapped by
    /// `from_foreign`: the byte size fits, the pointer is non-null (unless there are no bytes)
    /// and aligned to the element size, and (for `bool`) every byte is 0 or 1.
    ///
    /// # Safety
    /// If `len * dtype.size_bytes()` is non-zero and `ptr` is non-null and aligned, the bytes
    /// `ptr .. ptr + len * size` must be readable (they are read for `bool`).
    pub unsafe fn check_foreign(ptr: *const u8, dtype: DType, len: usize) -> Result<(), IrError> {
        let bytes = Storage::checked_bytes(dtype, len)?;
        if bytes == 0 {
            return Ok(());
        }
        if ptr.is_null() {
            return Err(IrError::InvalidArgument(format!(
                "foreign memory of {len} elements of {dtype} has a null data pointer"
            )));
        }
        let size = dtype.size_bytes();
        if !(ptr as usize).is_multiple_of(size) {
            return Err(IrError::InvalidArgument(format!(
                "foreign memory at {ptr:p} is not aligned to the {size}-byte size of {dtype}"
            )));
        }
        if dtype == DType::Bool {
            // SAFETY: the caller guarantees `bytes` readable bytes at the (non-null) `ptr`.
            let raw = unsafe { std::slice::from_raw_parts(ptr, bytes) };
            if raw.iter().any(|&b| b > 1) {
                return Err(IrError::InvalidArgument(
                    "foreign bool memory holds bytes other than 0 and 1".into(),
                ));
            }
        }
        Ok(())
    }

    /// Wraps foreign memory without copying: `len` elements of `dtype` at `ptr`, kept alive by
    /// `owner`, which is dropped exactly once: when the storage is dropped, or at once if this
    /// returns an error (`check_foreign`'s conditions are checked again here).
    ///
    /// # Safety
    /// `ptr .. ptr + len * dtype.size_bytes()` must hold initialised elements of `dtype` that
    /// stay readable until `owner` is dropped. kiln never writes them. Whoever else can write
    /// them must not do so while kiln reads (kiln reads during evaluation and read-back).
    pub unsafe fn from_foreign(
        ptr: *const u8,
        dtype: DType,
        len: usize,
        owner: ForeignOwner,
    ) -> Result<Storage, IrError> {
        // SAFETY: forwarded from this function's contract.
        unsafe { Storage::check_foreign(ptr, dtype, len) }?;
        let ptr = match NonNull::new(ptr as *mut u8) {
            Some(p) if len > 0 => p,
            // Zero elements: any pointer (even null) is fine; use one aligned for every dtype.
            _ => aligned_dangling(),
        };
        Ok(Storage {
            ptr,
            backing: Backing::Foreign { _owner: owner },
            len,
            dtype,
        })
    }

    /// Whether the memory is foreign (see the module invariant).
    pub fn is_foreign(&self) -> bool {
        matches!(self.backing, Backing::Foreign { .. })
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
    /// Raw pointer for kernels that write their freshly allocated output (never foreign
    /// memory, which may be read-only).
    pub fn as_mut_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The storage as a typed slice; `None` if `T` is not this storage's dtype.
    pub fn as_slice<T: Element>(&self) -> Option<&[T]> {
        (T::DTYPE == self.dtype).then(|| {
            // SAFETY: the memory holds `len` initialised elements of T, aligned at least to the
            // element size (module invariant; `check_foreign` for foreign memory).
            unsafe { std::slice::from_raw_parts(self.ptr.as_ptr() as *const T, self.len) }
        })
    }

    /// The storage as a mutable typed slice; only for an exclusively owned storage of kiln's
    /// own memory (`None` for foreign memory, which kiln never writes).
    pub fn as_mut_slice<T: Element>(&mut self) -> Option<&mut [T]> {
        (T::DTYPE == self.dtype && !self.is_foreign()).then(|| {
            // SAFETY: &mut self proves exclusive access; layout as in `as_slice`.
            unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr() as *mut T, self.len) }
        })
    }

    /// Reads element `i` as a scalar (bounds-checked).
    pub fn get(&self, i: usize) -> Option<Scalar> {
        (i < self.len).then(|| read_scalar(self.dtype, self.ptr.as_ptr(), i))
    }

    /// Writes element `i` (bounds- and dtype-checked); only for exclusively owned storage of
    /// kiln's own memory (an error for foreign memory).
    pub fn set(&mut self, i: usize, value: Scalar) -> Result<(), IrError> {
        if self.is_foreign() {
            return Err(IrError::Verify("kiln never writes foreign memory".into()));
        }
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

/// A dangling pointer aligned for every element type (and SIMD loads), for zero-byte storage.
fn aligned_dangling() -> NonNull<u8> {
    #[repr(align(64))]
    struct Aligned;
    NonNull::<Aligned>::dangling().cast()
}

impl Drop for Storage {
    fn drop(&mut self) {
        let base = match &self.backing {
            Backing::Empty | Backing::Foreign { .. } => return, // the owner drops with `backing`
            Backing::Own(base) => *base,
        };
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
    // SAFETY: callers check `i < len`; storage memory is aligned to the element size.
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

    /// A foreign owner that counts how often it is dropped.
    struct Counted(
        Arc<std::sync::atomic::AtomicUsize>,
        #[allow(dead_code)] Vec<f64>,
    );
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn drops() -> Arc<std::sync::atomic::AtomicUsize> {
        Arc::new(std::sync::atomic::AtomicUsize::new(0))
    }

    fn count(c: &std::sync::atomic::AtomicUsize) -> usize {
        c.load(std::sync::atomic::Ordering::SeqCst)
    }

    #[test]
    fn foreign_storage_reads_in_place_and_drops_its_owner_once() {
        let dropped = drops();
        let data = vec![1.0f64, 2.0, 3.0, 4.0];
        let ptr = data.as_ptr() as *const u8;
        let owner = Box::new(Counted(dropped.clone(), data));
        // SAFETY: the Vec's heap buffer moves with the owner, which the storage keeps alive.
        let s = Arc::new(unsafe { Storage::from_foreign(ptr, DType::F64, 4, owner) }.unwrap());
        assert!(s.is_foreign());
        assert_eq!(s.as_ptr(), ptr);
        let r = Realized::with_view(
            s.clone(),
            View {
                shape: Shape::from([2]),
                strides: vec![-2],
                offset: 3,
            },
        )
        .unwrap();
        assert_eq!(r.to_vec::<f64>(), vec![4.0, 2.0]);
        drop(s);
        assert_eq!(count(&dropped), 0);
        drop(r);
        assert_eq!(count(&dropped), 1);
    }

    #[test]
    fn foreign_storage_is_never_written() {
        let dropped = drops();
        let data = vec![1.0f64];
        let ptr = data.as_ptr() as *const u8;
        let owner = Box::new(Counted(dropped.clone(), data));
        // SAFETY: as above.
        let mut s = unsafe { Storage::from_foreign(ptr, DType::F64, 1, owner) }.unwrap();
        assert!(s.as_mut_slice::<f64>().is_none());
        assert!(s.set(0, Scalar::F64(5.0)).is_err());
        assert_eq!(s.get(0), Some(Scalar::F64(1.0)));
        drop(s);
        assert_eq!(count(&dropped), 1);
    }

    #[test]
    fn misaligned_foreign_memory_is_refused_and_its_owner_dropped() {
        let dropped = drops();
        let data = vec![0.0f64; 3];
        // SAFETY: one byte into a live allocation of 24 bytes.
        let ptr = unsafe { (data.as_ptr() as *const u8).add(1) };
        // SAFETY: 16 bytes from ptr are inside the allocation.
        assert!(unsafe { Storage::check_foreign(ptr, DType::F64, 2) }.is_err());
        let owner = Box::new(Counted(dropped.clone(), data));
        // SAFETY: as above.
        assert!(unsafe { Storage::from_foreign(ptr, DType::F64, 2, owner) }.is_err());
        assert_eq!(count(&dropped), 1);
    }

    #[test]
    fn foreign_bool_bytes_must_be_zero_or_one() {
        let good = [0u8, 1, 1];
        let bad = [0u8, 2, 1];
        // SAFETY: three readable bytes each.
        unsafe {
            assert!(Storage::check_foreign(good.as_ptr(), DType::Bool, 3).is_ok());
            assert!(Storage::check_foreign(bad.as_ptr(), DType::Bool, 3).is_err());
        }
    }

    #[test]
    fn empty_foreign_storage_accepts_a_null_pointer() {
        let dropped = drops();
        let owner = Box::new(Counted(dropped.clone(), Vec::new()));
        // SAFETY: zero elements: nothing is read.
        let s = unsafe { Storage::from_foreign(std::ptr::null(), DType::C128, 0, owner) }.unwrap();
        assert_eq!(s.as_ptr() as usize % STORAGE_ALIGN, 0);
        assert!(s.as_slice::<C128>().unwrap().is_empty());
        drop(s);
        assert_eq!(count(&dropped), 1);
    }

    #[test]
    fn oversize_is_an_error() {
        assert!(Storage::zeroed(DType::C128, usize::MAX / 2).is_err());
    }
}
