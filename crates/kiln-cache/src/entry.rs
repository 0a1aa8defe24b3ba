//! The byte layout of one cache entry: a fixed header, a label (the kernel's name, for
//! `kiln cache ls`), and the payload (machine code).
//!
//! ```text
//! magic "KILNKRN\0" | format u32 | key [32] | label length u32 | payload length u64
//! | SHA-256 of label and payload [32] | label | payload
//! ```
//!
//! Invariant: `decode` returns a payload only if the magic, format version, key, both lengths
//! (exactly filling the file) and the checksum all agree; anything else (a torn write, a bit
//! flip, another version, a file renamed to another key) is an error, so a corrupt entry is a
//! miss and never reaches the loader.

use crate::key::{CACHE_FORMAT, Key};
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"KILNKRN\0";
const HEADER: usize = 8 + 4 + 32 + 4 + 8 + 32;

/// A decoded entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: Key,
    pub label: String,
    pub payload: Vec<u8>,
}

fn checksum(label: &[u8], payload: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(label);
    h.update(payload);
    h.finalize().into()
}

pub fn encode(key: &Key, label: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + label.len() + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&CACHE_FORMAT.to_le_bytes());
    out.extend_from_slice(&key.0);
    out.extend_from_slice(&(label.len() as u32).to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&checksum(label.as_bytes(), payload));
    out.extend_from_slice(label.as_bytes());
    out.extend_from_slice(payload);
    out
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], String> {
    bytes
        .get(at..at + N)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| "truncated header".to_string())
}

/// Decodes an entry, checking it is the entry of `expected` (when given).
pub fn decode(bytes: &[u8], expected: Option<&Key>) -> Result<Entry, String> {
    if bytes.len() < HEADER {
        return Err(format!("truncated: {} bytes", bytes.len()));
    }
    if &array::<8>(bytes, 0)? != MAGIC {
        return Err("bad magic".into());
    }
    let format = u32::from_le_bytes(array(bytes, 8)?);
    if format != CACHE_FORMAT {
        return Err(format!("format version {format}, expected {CACHE_FORMAT}"));
    }
    let key = Key(array(bytes, 12)?);
    if let Some(e) = expected
        && *e != key
    {
        return Err(format!("holds key {key}"));
    }
    let label_len = u32::from_le_bytes(array(bytes, 44)?) as u64;
    let payload_len = u64::from_le_bytes(array(bytes, 48)?);
    let sum: [u8; 32] = array(bytes, 56)?;
    let body = &bytes[HEADER..];
    if label_len.checked_add(payload_len) != Some(body.len() as u64) {
        return Err(format!(
            "length mismatch: header says {label_len} + {payload_len}, file has {}",
            body.len()
        ));
    }
    let (label, payload) = body.split_at(label_len as usize);
    if checksum(label, payload) != sum {
        return Err("checksum mismatch".into());
    }
    let label = String::from_utf8_lossy(label).into_owned();
    Ok(Entry {
        key,
        label,
        payload: payload.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_damage_is_detected() {
        let key = Key([7; 32]);
        let bytes = encode(&key, "k0_mul", b"machine code");
        let e = decode(&bytes, Some(&key)).unwrap();
        assert_eq!(
            (e.label.as_str(), e.payload.as_slice()),
            ("k0_mul", &b"machine code"[..])
        );
        assert!(decode(&bytes, Some(&Key([8; 32]))).is_err());
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n], Some(&key)).is_err(), "truncated to {n}");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(decode(&b, Some(&key)).is_err(), "flipped byte {i}");
        }
    }
}
