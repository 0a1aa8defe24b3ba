//! Bundles: the kernels a program needed, in one file, to import into the cache of another
//! machine (ahead-of-time deployment), and the record files that list them.
//!
//! ```text
//! magic "KILNBNDL" | format u32 | count u32 | (length u64 | entry bytes)* | SHA-256 of all before
//! ```
//!
//! Invariant: `import` stores nothing unless the whole bundle's checksum verifies, and each
//! entry is verified again (its own checksum) as it is stored.

use crate::error::{CacheError, Result};
use crate::key::{CACHE_FORMAT, Key};
use crate::store::DiskCache;
use sha2::{Digest, Sha256};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

const MAGIC: &[u8; 8] = b"KILNBNDL";

/// Appends a used kernel's key (and its name) to a record file; one line each, written with
/// one `write` in append mode so concurrent recorders do not interleave lines.
pub fn record(path: &Path, key: &Key, label: &str) -> Result<()> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| CacheError::io("cannot open record file", path, e))?;
    let line = format!("{} {}\n", key.hex(), label.replace(['\n', '\r'], " "));
    f.write_all(line.as_bytes())
        .map_err(|e| CacheError::io("cannot append to record file", path, e))
}

/// The distinct keys of a record file, in first-use order.
pub fn read_record(path: &Path) -> Result<Vec<Key>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CacheError::io("cannot read record file", path, e))?;
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let word = line.split_whitespace().next().unwrap_or("");
        if word.is_empty() {
            continue;
        }
        let key = Key::from_hex(word).ok_or_else(|| {
            CacheError::Invalid(format!("{}:{}: not a cache key", path.display(), n + 1))
        })?;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// Writes the entries of `keys` (every entry when `None`) to a bundle at `path`. A key
/// missing from the cache is an error naming it. Returns the number of entries.
pub fn export(cache: &DiskCache, keys: Option<&[Key]>, path: &Path) -> Result<usize> {
    let keys: Vec<Key> = match keys {
        Some(k) => k.to_vec(),
        None => cache.list()?.into_iter().map(|e| e.key).collect(),
    };
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&CACHE_FORMAT.to_le_bytes());
    out.extend_from_slice(&(keys.len() as u32).to_le_bytes());
    for key in &keys {
        let bytes = cache.get_encoded(key).ok_or_else(|| {
            CacheError::Invalid(format!(
                "kernel {key} is not in the cache {}",
                cache.root().display()
            ))
        })?;
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&bytes);
    }
    let sum: [u8; 32] = Sha256::digest(&out).into();
    out.extend_from_slice(&sum);
    let tmp = path.with_extension("tmp-bundle");
    std::fs::write(&tmp, &out).map_err(|e| CacheError::io("cannot write bundle", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| CacheError::io("cannot write bundle", path, e))?;
    Ok(keys.len())
}

/// Stores every entry of the bundle at `path` into `cache`. Returns their keys.
pub fn import(cache: &DiskCache, path: &Path) -> Result<Vec<Key>> {
    let bytes = std::fs::read(path).map_err(|e| CacheError::io("cannot read bundle", path, e))?;
    let corrupt = |reason: &str| CacheError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    if bytes.len() < 8 + 4 + 4 + 32 {
        return Err(corrupt("truncated"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != sum {
        return Err(corrupt("checksum mismatch"));
    }
    if &body[..8] != MAGIC {
        return Err(corrupt("not a kiln bundle"));
    }
    let word = |at: usize| -> Result<u32> {
        let b: [u8; 4] = body
            .get(at..at + 4)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| corrupt("truncated"))?;
        Ok(u32::from_le_bytes(b))
    };
    let format = word(8)?;
    if format != CACHE_FORMAT {
        return Err(corrupt(&format!(
            "format version {format}, expected {CACHE_FORMAT}"
        )));
    }
    let count = word(12)? as usize;
    let mut at = 16;
    let mut entries = Vec::new();
    for _ in 0..count {
        let len: [u8; 8] = body
            .get(at..at + 8)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| corrupt("truncated"))?;
        let len = usize::try_from(u64::from_le_bytes(len)).map_err(|_| corrupt("length"))?;
        let entry = at
            .checked_add(8)
            .and_then(|s| body.get(s..s.checked_add(len)?))
            .ok_or_else(|| corrupt("truncated entry"))?;
        entries.push(entry);
        at += 8 + len;
    }
    if at != body.len() {
        return Err(corrupt("trailing bytes"));
    }
    entries.into_iter().map(|e| cache.put_encoded(e)).collect()
}
