//! Where a CUDA module comes from: the in-memory map, else the disk cache (`kiln-cache`), else
//! NVRTC, whose output is then saved to disk. The disk side (`kiln_cache::StoreFiles`) is the one
//! `kiln-cpu/src/codestore.rs` has: strict mode (a miss is `CudaError::StrictMiss`) and recording
//! the modules a program used (for bundles).
//!
//! The key is `kiln_cache::Target::key` over: the cache format, kiln's version, NVRTC's version
//! (queried from the library), the architecture with every compile option and the artifact
//! encoding's version, the form (one-pass or split entries), and the generated CUDA C source
//! (which embeds the helpers of `kernels/*.cuh`, so a change to them is a new key).
//!
//! Invariants: an artifact read from disk passed the entry checksum and `Artifact::decode`
//! (right kind, every entry present) and the caller's `load` before it is used or kept in
//! memory; any problem with the disk (unreadable, corrupt, unloadable, failed write) is logged
//! and falls back to NVRTC, never fails a launch; only strict mode turns a miss into an error.

use crate::arch::{ArchKind, CudaArch};
use crate::artifact::{ARTIFACT_FORMAT, Artifact};
use crate::codegen::{self, CudaSource, ENTRY, FINISH_ENTRY, PARTIAL_ENTRY};
use crate::error::CudaError;
use crate::nvrtc;
use kiln_cache::{CacheConfig, DiskCache, DiskStats, EntryKind, Key, StoreFiles, Target};
use kiln_ir::Kernel;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Which translation unit of a kernel: the one-pass `kiln_main`, or the split reduction's
/// `kiln_partial` + `kiln_finish`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Form {
    OnePass,
    Split,
}

impl Form {
    /// The entry points the module must define.
    pub fn entries(self) -> &'static [&'static str] {
        match self {
            Form::OnePass => &[ENTRY],
            Form::Split => &[PARTIAL_ENTRY, FINISH_ENTRY],
        }
    }

    fn what(self) -> &'static str {
        match self {
            Form::OnePass => "cuda:main",
            Form::Split => "cuda:partial+finish",
        }
    }

    /// The generated source of this form of `kernel`.
    pub fn generate(self, kernel: &Kernel) -> Result<CudaSource, CudaError> {
        match self {
            Form::OnePass => codegen::generate(kernel),
            Form::Split => codegen::generate_split(kernel),
        }
    }
}

/// Where a module came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Memory,
    Disk,
    Compiled,
}

/// Counters of one store (this process only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CudaStoreStats {
    pub memory_hits: u64,
    pub disk_hits: u64,
    /// NVRTC compiles.
    pub compiles: u64,
    /// Disk entries that verified but failed `Artifact::decode` or the caller's load.
    pub rejected: u64,
    /// Time spent in NVRTC.
    pub compile_time: Duration,
}

/// The in-memory map, the disk cache and NVRTC for one architecture.
#[derive(Debug)]
pub struct CudaCodeStore {
    files: StoreFiles,
    arch: CudaArch,
    target: Target,
    memory: Mutex<HashMap<Key, Arc<Artifact>>>,
    stats: Mutex<CudaStoreStats>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl CudaCodeStore {
    /// A store for `arch` with the loaded NVRTC's version (`CudaError::NoNvrtc` without it).
    pub fn new(config: &CacheConfig, arch: CudaArch) -> Result<CudaCodeStore, CudaError> {
        Ok(CudaCodeStore::with_nvrtc_version(
            config,
            arch,
            nvrtc::nvrtc_version()?,
        ))
    }

    /// A store that keys on `nvrtc_version` (a deployment that only loads from a bundle, or a
    /// test of how versions separate keys). Opens the disk cache `config` names; an unusable
    /// directory is logged and leaves the store memory-only.
    pub fn with_nvrtc_version(
        config: &CacheConfig,
        arch: CudaArch,
        nvrtc_version: (i32, i32),
    ) -> CudaCodeStore {
        let mut fingerprint = format!("cuda {arch}\nartifact format {ARTIFACT_FORMAT}\n");
        for option in nvrtc::compile_options(arch) {
            fingerprint.push_str(&option);
            fingerprint.push('\n');
        }
        CudaCodeStore {
            files: StoreFiles::open(config),
            arch,
            target: Target {
                kiln_version: env!("CARGO_PKG_VERSION").to_string(),
                compiler: format!("nvrtc {}.{}", nvrtc_version.0, nvrtc_version.1),
                fingerprint,
            },
            memory: Mutex::new(HashMap::new()),
            stats: Mutex::new(CudaStoreStats::default()),
        }
    }

    pub fn arch(&self) -> CudaArch {
        self.arch
    }

    /// The compiler part of the key (`nvrtc 13.0`).
    pub fn compiler(&self) -> &str {
        &self.target.compiler
    }

    pub fn stats(&self) -> CudaStoreStats {
        *lock(&self.stats)
    }

    pub fn disk(&self) -> Option<&DiskCache> {
        self.files.disk()
    }

    pub fn disk_stats(&self) -> Option<DiskStats> {
        self.files.disk_stats()
    }

    pub fn dir(&self) -> Option<&Path> {
        self.files.dir()
    }

    /// What `kiln cache ls` shows for this store's entries.
    pub fn entry_kind(&self) -> EntryKind {
        let arch = self.arch.to_string();
        match self.arch.kind {
            ArchKind::Virtual => EntryKind::CudaPtx { arch },
            ArchKind::Real => EntryKind::CudaCubin { arch },
        }
    }

    /// The key of a generated translation unit.
    pub fn key(&self, source: &CudaSource, form: Form) -> Key {
        self.target.key(form.what(), &source.text)
    }

    /// The artifact of `form` of `kernel` (no loading).
    pub fn artifact(
        &self,
        kernel: &Kernel,
        form: Form,
    ) -> Result<(Arc<Artifact>, Source), CudaError> {
        self.obtain(kernel, form, |a| Ok(Arc::new(a.clone())))
    }

    /// The loaded module of `form` of `kernel`: from memory, else from disk, else compiled by
    /// NVRTC (and saved). `load` turns an artifact into what the caller uses (a driver module);
    /// a disk artifact it rejects is a miss.
    pub fn obtain<T>(
        &self,
        kernel: &Kernel,
        form: Form,
        load: impl Fn(&Artifact) -> Result<T, CudaError>,
    ) -> Result<(T, Source), CudaError> {
        let source = form.generate(kernel)?;
        let key = self.key(&source, form);
        self.files.note_used(
            &key,
            &kiln_cache::kind::label(&self.entry_kind(), &kernel.name),
        );
        let in_memory = lock(&self.memory).get(&key).cloned();
        if let Some(artifact) = in_memory {
            let t = load(&artifact)?;
            lock(&self.stats).memory_hits += 1;
            return Ok((t, Source::Memory));
        }
        if let Some(entry) = self.files.disk().and_then(|d| d.get(&key)) {
            let loaded = Artifact::decode(&entry.payload, self.arch.kind, form.entries())
                .map_err(|reason| CudaError::Call(format!("cache entry: {reason}")))
                .and_then(|a| Ok((load(&a)?, a)));
            match loaded {
                Ok((t, artifact)) => {
                    lock(&self.memory).insert(key, Arc::new(artifact));
                    lock(&self.stats).disk_hits += 1;
                    return Ok((t, Source::Disk));
                }
                Err(e) => {
                    lock(&self.stats).rejected += 1;
                    kiln_cache::warn(format!("entry {key} ({}) not loaded: {e}", kernel.name));
                }
            }
        }
        if self.files.strict() {
            return Err(CudaError::StrictMiss {
                kernel: kernel.name.clone(),
                key: key.hex(),
                dir: self.files.dir_text(),
            });
        }
        let start = Instant::now();
        let artifact = nvrtc::compile_artifact(&kernel.name, &source, self.arch)?;
        {
            let mut s = lock(&self.stats);
            s.compiles += 1;
            s.compile_time += start.elapsed();
        }
        let t = load(&artifact)?;
        if let Some(d) = self.files.disk() {
            let label = kiln_cache::kind::label(&self.entry_kind(), &kernel.name);
            // A failed write was logged and counted by the store; the module is still usable.
            let _ = d.put(&key, &label, &artifact.encode());
        }
        lock(&self.memory).insert(key, Arc::new(artifact));
        Ok((t, Source::Compiled))
    }
}
