//! The disk side a code store has (CPU kernels in `kiln-cpu`, CUDA modules in `kiln-cuda`): the
//! opened disk cache, the directory asked for, strict mode, and the record of entries used (for
//! bundles). Each store keeps its own key derivation, payload format and compiler.
//!
//! Invariant: a directory that cannot be opened is logged once and leaves the store memory-only
//! (`disk()` is `None`), never an error; a key is appended to the record file at most once per
//! process, and a failed append is logged, never fatal.

use crate::{CacheConfig, DiskCache, DiskStats, Key};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug)]
pub struct StoreFiles {
    disk: Option<DiskCache>,
    /// The directory asked for, even if it could not be opened (for messages).
    dir: Option<PathBuf>,
    strict: bool,
    record: Option<PathBuf>,
    recorded: Mutex<HashSet<Key>>,
}

impl StoreFiles {
    /// Opens the disk cache `config` names (kernels section).
    pub fn open(config: &CacheConfig) -> StoreFiles {
        let disk = config.dir.as_deref().and_then(|d| {
            DiskCache::open(d, config.max_bytes)
                .map_err(|e| crate::warn(format!("disk cache disabled: {e}")))
                .ok()
        });
        StoreFiles {
            disk,
            dir: config.dir.clone(),
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

    /// Whether a miss must be an error instead of a compile.
    pub fn strict(&self) -> bool {
        self.strict
    }

    /// The directory for a strict-miss message.
    pub fn dir_text(&self) -> String {
        self.dir.as_ref().map_or_else(
            || "(no cache directory)".into(),
            |d| d.display().to_string(),
        )
    }

    /// Appends `key` with `label` to the record file the first time this process uses it.
    pub fn note_used(&self, key: &Key, label: &str) {
        let Some(path) = &self.record else { return };
        let first = self
            .recorded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(*key);
        if first && let Err(e) = crate::bundle::record(path, key, label) {
            crate::warn(format!("recording {label}: {e}"));
        }
    }
}
