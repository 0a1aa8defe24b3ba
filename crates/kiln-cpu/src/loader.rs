//! The one loader of machine code: maps an `ObjCode` into fresh executable memory, resolving
//! its relocations against kiln's symbol table (the helpers, and every libcall cranelift may
//! emit: `libcalls.rs` resolves each or refuses it with a typed error). Freshly compiled kernels and kernels read from the disk cache both come through here,
//! so a kernel behaves the same whichever way it arrived.
//!
//! Invariants: memory is never writable and executable at once (W^X: written while private
//! read-write, then switched to read-execute before any address is handed out); loaded code is
//! never unmapped, so an entry point stays valid for the life of the process; a relocation to
//! an unknown symbol or out of range is an error and nothing is mapped executable.

use crate::codegen::Entry;
use crate::error::CpuError;
use crate::helpers::Helper;
use crate::libcalls::{self, Resolution};
use crate::objcode::{ObjCode, RelocKind, RelocTarget};

/// The prefix of libcall symbols in relocations (`libcall:FloorF32`).
pub const LIBCALL_PREFIX: &str = "libcall:";

/// The address of an external symbol generated code may reference: a kiln helper, or a
/// cranelift libcall (`libcall:FloorF32`; see `libcalls.rs` for what each resolves to). A
/// libcall kiln refuses is `CpuError::UnsupportedLibcall`; any other unknown name is
/// `CpuError::BadObjCode`.
pub fn symbol_address(name: &str) -> Result<usize, CpuError> {
    if let Some(h) = Helper::ALL.iter().find(|h| h.symbol() == name) {
        return Ok(h.address() as usize);
    }
    let unknown = || CpuError::BadObjCode(format!("unknown symbol {name}"));
    let libcall = name.strip_prefix(LIBCALL_PREFIX).ok_or_else(unknown)?;
    match libcalls::resolve(libcalls::by_name(libcall).ok_or_else(unknown)?) {
        Resolution::Address(a) => Ok(a),
        Resolution::Refused(reason) => Err(CpuError::UnsupportedLibcall {
            libcall: libcall.to_string(),
            reason,
        }),
    }
}

/// Loads `obj` into executable memory and returns the address of each of its entry points.
pub fn load(obj: &ObjCode) -> Result<Vec<(Entry, *const u8)>, CpuError> {
    obj.validate()?;
    let map_err = |e: std::io::Error| CpuError::Module(format!("code memory: {e}"));
    let mut mem = memmap2::MmapMut::map_anon(obj.code.len().max(1)).map_err(map_err)?;
    mem[..obj.code.len()].copy_from_slice(&obj.code);
    let base = mem.as_ptr() as usize;
    for r in &obj.relocs {
        let target = match &r.target {
            RelocTarget::Symbol(s) => symbol_address(s)?,
            RelocTarget::Local(off) => base + *off as usize,
        };
        let what = (target as i64).wrapping_add(r.addend);
        let at = r.offset as usize;
        let range = |v: i64| CpuError::BadObjCode(format!("relocation value {v:#x} out of range"));
        // `validate` checked that `at + width` lies inside the image.
        match r.kind {
            RelocKind::Abs8 => mem[at..at + 8].copy_from_slice(&what.to_le_bytes()),
            RelocKind::Abs4 => {
                let v = u32::try_from(what).map_err(|_| range(what))?;
                mem[at..at + 4].copy_from_slice(&v.to_le_bytes());
            }
            RelocKind::PcRel4 => {
                let delta = what.wrapping_sub((base + at) as i64);
                let v = i32::try_from(delta).map_err(|_| range(delta))?;
                mem[at..at + 4].copy_from_slice(&v.to_le_bytes());
            }
        }
    }
    let exec = mem.make_exec().map_err(map_err)?;
    let base = exec.as_ptr();
    // Instruction caches are coherent with data writes on x86_64; elsewhere they must be
    // invalidated before the code runs.
    #[cfg(not(target_arch = "x86_64"))]
    {
        // SAFETY: `base..base+len` is the mapping just written; no thread runs it yet.
        unsafe {
            wasmtime_internal_jit_icache_coherence::clear_cache(base.cast(), obj.code.len())
                .map_err(map_err)?;
        }
        wasmtime_internal_jit_icache_coherence::pipeline_flush_mt().map_err(map_err)?;
    }
    let entries = obj
        .entries
        .iter()
        // SAFETY: `validate` checked that every entry offset lies inside the mapping.
        .map(|&(e, off)| (e, unsafe { base.add(off as usize) }))
        .collect();
    // Entry points handed out must stay valid for the life of the process (module invariant).
    std::mem::forget(exec);
    Ok(entries)
}
