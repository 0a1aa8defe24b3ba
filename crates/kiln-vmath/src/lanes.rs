//! `Lanes`: a thin typed layer over `FunctionBuilder` that lets every algorithm in this crate be
//! written once for F32, F64, F32X4 and F64X2.
//!
//! Invariant: every value a `Lanes` method returns has either the float type `ty` or its integer
//! twin `ity` (same lane count and width), and a `Mask` is all-ones/all-zeros per lane for vectors
//! or a 0/1 `i8` for scalars. Only instructions that cranelift's x86-64 backend lowers natively on
//! SSE4.1 + FMA are used (no 64-bit `sshr`/`imul`/`fcvt` on vectors): integers are moved between
//! float and int registers with the "magic number" trick (`k + 1.5 * 2^mant` has `k` in its low
//! mantissa bits) instead of conversion instructions.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value, types};
use cranelift_frontend::FunctionBuilder;

/// The element type of the lanes: selects coefficient tables and bit layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Elem {
    F32,
    F64,
}

impl Elem {
    /// Picks the constant for this element type from an (f32, f64) pair.
    pub(crate) fn pick<T>(self, f32_value: T, f64_value: T) -> T {
        match self {
            Elem::F32 => f32_value,
            Elem::F64 => f64_value,
        }
    }

    /// Number of explicit mantissa bits.
    pub(crate) fn mant_bits(self) -> i64 {
        self.pick(23, 52)
    }

    /// Exponent bias.
    pub(crate) fn bias(self) -> i64 {
        self.pick(127, 1023)
    }

    /// Width of one lane in bits.
    pub(crate) fn width(self) -> i64 {
        self.pick(32, 64)
    }

    /// `1.5 * 2^mant_bits`: adding it to an integral float `k` with `|k| < 2^(mant_bits-1)` puts
    /// `k` (two's complement) into the low bits of the sum's bit pattern.
    pub(crate) fn magic(self) -> f64 {
        self.pick(12_582_912.0, 6_755_399_441_055_744.0)
    }

    pub(crate) fn sign_mask(self) -> i64 {
        self.pick(0x8000_0000, i64::MIN)
    }
}

/// A per-lane boolean produced by a comparison.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mask(Value);

pub(crate) struct Lanes<'a, 'b> {
    b: &'a mut FunctionBuilder<'b>,
    pub(crate) ty: Type,
    ity: Type,
    pub(crate) elem: Elem,
}

impl<'a, 'b> Lanes<'a, 'b> {
    /// Returns `None` for types this crate does not emit code for.
    pub(crate) fn new(b: &'a mut FunctionBuilder<'b>, ty: Type) -> Option<Self> {
        let (ity, elem) = lane_types(ty)?;
        Some(Lanes { b, ty, ity, elem })
    }

    fn vector(&self) -> bool {
        self.ty.is_vector()
    }

    /// A float constant in every lane (rounded to f32 for f32 lanes).
    pub(crate) fn c(&mut self, v: f64) -> Value {
        let scalar = match self.elem {
            Elem::F32 => self.b.ins().f32const(v as f32),
            Elem::F64 => self.b.ins().f64const(v),
        };
        if self.vector() {
            self.b.ins().splat(self.ty, scalar)
        } else {
            scalar
        }
    }

    /// An integer constant (given as the lane's bit pattern) in every lane of the integer twin.
    pub(crate) fn ci(&mut self, v: i64) -> Value {
        let scalar = match self.elem {
            // Cranelift wants narrow immediates zero-extended.
            Elem::F32 => self.b.ins().iconst(types::I32, v & 0xFFFF_FFFF),
            Elem::F64 => self.b.ins().iconst(types::I64, v),
        };
        if self.vector() {
            self.b.ins().splat(self.ity, scalar)
        } else {
            scalar
        }
    }

    pub(crate) fn add(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fadd(a, b)
    }

    pub(crate) fn sub(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fsub(a, b)
    }

    pub(crate) fn mul(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fmul(a, b)
    }

    pub(crate) fn div(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fdiv(a, b)
    }

    /// `a * b + c` with one rounding.
    pub(crate) fn fma(&mut self, a: Value, b: Value, c: Value) -> Value {
        self.b.ins().fma(a, b, c)
    }

    pub(crate) fn addc(&mut self, a: Value, c: f64) -> Value {
        let c = self.c(c);
        self.add(a, c)
    }

    pub(crate) fn mulc(&mut self, a: Value, c: f64) -> Value {
        let c = self.c(c);
        self.mul(a, c)
    }

    /// `a * c + b` with one rounding, `c` a constant.
    pub(crate) fn fmac(&mut self, a: Value, c: f64, b: Value) -> Value {
        let c = self.c(c);
        self.fma(a, c, b)
    }

    pub(crate) fn neg(&mut self, a: Value) -> Value {
        self.b.ins().fneg(a)
    }

    pub(crate) fn abs(&mut self, a: Value) -> Value {
        self.b.ins().fabs(a)
    }

    pub(crate) fn sqrt(&mut self, a: Value) -> Value {
        self.b.ins().sqrt(a)
    }

    pub(crate) fn nearest(&mut self, a: Value) -> Value {
        self.b.ins().nearest(a)
    }

    pub(crate) fn floor(&mut self, a: Value) -> Value {
        self.b.ins().floor(a)
    }

    /// Horner evaluation `c[0] + x*(c[1] + x*(...))` with fused multiply-adds.
    pub(crate) fn poly(&mut self, x: Value, coeffs: &[f64]) -> Value {
        let Some((&last, rest)) = coeffs.split_last() else {
            return self.c(0.0);
        };
        let mut acc = self.c(last);
        for &c in rest.iter().rev() {
            let c = self.c(c);
            acc = self.fma(acc, x, c);
        }
        acc
    }

    pub(crate) fn bits(&mut self, a: Value) -> Value {
        self.b.ins().bitcast(self.ity, MemFlagsData::new(), a)
    }

    pub(crate) fn float_of_bits(&mut self, i: Value) -> Value {
        self.b.ins().bitcast(self.ty, MemFlagsData::new(), i)
    }

    pub(crate) fn iand(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().band(a, b)
    }

    pub(crate) fn ior(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().bor(a, b)
    }

    pub(crate) fn ixor(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().bxor(a, b)
    }

    pub(crate) fn iadd(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().iadd(a, b)
    }

    pub(crate) fn iandc(&mut self, a: Value, c: i64) -> Value {
        let c = self.ci(c);
        self.iand(a, c)
    }

    pub(crate) fn iaddc(&mut self, a: Value, c: i64) -> Value {
        let c = self.ci(c);
        self.iadd(a, c)
    }

    pub(crate) fn ishl(&mut self, a: Value, n: i64) -> Value {
        self.b.ins().ishl_imm_u(a, n)
    }

    pub(crate) fn ushr(&mut self, a: Value, n: i64) -> Value {
        self.b.ins().ushr_imm_u(a, n)
    }

    pub(crate) fn fcmp(&mut self, cc: FloatCC, a: Value, b: Value) -> Mask {
        Mask(self.b.ins().fcmp(cc, a, b))
    }

    pub(crate) fn fcmpc(&mut self, cc: FloatCC, a: Value, c: f64) -> Mask {
        let c = self.c(c);
        self.fcmp(cc, a, c)
    }

    /// Lanes whose integer value `a & bit` is non-zero (`bit` a single-bit constant).
    pub(crate) fn bit_set(&mut self, a: Value, bit: i64) -> Mask {
        let masked = self.iandc(a, bit);
        let bit = self.ci(bit);
        Mask(self.b.ins().icmp(IntCC::Equal, masked, bit))
    }

    pub(crate) fn and(&mut self, a: Mask, b: Mask) -> Mask {
        Mask(self.b.ins().band(a.0, b.0))
    }

    pub(crate) fn or(&mut self, a: Mask, b: Mask) -> Mask {
        Mask(self.b.ins().bor(a.0, b.0))
    }

    /// Lanes where exactly one of `a`, `b` is set.
    pub(crate) fn mask_xor(&mut self, a: Mask, b: Mask) -> Mask {
        Mask(self.b.ins().bxor(a.0, b.0))
    }

    /// Per lane `if m { a } else { b }`.
    pub(crate) fn select(&mut self, m: Mask, a: Value, b: Value) -> Value {
        if self.vector() {
            let m = self.b.ins().bitcast(self.ty, MemFlagsData::new(), m.0);
            self.b.ins().bitselect(m, a, b)
        } else {
            self.b.ins().select(m.0, a, b)
        }
    }

    /// Per lane `if m { c } else { b }`, `c` a constant.
    pub(crate) fn selectc(&mut self, m: Mask, c: f64, b: Value) -> Value {
        let c = self.c(c);
        self.select(m, c, b)
    }

    /// Integer bit pattern whose low bits hold the integral float `k` (|k| < 2^(mant_bits-1)).
    pub(crate) fn int_bits(&mut self, k: Value) -> Value {
        let magic = self.elem.magic();
        let shifted = self.addc(k, magic);
        self.bits(shifted)
    }

    /// `2^k` for integral `k` within the normal exponent range.
    pub(crate) fn pow2(&mut self, k: Value) -> Value {
        let kb = self.int_bits(k);
        // The magic constant's own bits all sit above bit `width - mant_bits` and are shifted out.
        let shifted = self.ishl(kb, self.elem.mant_bits());
        let biased = self.iaddc(shifted, self.elem.bias() << self.elem.mant_bits());
        self.float_of_bits(biased)
    }

    /// `p * 2^k` for integral `k` up to twice the normal exponent range, rounding once: the
    /// scale is split into two factors that are each normal, and `p * 2^k1` is exact.
    pub(crate) fn ldexp(&mut self, p: Value, k: Value) -> Value {
        let half = self.mulc(k, 0.5);
        let k1 = self.floor(half);
        let k2 = self.sub(k, k1);
        let s1 = self.pow2(k1);
        let s2 = self.pow2(k2);
        let p1 = self.mul(p, s1);
        self.mul(p1, s2)
    }

    /// The sign bit of `a` in its integer twin.
    pub(crate) fn sign_bits(&mut self, a: Value) -> Value {
        let bits = self.bits(a);
        self.iandc(bits, self.elem.sign_mask())
    }

    /// `a` with its sign bit flipped where `sign` (an integer pattern) has it set.
    pub(crate) fn xor_sign(&mut self, a: Value, sign: Value) -> Value {
        let bits = self.bits(a);
        let flipped = self.ixor(bits, sign);
        self.float_of_bits(flipped)
    }
}

/// The integer twin and element type of a supported float type.
pub(crate) fn lane_types(ty: Type) -> Option<(Type, Elem)> {
    match ty {
        types::F32 => Some((types::I32, Elem::F32)),
        types::F64 => Some((types::I64, Elem::F64)),
        types::F32X4 => Some((types::I32X4, Elem::F32)),
        types::F64X2 => Some((types::I64X2, Elem::F64)),
        _ => None,
    }
}
