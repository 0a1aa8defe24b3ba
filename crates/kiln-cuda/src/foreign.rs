//! Device memory another library owns (a DLPack `kDLCUDA` import from PyTorch, CuPy, JAX...),
//! read by kiln in place.
//!
//! Invariants: a [`ForeignMemory`] is only made by `CudaRuntime::foreign`, which checks that
//! the address is device memory of the runtime's device (the driver's pointer attributes) and
//! aligned for the dtype; kiln never writes it. Its owner (the producer's deleter) is dropped
//! with it, and no kiln work reads it by then: every evaluation synchronises its stream before
//! it returns, and the memory lives as long as any array over it.

use crate::error::CudaError;
use crate::memory::DeviceMemory;
use cudarc::driver::CudaContext;
use kiln_ir::{DType, Storage};
use std::any::Any;
use std::sync::Arc;

/// `len` elements of `dtype` at device address `address`, kept alive by `owner`.
pub struct ForeignMemory {
    address: u64,
    dtype: DType,
    len: usize,
    ordinal: usize,
    ctx: Arc<CudaContext>,
    /// Dropped last: releases the producer's tensor.
    _owner: Box<dyn Any + Send + Sync>,
}

impl ForeignMemory {
    pub(crate) fn new(
        address: u64,
        dtype: DType,
        len: usize,
        ordinal: usize,
        ctx: Arc<CudaContext>,
        owner: Box<dyn Any + Send + Sync>,
    ) -> ForeignMemory {
        ForeignMemory {
            address,
            dtype,
            len,
            ordinal,
            ctx,
            _owner: owner,
        }
    }

    /// The device address of element 0.
    pub(crate) fn address(&self) -> u64 {
        self.address
    }
}

impl std::fmt::Debug for ForeignMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ForeignMemory(cuda:{}, {} x {} at {:#x})",
            self.ordinal, self.len, self.dtype, self.address
        )
    }
}

impl DeviceMemory for ForeignMemory {
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
        let storage = Storage::for_overwrite(self.dtype, self.len)
            .map_err(|e| CudaError::Unsupported(format!("host storage: {e}")))?;
        let n = storage.byte_len();
        if n == 0 {
            return Ok(storage);
        }
        self.ctx
            .bind_to_thread()
            .map_err(|e| CudaError::Call(format!("bind context: {e:?}")))?;
        // SAFETY: `storage` is kiln's own allocation of `n` bytes, not yet shared; the source
        // holds `len` elements of `dtype` (`n` bytes) on this context's device (checked when
        // made), alive while `self` is.
        unsafe {
            let host = std::slice::from_raw_parts_mut(storage.as_mut_ptr(), n);
            cudarc::driver::result::memcpy_dtoh_sync(host, self.address)
        }
        .map_err(|e| CudaError::Call(format!("copy to host: {e:?}")))?;
        Ok(storage)
    }
    fn ready_address(&self) -> Result<u64, CudaError> {
        Ok(self.address)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
