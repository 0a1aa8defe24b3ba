//! Who may have written a file the cache reads. Loading machine code is running code, so the
//! cache directory and every entry must belong to the expected user (the effective user, or
//! the one a test injects) and must not be writable by group or others.
//!
//! Invariant: `check` is the only gate between a file's metadata and trusting its bytes.

use crate::error::{CacheError, Result};
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The effective user id of this process.
pub fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Refuses `meta` unless it belongs to `owner` and neither group nor others can write it.
pub fn check(path: &Path, meta: &Metadata, owner: u32) -> Result<()> {
    let refuse = |reason: String| CacheError::NotTrusted {
        path: path.to_path_buf(),
        reason,
    };
    if meta.uid() != owner {
        return Err(refuse(format!(
            "owned by uid {}, not by uid {owner}",
            meta.uid()
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(refuse(format!(
            "writable by group or others (mode {:o})",
            meta.mode() & 0o7777
        )));
    }
    Ok(())
}
