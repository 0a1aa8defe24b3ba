//! A first CUDA executor: runs the kernel steps of a schedule on one device.
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
//! the next allocation of the same size. Library steps (matrix products, FFTs, sorts, linear
//! algebra) run on the host through the caller's [`HostLibrary`]: the temporaries a step reads
//! are copied to the host, its result copied back into its device temporary (correct, but two
//! transfers per step; cuBLAS and cuFFT steps are still to come).

use crate::arch::CudaArch;
use crate::codegen::{self, BLOCK, ENTRY, FINISH_ENTRY, PARTIAL_ENTRY};
use crate::codestore::{CudaCodeStore, Form};
use crate::device::{DeviceInfo, discover};
use crate::error::CudaError;
use crate::nvrtc;
use cudarc::driver::sys::CUdevice_attribute;
use cudarc::driver::{CudaContext, CudaModule, CudaSlice, CudaStream, DevicePtr};
use kiln_ir::{BufferRef, KernelStep, LibraryStep, Realized, Schedule, Step, Storage};
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

/// Runs one library step on the host: given the step, its schedule, the schedule's inputs and
/// host copies of the temporaries the step reads (the others `None`), returns the temporary the
/// step writes and its contents (what `kiln_cpu::library::run` does).
pub type HostLibrary<'a> = dyn Fn(
        &LibraryStep,
        &Schedule,
        &[Realized],
        &[Option<Arc<Storage>>],
    ) -> Result<(usize, Storage), String>
    + 'a;

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
    pool: Mutex<HashMap<usize, Vec<CudaSlice<u8>>>>,
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
            pool: Mutex::new(HashMap::new()),
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

    /// A device buffer of `bytes` bytes (at least 1), reused from the pool when one is free.
    fn alloc(&self, bytes: usize) -> Result<CudaSlice<u8>, CudaError> {
        let bytes = bytes.max(1);
        let reused = self
            .pool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&bytes)
            .and_then(Vec::pop);
        match reused {
            Some(b) => Ok(b),
            None => self.stream.alloc_zeros::<u8>(bytes).map_err(call("alloc")),
        }
    }

    fn release(&self, buffer: CudaSlice<u8>) {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        pool.entry(buffer.len()).or_default().push(buffer);
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
        }
        Ok(dst)
    }

    fn download(
        &self,
        src: &CudaSlice<u8>,
        decl: (kiln_ir::DType, usize),
    ) -> Result<Storage, CudaError> {
        let host = self.stream.clone_dtoh(src).map_err(call("copy to host"))?;
        let storage = Storage::for_overwrite(decl.0, decl.1)
            .map_err(|e| CudaError::Unsupported(format!("host storage: {e}")))?;
        let n = storage.byte_len().min(host.len());
        // SAFETY: `storage` owns `byte_len` writable bytes and `host` at least `n`; the regions
        // are distinct allocations.
        unsafe { std::ptr::copy_nonoverlapping(host.as_ptr(), storage.as_mut_ptr(), n) };
        Ok(storage)
    }

    /// Runs `s` on the device: uploads the inputs, launches every kernel step in order (library
    /// steps through `host`), and returns the outputs (views of downloaded buffers).
    pub fn run_schedule(
        &self,
        s: &Schedule,
        inputs: &[Realized],
        host: &HostLibrary<'_>,
    ) -> Result<Vec<Realized>, CudaError> {
        s.verify(inputs)
            .map_err(|e| CudaError::Unsupported(format!("schedule: {e}")))?;
        let mut input_bufs = Vec::with_capacity(inputs.len());
        for r in inputs {
            input_bufs.push(self.upload(&r.storage)?);
        }
        let mut temps = Vec::with_capacity(s.buffers.len());
        for b in &s.buffers {
            temps.push(self.alloc(b.len * b.dtype.size_bytes())?);
        }
        let result = (|| {
            for step in &s.steps {
                match step {
                    Step::Kernel(ks) => self.launch(ks, &input_bufs, &temps)?,
                    Step::Library(l) => self.library_on_host(l, s, inputs, &mut temps, host)?,
                }
            }
            self.stream.synchronize().map_err(call("synchronize"))?;
            let mut outputs = Vec::with_capacity(s.outputs.len());
            for o in &s.outputs {
                let storage = match o.buffer {
                    BufferRef::Input(i) => inputs
                        .get(i)
                        .map(|r| r.storage.clone())
                        .ok_or_else(|| CudaError::Unsupported(format!("output of input {i}")))?,
                    BufferRef::Temp(t) => Arc::new(self.download_temp(s, &temps, t)?),
                };
                outputs.push(
                    Realized::with_view(storage, o.view.clone())
                        .map_err(|e| CudaError::Unsupported(format!("output view: {e}")))?,
                );
            }
            Ok(outputs)
        })();
        for b in input_bufs.into_iter().chain(temps) {
            self.release(b);
        }
        result
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

    /// Runs library step `l` through `host`: downloads the temporaries it reads, uploads its
    /// result into its own temporary.
    fn library_on_host(
        &self,
        l: &LibraryStep,
        s: &Schedule,
        inputs: &[Realized],
        temps: &mut [CudaSlice<u8>],
        host: &HostLibrary<'_>,
    ) -> Result<(), CudaError> {
        let mut host_temps: Vec<Option<Arc<Storage>>> = vec![None; temps.len()];
        for o in l.operands() {
            if let BufferRef::Temp(t) = o.buffer
                && host_temps.get(t).is_some_and(Option::is_none)
            {
                self.stream.synchronize().map_err(call("synchronize"))?;
                host_temps[t] = Some(Arc::new(self.download_temp(s, temps, t)?));
            }
        }
        let (out, storage) = host(l, s, inputs, &host_temps)
            .map_err(|e| CudaError::Call(format!("library step on the host: {e}")))?;
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
        inputs: &[CudaSlice<u8>],
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
            BufferRef::Input(i) => inputs.get(i),
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
