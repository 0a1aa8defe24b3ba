//! The libcall table against cranelift's list, and each resolved function called from code
//! cranelift compiled (for a CPU without SSE4.1, FMA or SSSE3 where that is what makes
//! cranelift emit the call), compared with the definition of the libcall.

use super::*;
use crate::codegen::Entry;
use crate::error::CpuError;
use crate::jit::{Jit, assemble};
use crate::loader::{self, LIBCALL_PREFIX, symbol_address};
use crate::objcode::{ObjCode, Reloc, RelocKind, RelocTarget};
use cranelift_codegen::ir::{
    AbiParam, ExtFuncData, ExternalName, Function, InstBuilder, MemFlagsData, Signature, Type,
    UserFuncName, Value, types,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

use crate::X86_NO_SSE41_FLAGS as NO_SSE41;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn every_libcall_resolves_or_is_a_deliberate_typed_error() {
    let mut refused = Vec::new();
    for &lc in LibCall::all_libcalls() {
        let name = lc.to_string();
        assert_eq!(by_name(&name), Some(lc), "{name} does not parse back");
        let symbol = format!("{LIBCALL_PREFIX}{name}");
        match (resolve(lc), symbol_address(&symbol)) {
            (Resolution::Address(a), Ok(b)) => assert!(a != 0 && a == b, "{name}"),
            (Resolution::Refused(reason), Err(CpuError::UnsupportedLibcall { libcall, .. })) => {
                assert!(!reason.is_empty());
                assert_eq!(libcall, name);
                refused.push(lc);
            }
            (r, s) => panic!("{name}: table says {r:?}, loader says {s:?}"),
        }
    }
    let mut expected = vec![
        LibCall::Probestack,
        LibCall::ElfTlsGetAddr,
        LibCall::ElfTlsGetOffset,
    ];
    if !cfg!(target_arch = "x86_64") {
        expected.push(LibCall::X86Pshufb);
    }
    refused.sort_by_key(|l| l.to_string());
    expected.sort_by_key(|l| l.to_string());
    assert_eq!(refused, expected);
    for bad in ["libcall:NoSuchCall", "libcall:", "memcpy", "kiln_nothing"] {
        assert!(
            matches!(symbol_address(bad), Err(CpuError::BadObjCode(_))),
            "{bad}"
        );
    }
}

#[test]
fn kiln_code_never_needs_a_refused_libcall() -> TestResult {
    // Probestack is only called when `enable_probestack` is on; TLS calls need TLS symbols,
    // which kiln's code generator never declares.
    let jit = Jit::with_isa_flags(&[])?;
    assert!(
        jit.target_fingerprint()
            .contains("enable_probestack = false"),
        "{}",
        jit.target_fingerprint()
    );
    Ok(())
}

#[test]
fn a_refused_libcall_is_a_typed_load_error_and_nothing_is_mapped() {
    for name in ["Probestack", "ElfTlsGetAddr", "ElfTlsGetOffset"] {
        let obj = ObjCode {
            entries: vec![(Entry::Main, 0)],
            code: vec![0xc3; 16],
            relocs: vec![Reloc {
                offset: 4,
                kind: RelocKind::Abs8,
                target: RelocTarget::Symbol(format!("{LIBCALL_PREFIX}{name}")),
                addend: 0,
            }],
            vectorized: false,
        };
        match loader::load(&obj) {
            Err(CpuError::UnsupportedLibcall { libcall, reason }) => {
                assert_eq!(libcall, name);
                let message = CpuError::UnsupportedLibcall { libcall, reason }.to_string();
                assert!(message.contains(name), "{message}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

/// A function of `params` returning `returns`, in the ISA's default (C) calling convention.
fn function(
    jit: &Jit,
    params: &[Type],
    returns: &[Type],
    body: impl FnOnce(&mut FunctionBuilder, &[Value]) -> Vec<Value>,
) -> Function {
    let mut sig = Signature::new(jit.isa().default_call_conv());
    sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
    sig.returns
        .extend(returns.iter().map(|&t| AbiParam::new(t)));
    let mut func = Function::with_name_signature(UserFuncName::default(), sig);
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let args = b.block_params(block).to_vec();
    let rets = body(&mut b, &args);
    b.ins().return_(&rets);
    b.finalize(jit.isa().frontend_config());
    func
}

/// Compiles and loads `func`; returns its address and the libcalls its code calls.
fn compile_and_load(
    jit: &Jit,
    func: Function,
) -> Result<(*const u8, Vec<String>), Box<dyn std::error::Error>> {
    let obj = assemble(jit.isa(), "libcall_test", vec![(Entry::Main, func)], false)?;
    let libcalls = obj
        .relocs
        .iter()
        .filter_map(|r| match &r.target {
            RelocTarget::Symbol(s) => s.strip_prefix(LIBCALL_PREFIX).map(str::to_string),
            RelocTarget::Local(_) => None,
        })
        .collect();
    let loaded = loader::load(&obj)?;
    Ok((loaded[0].1, libcalls))
}

fn specials_f64() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        0.5,
        -0.5,
        1.5,
        2.5,
        -2.5,
        0.49999999999999994,
        -1.0000000000000002,
        4503599627370495.5,
        -4503599627370497.0,
        1e300,
        -1e-300,
        5e-324,
        f64::MAX,
        f64::MIN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    let mut x = 0.123_f64;
    for _ in 0..200 {
        x = (x * 7919.0 + 0.37).fract();
        v.push((x - 0.5) * 1e4);
    }
    v
}

fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn same_f32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn rounding_libcalls_without_sse41_compute_cranelifts_definition() -> TestResult {
    let jit = Jit::with_isa_flags(NO_SSE41)?;
    type Op = (&'static str, fn(f64) -> f64, fn(f32) -> f32);
    let ops: [Op; 4] = [
        ("Ceil", f64::ceil, f32::ceil),
        ("Floor", f64::floor, f32::floor),
        ("Trunc", f64::trunc, f32::trunc),
        ("Nearest", f64::round_ties_even, f32::round_ties_even),
    ];
    for (name, reference64, reference32) in ops {
        for ty in [types::F32, types::F64] {
            let func = function(&jit, &[ty], &[ty], |b, args| {
                let x = args[0];
                vec![match name {
                    "Ceil" => b.ins().ceil(x),
                    "Floor" => b.ins().floor(x),
                    "Trunc" => b.ins().trunc(x),
                    _ => b.ins().nearest(x),
                }]
            });
            let (code, libcalls) = compile_and_load(&jit, func)?;
            let suffix = if ty == types::F32 { "F32" } else { "F64" };
            assert_eq!(libcalls, vec![format!("{name}{suffix}")], "{name} {ty}");
            for x in specials_f64() {
                if ty == types::F64 {
                    // SAFETY: the function was compiled with signature (f64) -> f64 in the
                    // C calling convention.
                    let f = unsafe {
                        std::mem::transmute::<*const u8, extern "C" fn(f64) -> f64>(code)
                    };
                    assert!(same_f64(f(x), reference64(x)), "{name}({x}) = {}", f(x));
                } else {
                    let x = x as f32;
                    // SAFETY: as above, (f32) -> f32.
                    let f = unsafe {
                        std::mem::transmute::<*const u8, extern "C" fn(f32) -> f32>(code)
                    };
                    assert!(same_f32(f(x), reference32(x)), "{name}({x}) = {}", f(x));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn fma_libcalls_without_fma_round_once() -> TestResult {
    let jit = Jit::with_isa_flags(NO_SSE41)?;
    let values = specials_f64();
    let mut fused_differs = 0;
    for ty in [types::F32, types::F64] {
        let func = function(&jit, &[ty, ty, ty], &[ty], |b, a| {
            vec![b.ins().fma(a[0], a[1], a[2])]
        });
        let (code, libcalls) = compile_and_load(&jit, func)?;
        let name = if ty == types::F32 { "FmaF32" } else { "FmaF64" };
        assert_eq!(libcalls, vec![name.to_string()]);
        for (i, &a) in values.iter().enumerate() {
            let b = values[(i * 7 + 3) % values.len()];
            let c = -(a * b) + values[(i * 13 + 5) % values.len()] * 1e-9;
            if ty == types::F64 {
                // SAFETY: compiled with signature (f64, f64, f64) -> f64, C convention.
                let f = unsafe {
                    std::mem::transmute::<*const u8, extern "C" fn(f64, f64, f64) -> f64>(code)
                };
                assert!(same_f64(f(a, b, c), a.mul_add(b, c)), "fma({a}, {b}, {c})");
                fused_differs += usize::from(!same_f64(f(a, b, c), a * b + c));
            } else {
                let (a, b, c) = (a as f32, b as f32, c as f32);
                // SAFETY: as above, (f32, f32, f32) -> f32.
                let f = unsafe {
                    std::mem::transmute::<*const u8, extern "C" fn(f32, f32, f32) -> f32>(code)
                };
                assert!(same_f32(f(a, b, c), a.mul_add(b, c)), "fma({a}, {b}, {c})");
                fused_differs += usize::from(!same_f32(f(a, b, c), a * b + c));
            }
        }
    }
    assert!(
        fused_differs > 10,
        "the inputs exercise single rounding ({fused_differs})"
    );
    Ok(())
}

#[test]
fn memory_libcalls_are_the_c_librarys() -> TestResult {
    let jit = Jit::with_isa_flags(&[])?;
    let config = jit.isa().frontend_config();
    let ptr = jit.isa().pointer_type();
    let copy = |which: &'static str| {
        function(&jit, &[ptr, ptr, ptr], &[], move |b, a| {
            if which == "Memcpy" {
                b.call_memcpy(config, a[0], a[1], a[2]);
            } else {
                b.call_memmove(config, a[0], a[1], a[2]);
            }
            vec![]
        })
    };
    type Copy = extern "C" fn(*mut u8, *const u8, usize);
    for which in ["Memcpy", "Memmove"] {
        let (code, libcalls) = compile_and_load(&jit, copy(which))?;
        assert_eq!(libcalls, vec![which.to_string()]);
        // SAFETY: compiled with signature (ptr, ptr, ptr) -> () in the C convention.
        let f = unsafe { std::mem::transmute::<*const u8, Copy>(code) };
        let src: Vec<u8> = (0..200u8).collect();
        let mut dst = vec![0u8; 200];
        f(dst.as_mut_ptr(), src.as_ptr(), 137);
        assert_eq!(&dst[..137], &src[..137]);
        assert!(dst[137..].iter().all(|&b| b == 0));
        f(dst.as_mut_ptr(), src.as_ptr(), 0);
        if which == "Memmove" {
            // Overlapping, forwards and backwards.
            let mut buf: Vec<u8> = (0..100u8).collect();
            let p = buf.as_mut_ptr();
            // SAFETY: both ranges lie inside `buf`.
            f(unsafe { p.add(10) }, p, 50);
            assert_eq!(&buf[10..60], &(0..50u8).collect::<Vec<_>>()[..]);
            let mut buf: Vec<u8> = (0..100u8).collect();
            let p = buf.as_mut_ptr();
            // SAFETY: as above.
            f(p, unsafe { p.add(10) }, 50);
            assert_eq!(&buf[..50], &(10..60u8).collect::<Vec<_>>()[..]);
        }
    }
    // A call with the signature `LibCall::Memset.signature` defines (C's: an int value).
    let call_conv = jit.isa().default_call_conv();
    let set = function(&jit, &[ptr, types::I32, ptr], &[], |b, a| {
        let sig = b.import_signature(LibCall::Memset.signature(call_conv, ptr));
        let callee = b.import_function(ExtFuncData {
            name: ExternalName::LibCall(LibCall::Memset),
            signature: sig,
            colocated: false,
            patchable: false,
        });
        b.ins().call(callee, &[a[0], a[1], a[2]]);
        vec![]
    });
    let (code, libcalls) = compile_and_load(&jit, set)?;
    assert_eq!(libcalls, vec!["Memset".to_string()]);
    // SAFETY: compiled with signature (ptr, i32, ptr) -> () in the C convention.
    let f = unsafe { std::mem::transmute::<*const u8, extern "C" fn(*mut u8, i32, usize)>(code) };
    let mut buf = vec![1u8; 64];
    // C's memset converts the int to unsigned char.
    f(buf.as_mut_ptr(), 0x1ab, 40);
    assert!(buf[..40].iter().all(|&b| b == 0xab) && buf[40..].iter().all(|&b| b == 1));
    let cmp = function(&jit, &[ptr, ptr, ptr], &[types::I32], |b, a| {
        vec![b.call_memcmp(config, a[0], a[1], a[2])]
    });
    let (code, libcalls) = compile_and_load(&jit, cmp)?;
    assert_eq!(libcalls, vec!["Memcmp".to_string()]);
    // SAFETY: compiled with signature (ptr, ptr, ptr) -> i32 in the C convention.
    let f = unsafe {
        std::mem::transmute::<*const u8, extern "C" fn(*const u8, *const u8, usize) -> i32>(code)
    };
    let cases: [(&[u8], &[u8]); 5] = [
        (b"abcdef", b"abcdef"),
        (b"abcdef", b"abcdeg"),
        (b"abcdeg", b"abcdef"),
        (b"\x80bc", b"\x01bc"),
        (b"", b""),
    ];
    for (a, b) in cases {
        let got = f(a.as_ptr(), b.as_ptr(), a.len()).signum();
        // memcmp compares as unsigned char: the slices' order.
        let want = a.cmp(b) as i32;
        assert_eq!(got, want, "{a:?} {b:?}");
    }
    Ok(())
}

#[cfg(target_arch = "x86_64")]
#[test]
fn pshufb_libcall_without_ssse3_swizzles_like_the_instruction() -> TestResult {
    let mut flags = NO_SSE41.to_vec();
    flags.push(("has_ssse3", "false"));
    let jit = Jit::with_isa_flags(&flags)?;
    let ptr = jit.isa().pointer_type();
    // out = swizzle(a, mask): out[i] = a[mask[i]] if mask[i] < 16, else 0.
    let func = function(&jit, &[ptr, ptr, ptr], &[], |b, p| {
        let flags = MemFlagsData::trusted();
        let a = b.ins().load(types::I8X16, flags, p[0], 0);
        let m = b.ins().load(types::I8X16, flags, p[1], 0);
        let s = b.ins().swizzle(a, m);
        b.ins().store(flags, s, p[2], 0);
        vec![]
    });
    let (code, libcalls) = compile_and_load(&jit, func)?;
    assert_eq!(libcalls, vec!["X86Pshufb".to_string()]);
    // SAFETY: compiled with signature (ptr, ptr, ptr) -> () in the C convention; each pointer
    // below addresses 16 bytes.
    let f = unsafe {
        std::mem::transmute::<*const u8, extern "C" fn(*const u8, *const u8, *mut u8)>(code)
    };
    let a: [u8; 16] = std::array::from_fn(|i| 100 + i as u8);
    let mut state = 0x2545_f491_u32;
    for _ in 0..500 {
        let mask: [u8; 16] = std::array::from_fn(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            // Mostly in range, sometimes 16..128 and 128..256.
            match state % 4 {
                0 => (state >> 8) as u8,
                _ => (state >> 8) as u8 & 0x0f,
            }
        });
        let mut out = [0xeeu8; 16];
        f(a.as_ptr(), mask.as_ptr(), out.as_mut_ptr());
        let want: [u8; 16] = std::array::from_fn(|i| {
            if mask[i] < 16 {
                a[usize::from(mask[i])]
            } else {
                0
            }
        });
        assert_eq!(out, want, "mask {mask:?}");
    }
    Ok(())
}

#[cfg(target_arch = "x86_64")]
#[test]
fn pshufb_bytes_is_the_instruction() {
    if !std::arch::is_x86_feature_detected!("ssse3") {
        return;
    }
    use std::arch::x86_64::{__m128i, _mm_shuffle_epi8};
    let a: [u8; 16] = std::array::from_fn(|i| (i as u8).wrapping_mul(37));
    for k in 0..=255u8 {
        let mask: [u8; 16] = std::array::from_fn(|i| k.wrapping_add((i as u8).wrapping_mul(29)));
        // SAFETY: SSSE3 was detected; the transmutes are between 16-byte plain values.
        let hw: [u8; 16] = unsafe {
            std::mem::transmute::<__m128i, [u8; 16]>(_mm_shuffle_epi8(
                std::mem::transmute::<[u8; 16], __m128i>(a),
                std::mem::transmute::<[u8; 16], __m128i>(mask),
            ))
        };
        assert_eq!(pshufb_bytes(a, mask), hw, "mask {mask:?}");
    }
}
