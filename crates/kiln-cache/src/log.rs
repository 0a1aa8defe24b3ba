//! Diagnostics of the cache: problems (a failed write, a corrupt or refused entry) are never
//! fatal; they are written to stderr when `KILN_CACHE_LOG` is set (to anything but `0`).
//!
//! Invariant: logging never fails and never panics.

use std::sync::OnceLock;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("KILN_CACHE_LOG").is_ok_and(|v| v != "0" && !v.is_empty()))
}

/// Writes one line to stderr if logging is on.
pub fn warn(msg: impl std::fmt::Display) {
    if enabled() {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "kiln-cache: {msg}");
    }
}
