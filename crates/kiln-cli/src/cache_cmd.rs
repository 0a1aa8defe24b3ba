//! `kiln cache ...`: the disk cache's entries, listed (with their kind: `cpu`, `cuda-ptx
//! compute_90`, `cuda-cubin sm_90`), counted per kind, cleared, pruned, exported to and
//! imported from bundles.
//!
//! Invariant: these commands go through `kiln_cache::DiskCache`, so they obey the same trust
//! checks as the library (a foreign directory is refused).

use clap::ArgMatches;
use kiln_cache::{CacheConfig, DiskCache, bundle, config::parse_size, kind};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

pub fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

fn open(config: &CacheConfig) -> Result<DiskCache, String> {
    let dir = config
        .dir
        .as_ref()
        .ok_or("the disk cache is off (KILN_CACHE=off) or has no location")?;
    DiskCache::open(dir, config.max_bytes).map_err(|e| e.to_string())
}

/// (entries, total bytes) of the configured cache.
pub fn summary(config: &CacheConfig) -> Result<(usize, u64), String> {
    let list = open(config)?.list().map_err(|e| e.to_string())?;
    Ok((list.len(), list.iter().map(|e| e.bytes).sum()))
}

/// (entries, bytes) per kind of entry (CPU code, CUDA PTX or CUBIN per architecture), read
/// from each entry's label; an entry that does not verify counts as `?`.
fn by_kind(cache: &DiskCache) -> Result<BTreeMap<String, (usize, u64)>, String> {
    let mut kinds = BTreeMap::new();
    for e in cache.list().map_err(|e| e.to_string())? {
        let kind = cache
            .label(&e.key)
            .map_or_else(|| "?".to_string(), |l| kind::parse(&l).0.to_string());
        let slot: &mut (usize, u64) = kinds.entry(kind).or_default();
        slot.0 += 1;
        slot.1 += e.bytes;
    }
    Ok(kinds)
}

pub fn run(m: &ArgMatches) -> Result<(), String> {
    let config = CacheConfig::from_env();
    let cache = open(&config)?;
    let err = |e: kiln_cache::CacheError| e.to_string();
    match m.subcommand() {
        Some(("ls", _)) => {
            for e in cache.list().map_err(err)? {
                let age = SystemTime::now()
                    .duration_since(e.modified)
                    .map_or(0, |d| d.as_secs());
                let (kind, name) = match cache.label(&e.key) {
                    Some(label) => {
                        let (kind, name) = kind::parse(&label);
                        (kind.to_string(), name.to_string())
                    }
                    None => ("?".to_string(), "(unreadable)".to_string()),
                };
                println!(
                    "{}  {:>9}  {:>7}s ago  {kind:<22} {name}",
                    e.key,
                    human(e.bytes),
                    age
                );
            }
        }
        Some(("stats", _)) => {
            let (n, bytes) = summary(&config)?;
            println!("directory: {}", cache.root().display());
            println!("entries: {n}");
            println!("size: {} ({bytes} bytes)", human(bytes));
            for (kind, (count, bytes)) in by_kind(&cache)? {
                println!("  {kind}: {count} entries, {}", human(bytes));
            }
            println!(
                "bound: {} ({} bytes)",
                human(config.max_bytes),
                config.max_bytes
            );
        }
        Some(("clear", _)) => {
            let kernels = cache.clear().map_err(err)?;
            // Optimised plans live in a sibling section; clearing removes them too.
            let plans = DiskCache::open_section(cache.root(), "plans", config.max_bytes)
                .and_then(|p| p.clear())
                .unwrap_or(0);
            println!("removed {kernels} entries and {plans} plans");
        }
        Some(("prune", p)) => {
            let bound = match p.get_one::<String>("max-bytes") {
                Some(s) => parse_size(s).ok_or_else(|| format!("{s} is not a size"))?,
                None => config.max_bytes,
            };
            let (n, left) = cache.prune(bound).map_err(err)?;
            println!("removed {n} entries, {} left", human(left));
        }
        Some(("export", p)) => {
            let path = p
                .get_one::<PathBuf>("bundle")
                .ok_or("missing bundle path")?;
            let keys = match p.get_one::<PathBuf>("keys") {
                Some(f) => Some(bundle::read_record(f).map_err(err)?),
                None => None,
            };
            let n = bundle::export(&cache, keys.as_deref(), path).map_err(err)?;
            println!("exported {n} entries to {}", path.display());
        }
        Some(("import", p)) => {
            let path = p
                .get_one::<PathBuf>("bundle")
                .ok_or("missing bundle path")?;
            let keys = bundle::import(&cache, path).map_err(err)?;
            println!(
                "imported {} entries into {}",
                keys.len(),
                cache.root().display()
            );
        }
        _ => return Err("unknown cache command".into()),
    }
    Ok(())
}
