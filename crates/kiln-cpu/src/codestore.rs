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
use kiln_cache::{CacheConfig, DiskCache, DiskStats, Key, Target};
use kiln_ir::Kernel;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What happened to one request for code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Disk,
    Compiled,
}

#[derive(Debug)]
pub struct CodeStore {
    disk: Option<DiskCache>,
    /// The directory asked for, even if it could not be opened (for messages).
    dir: Option<PathBuf>,
    target: Target,
    strict: bool,
    record: Option<PathBuf>,
    recorded: Mutex<HashSet<Key>>,
}

impl CodeStore {
    /// Opens the disk cache `config` names; an unusable directory is logged and leaves the
    /// store memory-only.
    pub(crate) fn new(config: &CacheConfig, jit: &Jit) -> CodeStore {
        let disk = config.dir.as_deref().and_then(|d| {
            DiskCache::open(d, config.max_bytes)
                .map_err(|e| kiln_cache::warn(format!("disk cache disabled: {e}")))
                .ok()
        });
        CodeStore {
            disk,
            dir: config.dir.clone(),
            target: Target {
                kiln_version: env!("CARGO_PKG_VERSION").to_string(),
                compiler: crate::jit::compiler_version(),
                fingerprint: jit.target_fingerprint(),
            },
            strict: config.strict,
            record: config.record.clone(),
            recorded: Mutex::new(HashSet::new()),
        }
    }

    pub fn disk(&self) -> Option<&DiskCache> {
        self.disk.as_ref()
    }

    pub fn disk_stats(&self) -> Option<DiskStats> {
        self.disk.as_ref().map(DiskCache::stats)
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
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
        self.note_used(&key, &kernel.name);
        if let Some(entry) = self.disk.as_ref().and_then(|d| d.get(&key)) {
            match ObjCode::decode(&entry.payload).and_then(|obj| load(&obj)) {
                Ok(t) => return Ok((t, Source::Disk)),
                Err(e) => {
                    kiln_cache::warn(format!("entry {key} ({}) not loaded: {e}", kernel.name))
                }
            }
        }
        if self.strict {
            return Err(CpuError::StrictMiss {
                kernel: kernel.name.clone(),
                key: key.hex(),
                dir: self.dir.as_ref().map_or_else(
                    || "(no cache directory)".into(),
                    |d| d.display().to_string(),
                ),
            });
        }
        let obj = jit.compile(kernel, entries)?;
        let t = load(&obj)?;
        if let Some(d) = &self.disk {
            // A failed write was logged and counted by the store; the code is still usable.
            let _ = d.put(&key, &kernel.name, &obj.encode());
        }
        Ok((t, Source::Compiled))
    }

    /// Appends a kernel to the record file the first time this process uses it.
    fn note_used(&self, key: &Key, name: &str) {
        let Some(path) = &self.record else { return };
        let first = self
            .recorded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(*key);
        if first && let Err(e) = kiln_cache::bundle::record(path, key, name) {
            kiln_cache::warn(format!("recording kernel {name}: {e}"));
        }
    }
}
