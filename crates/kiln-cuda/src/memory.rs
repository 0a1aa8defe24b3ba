//! Device memory that outlives an evaluation: what a CUDA array's realized data is, so that a
//! chain of evaluations keeps its data on the device and pays no transfer between them.
//!
//! Invariants:
//! - A [`DeviceBuffer`] holds `len` elements of `dtype` (at least one byte is allocated) on
//!   device `ordinal`. It is written by the evaluation or upload that made it and never again
//!   (arrays are immutable), and it is only used on its runtime's one stream, so a read enqueued
//!   after the writing launch sees the written values.
//! - Dropping a buffer returns its memory to the [`Heap`] of its runtime, which keeps at most
//!   [`POOL_BYTES`] of free buffers (by exact size) for later allocations and frees the rest.
//!   Every buffer a run uses is one, so a run releases what no output keeps just by ending.
//! - [`DeviceMemory`] is what the rest of kiln sees: any memory that belongs to a CUDA device and
//!   can be copied to the host. A runtime binds its own buffers without a copy and stages any
//!   other implementation through the host (`to_host`, then an upload).
//! - Every copy between host and device is counted in the heap's [`Transfers`], so tests on a
//!   GPU can check that a resident chain moves nothing.

use crate::error::CudaError;
use cudarc::driver::{CudaSlice, CudaStream};
use kiln_ir::{DType, Realized, Storage, View};
use std::any::Any;
use std::collections::HashMap;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Free device memory a runtime keeps for reuse, in bytes at most.
pub const POOL_BYTES: usize = 2 << 30;

/// Memory of a CUDA device that holds an array's elements.
pub trait DeviceMemory: Send + Sync + std::fmt::Debug {
    /// The CUDA device ordinal.
    fn ordinal(&self) -> usize;
    fn dtype(&self) -> DType;
    /// Elements held.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A host copy of the elements.
    fn to_host(&self) -> Result<Storage, CudaError>;
    /// The device address of element 0 once every write enqueued on the memory has finished,
    /// so that another library may read it on any stream (DLPack export). Memory without a
    /// device address of its own says so.
    fn ready_address(&self) -> Result<u64, CudaError> {
        Err(CudaError::Unsupported(
            "this device memory has no address to share".into(),
        ))
    }
    /// For a runtime to recognise its own buffers.
    fn as_any(&self) -> &dyn Any;
    /// The same, owned (see `as_any`).
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

/// An array whose data lives on a device: memory seen through a view.
#[derive(Clone, Debug)]
pub struct Resident {
    pub memory: Arc<dyn DeviceMemory>,
    pub view: View,
}

impl Resident {
    /// The same view over a host copy of the memory.
    pub fn to_host(&self) -> Result<Realized, CudaError> {
        let storage = Arc::new(self.memory.to_host()?);
        Realized::with_view(storage, self.view.clone())
            .map_err(|e| CudaError::Unsupported(format!("resident view: {e}")))
    }
}

/// Copies between host and device since a runtime was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transfers {
    pub uploads: u64,
    pub upload_bytes: u64,
    pub downloads: u64,
    pub download_bytes: u64,
}

/// Free buffers by exact byte size, and their total bytes.
#[derive(Default)]
struct FreeList {
    by_size: HashMap<usize, Vec<CudaSlice<u8>>>,
    bytes: usize,
}

/// A runtime's free buffers and transfer counters, shared with the buffers it made.
#[derive(Default)]
pub(crate) struct Heap {
    free: Mutex<FreeList>,
    uploads: AtomicU64,
    upload_bytes: AtomicU64,
    downloads: AtomicU64,
    download_bytes: AtomicU64,
}

impl Heap {
    /// A free buffer of exactly `bytes` bytes, if the pool has one.
    pub(crate) fn take(&self, bytes: usize) -> Option<CudaSlice<u8>> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        let slice = free.by_size.get_mut(&bytes).and_then(Vec::pop)?;
        free.bytes -= bytes;
        Some(slice)
    }

    /// Keeps `slice` for reuse, or frees it when the pool is full.
    pub(crate) fn give(&self, slice: CudaSlice<u8>) {
        let bytes = slice.len();
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        if free.bytes + bytes <= POOL_BYTES {
            free.bytes += bytes;
            free.by_size.entry(bytes).or_default().push(slice);
        }
    }

    pub(crate) fn count_upload(&self, bytes: usize) {
        self.uploads.fetch_add(1, Ordering::Relaxed);
        self.upload_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn count_download(&self, bytes: usize) {
        self.downloads.fetch_add(1, Ordering::Relaxed);
        self.download_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn transfers(&self) -> Transfers {
        Transfers {
            uploads: self.uploads.load(Ordering::Relaxed),
            upload_bytes: self.upload_bytes.load(Ordering::Relaxed),
            downloads: self.downloads.load(Ordering::Relaxed),
            download_bytes: self.download_bytes.load(Ordering::Relaxed),
        }
    }
}

/// A host copy of the first `dtype x len` elements of `src` (enqueued on `stream`, waited for).
fn download(
    stream: &Arc<CudaStream>,
    heap: &Heap,
    src: &CudaSlice<u8>,
    dtype: DType,
    len: usize,
) -> Result<Storage, CudaError> {
    let storage = Storage::for_overwrite(dtype, len)
        .map_err(|e| CudaError::Unsupported(format!("host storage: {e}")))?;
    let n = storage.byte_len();
    if n == 0 {
        return Ok(storage);
    }
    let view = src.try_slice(0..n).ok_or_else(|| {
        CudaError::Unsupported(format!(
            "device buffer of {} bytes holds no {n}-byte {dtype} array",
            src.len()
        ))
    })?;
    // SAFETY: `storage` is kiln's own allocation of `n` bytes, not yet shared with anyone.
    let host = unsafe { std::slice::from_raw_parts_mut(storage.as_mut_ptr(), n) };
    let call = |what: &'static str| move |e| CudaError::Call(format!("{what}: {e:?}"));
    stream
        .memcpy_dtoh(&view, host)
        .map_err(call("copy to host"))?;
    stream.synchronize().map_err(call("synchronize"))?;
    heap.count_download(n);
    Ok(storage)
}

/// Device memory a runtime allocated: an evaluation's output or an upload.
pub struct DeviceBuffer {
    slice: ManuallyDrop<CudaSlice<u8>>,
    dtype: DType,
    len: usize,
    ordinal: usize,
    stream: Arc<CudaStream>,
    heap: Arc<Heap>,
}

impl DeviceBuffer {
    /// Wraps `slice` (at least `len` elements of `dtype`) made by the runtime of `ordinal`.
    pub(crate) fn new(
        slice: CudaSlice<u8>,
        dtype: DType,
        len: usize,
        ordinal: usize,
        stream: Arc<CudaStream>,
        heap: Arc<Heap>,
    ) -> DeviceBuffer {
        DeviceBuffer {
            slice: ManuallyDrop::new(slice),
            dtype,
            len,
            ordinal,
            stream,
            heap,
        }
    }

    pub(crate) fn slice(&self) -> &CudaSlice<u8> {
        &self.slice
    }

    /// Bytes allocated (at least one; see `CudaRuntime::alloc`).
    pub(crate) fn byte_len(&self) -> usize {
        self.slice.len()
    }
}

impl Drop for DeviceBuffer {
    fn drop(&mut self) {
        // SAFETY: `slice` is taken exactly once, here, and `self` is not used afterwards.
        let slice = unsafe { ManuallyDrop::take(&mut self.slice) };
        self.heap.give(slice);
    }
}

impl std::fmt::Debug for DeviceBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DeviceBuffer(cuda:{}, {} x {})",
            self.ordinal, self.len, self.dtype
        )
    }
}

impl DeviceMemory for DeviceBuffer {
    fn ordinal(&self) -> usize {
        self.ordinal
    }
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn len(&self) -> usize {
        self.len
    }
    fn to_host(&self) -> Result<Storage, CudaError> {
        download(&self.stream, &self.heap, &self.slice, self.dtype, self.len)
    }
    fn ready_address(&self) -> Result<u64, CudaError> {
        use cudarc::driver::DevicePtr;
        self.stream
            .synchronize()
            .map_err(|e| CudaError::Call(format!("synchronize: {e:?}")))?;
        let (address, _record) = self.slice.device_ptr(&self.stream);
        Ok(address)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
