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
//! Residency: a schedule input that is already this runtime's [`DeviceBuffer`] is bound without a
//! copy; any other input is uploaded for the run (a host array, or another device's memory
//! through the host). Outputs stay on the device as [`Resident`] buffers (an output that is an
//! input shares the input's buffer). Host inputs of a resident slot are stand-ins for their
//! shape and are never read. Library steps (matrix products, FFTs, sorts, linear algebra) run on
//! the host through the caller's [`HostLibrary`]: the temporaries and resident inputs a step
//! reads are copied to the host, its result copied back into its device temporary (correct, but
//! two transfers per step; cuBLAS and cuFFT steps are still to come).

use crate::arch::CudaArch;
use crate::codegen::{self, BLOCK, ENTRY, FINISH_ENTRY, PARTIAL_ENTRY};
use crate::codestore::{CudaCodeStore, Form};
use crate::device::{DeviceInfo, discover};
use crate::error::CudaError;
use crate::memory::{DeviceBuffer, DeviceMemory, Heap, Resident, Transfers, download};
use crate::nvrtc;
use cudarc::driver::sys::CUdevice_attribute;
use cudarc::driver::{CudaContext, CudaModule, CudaSlice, CudaStream, DevicePtr};
use kiln_ir::{BufferRef, KernelStep, LibraryStep, Realized, Schedule, Step, Storage};
use std::collections::{HashMap, HashSet};
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

/// A schedule input bound to device memory for one run.
enum Bound {
    /// This runtime's buffer, used in place.
    Resident(Arc<DeviceBuffer>),
    /// Uploaded for this run (released at its end unless an output keeps it).
    Uploaded(CudaSlice<u8>),
}

impl Bound {
    fn slice(&self) -> &CudaSlice<u8> {
        match self {
            Bound::Resident(b) => b.slice(),
            Bound::Uploaded(s) => s,
        }
    }
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
            stream,
            sms: usize::try_from(sms).unwrap_or(1),
            modules: Mutex::new(HashMap::new()),
            store,
            heap: Arc::new(Heap::default()),
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

    /// A device buffer of `bytes` bytes (at least 1), reused from the pool when one is free.
    fn alloc(&self, bytes: usize) -> Result<CudaSlice<u8>, CudaError> {
        let bytes = bytes.max(1);
        match self.heap.take(bytes) {
            Some(b) => Ok(b),
            None => self.stream.alloc_zeros::<u8>(bytes).map_err(call("alloc")),
        }
    }

    fn release(&self, buffer: CudaSlice<u8>) {
        self.heap.give(buffer);
    }

    /// `slice` (holding `len` elements of `dtype`) as a buffer that outlives the run.
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

    fn upload(&self, s: &Storage) -> Result<CudaSlice<u8>, CudaError> {
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
        Ok(dst)
    }

    /// A copy of `s` in this device's memory, kept until the returned buffer is dropped (the
    /// copy is enqueued; later work on this runtime's stream sees it).
    pub fn upload_storage(&self, s: &Storage) -> Result<Arc<DeviceBuffer>, CudaError> {
        let slice = self.upload(s)?;
        Ok(self.keep(slice, s.dtype(), s.len()))
    }

    fn download(
        &self,
        src: &CudaSlice<u8>,
        decl: (kiln_ir::DType, usize),
    ) -> Result<Storage, CudaError> {
        download(&self.stream, &self.heap, src, decl.0, decl.1)
    }

    /// Binds schedule input `r` (with the device memory `resident` of its slot, if any).
    fn bind(
        &self,
        r: &Realized,
        resident: Option<&Arc<dyn DeviceMemory>>,
    ) -> Result<Bound, CudaError> {
        let Some(memory) = resident else {
            return Ok(Bound::Uploaded(self.upload(&r.storage)?));
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
        if memory.ordinal() == self.info.ordinal
            && let Ok(own) = memory.clone().into_any().downcast::<DeviceBuffer>()
        {
            return Ok(Bound::Resident(own));
        }
        Ok(Bound::Uploaded(self.upload(&memory.to_host()?)?))
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
        let mut bound: Vec<Bound> = Vec::with_capacity(inputs.len());
        let mut temps: Vec<CudaSlice<u8>> = Vec::with_capacity(s.buffers.len());
        let result = (|| {
            for (i, r) in inputs.iter().enumerate() {
                bound.push(self.bind(r, resident.get(i).and_then(Option::as_ref))?);
            }
            for b in &s.buffers {
                temps.push(self.alloc(b.len * b.dtype.size_bytes())?);
            }
            for step in &s.steps {
                match step {
                    Step::Kernel(ks) => self.launch(ks, &bound, &temps)?,
                    Step::Library(l) => {
                        self.library_on_host(l, s, inputs, &bound, &mut temps, host)?
                    }
                }
            }
            self.stream.synchronize().map_err(call("synchronize"))
        })();
        match result {
            Ok(()) => self.keep_outputs(s, inputs, bound, temps),
            Err(e) => {
                for b in bound {
                    if let Bound::Uploaded(slice) = b {
                        self.release(slice);
                    }
                }
                for t in temps {
                    self.release(t);
                }
                Err(e)
            }
        }
    }

    /// The outputs of a finished run of `s`, resident: every temporary or uploaded input an
    /// output views becomes one buffer (shared by the outputs that view it); the rest of
    /// `bound` and `temps` goes back to the pool.
    fn keep_outputs(
        &self,
        s: &Schedule,
        inputs: &[Realized],
        bound: Vec<Bound>,
        temps: Vec<CudaSlice<u8>>,
    ) -> Result<Vec<Resident>, CudaError> {
        let viewed = |want: fn(&BufferRef) -> Option<usize>| -> HashSet<usize> {
            s.outputs.iter().filter_map(|o| want(&o.buffer)).collect()
        };
        let viewed_inputs = viewed(|b| match b {
            BufferRef::Input(i) => Some(*i),
            BufferRef::Temp(_) => None,
        });
        let viewed_temps = viewed(|b| match b {
            BufferRef::Temp(t) => Some(*t),
            BufferRef::Input(_) => None,
        });
        let mut input_buffers = Vec::with_capacity(bound.len());
        for (i, b) in bound.into_iter().enumerate() {
            input_buffers.push(match (b, inputs.get(i)) {
                (Bound::Resident(b), _) => Some(b),
                (Bound::Uploaded(slice), Some(r)) if viewed_inputs.contains(&i) => {
                    Some(self.keep(slice, r.dtype(), r.storage.len()))
                }
                (Bound::Uploaded(slice), _) => {
                    self.release(slice);
                    None
                }
            });
        }
        let mut temp_buffers = Vec::with_capacity(temps.len());
        for (t, slice) in temps.into_iter().enumerate() {
            temp_buffers.push(match s.buffers.get(t) {
                Some(d) if viewed_temps.contains(&t) => Some(self.keep(slice, d.dtype, d.len)),
                _ => {
                    self.release(slice);
                    None
                }
            });
        }
        let mut outputs = Vec::with_capacity(s.outputs.len());
        for o in &s.outputs {
            let buffer = match o.buffer {
                BufferRef::Input(i) => input_buffers.get(i),
                BufferRef::Temp(t) => temp_buffers.get(t),
            };
            let buffer = buffer
                .and_then(Option::clone)
                .ok_or_else(|| CudaError::Unsupported(format!("output of {}", o.buffer)))?;
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

    /// A host copy of temporary `t` of `s` (its declared dtype and length).
    fn download_temp(
        &self,
        s: &Schedule,
        temps: &[CudaSlice<u8>],
        t: usize,
    ) -> Result<Storage, CudaError> {
        let missing = || CudaError::Unsupported(format!("schedule has no temporary t{t}"));
        let decl = s.buffers.get(t).ok_or_else(missing)?;
        let buf = temps.get(t).ok_or_else(missing)?;
        self.download(buf, (decl.dtype, decl.len))
    }

    /// Runs library step `l` through `host`: downloads the temporaries and resident inputs it
    /// reads, uploads its result into its own temporary.
    fn library_on_host(
        &self,
        l: &LibraryStep,
        s: &Schedule,
        inputs: &[Realized],
        bound: &[Bound],
        temps: &mut [CudaSlice<u8>],
        host: &HostLibrary<'_>,
    ) -> Result<(), CudaError> {
        let mut host_temps: Vec<Option<Arc<Storage>>> = vec![None; temps.len()];
        let mut host_inputs: Vec<Realized> = inputs.to_vec();
        let mut fetched = vec![false; inputs.len()];
        for o in l.operands() {
            match o.buffer {
                BufferRef::Temp(t) if host_temps.get(t).is_some_and(Option::is_none) => {
                    host_temps[t] = Some(Arc::new(self.download_temp(s, temps, t)?));
                }
                BufferRef::Input(i) if fetched.get(i) == Some(&false) => {
                    fetched[i] = true;
                    if let (Some(Bound::Resident(b)), Some(r)) = (bound.get(i), inputs.get(i)) {
                        let storage = Arc::new(b.to_host()?);
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
        let fresh = self.upload(&storage)?;
        let old = std::mem::replace(slot, fresh);
        self.release(old);
        Ok(())
    }

    fn launch(
        &self,
        ks: &KernelStep,
        inputs: &[Bound],
        temps: &[CudaSlice<u8>],
    ) -> Result<(), CudaError> {
        let k = &ks.kernel;
        let g = &ks.geometry;
        let mut words = codegen::geometry_words(k, g)?;
        let blocks = codegen::grid_blocks(k, g);
        if blocks == 0 {
            return Ok(());
        }
        let buffer = |b: &BufferRef| match *b {
            BufferRef::Input(i) => inputs.get(i).map(Bound::slice),
            BufferRef::Temp(t) => temps.get(t),
        };
        // Device pointers of the params, kept with their stream-order guards until the launch
        // has been enqueued.
        let mut guards = Vec::with_capacity(ks.buffers.len());
        let mut ptrs: Vec<u64> = Vec::with_capacity(ks.buffers.len() + 1);
        for b in &ks.buffers {
            let slice = buffer(b).ok_or_else(|| CudaError::Unsupported(format!("buffer {b}")))?;
            let (ptr, guard) = slice.device_ptr(&self.stream);
            ptrs.push(ptr);
            guards.push(guard);
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
                let scratch = self.alloc(outer * splits * acc_bytes)?;
                let (scratch_ptr, scratch_guard) = scratch.device_ptr(&self.stream);
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
                self.release(scratch);
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
