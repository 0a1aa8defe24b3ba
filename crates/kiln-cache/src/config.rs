//! Where the cache lives and how it behaves, from the environment:
//!
//! | variable | effect |
//! |---|---|
//! | `KILN_CACHE=off` (or `0`, `false`) | no disk cache |
//! | `KILN_CACHE_DIR=<dir>` | the cache directory (default `$XDG_CACHE_HOME/kiln`, else `~/.cache/kiln`) |
//! | `KILN_CACHE_MAX_BYTES=<n>[K|M|G]` | the size bound (default 256M) |
//! | `KILN_CACHE_STRICT=1` | a kernel missing from the cache is an error, never compiled |
//! | `KILN_CACHE_RECORD=<file>` | append the key of every kernel used to `<file>` (for bundles) |
//! | `KILN_CACHE_LOG=1` | log cache problems to stderr |
//!
//! Invariant: reading the configuration never fails; a malformed value falls back to the
//! default (and is logged).

use crate::log;
use std::path::PathBuf;

/// The default size bound.
pub const DEFAULT_MAX_BYTES: u64 = 256 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    /// `None`: no disk cache (turned off, or no home directory to put it in).
    pub dir: Option<PathBuf>,
    pub max_bytes: u64,
    pub strict: bool,
    pub record: Option<PathBuf>,
}

impl Default for CacheConfig {
    /// No disk cache, not strict, not recording.
    fn default() -> CacheConfig {
        CacheConfig {
            dir: None,
            max_bytes: DEFAULT_MAX_BYTES,
            strict: false,
            record: None,
        }
    }
}

/// Parses `123`, `64K`, `256M`, `1G`.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (digits, shift) = match s.chars().last()?.to_ascii_uppercase() {
        'K' => (&s[..s.len() - 1], 10),
        'M' => (&s[..s.len() - 1], 20),
        'G' => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(1 << shift)
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "off" | "false"))
}

/// `$XDG_CACHE_HOME/kiln`, else `$HOME/.cache/kiln`.
pub fn default_dir() -> Option<PathBuf> {
    let non_empty = |v: &str| {
        std::env::var_os(v)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    non_empty("XDG_CACHE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| non_empty("HOME").map(|h| h.join(".cache")))
        .map(|c| c.join("kiln"))
}

impl CacheConfig {
    pub fn from_env() -> CacheConfig {
        let off = std::env::var("KILN_CACHE").is_ok_and(|v| {
            matches!(
                v.to_ascii_lowercase().as_str(),
                "off" | "0" | "false" | "no"
            )
        });
        let dir = if off {
            None
        } else {
            std::env::var_os("KILN_CACHE_DIR")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .or_else(default_dir)
        };
        let max_bytes = match std::env::var("KILN_CACHE_MAX_BYTES") {
            Ok(v) => parse_size(&v).unwrap_or_else(|| {
                log::warn(format!(
                    "KILN_CACHE_MAX_BYTES={v} is not a size; using the default"
                ));
                DEFAULT_MAX_BYTES
            }),
            Err(_) => DEFAULT_MAX_BYTES,
        };
        CacheConfig {
            dir,
            max_bytes,
            strict: flag("KILN_CACHE_STRICT"),
            record: std::env::var_os("KILN_CACHE_RECORD")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("64K"), Some(64 << 10));
        assert_eq!(parse_size("2m"), Some(2 << 20));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size(""), None);
        assert_eq!(parse_size("99999999999999G"), None);
    }
}
