//! What every cranelift `LibCall` resolves to when machine code is loaded: a function that
//! computes exactly what cranelift's definition of the libcall says (`ir::LibCall` and its
//! `signature`), or a deliberate, typed refusal (`CpuError::UnsupportedLibcall`) naming it.
//!
//! | libcall | resolves to |
//! |---|---|
//! | `CeilF32/F64`, `FloorF32/F64`, `TruncF32/F64` | Rust's `ceil`, `floor`, `trunc` (IEEE, signs of zero kept) |
//! | `NearestF32/F64` | `round_ties_even` (cranelift's `nearest`: ties to even) |
//! | `FmaF32/F64` | `mul_add` (one rounding) |
//! | `Memcpy`, `Memmove`, `Memset`, `Memcmp` | the C library's functions of those names (the signatures cranelift declares are C's) |
//! | `X86Pshufb` (x86_64) | a byte shuffle with `pshufb`'s definition (index high bit set: 0; else `a[index & 15]`) |
//! | `Probestack` | refused: an outlined stack probe has its own calling convention, and kiln compiles with `enable_probestack = false` |
//! | `ElfTlsGetAddr`, `ElfTlsGetOffset` | refused: only thread-local symbol values call them, and kiln code declares none |
//!
//! Invariant: `resolve` matches every variant of cranelift's (exhaustive) enum without a
//! wildcard, so a new libcall in a cranelift upgrade is a compile error here, not a silent
//! unknown symbol; the tests check the table against `LibCall::all_libcalls()` and run each
//! resolved function through code cranelift compiled to call it.

use cranelift_codegen::ir::LibCall;
use std::ffi::{c_int, c_void};

/// What a libcall resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resolution {
    Address(usize),
    /// kiln does not provide it; the reason says why it never needs to.
    Refused(&'static str),
}

extern "C" fn ceil_f32(x: f32) -> f32 {
    x.ceil()
}
extern "C" fn ceil_f64(x: f64) -> f64 {
    x.ceil()
}
extern "C" fn floor_f32(x: f32) -> f32 {
    x.floor()
}
extern "C" fn floor_f64(x: f64) -> f64 {
    x.floor()
}
extern "C" fn trunc_f32(x: f32) -> f32 {
    x.trunc()
}
extern "C" fn trunc_f64(x: f64) -> f64 {
    x.trunc()
}
extern "C" fn nearest_f32(x: f32) -> f32 {
    x.round_ties_even()
}
extern "C" fn nearest_f64(x: f64) -> f64 {
    x.round_ties_even()
}
extern "C" fn fma_f32(a: f32, b: f32, c: f32) -> f32 {
    a.mul_add(b, c)
}
extern "C" fn fma_f64(a: f64, b: f64, c: f64) -> f64 {
    a.mul_add(b, c)
}

/// `pshufb`'s definition on 16 bytes.
pub(crate) fn pshufb_bytes(a: [u8; 16], mask: [u8; 16]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (o, m) in out.iter_mut().zip(mask) {
        if m & 0x80 == 0 {
            *o = a[usize::from(m & 0x0f)];
        }
    }
    out
}

// The System V ABI passes and returns `__m128i` in XMM registers, exactly as cranelift passes
// the libcall's I8X16 values (the lint objects to the type's Rust layout, not to that ABI);
// `pshufb_libcall_without_ssse3_swizzles_like_the_instruction` calls it from cranelift code.
#[cfg(target_arch = "x86_64")]
#[allow(
    improper_ctypes_definitions,
    reason = "__m128i is passed in an XMM register by the C ABI, as cranelift passes I8X16"
)]
extern "C" fn x86_pshufb(
    a: std::arch::x86_64::__m128i,
    mask: std::arch::x86_64::__m128i,
) -> std::arch::x86_64::__m128i {
    use std::arch::x86_64::__m128i;
    // SAFETY: `__m128i` and `[u8; 16]` have the same size and every bit pattern is valid
    // for both.
    let (a, mask) = unsafe {
        (
            std::mem::transmute::<__m128i, [u8; 16]>(a),
            std::mem::transmute::<__m128i, [u8; 16]>(mask),
        )
    };
    // SAFETY: as above.
    unsafe { std::mem::transmute::<[u8; 16], __m128i>(pshufb_bytes(a, mask)) }
}

// The C library's functions; Rust's standard library links it on every supported host.
unsafe extern "C" {
    fn memcpy(dest: *mut c_void, src: *const c_void, n: usize) -> *mut c_void;
    fn memmove(dest: *mut c_void, src: *const c_void, n: usize) -> *mut c_void;
    fn memset(dest: *mut c_void, c: c_int, n: usize) -> *mut c_void;
    fn memcmp(a: *const c_void, b: *const c_void, n: usize) -> c_int;
}

type UnaryF32 = extern "C" fn(f32) -> f32;
type UnaryF64 = extern "C" fn(f64) -> f64;
type CopyFn = unsafe extern "C" fn(*mut c_void, *const c_void, usize) -> *mut c_void;

/// What `lc` resolves to.
pub(crate) fn resolve(lc: LibCall) -> Resolution {
    use Resolution::{Address, Refused};
    match lc {
        LibCall::CeilF32 => Address(ceil_f32 as UnaryF32 as usize),
        LibCall::CeilF64 => Address(ceil_f64 as UnaryF64 as usize),
        LibCall::FloorF32 => Address(floor_f32 as UnaryF32 as usize),
        LibCall::FloorF64 => Address(floor_f64 as UnaryF64 as usize),
        LibCall::TruncF32 => Address(trunc_f32 as UnaryF32 as usize),
        LibCall::TruncF64 => Address(trunc_f64 as UnaryF64 as usize),
        LibCall::NearestF32 => Address(nearest_f32 as UnaryF32 as usize),
        LibCall::NearestF64 => Address(nearest_f64 as UnaryF64 as usize),
        LibCall::FmaF32 => Address(fma_f32 as extern "C" fn(f32, f32, f32) -> f32 as usize),
        LibCall::FmaF64 => Address(fma_f64 as extern "C" fn(f64, f64, f64) -> f64 as usize),
        LibCall::Memcpy => Address(memcpy as CopyFn as usize),
        LibCall::Memmove => Address(memmove as CopyFn as usize),
        LibCall::Memset => Address(
            memset as unsafe extern "C" fn(*mut c_void, c_int, usize) -> *mut c_void as usize,
        ),
        LibCall::Memcmp => Address(
            memcmp as unsafe extern "C" fn(*const c_void, *const c_void, usize) -> c_int as usize,
        ),
        #[cfg(target_arch = "x86_64")]
        LibCall::X86Pshufb => Address(
            x86_pshufb
                as extern "C" fn(
                    std::arch::x86_64::__m128i,
                    std::arch::x86_64::__m128i,
                ) -> std::arch::x86_64::__m128i as usize,
        ),
        #[cfg(not(target_arch = "x86_64"))]
        LibCall::X86Pshufb => {
            Refused("an x86 instruction's fallback, emitted only for x86 targets")
        }
        LibCall::Probestack => Refused(
            "an outlined stack probe has its own calling convention; kiln compiles with \
             enable_probestack = false, so its code never calls it",
        ),
        LibCall::ElfTlsGetAddr | LibCall::ElfTlsGetOffset => Refused(
            "only thread-local symbol values call it, and kiln's code declares no thread-local \
             symbols",
        ),
    }
}

/// The libcall named `name` (cranelift's `Display` form, as the JIT writes it in relocations).
pub(crate) fn by_name(name: &str) -> Option<LibCall> {
    name.parse().ok()
}

#[cfg(test)]
#[path = "libcalls_tests.rs"]
mod tests;
