//! `kiln info`: what this machine compiles for and where the cache is.
//!
//! Invariant: only reads; opening the runtime may create the cache directory, nothing else.

use crate::cache_cmd::{human, summary};
use kiln_cache::CacheConfig;

pub fn run() -> Result<(), String> {
    let target = kiln::target_info().map_err(|e| e.to_string())?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("kiln {}", env!("CARGO_PKG_VERSION"));
    println!("devices: cpu ({threads} threads)");
    println!("target: {}", target.triple);
    println!("compiler: {}", target.compiler);
    println!("cpu features: {}", target.cpu_features.join(" "));
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
