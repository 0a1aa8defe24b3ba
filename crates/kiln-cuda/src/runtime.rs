//! A first CUDA executor: runs the kernel steps of a schedule on one device, with data that stays
//! on the device between evaluations (see `memory`).
//!
//! UNRUN: no session so far had a GPU, so this module is compile-checked only; `tests/device.rs`
//! (run on a GPU machine by `benches/gpu/run.sh`) is its first test.
//!
//! Invariant: every launch is of a schedule that passed `Schedule::verify` against its inputs,
//! which checks each kernel and that every parameter's layout stays inside its buffer for the
//! launch's extents; device buffers are allocated with exactly the byte size of their host
//! storage or `BufferDecl`, so the generated code (which addresses only through that layout)
//! stays in bounds. Modules are loaded once per `Kernel::canonical_text` (and form: one-pass or
//! split) and come from the `CudaCodeStore` (memory, then the disk cache, then NVRTC for the
//! device's architecture: a CUBIN when NVRTC supports it, else PTX), so a kernel compiled by
//! any earlier process is never compiled again. Freed buffers wait in a size-keyed pool for
//! the next allocation of the same size (see `memory::Heap`).
//!
//! Residency: a schedule input that is already this runtime's [`DeviceBuffer`], or memory of this
//! device that another library owns ([`ForeignMemory`], a DLPack import), is bound without a
//! copy; any other input is uploaded for the run (a host array, or another device's memory
//! through the host). Outputs stay on the device as [`Resident`] buffers (an output that is an
//! input shares the input's buffer). Host inputs of a resident slot are stand-ins for their
//! shape and are never read.
//!
//! Library steps: float and complex matrix products run through cuBLAS and FFTs through cuFFT
//! (plans cached), reading their operands where they lie (see `library`). Every other library
//! step (integer products, sorts, scans, linear algebra, and products or transforms whose
//! operand layout the libraries cannot read: gathers, zero padding, `fftshift` rolls) runs on
//! the host through the caller's [`HostLibrary`]: the temporaries and resident inputs it reads
//! are copied to the host, its result copied back into its device temporary (correct, but two
//! transfers per step). [`CudaRuntime::library_steps`] counts which path each step took.

use crate::arch::CudaArch;
use crate::codegen::{self, BLOCK, ENTRY, FINISH_ENTRY, PARTIAL_ENTRY};
use crate::codestore::{CudaCodeStore, Form};
use crate::device::{DeviceInfo, discover};
use crate::error::CudaError;
use crate::foreign::ForeignMemory;
use crate::library::{DeviceLibraries, LibrarySteps, fft, gemm};
use crate::memory::{DeviceBuffer, DeviceMemory, Heap, Resident, Transfers};
use crate::nvrtc;
use cudarc::driver::sys::CUdevice_attribute;
use cudarc::driver::{CudaContext, CudaModule, CudaSlice, CudaStream, DevicePtr, SyncOnDrop};
use kiln_ir::{BufferRef, KernelStep, LibOp, LibraryStep, Realized, Schedule, Step, Storage};
use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::{Arc, Mutex};

fn call(what: &str) -> impl Fn(cudarc::driver::DriverError) -> CudaError + '_ {
    move |e| CudaError::Call(format!("{what}: {e:?}"))
}

/// The architecture to compile for on a device of compute capability `cc`: a CUBIN (`sm_XY`,
/// no driver JIT when loading) when this NVRTC supports the architecture, else PTX.
pub fn device_arch(cc: (i32, i32)) -> Result<CudaArch, CudaError> {
    let real = CudaArch::real_for(cc)?;
    if nvrtc::supported_archs()?.contains(&real.number) {
        Ok(real)
    } else {
        Ok(real.as_virtual())
    }
}

/// Runs one library step on the host: given the step, its schedule, the schedule's inputs (host
/// copies for every input the step reads) and host copies of the temporaries the step reads (the
/// others `None`), returns the temporary the step writes and its contents (what
/// `kiln_cpu::library::run` does). Its error is the caller's own: the runtime hands it back
/// unchanged as `CudaError::Host`.
pub type HostLibrary<'a> = dyn Fn(
        &LibraryStep,
        &Schedule,
        &[Realized],
        &[Option<Arc<Storage>>],
    ) -> Result<(usize, Storage), HostError>
    + 'a;

/// A host library step's own error (the caller downcasts it back).
pub type HostError = Box<dyn std::error::Error + Send + Sync>;

/// A schedule input bound for one run: a buffer this runtime made, or memory of its device that
/// another library owns.
#[derive(Clone)]
enum Bound {
    Own(Arc<DeviceBuffer>),
    Foreign(Arc<ForeignMemory>),
}

impl Bound {
    fn memory(&self) -> Arc<dyn DeviceMemory> {
        match self {
            Bound::Own(b) => b.clone(),
            Bound::Foreign(f) => f.clone(),
        }
    }
}

/// Where one buffer of a run lies on the device, kept in stream order while this lives.
struct Located<'a> {
    ptr: u64,
    bytes: usize,
    dtype: kiln_ir::DType,
    len: usize,
    _order: Option<SyncOnDrop<'a>>,
}

/// The NVRTC version a deployment without NVRTC keys its modules on: `KILN_NVRTC_VERSION`
/// (`13.0`), the version of the NVRTC that built the bundle it ships.
fn bundle_nvrtc_version() -> Result<(i32, i32), CudaError> {
    let text = std::env::var("KILN_NVRTC_VERSION").map_err(|_| {
        CudaError::NoNvrtc(
            "NVRTC cannot be loaded and KILN_NVRTC_VERSION (the version that built the shipped \
             modules, e.g. 13.0) is not set"
                .into(),
        )
    })?;
    let parsed = text
        .trim()
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
    parsed.ok_or_else(|| {
        CudaError::NoNvrtc(format!(
            "KILN_NVRTC_VERSION={text:?} is not a version like 13.0"
        ))
    })
}

/// One device, its stream, compiled modules and a caching allocator.
pub struct CudaRuntime {
    pub info: DeviceInfo,
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    sms: usize,
    /// Modules loaded into this context, by (canonical kernel text, form).
    modules: Mutex<HashMap<(String, Form), Arc<CudaModule>>>,
    /// Where modules come from: memory, the disk cache, or NVRTC.
    store: CudaCodeStore,
    /// Free buffers and transfer counters, shared with the buffers this runtime made.
    heap: Arc<Heap>,
    /// cuBLAS and cuFFT on this runtime's stream.
    libraries: DeviceLibraries,
}

impl std::fmt::Debug for CudaRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CudaRuntime")
            .field("info", &self.info)
            .field("sms", &self.sms)
            .finish()
    }
}

impl CudaRuntime {
    /// Opens device `ordinal` (a typed error when there is none; see `device::discover`),
    /// with the disk cache the environment names (`KILN_CACHE_DIR`, `KILN_CACHE_STRICT`, ...).
    /// Without NVRTC (a deployment that ships its modules), the store keys on
    /// `KILN_NVRTC_VERSION` and loads CUBINs for the device's architecture from the cache only.
    pub fn new(ordinal: usize) -> Result<CudaRuntime, CudaError> {
        let info = discover(ordinal)?;
        let config = kiln_cache::CacheConfig::from_env();
        let store = if nvrtc::nvrtc_available() {
            CudaCodeStore::new(&config, device_arch(info.compute_capability)?)?
        } else {
            let arch = CudaArch::real_for(info.compute_capability)?;
            CudaCodeStore::with_nvrtc_version(&config, arch, bundle_nvrtc_version()?)
        };
        CudaRuntime::with_store(info, store)
    }

    /// Opens the device `info` describes, taking modules from `store` (whose architecture must
    /// suit the device).
    pub fn with_store(info: DeviceInfo, store: CudaCodeStore) -> Result<CudaRuntime, CudaError> {
        // `CudaContext::new` panics without libcuda: check first (see `device.rs`).
        let ordinal = discover(info.ordinal)?.ordinal;
        let ctx = CudaContext::new(ordinal).map_err(call("context"))?;
        let sms = ctx
            .attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
            .map_err(call("multiprocessor count"))?;
        let stream = ctx.default_stream();
        Ok(CudaRuntime {
            info,
            ctx,
            stream: stream.clone(),
            sms: usize::try_from(sms).unwrap_or(1),
            modules: Mutex::new(HashMap::new()),
            store,
            heap: Arc::new(Heap::default()),
            libraries: DeviceLibraries::new(stream),
        })
    }

    /// The code store this runtime loads modules from (its counters show compiles and hits).
    pub fn store(&self) -> &CudaCodeStore {
        &self.store
    }

    fn module(&self, k: &kiln_ir::Kernel, split: bool) -> Result<Arc<CudaModule>, CudaError> {
        let form = if split { Form::Split } else { Form::OnePass };
        let key = (k.canonical_text(), form);
        let mut modules = self.modules.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = modules.get(&key) {
            return Ok(m.clone());
        }
        // A module rejected by the driver when it came from disk is a miss: the store compiles
        // it again (unless strict).
        let (module, _) = self.store.obtain(k, form, |artifact| {
            self.ctx
                .load_module(artifact.to_cudarc())
                .map_err(call("load module"))
        })?;
        modules.insert(key, module.clone());
        Ok(module)
    }

    /// Host-device copies made by this runtime and the buffers it made.
    pub fn transfers(&self) -> Transfers {
        self.heap.transfers()
    }

    /// Where this runtime's library steps ran (cuBLAS, cuFFT or the host).
    pub fn library_steps(&self) -> LibrarySteps {
        self.libraries.steps()
    }

    /// A device buffer of `bytes` bytes (at least 1), reused from the pool when one is free.
    fn alloc(&self, bytes: usize) -> Result<CudaSlice<u8>, CudaError> {
        let bytes = bytes.max(1);
        match self.heap.take(bytes) {
            Some(b) => Ok(b),
            None => self.stream.alloc_zeros::<u8>(bytes).map_err(call("alloc")),
        }
    }

    /// `slice` (holding `len` elements of `dtype`) as a buffer, back in the pool when dropped.
    fn keep(&self, slice: CudaSlice<u8>, dtype: kiln_ir::DType, len: usize) -> Arc<DeviceBuffer> {
        Arc::new(DeviceBuffer::new(
            slice,
            dtype,
            len,
            self.info.ordinal,
            self.stream.clone(),
            self.heap.clone(),
        ))
    }

    /// A copy of `s` in this device's memory, kept until the returned buffer is dropped (the
    /// copy is enqueued; later work on this runtime's stream sees it).
    pub fn upload_storage(&self, s: &Storage) -> Result<Arc<DeviceBuffer>, CudaError> {
        // SAFETY: a storage owns `byte_len` initialised bytes at `as_ptr` for as long as it lives,
        // and it outlives this borrow.
        let bytes = unsafe { std::slice::from_raw_parts(s.as_ptr(), s.byte_len()) };
        let mut dst = self.alloc(bytes.len())?;
        if !bytes.is_empty() {
            self.stream
                .memcpy_htod(bytes, &mut dst)
                .map_err(call("copy to device"))?;
            self.heap.count_upload(bytes.len());
        }
        Ok(self.keep(dst, s.dtype(), s.len()))
    }

    /// `len` elements of `dtype` at device address `address` of this runtime's device, owned by
    /// another library and kept alive by `owner` (dropped with the returned memory): a DLPack
    /// import, read in place. The driver must know the address as memory of this device, and
    /// it must be aligned for `dtype`.
    ///
    /// # Safety
    /// The `len` elements at `address` must stay allocated and unwritten by their owner for as
    /// long as `owner` lives, and every write enqueued on them before this call must be visible
    /// to work kiln enqueues afterwards (DLPack's stream handshake).
    pub unsafe fn foreign(
        &self,
        address: u64,
        dtype: kiln_ir::DType,
        len: usize,
        owner: Box<dyn std::any::Any + Send + Sync>,
    ) -> Result<Arc<ForeignMemory>, CudaError> {
        if len > 0 {
            if !address.is_multiple_of(dtype.size_bytes() as u64) {
                return Err(CudaError::Unsupported(format!(
                    "device address {address:#x} is not aligned for {dtype}"
                )));
            }
            self.ctx.bind_to_thread().map_err(call("bind context"))?;
            let mut ordinal: std::ffi::c_int = -1;
            // SAFETY: the attribute is one int, written through a pointer to a local; the
            // driver answers for any address (an error for one it does not know).
            let known = unsafe {
                cudarc::driver::sys::cuPointerGetAttribute(
                    (&mut ordinal as *mut std::ffi::c_int).cast(),
                    cudarc::driver::sys::CUpointer_attribute::CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL,
                    address,
                )
            }
            .result();
            if known.is_err() || usize::try_from(ordinal).ok() != Some(self.info.ordinal) {
                return Err(CudaError::Unsupported(format!(
                    "address {address:#x} is not memory of cuda:{} (driver: {known:?}, device \
                     {ordinal})",
                    self.info.ordinal
                )));
            }
        }
        Ok(Arc::new(ForeignMemory::new(
            address,
            dtype,
            len,
            self.info.ordinal,
            self.ctx.clone(),
            owner,
        )))
    }

    /// Binds schedule input `r` (with the device memory `resident` of its slot, if any): this
    /// runtime's own buffer or foreign memory of its device in place, anything else uploaded.
    fn bind(
        &self,
        r: &Realized,
        resident: Option<&Arc<dyn DeviceMemory>>,
    ) -> Result<Bound, CudaError> {
        let Some(memory) = resident else {
            return Ok(Bound::Own(self.upload_storage(&r.storage)?));
        };
        if memory.dtype() != r.dtype() || memory.len() != r.storage.len() {
            return Err(CudaError::Unsupported(format!(
                "resident input of {} x {} stands in for {} x {}",
                memory.len(),
                memory.dtype(),
                r.storage.len(),
                r.dtype()
            )));
        }
        if memory.ordinal() == self.info.ordinal {
            let any = memory.clone().into_any();
            let any = match any.downcast::<DeviceBuffer>() {
                Ok(own) => return Ok(Bound::Own(own)),
                Err(any) => any,
            };
            if let Ok(foreign) = any.downcast::<ForeignMemory>() {
                return Ok(Bound::Foreign(foreign));
            }
        }
        Ok(Bound::Own(self.upload_storage(&memory.to_host()?)?))
    }

    /// Where buffer `r` of a run lies (see `Located`).
    fn locate<'a>(
        &'a self,
        r: BufferRef,
        bound: &'a [Bound],
        temps: &'a [Arc<DeviceBuffer>],
    ) -> Result<Located<'a>, CudaError> {
        let own = |b: &'a DeviceBuffer| {
            let (ptr, order) = b.slice().device_ptr(&self.stream);
            Located {
                ptr,
                bytes: b.byte_len(),
                dtype: b.dtype(),
                len: b.len(),
                _order: Some(order),
            }
        };
        match r {
            BufferRef::Input(i) => match bound.get(i) {
                Some(Bound::Own(b)) => Some(own(b)),
                Some(Bound::Foreign(f)) => Some(Located {
                    ptr: f.address(),
                    bytes: f.len() * f.dtype().size_bytes(),
                    dtype: f.dtype(),
                    len: f.len(),
                    _order: None,
                }),
                None => None,
            },
            BufferRef::Temp(t) => temps.get(t).map(|b| own(b)),
        }
        .ok_or_else(|| CudaError::Unsupported(format!("buffer {r}")))
    }

    /// Runs `s` on the device and returns its outputs, which stay on the device. `resident[i]`
    /// (when present and `Some`) is the device memory of input `i`, whose host `inputs[i]` is
    /// then only a stand-in of the same dtype and length; other inputs are uploaded. Kernel
    /// steps are launched in order, library steps run through `host`.
    pub fn run_schedule(
        &self,
        s: &Schedule,
        inputs: &[Realized],
        resident: &[Option<Arc<dyn DeviceMemory>>],
        host: &HostLibrary<'_>,
    ) -> Result<Vec<Resident>, CudaError> {
        s.verify(inputs)
            .map_err(|e| CudaError::Unsupported(format!("schedule: {e}")))?;
        // Every buffer of the run is a `DeviceBuffer`: whatever no output keeps goes back to the
        // pool when these vectors drop, on success and on error alike.
        let mut bound = Vec::with_capacity(inputs.len());
        for (i, r) in inputs.iter().enumerate() {
            bound.push(self.bind(r, resident.get(i).and_then(Option::as_ref))?);
        }
        let mut temps = Vec::with_capacity(s.buffers.len());
        for b in &s.buffers {
            let slice = self.alloc(b.len * b.dtype.size_bytes())?;
            temps.push(self.keep(slice, b.dtype, b.len));
        }
        for step in &s.steps {
            match step {
                Step::Kernel(ks) => self.launch(ks, &bound, &temps)?,
                Step::Library(l) => {
                    if !self.library_on_device(l, &bound, &temps)? {
                        self.libraries.count_host();
                        self.library_on_host(l, s, inputs, resident, &mut temps, host)?;
                    }
                }
            }
        }
        self.stream.synchronize().map_err(call("synchronize"))?;
        let mut outputs = Vec::with_capacity(s.outputs.len());
        for o in &s.outputs {
            let buffer: Option<Arc<dyn DeviceMemory>> = match o.buffer {
                BufferRef::Input(i) => bound.get(i).map(Bound::memory),
                BufferRef::Temp(t) => temps.get(t).map(|b| b.clone() as Arc<dyn DeviceMemory>),
            };
            let buffer =
                buffer.ok_or_else(|| CudaError::Unsupported(format!("output of {}", o.buffer)))?;
            if !o.view.fits(buffer.len()) {
                return Err(CudaError::Unsupported(format!(
                    "output view {:?} does not fit {} elements",
                    o.view,
                    buffer.len()
                )));
            }
            outputs.push(Resident {
                memory: buffer,
                view: o.view.clone(),
            });
        }
        Ok(outputs)
    }

    /// Runs library step `l` through cuBLAS or cuFFT when one serves it and can read its
    /// operands as they lie; `Ok(false)` (nothing enqueued) otherwise.
    fn library_on_device(
        &self,
        l: &LibraryStep,
        bound: &[Bound],
        temps: &[Arc<DeviceBuffer>],
    ) -> Result<bool, CudaError> {
        let out = self.locate(BufferRef::Temp(l.out()), bound, temps)?;
        if out.dtype != l.dtype() {
            return Ok(false);
        }
        match l {
            LibraryStep::MatMul { a, b, dtype, .. } => {
                let Some(plan) = gemm::plan(a, b, *dtype) else {
                    return Ok(false);
                };
                let (la, lb) = (
                    self.locate(a.buffer, bound, temps)?,
                    self.locate(b.buffer, bound, temps)?,
                );
                // The plan writes the whole contiguous `[batch.., M, N]` result.
                if la.dtype != *dtype || lb.dtype != *dtype || out.len != plan.out_len() {
                    return Ok(false);
                }
                if out.len == 0 {
                    return Ok(true); // nothing to write
                }
                // cuBLAS's A is kiln's b (see `library::gemm`).
                self.libraries
                    .gemm(&plan, lb.ptr, la.ptr, (out.ptr, out.bytes))
            }
            LibraryStep::Lib {
                op: LibOp::Fft(f),
                inputs,
                dtype,
                ..
            } => {
                let [x] = inputs.as_slice() else {
                    return Ok(false);
                };
                let lx = self.locate(x.buffer, bound, temps)?;
                let Some(plan) = fft::plan(*f, x, lx.dtype, *dtype) else {
                    return Ok(false);
                };
                if out.len != plan.out_len() {
                    return Ok(false);
                }
                if out.len == 0 {
                    return Ok(true); // nothing to write
                }
                let scratch = if plan.clobbers_input {
                    let slice = self.alloc(lx.bytes)?;
                    Some(self.keep(slice, lx.dtype, lx.len))
                } else {
                    None
                };
                self.libraries
                    .fft(&plan, (lx.ptr, lx.bytes), out.ptr, scratch.as_deref())
            }
            _ => Ok(false),
        }
    }

    /// Runs library step `l` through `host`: downloads the temporaries and resident inputs it
    /// reads, uploads its result into its own temporary.
    fn library_on_host(
        &self,
        l: &LibraryStep,
        s: &Schedule,
        inputs: &[Realized],
        resident: &[Option<Arc<dyn DeviceMemory>>],
        temps: &mut [Arc<DeviceBuffer>],
        host: &HostLibrary<'_>,
    ) -> Result<(), CudaError> {
        let mut host_temps: Vec<Option<Arc<Storage>>> = vec![None; temps.len()];
        let mut host_inputs: Vec<Realized> = inputs.to_vec();
        let mut fetched = vec![false; inputs.len()];
        for o in l.operands() {
            match o.buffer {
                BufferRef::Temp(t) if host_temps.get(t).is_some_and(Option::is_none) => {
                    host_temps[t] = Some(Arc::new(temps[t].to_host()?));
                }
                BufferRef::Input(i) if fetched.get(i) == Some(&false) => {
                    fetched[i] = true;
                    // Only a resident input's host value is a stand-in; the others are real.
                    let memory = resident.get(i).and_then(Option::as_ref);
                    if let (Some(memory), Some(r)) = (memory, inputs.get(i)) {
                        let storage = Arc::new(memory.to_host()?);
                        host_inputs[i] = Realized::with_view(storage, r.view.clone())
                            .map_err(|e| CudaError::Unsupported(format!("input view: {e}")))?;
                    }
                }
                _ => {}
            }
        }
        let (out, storage) = host(l, s, &host_inputs, &host_temps).map_err(CudaError::Host)?;
        let slot = temps
            .get_mut(out)
            .ok_or_else(|| CudaError::Unsupported(format!("library writes t{out}")))?;
        if storage.dtype() != slot.dtype() || storage.len() != slot.len() {
            return Err(CudaError::Unsupported(format!(
                "library step wrote {} x {} into t{out} of {} x {}",
                storage.len(),
                storage.dtype(),
                slot.len(),
                slot.dtype()
            )));
        }
        // The old buffer goes back to the pool when the slot drops it.
        *slot = self.upload_storage(&storage)?;
        Ok(())
    }

    fn launch(
        &self,
        ks: &KernelStep,
        inputs: &[Bound],
        temps: &[Arc<DeviceBuffer>],
    ) -> Result<(), CudaError> {
        let k = &ks.kernel;
        let g = &ks.geometry;
        let mut words = codegen::geometry_words(k, g)?;
        let blocks = codegen::grid_blocks(k, g);
        if blocks == 0 {
            return Ok(());
        }
        // Device pointers of the params, kept with their stream-order guards until the launch
        // has been enqueued.
        let mut guards = Vec::with_capacity(ks.buffers.len());
        let mut ptrs: Vec<u64> = Vec::with_capacity(ks.buffers.len() + 1);
        for b in &ks.buffers {
            let located = self.locate(*b, inputs, temps)?;
            ptrs.push(located.ptr);
            guards.push(located);
        }
        let split = codegen::split_count(k, g, self.sms);
        let module = self.module(k, split.is_some())?;
        let grid = |n: usize| (n.clamp(1, 1 << 16) as u32, 1, 1);
        match split {
            None => {
                let f = module.load_function(ENTRY).map_err(call("kernel entry"))?;
                self.enqueue(&f, grid(blocks as usize), &mut ptrs, &mut words, None)?;
            }
            Some(splits) => {
                let outer: usize = g.dims.iter().take(k.outer_rank).product();
                let acc_bytes = codegen::split_accumulator_bytes(k).unwrap_or(16);
                let bytes = outer * splits * acc_bytes;
                let scratch = self.keep(self.alloc(bytes)?, kiln_ir::DType::U8, bytes);
                let (scratch_ptr, scratch_guard) = scratch.slice().device_ptr(&self.stream);
                let mut extra = (scratch_ptr, splits as i64);
                let partial = module
                    .load_function(PARTIAL_ENTRY)
                    .map_err(call("partial"))?;
                let finish = module.load_function(FINISH_ENTRY).map_err(call("finish"))?;
                self.enqueue(
                    &partial,
                    grid(outer * splits),
                    &mut ptrs,
                    &mut words,
                    Some(&mut extra),
                )?;
                self.enqueue(
                    &finish,
                    grid(outer),
                    &mut ptrs,
                    &mut words,
                    Some(&mut extra),
                )?;
                drop(scratch_guard);
                drop(scratch); // back to the pool
            }
        }
        drop(guards);
        Ok(())
    }

    /// Enqueues one launch: params `ptrs` (one device pointer each), the geometry struct `words`,
    /// then optionally (scratch pointer, splits).
    fn enqueue(
        &self,
        f: &cudarc::driver::CudaFunction,
        grid: (u32, u32, u32),
        ptrs: &mut [u64],
        words: &mut [i64],
        extra: Option<&mut (u64, i64)>,
    ) -> Result<(), CudaError> {
        let mut params: Vec<*mut c_void> = ptrs
            .iter_mut()
            .map(|p| (p as *mut u64).cast::<c_void>())
            .collect();
        params.push(words.as_mut_ptr().cast::<c_void>());
        if let Some((scratch, splits)) = extra {
            params.push((scratch as *mut u64).cast::<c_void>());
            params.push((splits as *mut i64).cast::<c_void>());
        }
        self.ctx.bind_to_thread().map_err(call("bind context"))?;
        // SAFETY: `params` holds one pointer per kernel argument, in the generated signature's
        // order (pointers of the params, the `kiln_geom` struct whose layout is `words`, then
        // scratch and splits for split entries), each pointing at live memory of the argument's
        // size. The schedule was verified, so every address the kernel computes from the
        // geometry lies inside the buffer bound to it (see the module invariant).
        unsafe {
            cudarc::driver::result::launch_kernel(
                f.cu_function(),
                grid,
                (BLOCK, 1, 1),
                0,
                self.stream.cu_stream(),
                &mut params,
            )
        }
        .map_err(call("launch"))
    }
}
