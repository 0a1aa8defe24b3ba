//! kiln's on-disk kernel cache: compiled machine code stored under content-addressed keys, so
//! a kernel compiled once (by any process of the same user, or ahead of time on another machine
//! through a bundle) is loaded instead of compiled.
//!
//! - [`key`]: what a key hashes (format, kiln and compiler versions, target, kernel text);
//! - [`entry`]: the checksummed byte layout of one entry;
//! - [`store`]: the directory of entries (atomic writes, trust checks, LRU size bound);
//! - [`kind`]: the label tag that tells CUDA modules from CPU code;
//! - [`bundle`]: record files and bundles for ahead-of-time deployment;
//! - [`config`]: the environment variables.
//!
//! Architecture invariant: this crate knows nothing of code generation: a payload is opaque
//! bytes. It never makes an evaluation fail, except by a strict-mode miss the caller raises.

pub mod bundle;
pub mod config;
pub mod entry;
pub mod error;
mod files;
pub mod key;
pub mod kind;
mod log;
pub mod store;
pub mod trust;

pub use config::CacheConfig;
pub use error::{CacheError, Result};
pub use files::StoreFiles;
pub use key::{Key, Target};
pub use kind::EntryKind;
pub use log::warn;
pub use store::{DiskCache, DiskStats, EntryInfo};
