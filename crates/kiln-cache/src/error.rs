//! The disk cache's error type.
//!
//! Invariant: every failure of the store is one of these variants. The backend never lets one
//! of them fail an evaluation (it logs it and compiles instead), except `StrictMiss`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// A file-system operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The cache directory (or an entry) belongs to another user, or others may write to it:
    /// loading machine code from it would run code someone else controls.
    #[error("refusing {path}: {reason}")]
    NotTrusted { path: PathBuf, reason: String },
    /// An entry or bundle is malformed, truncated, of another format version, or fails its
    /// checksum.
    #[error("corrupt cache data {path}: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// Strict mode: a kernel was not in the cache and compiling at run time is forbidden.
    #[error("strict cache mode: kernel {kernel} (key {key}) is not in the cache {dir}")]
    StrictMiss {
        kernel: String,
        key: String,
        dir: PathBuf,
    },
    /// The cache is turned off (`KILN_CACHE=off`) or has no usable location.
    #[error("the disk cache is disabled")]
    Disabled,
    /// A command-line argument or key is malformed.
    #[error("{0}")]
    Invalid(String),
}

impl CacheError {
    pub(crate) fn io(what: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        CacheError::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}

pub type Result<T> = std::result::Result<T, CacheError>;
