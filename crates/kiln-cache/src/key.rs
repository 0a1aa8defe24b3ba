//! Content-addressed cache keys.
//!
//! Invariant: a key is the SHA-256 of every input that decides the machine code (cache format
//! version, kiln version, compiler and its version, target with its CPU features, canonical
//! kernel text, which entry points), each part length-prefixed so no two different tuples hash
//! the same bytes. Equal keys mean interchangeable code.

use sha2::{Digest, Sha256};
use std::fmt;

/// The version of the entry format (`entry.rs`) and of the key derivation. 2: kernel and plan
/// texts show a NaN constant's sign and payload (under 1 they printed every NaN as `nan`, so
/// kernels with different NaN constants shared a key): entries of 1 are never looked up.
pub const CACHE_FORMAT: u32 = 2;

/// A 32-byte content address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(pub [u8; 32]);

impl Key {
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 64 hexadecimal digits.
    pub fn from_hex(s: &str) -> Option<Key> {
        let s = s.trim();
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Key(out))
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.hex())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

/// What machine code is compiled for: fixed for a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// kiln's version (helpers' op codes and code generation change with it).
    pub kiln_version: String,
    /// The code generator and its exact version.
    pub compiler: String,
    /// Target triple, compiler settings and CPU features.
    pub fingerprint: String,
}

impl Target {
    /// The key of one compiled artifact: `what` names the entry points, `text` is the
    /// canonical kernel text.
    pub fn key(&self, what: &str, text: &str) -> Key {
        let mut h = Sha256::new();
        let mut part = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        part(&CACHE_FORMAT.to_le_bytes());
        part(self.kiln_version.as_bytes());
        part(self.compiler.as_bytes());
        part(self.fingerprint.as_bytes());
        part(what.as_bytes());
        part(text.as_bytes());
        Key(h.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            kiln_version: "0.1.0".into(),
            compiler: "cranelift 0.135.8".into(),
            fingerprint: "x86_64 sse41".into(),
        }
    }

    #[test]
    fn every_part_changes_the_key() {
        let t = target();
        let k = t.key("main", "kernel k0");
        assert_eq!(k, t.key("main", "kernel k0"));
        assert_ne!(k, t.key("split", "kernel k0"));
        assert_ne!(k, t.key("main", "kernel k1"));
        for change in 0..3 {
            let mut u = target();
            match change {
                0 => u.kiln_version.push('1'),
                1 => u.compiler.push('1'),
                _ => u.fingerprint.push_str(" avx2"),
            }
            assert_ne!(k, u.key("main", "kernel k0"));
        }
        // Length prefixes: moving a byte between parts changes the key.
        assert_ne!(t.key("ma", "inkernel"), t.key("main", "kernel"));
    }

    #[test]
    fn hex_round_trips() {
        let k = target().key("main", "x");
        assert_eq!(Key::from_hex(&k.hex()), Some(k));
        assert_eq!(Key::from_hex("zz"), None);
        assert_eq!(Key::from_hex(&"g".repeat(64)), None);
    }
}
