//! The caches as the user sees them: how often an evaluation reused a plan, a kernel in
//! memory, or a kernel from disk, and what compiled; where the disk cache is; what target
//! machine code is compiled for.
//!
//! Invariant: reading these numbers never changes a cache.

use crate::error::Result;
use crate::pipeline::{self, PlanCacheStats};
use std::path::PathBuf;

pub use kiln_cpu::TargetInfo;

/// Counters of every cache level, for this process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheStats {
    /// Evaluations that reused (or had to build) an optimised, prepared schedule.
    pub plans: PlanCacheStats,
    /// Kernel requests served from memory.
    pub memory_hits: u64,
    /// Kernels loaded from the disk cache (main and split entry points).
    pub disk_hits: u64,
    /// Kernels compiled (main and split entry points).
    pub compiles: u64,
    /// The disk store's own counters (`None`: no disk cache).
    pub disk: Option<kiln_cpu::DiskStats>,
    /// The counters of the disk cache's `plans` section (`None`: no disk cache).
    pub plan_disk: Option<kiln_cpu::DiskStats>,
    /// The configured cache directory (even if it could not be used).
    pub dir: Option<PathBuf>,
}

/// The current counters of the plan, memory and disk caches.
pub fn cache_stats() -> Result<CacheStats> {
    let cpu = pipeline::cpu()?;
    let s = cpu.stats();
    let store = cpu.code_store();
    Ok(CacheStats {
        plans: pipeline::plan_cache_stats(),
        memory_hits: s.cache_hits,
        disk_hits: s.disk_hits + s.split_disk_hits,
        compiles: s.kernels_compiled + s.split_entries_compiled,
        disk: store.disk_stats(),
        plan_disk: pipeline::plan_store_stats()?,
        dir: store.dir().map(PathBuf::from),
    })
}

/// The target the CPU backend compiles for (triple, CPU features, compiler version).
pub fn target_info() -> Result<TargetInfo> {
    Ok(pipeline::cpu()?.target_info())
}
