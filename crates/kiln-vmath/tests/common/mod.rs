//! Test harness: JIT-compiles a loop applying one `MathFn` to buffers, computes references with
//! the C library in f64, and measures errors in ULPs.
//!
//! Invariant: every kernel is compiled with `opt_level=speed` for the host (or a baseline
//! x86-64-v3 ISA without AVX-512) and must contain no relocations, i.e. no calls.
#![allow(dead_code)]

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{AbiParam, InstBuilder, MemFlagsData, Type, UserFuncName, types};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};
use kiln_vmath::MathFn;

/// Which ISA flags the kernel is compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// Everything the host has (AVX-512 on the development machine).
    Native,
    /// SSE4.1/4.2, AVX, AVX2 and FMA only: what kiln-cpu can count on for x86-64-v3.
    Baseline,
}

pub struct Kernel {
    // The module owns the code memory; it must outlive `code`.
    _module: JITModule,
    code: *const u8,
    pub ty: Type,
    pub arity: usize,
}

type KernelFn = unsafe extern "C" fn(*const u8, *const u8, *mut u8, usize);

fn isa(kind: Isa) -> cranelift_codegen::isa::OwnedTargetIsa {
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").unwrap();
    flags.set("is_pic", "false").unwrap();
    let mut builder = match kind {
        Isa::Native => cranelift_native::builder().unwrap(),
        Isa::Baseline => {
            let mut b = cranelift_native::builder_with_options(false).unwrap();
            for f in [
                "has_sse3",
                "has_ssse3",
                "has_sse41",
                "has_sse42",
                "has_popcnt",
                "has_avx",
                "has_avx2",
                "has_fma",
                "has_bmi1",
                "has_bmi2",
                "has_lzcnt",
            ] {
                b.enable(f).unwrap();
            }
            b
        }
    };
    if kind == Isa::Native {
        // Keep whatever the host detected, but make sure the features emit relies on are on.
        for f in ["has_sse41", "has_fma"] {
            let _ = builder.enable(f);
        }
    }
    builder.finish(settings::Flags::new(flags)).unwrap()
}

/// Compiles `out[i] = f(a[i], b[i])` over `n` elements (`n` a multiple of the lane count).
pub fn compile(f: MathFn, ty: Type, kind: Isa) -> Kernel {
    let mut module = JITModule::new(JITBuilder::with_isa(isa(kind), default_libcall_names()));
    let ptr = module.target_config().pointer_type();
    let mut ctx = module.make_context();
    let mut fctx = FunctionBuilderContext::new();
    let frontend_config = module.target_config();
    for _ in 0..3 {
        ctx.func.signature.params.push(AbiParam::new(ptr));
    }
    ctx.func.signature.params.push(AbiParam::new(ptr));
    let id = module
        .declare_function("kernel", Linkage::Local, &ctx.func.signature)
        .unwrap();
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let entry = b.create_block();
        let header = b.create_block();
        let body = b.create_block();
        let exit = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.append_block_param(header, ptr);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        let (pa, pb, pout, n) = (params[0], params[1], params[2], params[3]);
        let zero = b.ins().iconst(ptr, 0);
        b.ins().jump(header, &[zero.into()]);

        b.switch_to_block(header);
        let i = b.block_params(header)[0];
        let more = b.ins().icmp(IntCC::UnsignedLessThan, i, n);
        b.ins().brif(more, body, &[], exit, &[]);

        b.switch_to_block(body);
        let elem_bytes = i64::from(ty.lane_type().bytes());
        let offset = b.ins().imul_imm_s(i, elem_bytes);
        let mut args = Vec::new();
        for p in [pa, pb].into_iter().take(f.arity()) {
            let addr = b.ins().iadd(p, offset);
            args.push(b.ins().load(ty, MemFlagsData::new(), addr, 0));
        }
        let result = kiln_vmath::emit(&mut b, f, ty, &args).unwrap();
        let out_addr = b.ins().iadd(pout, offset);
        b.ins().store(MemFlagsData::new(), result, out_addr, 0);
        let next = b.ins().iadd_imm_s(i, i64::from(ty.lane_count()));
        b.ins().jump(header, &[next.into()]);

        b.switch_to_block(exit);
        b.ins().return_(&[]);
        b.seal_all_blocks();
        b.finalize(frontend_config);
    }
    module.define_function(id, &mut ctx).unwrap();
    if let Ok(path) = std::env::var("KILN_VMATH_DUMP") {
        // Debug aid: raw machine code of the last compiled kernel, for objdump -b binary.
        let _ = std::fs::write(path, ctx.compiled_code().unwrap().buffer.data());
    }
    let relocs = ctx.compiled_code().unwrap().buffer.relocs().len();
    assert_eq!(relocs, 0, "{f} {ty}: emitted code must not call out");
    module.clear_context(&mut ctx);
    module.finalize_definitions().unwrap();
    let code = module.get_finalized_function(id);
    Kernel {
        _module: module,
        code,
        ty,
        arity: f.arity(),
    }
}

impl Kernel {
    fn call(&self, a: *const u8, b: *const u8, out: *mut u8, n: usize) {
        // SAFETY: `code` was compiled by `compile` with exactly this signature, the module that
        // owns it is alive in `self`, and callers pass buffers of `n` elements of the lane type.
        unsafe {
            let f: KernelFn = std::mem::transmute(self.code);
            f(a, b, out, n)
        }
    }

    /// Runs the kernel on raw f32 buffers of equal length (a multiple of the lane count).
    pub fn run_into_f32(&self, a: &[f32], out: &mut [f32]) {
        assert_eq!(self.ty.lane_type(), types::F32);
        assert!(a.len() == out.len() && a.len().is_multiple_of(self.ty.lane_count() as usize));
        self.call(
            a.as_ptr().cast(),
            a.as_ptr().cast(),
            out.as_mut_ptr().cast(),
            a.len(),
        );
    }

    /// Applies the kernel to `a` (and `b` for binary functions); inputs are padded to a whole
    /// number of vectors and the padding dropped from the result.
    pub fn run_f32(&self, a: &[f32], b: &[f32]) -> Vec<f32> {
        assert_eq!(self.ty.lane_type(), types::F32);
        let lanes = self.ty.lane_count() as usize;
        let n = a.len().div_ceil(lanes) * lanes;
        let mut a = a.to_vec();
        let mut b = if self.arity == 2 {
            b.to_vec()
        } else {
            a.clone()
        };
        a.resize(n, 1.0);
        b.resize(n, 1.0);
        let mut out = vec![0.0f32; n];
        self.call(
            a.as_ptr().cast(),
            b.as_ptr().cast(),
            out.as_mut_ptr().cast(),
            n,
        );
        out
    }

    pub fn run_f64(&self, a: &[f64], b: &[f64]) -> Vec<f64> {
        assert_eq!(self.ty.lane_type(), types::F64);
        let lanes = self.ty.lane_count() as usize;
        let n = a.len().div_ceil(lanes) * lanes;
        let mut a = a.to_vec();
        let mut b = if self.arity == 2 {
            b.to_vec()
        } else {
            a.clone()
        };
        a.resize(n, 1.0);
        b.resize(n, 1.0);
        let mut out = vec![0.0f64; n];
        self.call(
            a.as_ptr().cast(),
            b.as_ptr().cast(),
            out.as_mut_ptr().cast(),
            n,
        );
        out
    }
}

mod c {
    unsafe extern "C" {
        pub safe fn exp(x: f64) -> f64;
        pub safe fn expm1(x: f64) -> f64;
        pub safe fn log(x: f64) -> f64;
        pub safe fn log1p(x: f64) -> f64;
        pub safe fn log2(x: f64) -> f64;
        pub safe fn log10(x: f64) -> f64;
        pub safe fn sin(x: f64) -> f64;
        pub safe fn cos(x: f64) -> f64;
        pub safe fn tan(x: f64) -> f64;
        pub safe fn asin(x: f64) -> f64;
        pub safe fn acos(x: f64) -> f64;
        pub safe fn atan(x: f64) -> f64;
        pub safe fn sinh(x: f64) -> f64;
        pub safe fn cosh(x: f64) -> f64;
        pub safe fn tanh(x: f64) -> f64;
        pub safe fn asinh(x: f64) -> f64;
        pub safe fn acosh(x: f64) -> f64;
        pub safe fn atanh(x: f64) -> f64;
        pub safe fn atan2(y: f64, x: f64) -> f64;
        pub safe fn pow(x: f64, y: f64) -> f64;
        pub safe fn hypot(x: f64, y: f64) -> f64;
    }
}

/// The C library's value of `f` in f64 (glibc: at most 1-2 ulp, mostly correctly rounded).
pub fn reference(f: MathFn, x: f64, y: f64) -> f64 {
    match f {
        MathFn::Exp => c::exp(x),
        MathFn::Expm1 => c::expm1(x),
        MathFn::Log => c::log(x),
        MathFn::Log1p => c::log1p(x),
        MathFn::Log2 => c::log2(x),
        MathFn::Log10 => c::log10(x),
        MathFn::Sin => c::sin(x),
        MathFn::Cos => c::cos(x),
        MathFn::Tan => c::tan(x),
        MathFn::Asin => c::asin(x),
        MathFn::Acos => c::acos(x),
        MathFn::Atan => c::atan(x),
        MathFn::Sinh => c::sinh(x),
        MathFn::Cosh => c::cosh(x),
        MathFn::Tanh => c::tanh(x),
        MathFn::Asinh => c::asinh(x),
        MathFn::Acosh => c::acosh(x),
        MathFn::Atanh => c::atanh(x),
        MathFn::Atan2 => c::atan2(x, y),
        MathFn::Pow => c::pow(x, y),
        MathFn::Hypot => c::hypot(x, y),
        MathFn::LogAddExp => logaddexp(x, y),
    }
}

/// NumPy's definition, with its special cases.
fn logaddexp(x: f64, y: f64) -> f64 {
    if x == y {
        // Also covers two equal infinities, where x - y would be NaN.
        return x + std::f64::consts::LN_2;
    }
    let d = x - y;
    if d > 0.0 {
        x + c::log1p(c::exp(-d))
    } else if d <= 0.0 {
        y + c::log1p(c::exp(d))
    } else {
        d
    }
}

/// Error of an f64 result in ULPs: the distance between bit patterns in the ordered encoding.
pub fn ulps_f64(got: f64, want: f64) -> f64 {
    if got.is_nan() || want.is_nan() {
        return if got.is_nan() && want.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if got == want {
        return 0.0;
    }
    if got.is_infinite() || want.is_infinite() {
        return f64::INFINITY;
    }
    let ord = |v: f64| {
        let b = v.to_bits() as i64;
        if b < 0 { i64::MIN - b } else { b }
    };
    (ord(got) as i128 - ord(want) as i128).unsigned_abs() as f64
}

/// Error of an f32 result in (fractional) f32 ULPs against an f64 reference.
pub fn ulps_f32(got: f32, want: f64) -> f64 {
    let want32 = want as f32;
    if got.is_nan() || want.is_nan() {
        return if got.is_nan() && want.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if got.is_infinite() || want32.is_infinite() {
        return if f64::from(got) == f64::from(want32) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let mag = want.abs();
    let exp = if mag < f64::from(f32::MIN_POSITIVE) {
        -126
    } else {
        mag.log2().floor() as i32
    };
    let ulp = f64::from(2.0f32).powi(exp - 23);
    (f64::from(got) - want).abs() / ulp
}

/// Error in (fractional) ULPs of `scale` rather than of the result, for functions whose
/// documented bound is relative to an operand.
pub fn ulps_scaled(got: f64, want: f64, scale: f64, f32: bool) -> f64 {
    if got.is_nan() || want.is_nan() {
        return if got.is_nan() && want.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if got == want {
        return 0.0;
    }
    if got.is_infinite() || want.is_infinite() {
        if f32 && (want as f32) == (got as f32) {
            return 0.0;
        }
        return f64::INFINITY;
    }
    let (min_exp, mant) = if f32 { (-126, 23) } else { (-1022, 52) };
    let exp = if scale == 0.0 || !scale.is_finite() {
        min_exp
    } else {
        (scale.log2().floor() as i32).max(min_exp)
    };
    (got - want).abs() / 2f64.powi(exp - mant)
}

/// Deterministic xorshift generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in [lo, hi].
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * u
    }
}
