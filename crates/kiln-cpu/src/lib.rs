//! kiln's CPU backend: kernel IR -> cranelift -> machine code, and a multi-threaded executor of
//! schedules.
//!
//! - [`codegen`]: lowers one `Kernel` to cranelift functions (scalar and 128-bit SIMD loops);
//! - [`jit`]: compiles them in a JIT module; [`helpers`]: the Rust functions generated code calls;
//! - [`exec`]: runs a `Schedule` step by step, splitting kernels over a rayon pool;
//! - [`library`]: matrix products (faer) and scans; [`combine`]: merging split reductions.
//!
//! Architecture invariant: this crate never sees the array graph, only kernels and schedules;
//! a compiled kernel depends only on `Kernel::canonical_text()`, never on sizes or strides.

pub mod abi;
mod codegen;
mod codestore;
pub mod combine;
mod eig;
pub mod error;
pub mod exec;
mod fft;
pub mod helpers;
mod jit;
mod libcalls;
mod libops;
pub mod library;
mod linalg;
mod loader;
mod matmul;
pub mod objcode;

pub use codestore::CodeStore;
pub use error::CpuError;
pub use exec::PreparedSchedule;
pub use kiln_cache::{CacheConfig, DiskStats};

use jit::{EntryPoints, Jit, SplitEntries};
use kiln_ir::{Kernel, Realized, Schedule};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// A kernel compiled to machine code. Its split-reduction entry points are compiled on the
/// first launch that runs split (`CpuBackend::split_entries`) and kept here; set at most once.
pub struct CompiledKernel {
    kernel: Kernel,
    entries: EntryPoints,
    split: OnceLock<SplitEntries>,
}

impl CompiledKernel {
    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }
    /// Whether the inner loops use SIMD vectors (false when the kernel's shape of values does
    /// not allow it or cranelift could not lower the vector code).
    pub fn vectorized(&self) -> bool {
        self.entries.vectorized
    }
    pub(crate) fn entries(&self) -> &EntryPoints {
        &self.entries
    }
    /// Whether the split-reduction entry points have been compiled (they are compiled lazily,
    /// by the first launch that splits the reduction across threads).
    pub fn split_compiled(&self) -> bool {
        self.split.get().is_some()
    }
}

impl fmt::Debug for CompiledKernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledKernel")
            .field("kernel", &self.kernel.name)
            .field("vectorized", &self.entries.vectorized)
            .finish()
    }
}

/// The target kiln compiles machine code for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetInfo {
    pub triple: String,
    /// CPU features cranelift detected and uses (`sse41`, `avx2`, `fma`, ...).
    pub cpu_features: Vec<String>,
    /// Triple, compiler settings and every ISA flag: code is shared only between equal ones.
    pub fingerprint: String,
    /// The code generator and its version.
    pub compiler: String,
}

/// Counters of the compiled-kernel cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuStats {
    /// Kernels compiled (their `main` entry point).
    pub kernels_compiled: u64,
    /// Kernels whose split-reduction entry points were compiled (lazily, on first split).
    pub split_entries_compiled: u64,
    /// Requests served by the in-memory kernel cache.
    pub cache_hits: u64,
    /// Kernels (main entry points) loaded from the disk cache instead of compiled.
    pub disk_hits: u64,
    /// Split-reduction entry points loaded from the disk cache instead of compiled.
    pub split_disk_hits: u64,
    pub compile_time: Duration,
}

/// The CPU backend: a JIT module, the compiled-kernel cache (keyed by canonical kernel text)
/// and the thread pool kernels run on.
pub struct CpuBackend {
    jit: Mutex<Jit>,
    cache: Mutex<HashMap<String, Arc<CompiledKernel>>>,
    store: CodeStore,
    stats: Mutex<CpuStats>,
    pool: rayon::ThreadPool,
}

impl fmt::Debug for CpuBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CpuBackend")
            .field("threads", &self.pool.current_num_threads())
            .field("stats", &self.stats())
            .finish()
    }
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks cannot leave the data half-updated in a way
    // that matters (the cache and counters are only ever inserted into), so poisoning is ignored.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// ISA flags for `CpuBackend::with_isa_flags` that turn off every x86 feature above SSE3
/// (SSE4.1/4.2, AVX, AVX2, FMA, AVX-512): code for an old x86-64 CPU, where cranelift calls
/// libcalls for rounding and fused multiply-add.
pub const X86_NO_SSE41_FLAGS: &[(&str, &str)] = &[
    ("has_sse41", "false"),
    ("has_sse42", "false"),
    ("has_avx", "false"),
    ("has_avx2", "false"),
    ("has_fma", "false"),
    ("has_avx512f", "false"),
    ("has_avx512vl", "false"),
    ("has_avx512dq", "false"),
    ("has_avx512bitalg", "false"),
    ("has_avx512vbmi", "false"),
    ("has_avx512vnni", "false"),
    ("has_avx_vnni", "false"),
];

impl CpuBackend {
    /// A backend using all available cores, with an in-memory kernel cache only.
    pub fn new() -> Result<CpuBackend, CpuError> {
        CpuBackend::with_threads(default_threads())
    }

    /// A backend using all available cores whose disk cache, strict mode and recording follow
    /// the environment (`kiln_cache::config`): what the facade runs on.
    pub fn from_env() -> Result<CpuBackend, CpuError> {
        CpuBackend::with_cache(default_threads(), &CacheConfig::from_env())
    }

    /// A backend whose pool has `threads` threads (1: everything runs on the caller's thread),
    /// with an in-memory kernel cache only.
    pub fn with_threads(threads: usize) -> Result<CpuBackend, CpuError> {
        CpuBackend::with_cache(threads, &CacheConfig::default())
    }

    /// A backend with `threads` threads and the disk cache `cache` describes.
    pub fn with_cache(threads: usize, cache: &CacheConfig) -> Result<CpuBackend, CpuError> {
        CpuBackend::with_isa_flags(threads, cache, &[])
    }

    /// `with_cache`, compiling with some of cranelift's ISA flags overridden after host
    /// detection (e.g. `("has_sse41", "false")`: code for an older CPU, which calls libcalls
    /// where the host has instructions). The flags are part of the disk-cache key.
    pub fn with_isa_flags(
        threads: usize,
        cache: &CacheConfig,
        isa_flags: &[(&str, &str)],
    ) -> Result<CpuBackend, CpuError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .thread_name(|i| format!("kiln-cpu-{i}"))
            .build()
            .map_err(|e| CpuError::ThreadPool(e.to_string()))?;
        let jit = Jit::with_isa_flags(isa_flags)?;
        let store = CodeStore::new(cache, &jit);
        Ok(CpuBackend {
            jit: Mutex::new(jit),
            cache: Mutex::new(HashMap::new()),
            store,
            stats: Mutex::new(CpuStats::default()),
            pool,
        })
    }

    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    pub(crate) fn pool(&self) -> &rayon::ThreadPool {
        &self.pool
    }

    /// Compiles (or fetches from the in-memory cache) a kernel.
    pub fn compile(&self, k: &Kernel) -> Result<Arc<CompiledKernel>, CpuError> {
        k.verify()?;
        let key = k.canonical_text();
        if let Some(c) = lock(&self.cache).get(&key) {
            lock(&self.stats).cache_hits += 1;
            return Ok(c.clone());
        }
        let mut jit = lock(&self.jit);
        // Another thread may have compiled it while this one waited for the JIT.
        if let Some(c) = lock(&self.cache).get(&key) {
            lock(&self.stats).cache_hits += 1;
            return Ok(c.clone());
        }
        let start = Instant::now();
        let (entries, source) =
            self.store
                .obtain(&mut jit, k, &[codegen::Entry::Main], jit::load_main)?;
        let compiled = Arc::new(CompiledKernel {
            kernel: k.clone(),
            entries,
            split: OnceLock::new(),
        });
        lock(&self.cache).insert(key, compiled.clone());
        let mut stats = lock(&self.stats);
        match source {
            codestore::Source::Compiled => stats.kernels_compiled += 1,
            codestore::Source::Disk => stats.disk_hits += 1,
        }
        stats.compile_time += start.elapsed();
        Ok(compiled)
    }

    /// The split-reduction entry points of a compiled reducing kernel, compiled on first use.
    /// Threads asking at once wait on the JIT lock; only the first one compiles.
    pub(crate) fn split_entries(&self, c: &CompiledKernel) -> Result<SplitEntries, CpuError> {
        if let Some(s) = c.split.get() {
            return Ok(*s);
        }
        if c.kernel.reduce.is_none() {
            return Err(CpuError::Internal(format!(
                "split entry points of kernel {} without reduction",
                c.kernel.name
            )));
        }
        let mut jit = lock(&self.jit);
        // Another thread may have compiled them while this one waited for the JIT.
        if let Some(s) = c.split.get() {
            return Ok(*s);
        }
        let start = Instant::now();
        let entries = [codegen::Entry::Partial, codegen::Entry::Finish];
        let (split, source) = self
            .store
            .obtain(&mut jit, &c.kernel, &entries, jit::load_split)?;
        // Only this thread, holding the JIT lock, can set the cell, so it is still empty.
        let split = *c.split.get_or_init(|| split);
        let mut stats = lock(&self.stats);
        match source {
            codestore::Source::Compiled => stats.split_entries_compiled += 1,
            codestore::Source::Disk => stats.split_disk_hits += 1,
        }
        stats.compile_time += start.elapsed();
        Ok(split)
    }

    /// Runs a verified schedule on its realized inputs; returns one `Realized` per schedule
    /// output (a view into the temporary or input storage; no copy).
    pub fn execute(&self, s: &Schedule, inputs: &[Realized]) -> Result<Vec<Realized>, CpuError> {
        exec::execute(self, s, inputs)
    }

    /// Verifies a schedule against `inputs` once and resolves (compiling if needed) the
    /// compiled kernel of every kernel step, for repeated `execute_prepared` calls.
    pub fn prepare(&self, s: &Schedule, inputs: &[Realized]) -> Result<PreparedSchedule, CpuError> {
        exec::prepare(self, s, inputs)
    }

    /// Runs a prepared schedule on inputs of the same count, dtypes and views as those it was
    /// prepared with (any data, storages long enough); anything else is a typed error.
    pub fn execute_prepared(
        &self,
        p: &PreparedSchedule,
        inputs: &[Realized],
    ) -> Result<Vec<Realized>, CpuError> {
        exec::execute_prepared(self, p, inputs)
    }

    /// Cranelift IR text of a kernel's entry points (for `explain()`).
    pub fn clif_text(&self, k: &Kernel) -> Result<String, CpuError> {
        k.verify()?;
        lock(&self.jit).clif_text(k)
    }

    /// The machine code target: what the disk cache keys on and `kiln info` shows.
    pub fn target_info(&self) -> TargetInfo {
        let jit = lock(&self.jit);
        TargetInfo {
            triple: jit.triple(),
            cpu_features: jit.cpu_features(),
            fingerprint: jit.target_fingerprint(),
            compiler: jit::compiler_version(),
        }
    }

    /// The disk cache and its configuration (strict mode, recording).
    pub fn code_store(&self) -> &CodeStore {
        &self.store
    }

    pub fn stats(&self) -> CpuStats {
        *lock(&self.stats)
    }
}
