//! Relocatable machine code: the finished bytes of a kernel's entry points in one image, the
//! relocations that still need the addresses of external symbols, and a byte encoding of both
//! (what the disk cache stores).
//!
//! Invariant: an `ObjCode` never holds an absolute address; every external reference is a
//! relocation naming a symbol (a kiln helper or a cranelift libcall), so the same bytes are
//! valid in any process. `decode` accepts only what `encode` writes: every offset and length is
//! checked against the image, so corrupt bytes are an error, never an out-of-bounds write.

use crate::codegen::Entry;
use crate::error::CpuError;

/// The version of the encoding below; part of every disk-cache key.
pub const OBJCODE_FORMAT: u32 = 1;

/// How a relocation patches the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelocKind {
    /// The 8-byte absolute address of the target plus the addend.
    Abs8,
    /// The 4-byte absolute address (must fit in 32 bits).
    Abs4,
    /// The 4-byte signed distance from the patched location to the target plus the addend.
    PcRel4,
}

impl RelocKind {
    fn code(self) -> u8 {
        match self {
            RelocKind::Abs8 => 0,
            RelocKind::Abs4 => 1,
            RelocKind::PcRel4 => 2,
        }
    }
    fn from_code(c: u8) -> Option<RelocKind> {
        match c {
            0 => Some(RelocKind::Abs8),
            1 => Some(RelocKind::Abs4),
            2 => Some(RelocKind::PcRel4),
            _ => None,
        }
    }
    /// The number of bytes patched.
    pub fn width(self) -> usize {
        match self {
            RelocKind::Abs8 => 8,
            RelocKind::Abs4 | RelocKind::PcRel4 => 4,
        }
    }
}

/// What a relocation points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelocTarget {
    /// An external symbol, resolved by name when the code is loaded.
    Symbol(String),
    /// An offset inside the image itself.
    Local(u32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reloc {
    /// Offset of the patched bytes in the image.
    pub offset: u32,
    pub kind: RelocKind,
    pub target: RelocTarget,
    pub addend: i64,
}

/// The machine code of some entry points of one kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjCode {
    /// Where each entry point starts in `code`.
    pub entries: Vec<(Entry, u32)>,
    pub code: Vec<u8>,
    pub relocs: Vec<Reloc>,
    /// Whether vector loops were kept (false after a fallback to scalar code).
    pub vectorized: bool,
}

fn entry_code(e: Entry) -> u8 {
    match e {
        Entry::Main => 0,
        Entry::Partial => 1,
        Entry::Finish => 2,
    }
}

fn entry_from_code(c: u8) -> Option<Entry> {
    match c {
        0 => Some(Entry::Main),
        1 => Some(Entry::Partial),
        2 => Some(Entry::Finish),
        _ => None,
    }
}

impl ObjCode {
    /// Checks that every entry and relocation lies inside the image.
    pub fn validate(&self) -> Result<(), CpuError> {
        let len = self.code.len();
        let bad = |what: String| CpuError::BadObjCode(what);
        for &(e, off) in &self.entries {
            if off as usize >= len {
                return Err(bad(format!(
                    "{} entry at {off} outside {len} bytes",
                    e.suffix()
                )));
            }
        }
        for r in &self.relocs {
            if (r.offset as usize).saturating_add(r.kind.width()) > len {
                return Err(bad(format!(
                    "relocation at {} outside {len} bytes",
                    r.offset
                )));
            }
            if let RelocTarget::Local(t) = r.target
                && t as usize >= len
            {
                return Err(bad(format!(
                    "local relocation target {t} outside {len} bytes"
                )));
            }
        }
        Ok(())
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.code.len() + 64 + 24 * self.relocs.len());
        out.extend_from_slice(&OBJCODE_FORMAT.to_le_bytes());
        out.push(u8::from(self.vectorized));
        out.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        for &(e, off) in &self.entries {
            out.push(entry_code(e));
            out.extend_from_slice(&off.to_le_bytes());
        }
        out.extend_from_slice(&(self.code.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.code);
        out.extend_from_slice(&(self.relocs.len() as u32).to_le_bytes());
        for r in &self.relocs {
            out.extend_from_slice(&r.offset.to_le_bytes());
            out.push(r.kind.code());
            out.extend_from_slice(&r.addend.to_le_bytes());
            match &r.target {
                RelocTarget::Symbol(s) => {
                    out.push(0);
                    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    out.extend_from_slice(s.as_bytes());
                }
                RelocTarget::Local(t) => {
                    out.push(1);
                    out.extend_from_slice(&t.to_le_bytes());
                }
            }
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<ObjCode, CpuError> {
        let mut r = Reader { bytes, pos: 0 };
        let format = r.u32()?;
        if format != OBJCODE_FORMAT {
            return Err(CpuError::BadObjCode(format!("format {format}")));
        }
        let vectorized = r.u8()? != 0;
        let n = r.u32()? as usize;
        let mut entries = Vec::new();
        for _ in 0..n {
            let e = entry_from_code(r.u8()?)
                .ok_or_else(|| CpuError::BadObjCode("entry kind".into()))?;
            entries.push((e, r.u32()?));
        }
        let len = r.u32()? as usize;
        let code = r.take(len)?.to_vec();
        let n = r.u32()? as usize;
        let mut relocs = Vec::new();
        for _ in 0..n {
            let offset = r.u32()?;
            let kind = RelocKind::from_code(r.u8()?)
                .ok_or_else(|| CpuError::BadObjCode("relocation kind".into()))?;
            let addend = r.i64()?;
            let target = match r.u8()? {
                0 => {
                    let len = r.u32()? as usize;
                    let s = std::str::from_utf8(r.take(len)?)
                        .map_err(|_| CpuError::BadObjCode("symbol name".into()))?;
                    RelocTarget::Symbol(s.to_string())
                }
                1 => RelocTarget::Local(r.u32()?),
                _ => return Err(CpuError::BadObjCode("relocation target".into())),
            };
            relocs.push(Reloc {
                offset,
                kind,
                target,
                addend,
            });
        }
        if r.pos != bytes.len() {
            return Err(CpuError::BadObjCode("trailing bytes".into()));
        }
        let obj = ObjCode {
            entries,
            code,
            relocs,
            vectorized,
        };
        obj.validate()?;
        Ok(obj)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CpuError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| CpuError::BadObjCode("truncated".into()))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, CpuError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, CpuError> {
        let mut b = [0; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(b))
    }
    fn i64(&mut self) -> Result<i64, CpuError> {
        let mut b = [0; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(i64::from_le_bytes(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ObjCode {
        ObjCode {
            entries: vec![(Entry::Main, 0), (Entry::Finish, 16)],
            code: (0..32).collect(),
            relocs: vec![
                Reloc {
                    offset: 2,
                    kind: RelocKind::Abs8,
                    target: RelocTarget::Symbol("kiln_f32_unary".into()),
                    addend: 0,
                },
                Reloc {
                    offset: 20,
                    kind: RelocKind::PcRel4,
                    target: RelocTarget::Local(30),
                    addend: -4,
                },
            ],
            vectorized: true,
        }
    }

    #[test]
    fn encoding_round_trips() {
        let o = sample();
        assert_eq!(ObjCode::decode(&o.encode()).unwrap(), o);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = sample().encode();
        for n in 0..bytes.len() {
            assert!(
                ObjCode::decode(&bytes[..n]).is_err(),
                "prefix of {n} bytes accepted"
            );
        }
    }

    #[test]
    fn out_of_image_relocation_is_an_error() {
        let mut o = sample();
        o.relocs[0].offset = 28;
        assert!(matches!(
            ObjCode::decode(&o.encode()),
            Err(CpuError::BadObjCode(_))
        ));
    }
}
