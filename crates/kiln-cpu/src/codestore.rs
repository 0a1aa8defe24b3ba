//! Where a kernel's machine code comes from when the in-memory cache misses: the disk cache
//! (`kiln-cache`), else the compiler, whose output is then saved to disk. Also strict mode (a
//! miss is an error) and recording the kernels a program used (for bundles).
//!
//! Invariants: code read from disk goes through `ObjCode::decode` (bounds-checked) and the same
//! loader as fresh code; any problem with the disk (unreadable, corrupt, unloadable, failed
//! write) is logged and falls back to compiling, never fails an evaluation; only strict mode
//! turns a miss into an error.

use crate::codegen::Entry;
use crate::error::CpuError;
use crate::jit::Jit;
use crate::objcode::ObjCode;
use kiln_cache::{CacheConfig, DiskCache, DiskStats, Key, StoreFiles, Target};
use kiln_ir::Kernel;
use std::path::Path;

/// What happened to one request for code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Disk,
    Compiled,
}

#[derive(Debug)]
pub struct CodeStore {
    files: StoreFiles,
    target: Target,
}

impl CodeStore {
    /// Opens the disk cache `config` names; an unusable directory is logged and leaves the
    /// store memory-only.
    pub(crate) fn new(config: &CacheConfig, jit: &Jit) -> CodeStore {
        CodeStore {
            files: StoreFiles::open(config),
            target: Target {
                kiln_version: env!("CARGO_PKG_VERSION").to_string(),
                compiler: crate::jit::compiler_version(),
                fingerprint: jit.target_fingerprint(),
            },
        }
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

    /// What this process compiles for (kiln and compiler versions, target): the prefix of every
    /// key, also used by the facade's plan entries.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The key of some entry points of a kernel.
    pub(crate) fn key(&self, kernel: &Kernel, entries: &[Entry]) -> Key {
        let what: Vec<&str> = entries.iter().map(|e| e.suffix()).collect();
        self.target.key(&what.join("+"), &kernel.canonical_text())
    }

    /// The loaded code of `entries`: from disk if there, else compiled with `jit` (and saved).
    pub(crate) fn obtain<T>(
        &self,
        jit: &mut Jit,
        kernel: &Kernel,
        entries: &[Entry],
        load: fn(&ObjCode) -> Result<T, CpuError>,
    ) -> Result<(T, Source), CpuError> {
        let key = self.key(kernel, entries);
        self.files.note_used(&key, &kernel.name);
        if let Some(entry) = self.files.disk().and_then(|d| d.get(&key)) {
            match ObjCode::decode(&entry.payload).and_then(|obj| load(&obj)) {
                Ok(t) => return Ok((t, Source::Disk)),
                Err(e) => {
                    kiln_cache::warn(format!("entry {key} ({}) not loaded: {e}", kernel.name))
                }
            }
        }
        if self.files.strict() {
            return Err(CpuError::StrictMiss {
                kernel: kernel.name.clone(),
                key: key.hex(),
                dir: self.files.dir_text(),
            });
        }
        let obj = jit.compile(kernel, entries)?;
        let t = load(&obj)?;
        if let Some(d) = self.files.disk() {
            // A failed write was logged and counted by the store; the code is still usable.
            let _ = d.put(&key, &kernel.name, &obj.encode());
        }
        Ok((t, Source::Compiled))
    }
}
