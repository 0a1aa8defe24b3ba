//! `kiln info`: what this machine compiles for (CPU features; NVRTC's version when it loads)
//! and where the cache is.
//!
//! Invariant: only reads; opening the runtime may create the cache directory, nothing else.

use crate::cache_cmd::{human, summary};
use kiln_cache::CacheConfig;

/// NVRTC's version and the architectures it compiles for, or why CUDA kernels cannot be
/// compiled here. Loading NVRTC is the only CUDA library call `info` makes.
fn nvrtc_line() -> String {
    if !kiln_cuda::nvrtc_available() {
        return "nvrtc: not found (CUDA kernels cannot be compiled; install the CUDA toolkit or \
                the nvidia-cuda-nvrtc wheel and put its lib directory on LD_LIBRARY_PATH)"
            .to_string();
    }
    match kiln_cuda::nvrtc_version() {
        Ok((major, minor)) => {
            let archs = kiln_cuda::nvrtc::supported_archs()
                .map(|a| {
                    a.iter()
                        .map(|n| format!("sm_{n}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_else(|e| format!("(unknown: {e})"));
            format!("nvrtc: {major}.{minor} (architectures: {archs})")
        }
        Err(e) => format!("nvrtc: unusable: {e}"),
    }
}

pub fn run() -> Result<(), String> {
    let target = kiln::target_info().map_err(|e| e.to_string())?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("kiln {}", env!("CARGO_PKG_VERSION"));
    println!("devices: cpu ({threads} threads)");
    println!("target: {}", target.triple);
    println!("compiler: {}", target.compiler);
    println!("cpu features: {}", target.cpu_features.join(" "));
    println!("{}", nvrtc_line());
    let config = CacheConfig::from_env();
    match &config.dir {
        None => println!("cache: off"),
        Some(dir) => {
            println!("cache: {}", dir.display());
            match summary(&config) {
                Ok((n, bytes)) => println!(
                    "cache size: {n} entries, {} (bound {})",
                    human(bytes),
                    human(config.max_bytes)
                ),
                Err(e) => println!("cache unusable: {e}"),
            }
        }
    }
    if config.strict {
        println!("strict mode: on (a kernel missing from the cache is an error)");
    }
    Ok(())
}
