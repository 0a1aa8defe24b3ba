//! The disk store: one file per entry, `<root>/kernels/<key hex>.kk`, each written whole to a
//! private temporary file and renamed into place.
//!
//! Invariants:
//! - Readers never see a partial entry: rename is atomic, and `entry::decode` rejects anything
//!   torn or corrupt (which is then removed, if it is ours, and counted as a miss).
//! - Several processes may share one directory: writers use unique temporary names, and two
//!   writers of one key write identical bytes, so the last rename wins harmlessly.
//! - Nothing is read from a directory or file that `trust::check` refuses; such an entry is a
//!   miss and is left alone.
//! - The entries' total size stays near `max_bytes`: when a write takes it over, the least
//!   recently used entries (oldest modification time; a hit touches its entry) are removed
//!   until it is under three quarters of the bound.
//! - No method panics; `get` never fails (problems are logged misses), `put` returns an error
//!   the caller logs.

use crate::entry::{self, Entry};
use crate::error::{CacheError, Result};
use crate::key::Key;
use crate::log;
use crate::trust;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, SystemTime};

const SUFFIX: &str = "kk";
const TMP_PREFIX: &str = ".tmp-";
/// Temporary files older than this are left over by a crashed writer; prune removes them.
const STALE_TMP: Duration = Duration::from_secs(3600);

/// Counters of one `DiskCache` (this process only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiskStats {
    pub hits: u64,
    pub misses: u64,
    pub writes: u64,
    /// Writes that failed (read-only directory, full disk, ...); each was logged.
    pub write_errors: u64,
    /// Entries that failed their checks (truncated, corrupt, other version) and were treated
    /// as misses.
    pub corrupt: u64,
    /// Entries refused because another user owns them or others may write them.
    pub refused: u64,
    /// Entries removed by pruning.
    pub pruned: u64,
}

/// One entry as `list` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryInfo {
    pub key: Key,
    pub bytes: u64,
    pub modified: SystemTime,
    pub path: PathBuf,
}

/// A cache directory opened for use.
#[derive(Debug)]
pub struct DiskCache {
    root: PathBuf,
    dir: PathBuf,
    max_bytes: u64,
    owner: u32,
    /// The entries' total size as last measured plus this process's writes since;
    /// `u64::MAX` until first measured.
    approx_total: AtomicU64,
    stats: Mutex<DiskStats>,
    tmp_counter: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl DiskCache {
    /// Opens (creating it private to the user, mode 0700) the cache at `root`.
    pub fn open(root: &Path, max_bytes: u64) -> Result<DiskCache> {
        DiskCache::open_as(root, max_bytes, trust::current_uid())
    }

    /// `open`, trusting only files owned by `owner` (tests inject another user id to see how
    /// files planted by someone else are treated).
    pub fn open_as(root: &Path, max_bytes: u64, owner: u32) -> Result<DiskCache> {
        DiskCache::open_section_as(root, "kernels", max_bytes, owner)
    }

    /// Opens another section of the cache at `root` (a sibling of `kernels`, such as `plans`):
    /// its own directory, size bound and counters, with the same entry format and trust rules.
    pub fn open_section(root: &Path, section: &str, max_bytes: u64) -> Result<DiskCache> {
        DiskCache::open_section_as(root, section, max_bytes, trust::current_uid())
    }

    fn open_section_as(
        root: &Path,
        section: &str,
        max_bytes: u64,
        owner: u32,
    ) -> Result<DiskCache> {
        let dir = root.join(section);
        for d in [root, dir.as_path()] {
            if !d.is_dir() {
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(d)
                    .map_err(|e| CacheError::io("cannot create cache directory", d, e))?;
            }
            let meta = fs::metadata(d)
                .map_err(|e| CacheError::io("cannot inspect cache directory", d, e))?;
            trust::check(d, &meta, owner)?;
        }
        Ok(DiskCache {
            root: root.to_path_buf(),
            dir,
            max_bytes,
            owner,
            approx_total: AtomicU64::new(u64::MAX),
            stats: Mutex::new(DiskStats::default()),
            tmp_counter: AtomicU64::new(0),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    pub fn stats(&self) -> DiskStats {
        *lock(&self.stats)
    }

    /// The file an entry lives in.
    pub fn path_of(&self, key: &Key) -> PathBuf {
        self.dir.join(format!("{}.{SUFFIX}", key.hex()))
    }

    /// Reads a file the cache may trust: not a symbolic link, a regular file, owned by the
    /// expected user. `Ok(None)` when it does not exist.
    fn read_trusted(&self, path: &Path) -> Result<Option<(File, Vec<u8>)>> {
        let mut f = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CacheError::io("cannot open", path, e)),
        };
        let meta = f
            .metadata()
            .map_err(|e| CacheError::io("cannot inspect", path, e))?;
        if !meta.is_file() {
            return Err(CacheError::NotTrusted {
                path: path.to_path_buf(),
                reason: "not a regular file".into(),
            });
        }
        trust::check(path, &meta, self.owner)?;
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        f.read_to_end(&mut bytes)
            .map_err(|e| CacheError::io("cannot read", path, e))?;
        Ok(Some((f, bytes)))
    }

    /// The verified entry of `key`, or `None` (a miss: absent, refused, corrupt; problems are
    /// logged and counted). A hit marks the entry as recently used.
    pub fn get(&self, key: &Key) -> Option<Entry> {
        let path = self.path_of(key);
        let found = match self.read_trusted(&path) {
            Ok(found) => found,
            Err(e) => {
                let mut s = lock(&self.stats);
                match e {
                    CacheError::NotTrusted { .. } => s.refused += 1,
                    _ => s.corrupt += 1,
                }
                s.misses += 1;
                log::warn(format!("miss: {e}"));
                return None;
            }
        };
        let Some((file, bytes)) = found else {
            lock(&self.stats).misses += 1;
            return None;
        };
        match entry::decode(&bytes, Some(key)) {
            Ok(e) => {
                // Least-recently-used order is the modification time; failing to touch only
                // makes the entry look older.
                let _ = file.set_modified(SystemTime::now());
                lock(&self.stats).hits += 1;
                Some(e)
            }
            Err(reason) => {
                log::warn(format!(
                    "corrupt entry {}: {reason}; removed",
                    path.display()
                ));
                // It is ours (trusted above): remove it so the next write replaces it.
                let _ = fs::remove_file(&path);
                let mut s = lock(&self.stats);
                s.corrupt += 1;
                s.misses += 1;
                None
            }
        }
    }

    /// Writes an entry atomically; the caller logs a failure and carries on.
    pub fn put(&self, key: &Key, label: &str, payload: &[u8]) -> Result<()> {
        let bytes = entry::encode(key, label, payload);
        match self.write_atomic(&self.path_of(key), &bytes) {
            Ok(()) => {
                lock(&self.stats).writes += 1;
                self.after_write(bytes.len() as u64);
                Ok(())
            }
            Err(e) => {
                lock(&self.stats).write_errors += 1;
                log::warn(format!("write failed: {e}"));
                Err(e)
            }
        }
    }

    /// Stores an already encoded entry (from a bundle) after verifying it.
    pub fn put_encoded(&self, bytes: &[u8]) -> Result<Key> {
        let e = entry::decode(bytes, None).map_err(|reason| CacheError::Corrupt {
            path: self.dir.clone(),
            reason,
        })?;
        self.put(&e.key, &e.label, &e.payload)?;
        Ok(e.key)
    }

    /// The raw bytes of a verified entry (for bundles); `None` if absent or bad.
    pub fn get_encoded(&self, key: &Key) -> Option<Vec<u8>> {
        let e = self.get(key)?;
        Some(entry::encode(&e.key, &e.label, &e.payload))
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tmp = self.dir.join(format!(
            "{TMP_PREFIX}{}-{}-{nanos}",
            std::process::id(),
            self.tmp_counter.fetch_add(1, Relaxed)
        ));
        let result = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&tmp)
                .map_err(|e| CacheError::io("cannot create", &tmp, e))?;
            f.write_all(bytes)
                .map_err(|e| CacheError::io("cannot write", &tmp, e))?;
            drop(f);
            fs::rename(&tmp, path).map_err(|e| CacheError::io("cannot rename into", path, e))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    fn after_write(&self, bytes: u64) {
        let mut total = self.approx_total.load(Relaxed);
        if total == u64::MAX {
            total = self.list().map_or(0, |l| l.iter().map(|e| e.bytes).sum());
            self.approx_total.store(total, Relaxed);
        } else {
            total = self.approx_total.fetch_add(bytes, Relaxed) + bytes;
        }
        if total > self.max_bytes
            && let Err(e) = self.prune(self.max_bytes / 4 * 3)
        {
            log::warn(format!("prune failed: {e}"));
        }
    }

    /// Every entry file (not verified), oldest first.
    pub fn list(&self) -> Result<Vec<EntryInfo>> {
        let rd =
            fs::read_dir(&self.dir).map_err(|e| CacheError::io("cannot list", &self.dir, e))?;
        let mut out = Vec::new();
        for item in rd.flatten() {
            let path = item.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(key) = name
                .strip_suffix(&format!(".{SUFFIX}"))
                .and_then(Key::from_hex)
            else {
                continue;
            };
            let Ok(meta) = item.metadata() else { continue };
            out.push(EntryInfo {
                key,
                bytes: meta.len(),
                modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                path,
            });
        }
        out.sort_by_key(|e| (e.modified, e.key));
        Ok(out)
    }

    /// The label (kernel name) of an entry, if it verifies.
    pub fn label(&self, key: &Key) -> Option<String> {
        let (_, bytes) = self.read_trusted(&self.path_of(key)).ok()??;
        entry::decode(&bytes, Some(key)).ok().map(|e| e.label)
    }

    /// Removes least recently used entries until the total is at most `target` bytes, and
    /// temporary files left by crashed writers. Returns (entries removed, bytes left).
    pub fn prune(&self, target: u64) -> Result<(usize, u64)> {
        self.remove_stale_tmp();
        let entries = self.list()?;
        let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
        let mut removed = 0;
        for e in &entries {
            if total <= target {
                break;
            }
            if fs::remove_file(&e.path).is_ok() {
                total = total.saturating_sub(e.bytes);
                removed += 1;
            }
        }
        self.approx_total.store(total, Relaxed);
        lock(&self.stats).pruned += removed as u64;
        Ok((removed, total))
    }

    fn remove_stale_tmp(&self) {
        let Ok(rd) = fs::read_dir(&self.dir) else {
            return;
        };
        for item in rd.flatten() {
            let stale = item
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(TMP_PREFIX))
                && item
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > STALE_TMP);
            if stale {
                let _ = fs::remove_file(item.path());
            }
        }
    }

    /// Removes every entry. Returns how many were removed.
    pub fn clear(&self) -> Result<usize> {
        let mut n = 0;
        for e in self.list()? {
            if fs::remove_file(&e.path).is_ok() {
                n += 1;
            }
        }
        self.approx_total.store(0, Relaxed);
        Ok(n)
    }
}
