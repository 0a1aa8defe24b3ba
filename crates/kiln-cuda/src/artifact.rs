//! A compiled CUDA module as kiln stores it: PTX text (virtual architecture) or a CUBIN image
//! (real architecture), and the byte encoding the disk cache holds.
//!
//! ```text
//! b'P' | PTX text (UTF-8, no NUL)        or        b'C' | CUBIN (an ELF image)
//! ```
//!
//! Invariant: `decode` accepts only what `encode` writes for the expected kind and entry
//! points: a PTX payload must be UTF-8 without NUL and declare every expected `.entry`; a CUBIN
//! must be an ELF image. Anything else is an error (a cache miss), never handed to the driver.

use crate::arch::ArchKind;

/// The version of the encoding below; part of every CUDA cache key.
pub const ARTIFACT_FORMAT: u32 = 1;

/// What NVRTC produced: PTX text for a virtual architecture, a CUBIN for a real one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Artifact {
    Ptx(String),
    Cubin(Vec<u8>),
}

const ELF_MAGIC: &[u8; 4] = b"\x7fELF";

impl Artifact {
    /// The module image as cudarc loads it.
    pub fn to_cudarc(&self) -> cudarc::nvrtc::Ptx {
        match self {
            Artifact::Ptx(text) => cudarc::nvrtc::Ptx::from_src(text.clone()),
            Artifact::Cubin(bytes) => cudarc::nvrtc::Ptx::from_binary(bytes.clone()),
        }
    }

    pub fn kind(&self) -> ArchKind {
        match self {
            Artifact::Ptx(_) => ArchKind::Virtual,
            Artifact::Cubin(_) => ArchKind::Real,
        }
    }

    /// The size of the module image in bytes.
    pub fn byte_len(&self) -> usize {
        match self {
            Artifact::Ptx(t) => t.len(),
            Artifact::Cubin(b) => b.len(),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let (tag, body) = match self {
            Artifact::Ptx(t) => (b'P', t.as_bytes()),
            Artifact::Cubin(b) => (b'C', b.as_slice()),
        };
        let mut out = Vec::with_capacity(1 + body.len());
        out.push(tag);
        out.extend_from_slice(body);
        out
    }

    /// Decodes a payload, checking it is of `kind` and (for PTX) declares each of `entries`.
    pub fn decode(bytes: &[u8], kind: ArchKind, entries: &[&str]) -> Result<Artifact, String> {
        let (&tag, body) = bytes.split_first().ok_or("empty payload")?;
        match (tag, kind) {
            (b'P', ArchKind::Virtual) => {
                let text = std::str::from_utf8(body).map_err(|e| format!("PTX not UTF-8: {e}"))?;
                if text.contains('\0') {
                    return Err("PTX contains a NUL byte".into());
                }
                for e in entries {
                    if !text.contains(&format!(".entry {e}")) {
                        return Err(format!("PTX has no entry {e}"));
                    }
                }
                Ok(Artifact::Ptx(text.to_string()))
            }
            (b'C', ArchKind::Real) => {
                if body.len() < 64 || !body.starts_with(ELF_MAGIC) {
                    return Err("CUBIN is not an ELF image".into());
                }
                Ok(Artifact::Cubin(body.to_vec()))
            }
            (tag, kind) => Err(format!(
                "payload tag {tag:#04x} for a {kind:?} architecture"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects() {
        let ptx = Artifact::Ptx(".version 9.0\n.entry kiln_main(\n)".into());
        let bytes = ptx.encode();
        assert_eq!(
            Artifact::decode(&bytes, ArchKind::Virtual, &["kiln_main"]),
            Ok(ptx)
        );
        assert!(Artifact::decode(&bytes, ArchKind::Virtual, &["kiln_partial"]).is_err());
        assert!(Artifact::decode(&bytes, ArchKind::Real, &[]).is_err());
        assert!(Artifact::decode(&[], ArchKind::Virtual, &[]).is_err());
        assert!(Artifact::decode(b"P\xff\xfe", ArchKind::Virtual, &[]).is_err());
        let mut elf = b"\x7fELF".to_vec();
        elf.resize(80, 1);
        let cubin = Artifact::Cubin(elf);
        let bytes = cubin.encode();
        assert_eq!(Artifact::decode(&bytes, ArchKind::Real, &[]), Ok(cubin));
        assert!(Artifact::decode(&bytes, ArchKind::Virtual, &[]).is_err());
        assert!(Artifact::decode(&bytes[..40], ArchKind::Real, &[]).is_err());
        assert!(
            Artifact::decode(
                b"Cnot an elf image at all, but long enough to pass the size check....",
                ArchKind::Real,
                &[]
            )
            .is_err()
        );
    }
}
