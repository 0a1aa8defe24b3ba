//! The semantics of every elementwise instruction (unary, binary, select, cast) in generated
//! code, for scalar and vector modes.
//!
//! Invariant: each operation computes exactly what `kiln-interp`'s `scalar_ops` defines:
//! NaN-propagating maximum/minimum with -0 < +0 (cranelift's `fmax`/`fmin` follow the
//! WebAssembly rules, which are these), round half to even (`nearest`), wrap-around integer
//! arithmetic, shifts out of range per kiln-ir's op conventions, saturating float-to-int casts
//! with NaN -> 0, casts to float from integers rounded through f64 (as `Scalar::cast` does).
//! Operations without a native vector lowering run per lane through the scalar code.

use super::emit::{Emitter, R, lane_cast_flags};
use super::types::{Mode, V, int_ty, same_width_int, scalar_ty, ty_in};
use crate::helpers::{Helper, binary_code, unary_code};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{BlockArg, InstBuilder, Type, Value, types};
use kiln_ir::{BinaryOp, DType, DTypeKind, UnaryOp};
use kiln_vmath::MathFn;

/// The error budget (ULPs against the reference) an inline math function must meet to be used:
/// the single-op tolerance the differential tests hold every op to.
fn ulp_budget(ty: Type) -> u64 {
    if ty.lane_type() == types::F32 { 4 } else { 2 }
}

fn math_fn(op: UnaryOp) -> Option<MathFn> {
    use UnaryOp::*;
    Some(match op {
        Exp => MathFn::Exp,
        Expm1 => MathFn::Expm1,
        Log => MathFn::Log,
        Log1p => MathFn::Log1p,
        Log2 => MathFn::Log2,
        Log10 => MathFn::Log10,
        Sin => MathFn::Sin,
        Cos => MathFn::Cos,
        Tan => MathFn::Tan,
        Asin => MathFn::Asin,
        Acos => MathFn::Acos,
        Atan => MathFn::Atan,
        Sinh => MathFn::Sinh,
        Cosh => MathFn::Cosh,
        Tanh => MathFn::Tanh,
        Asinh => MathFn::Asinh,
        Acosh => MathFn::Acosh,
        Atanh => MathFn::Atanh,
        _ => return None,
    })
}

/// The argument magnitude beyond which kiln-vmath's trigonometric results are not
/// libm-accurate (its documented range); larger arguments take the libm helper.
fn trig_bound(op: UnaryOp, ty: Type) -> Option<f64> {
    matches!(op, UnaryOp::Sin | UnaryOp::Cos | UnaryOp::Tan).then(|| {
        if ty.lane_type() == types::F32 {
            1e5
        } else {
            1e9
        }
    })
}

/// Inline math from `kiln-vmath` when it supports `f` on `ty` within the error budget; `None`
/// sends the caller to the per-element libm-equivalent helper. This is the single switch
/// between inline and called math.
fn emit_math(e: &mut Emitter, f: MathFn, ty: Type, args: &[Value]) -> Option<Value> {
    if !kiln_vmath::supports(f, ty) || kiln_vmath::max_ulps(f, ty) > ulp_budget(ty) {
        return None;
    }
    kiln_vmath::emit(&mut e.b, f, ty, args).ok()
}

fn vmath_binary(op: BinaryOp) -> MathFn {
    if op == BinaryOp::Atan2 {
        MathFn::Atan2
    } else {
        MathFn::Hypot
    }
}

fn is_transcendental(op: UnaryOp) -> bool {
    op.needs_float() && op != UnaryOp::Sqrt
}

impl Emitter<'_, '_> {
    pub fn unary(&mut self, op: UnaryOp, d: DType, mode: Mode, x: V) -> R<V> {
        match d.kind() {
            DTypeKind::ComplexFloat => self.complex_unary(op, d, x),
            DTypeKind::RealFloat => Ok(V::Real(self.float_unary(op, d, mode, x.one())?)),
            _ => Ok(V::Real(self.int_unary(op, d, mode, x.one())?)),
        }
    }

    fn float_unary(&mut self, op: UnaryOp, d: DType, mode: Mode, x: Value) -> R<Value> {
        use UnaryOp::*;
        let ty = ty_in(d, mode);
        Ok(match op {
            Neg => self.b.ins().fneg(x),
            Abs => self.b.ins().fabs(x),
            Sqrt => self.b.ins().sqrt(x),
            Floor => self.b.ins().floor(x),
            Ceil => self.b.ins().ceil(x),
            Trunc => self.b.ins().trunc(x),
            Round => self.b.ins().nearest(x),
            Real | Conj => x,
            Imag => self.fconst(ty, 0.0),
            Sign => {
                let zero = self.fconst(ty, 0.0);
                let one = self.fconst(ty, 1.0);
                let mone = self.fconst(ty, -1.0);
                let pos = self.b.ins().fcmp(FloatCC::GreaterThan, x, zero);
                let neg = self.b.ins().fcmp(FloatCC::LessThan, x, zero);
                let r = self.sel(mode, neg, mone, zero);
                let r = self.sel(mode, pos, one, r);
                let nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
                self.sel(mode, nan, x, r)
            }
            SignBit => {
                let ity = same_width_int(ty);
                let bits = self.b.ins().bitcast(ity, lane_cast_flags(), x);
                let zero = self.ivconst(ity, 0);
                self.b.ins().icmp(IntCC::SignedLessThan, bits, zero)
            }
            IsNan => self.b.ins().fcmp(FloatCC::Unordered, x, x),
            IsInf => {
                let a = self.b.ins().fabs(x);
                let inf = self.fconst(ty, f64::INFINITY);
                self.b.ins().fcmp(FloatCC::Equal, a, inf)
            }
            IsFinite => {
                let a = self.b.ins().fabs(x);
                let inf = self.fconst(ty, f64::INFINITY);
                self.b.ins().fcmp(FloatCC::LessThan, a, inf)
            }
            Not => return Err(self.internal(format!("not on {d}"))),
            _ if is_transcendental(op) => {
                let fast = math_fn(op).and_then(|f| emit_math(self, f, ty, &[x]));
                match (fast, trig_bound(op, ty)) {
                    (Some(v), None) => v,
                    (Some(v), Some(bound)) => self.range_guard(op, d, mode, x, v, bound)?,
                    (None, _) => self.math_call(op, d, mode, x)?,
                }
            }
            _ => return Err(self.internal(format!("{} on {d}", op.name()))),
        })
    }

    /// `fast` for lanes with `|x| <= bound`, the helper's result for the others (behind a
    /// branch, so in-range data never pays for the call).
    fn range_guard(
        &mut self,
        op: UnaryOp,
        d: DType,
        mode: Mode,
        x: Value,
        fast: Value,
        bound: f64,
    ) -> R<Value> {
        let ty = ty_in(d, mode);
        let a = self.b.ins().fabs(x);
        let limit = self.fconst(ty, bound);
        let big = self.b.ins().fcmp(FloatCC::GreaterThan, a, limit);
        let any = match mode {
            Mode::Scalar => big,
            Mode::Vector { .. } => self.b.ins().vany_true(big),
        };
        let slow = self.b.create_block();
        let merge = self.b.create_block();
        let result = self.b.append_block_param(merge, ty);
        self.b
            .ins()
            .brif(any, slow, &[], merge, &[BlockArg::Value(fast)]);
        self.b.switch_to_block(slow);
        // Lanes in range keep the inline result, so each element's value does not depend on
        // which neighbours share its vector (chunking must not change results).
        let called = self.math_call(op, d, mode, x)?;
        let mixed = self.sel(mode, big, called, fast);
        self.b.ins().jump(merge, &[BlockArg::Value(mixed)]);
        self.b.switch_to_block(merge);
        Ok(result)
    }

    /// Per-element call of the real unary helper (per lane in vector mode).
    fn math_call(&mut self, op: UnaryOp, d: DType, mode: Mode, x: Value) -> R<Value> {
        let helper = if d == DType::F32 {
            Helper::F32Unary
        } else {
            Helper::F64Unary
        };
        let code = unary_code(op) as i64;
        let mut scalar = |e: &mut Self, a: &[V]| -> R<V> {
            let c = e.iconst(types::I32, code);
            let r = e.call(helper, &[c, a[0].one()])?;
            r.map(V::Real)
                .ok_or_else(|| e.internal("math helper returned nothing"))
        };
        match mode {
            Mode::Scalar => Ok(scalar(self, &[V::Real(x)])?.one()),
            Mode::Vector { .. } => self.per_lane(mode, &[d], &[x], d, &mut scalar),
        }
    }

    fn int_unary(&mut self, op: UnaryOp, d: DType, mode: Mode, x: Value) -> R<Value> {
        use UnaryOp::*;
        let ty = ty_in(d, mode);
        Ok(match op {
            Neg => self.b.ins().ineg(x),
            Abs if d.is_signed_integer() => self.b.ins().iabs(x),
            Abs | Floor | Ceil | Trunc | Round | Real | Conj => x,
            Imag => self.ivconst(ty, 0),
            Sign => {
                let zero = self.ivconst(ty, 0);
                if d.is_signed_integer() {
                    let pos = self.b.ins().icmp(IntCC::SignedGreaterThan, x, zero);
                    let neg = self.b.ins().icmp(IntCC::SignedLessThan, x, zero);
                    let p = self.bool_to_int(mode, pos, ty);
                    let n = self.bool_to_int(mode, neg, ty);
                    self.b.ins().isub(p, n)
                } else {
                    let nz = self.b.ins().icmp(IntCC::NotEqual, x, zero);
                    self.bool_to_int(mode, nz, ty)
                }
            }
            IsNan | IsInf => self.bool_const(mode, false),
            IsFinite => self.bool_const(mode, true),
            Not if d == DType::Bool => match mode {
                Mode::Scalar => self.b.ins().bxor_imm_s(x, 1),
                Mode::Vector { .. } => self.b.ins().bnot(x),
            },
            Not => self.b.ins().bnot(x),
            _ => return Err(self.internal(format!("{} on {d}", op.name()))),
        })
    }

    fn complex_unary(&mut self, op: UnaryOp, d: DType, x: V) -> R<V> {
        use UnaryOp::*;
        let (re, im) = x.parts();
        let t = scalar_ty(d);
        Ok(match op {
            Neg => V::Complex(self.b.ins().fneg(re), self.b.ins().fneg(im)),
            Conj => V::Complex(re, self.b.ins().fneg(im)),
            Round => V::Complex(self.b.ins().nearest(re), self.b.ins().nearest(im)),
            Real => V::Real(re),
            Imag => V::Real(im),
            IsNan => {
                let a = self.b.ins().fcmp(FloatCC::Unordered, re, re);
                let b = self.b.ins().fcmp(FloatCC::Unordered, im, im);
                V::Real(self.b.ins().bor(a, b))
            }
            IsInf | IsFinite => {
                let inf = self.fconst(t, f64::INFINITY);
                let ar = self.b.ins().fabs(re);
                let ai = self.b.ins().fabs(im);
                if op == IsInf {
                    let a = self.b.ins().fcmp(FloatCC::Equal, ar, inf);
                    let b = self.b.ins().fcmp(FloatCC::Equal, ai, inf);
                    V::Real(self.b.ins().bor(a, b))
                } else {
                    let a = self.b.ins().fcmp(FloatCC::LessThan, ar, inf);
                    let b = self.b.ins().fcmp(FloatCC::LessThan, ai, inf);
                    V::Real(self.b.ins().band(a, b))
                }
            }
            Abs => {
                let (r, _) = self.complex_unary_call(op, d, re, im)?;
                V::Real(r)
            }
            _ => {
                let (r, i) = self.complex_unary_call(op, d, re, im)?;
                V::Complex(r, i)
            }
        })
    }

    fn complex_unary_call(
        &mut self,
        op: UnaryOp,
        d: DType,
        re: Value,
        im: Value,
    ) -> R<(Value, Value)> {
        let h = if d == DType::C64 {
            Helper::C64Unary
        } else {
            Helper::C128Unary
        };
        let code = self.iconst(types::I32, unary_code(op) as i64);
        let out = self.scratch_addr();
        self.call(h, &[code, re, im, out])?;
        Ok(self.read_scratch(d, out))
    }

    fn read_scratch(&mut self, d: DType, out: Value) -> (Value, Value) {
        let t = scalar_ty(d);
        let fl = super::emit::elem_flags();
        let r = self.b.ins().load(t, fl, out, 0);
        let i = self.b.ins().load(t, fl, out, t.bytes() as i32);
        (r, i)
    }

    pub fn binary(&mut self, op: BinaryOp, d: DType, mode: Mode, a: V, b: V) -> R<V> {
        match d.kind() {
            DTypeKind::ComplexFloat => self.complex_binary(op, d, a, b),
            DTypeKind::RealFloat => {
                Ok(V::Real(self.float_binary(op, d, mode, a.one(), b.one())?))
            }
            _ => Ok(V::Real(self.int_binary(op, d, mode, a.one(), b.one())?)),
        }
    }

    fn float_binary(&mut self, op: BinaryOp, d: DType, mode: Mode, a: Value, b: Value) -> R<Value> {
        use BinaryOp::*;
        if matches!(op, Atan2 | Hypot)
            && let Some(v) = emit_math(self, vmath_binary(op), ty_in(d, mode), &[a, b])
        {
            return Ok(v);
        }
        let cmp = |e: &mut Self, cc: FloatCC| e.b.ins().fcmp(cc, a, b);
        Ok(match op {
            Add => self.b.ins().fadd(a, b),
            Sub => self.b.ins().fsub(a, b),
            Mul => self.b.ins().fmul(a, b),
            Div => self.b.ins().fdiv(a, b),
            Maximum => self.b.ins().fmax(a, b),
            Minimum => self.b.ins().fmin(a, b),
            Copysign if mode == Mode::Scalar => self.b.ins().fcopysign(a, b),
            Eq => cmp(self, FloatCC::Equal),
            Ne => cmp(self, FloatCC::NotEqual),
            Lt => cmp(self, FloatCC::LessThan),
            Le => cmp(self, FloatCC::LessThanOrEqual),
            Gt => cmp(self, FloatCC::GreaterThan),
            Ge => cmp(self, FloatCC::GreaterThanOrEqual),
            Pow | Atan2 | Hypot | Copysign | Nextafter | LogAddExp | FloorDiv | Rem => {
                let helper = if d == DType::F32 {
                    Helper::F32Binary
                } else {
                    Helper::F64Binary
                };
                let code = binary_code(op) as i64;
                let mut scalar = |e: &mut Self, x: &[V]| -> R<V> {
                    let c = e.iconst(types::I32, code);
                    let r = e.call(helper, &[c, x[0].one(), x[1].one()])?;
                    r.map(V::Real)
                        .ok_or_else(|| e.internal("binary helper returned nothing"))
                };
                match mode {
                    Mode::Scalar => scalar(self, &[V::Real(a), V::Real(b)])?.one(),
                    Mode::Vector { .. } => self.per_lane(mode, &[d, d], &[a, b], d, &mut scalar)?,
                }
            }
            _ => return Err(self.internal(format!("{} on {d}", op.name()))),
        })
    }

    fn int_binary(&mut self, op: BinaryOp, d: DType, mode: Mode, a: Value, b: Value) -> R<Value> {
        use BinaryOp::*;
        let signed = d.is_signed_integer();
        let ty = ty_in(d, mode);
        let vector = mode != Mode::Scalar;
        let lane_bytes = scalar_ty(d).bytes();
        // Operations that x86 SSE cannot do on these lanes (or whose shift count cranelift
        // takes as a scalar) run per lane.
        let per_lane = vector
            && match op {
                Mul => lane_bytes == 1,
                Maximum | Minimum | Lt | Le | Gt | Ge => lane_bytes == 8,
                Shl | Shr | Pow | FloorDiv | Rem => true,
                _ => false,
            };
        if per_lane {
            let mut scalar = |e: &mut Self, x: &[V]| e.binary(op, d, Mode::Scalar, x[0], x[1]);
            let result = op.result_dtype(d).unwrap_or(d);
            return self.per_lane(mode, &[d, d], &[a, b], result, &mut scalar);
        }
        let icmp =
            |e: &mut Self, s: IntCC, u: IntCC| e.b.ins().icmp(if signed { s } else { u }, a, b);
        Ok(match op {
            Add => self.b.ins().iadd(a, b),
            Sub => self.b.ins().isub(a, b),
            Mul => self.b.ins().imul(a, b),
            Maximum if signed => self.b.ins().smax(a, b),
            Maximum => self.b.ins().umax(a, b),
            Minimum if signed => self.b.ins().smin(a, b),
            Minimum => self.b.ins().umin(a, b),
            BitAnd | LogicalAnd => self.b.ins().band(a, b),
            BitOr | LogicalOr => self.b.ins().bor(a, b),
            BitXor | LogicalXor => self.b.ins().bxor(a, b),
            Eq => self.b.ins().icmp(IntCC::Equal, a, b),
            Ne => self.b.ins().icmp(IntCC::NotEqual, a, b),
            Lt => icmp(self, IntCC::SignedLessThan, IntCC::UnsignedLessThan),
            Le => icmp(
                self,
                IntCC::SignedLessThanOrEqual,
                IntCC::UnsignedLessThanOrEqual,
            ),
            Gt => icmp(self, IntCC::SignedGreaterThan, IntCC::UnsignedGreaterThan),
            Ge => icmp(
                self,
                IntCC::SignedGreaterThanOrEqual,
                IntCC::UnsignedGreaterThanOrEqual,
            ),
            Shl | Shr => {
                let bits = (lane_bytes * 8) as i64;
                let shifted = match (op, signed) {
                    (Shl, _) => self.b.ins().ishl(a, b),
                    (_, true) => self.b.ins().sshr(a, b),
                    _ => self.b.ins().ushr(a, b),
                };
                let fill = if op == Shr && signed {
                    self.b.ins().sshr_imm_s(a, bits - 1)
                } else {
                    self.iconst(ty, 0)
                };
                let out_of_range =
                    self.b
                        .ins()
                        .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, b, bits);
                self.b.ins().select(out_of_range, fill, shifted)
            }
            Pow | FloorDiv | Rem => {
                let (wide_a, wide_b) = if ty == types::I64 {
                    (a, b)
                } else if signed {
                    (
                        self.b.ins().sextend(types::I64, a),
                        self.b.ins().sextend(types::I64, b),
                    )
                } else {
                    (
                        self.b.ins().uextend(types::I64, a),
                        self.b.ins().uextend(types::I64, b),
                    )
                };
                let h = if signed {
                    Helper::I64Binary
                } else {
                    Helper::U64Binary
                };
                let code = self.iconst(types::I32, binary_code(op) as i64);
                let r = self
                    .call(h, &[code, wide_a, wide_b])?
                    .ok_or_else(|| self.internal("integer helper returned nothing"))?;
                if ty == types::I64 {
                    r
                } else {
                    self.b.ins().ireduce(ty, r)
                }
            }
            _ => return Err(self.internal(format!("{} on {d}", op.name()))),
        })
    }

    fn complex_binary(&mut self, op: BinaryOp, d: DType, a: V, b: V) -> R<V> {
        use BinaryOp::*;
        let (ar, ai) = a.parts();
        let (br, bi) = b.parts();
        Ok(match op {
            Add => V::Complex(self.b.ins().fadd(ar, br), self.b.ins().fadd(ai, bi)),
            Sub => V::Complex(self.b.ins().fsub(ar, br), self.b.ins().fsub(ai, bi)),
            // complex64 products are computed in f64 and rounded per part, as the reference does
            // (the f32 formula loses everything to cancellation in `ac - bd`).
            Mul if d == DType::C64 => {
                let w = [ar, ai, br, bi].map(|v| self.b.ins().fpromote(types::F64, v));
                let (re, im) = self.complex_mul(w[0], w[1], w[2], w[3]);
                V::Complex(
                    self.b.ins().fdemote(types::F32, re),
                    self.b.ins().fdemote(types::F32, im),
                )
            }
            Mul => {
                let (re, im) = self.complex_mul(ar, ai, br, bi);
                V::Complex(re, im)
            }
            Eq => {
                let x = self.b.ins().fcmp(FloatCC::Equal, ar, br);
                let y = self.b.ins().fcmp(FloatCC::Equal, ai, bi);
                V::Real(self.b.ins().band(x, y))
            }
            Ne => {
                let x = self.b.ins().fcmp(FloatCC::NotEqual, ar, br);
                let y = self.b.ins().fcmp(FloatCC::NotEqual, ai, bi);
                V::Real(self.b.ins().bor(x, y))
            }
            Div | Pow => {
                let h = if d == DType::C64 {
                    Helper::C64Binary
                } else {
                    Helper::C128Binary
                };
                let code = self.iconst(types::I32, binary_code(op) as i64);
                let out = self.scratch_addr();
                self.call(h, &[code, ar, ai, br, bi, out])?;
                let (re, im) = self.read_scratch(d, out);
                V::Complex(re, im)
            }
            _ => return Err(self.internal(format!("{} on {d}", op.name()))),
        })
    }

    /// `(ar + i ai) * (br + i bi)` with num-complex's formula.
    pub fn complex_mul(&mut self, ar: Value, ai: Value, br: Value, bi: Value) -> (Value, Value) {
        let rr = self.b.ins().fmul(ar, br);
        let ii = self.b.ins().fmul(ai, bi);
        let ri = self.b.ins().fmul(ar, bi);
        let ir = self.b.ins().fmul(ai, br);
        (self.b.ins().fsub(rr, ii), self.b.ins().fadd(ri, ir))
    }

    pub fn select(&mut self, mode: Mode, cond: Value, a: V, b: V) -> V {
        match (a, b) {
            (V::Complex(ar, ai), V::Complex(br, bi)) => {
                V::Complex(self.sel(mode, cond, ar, br), self.sel(mode, cond, ai, bi))
            }
            _ => V::Real(self.sel(mode, cond, a.one(), b.one())),
        }
    }

    pub fn cast(&mut self, from: DType, to: DType, mode: Mode, x: V) -> R<V> {
        if from == to {
            return Ok(x);
        }
        if let Mode::Vector { .. } = mode {
            if let Some(v) = self.vector_cast(from, to, mode, x.one()) {
                return Ok(V::Real(v));
            }
            let mut scalar = |e: &mut Self, v: &[V]| e.cast(from, to, Mode::Scalar, v[0]);
            return Ok(V::Real(self.per_lane(
                mode,
                &[from],
                &[x.one()],
                to,
                &mut scalar,
            )?));
        }
        self.scalar_cast(from, to, x)
    }

    /// Casts with a native vector lowering; `None` sends the cast per lane.
    fn vector_cast(&mut self, from: DType, to: DType, mode: Mode, x: Value) -> Option<Value> {
        let to_ty = ty_in(to, mode);
        let same_width = from.size_bytes() == to.size_bytes();
        match (from.kind(), to.kind()) {
            (_, DTypeKind::Bool) if from.is_real_float() => {
                let zero = self.fconst(ty_in(from, mode), 0.0);
                let m = self.b.ins().fcmp(FloatCC::NotEqual, x, zero);
                Some(self.retype_mask(m, to_ty))
            }
            (_, DTypeKind::Bool) if from.is_integer() => {
                let zero = self.ivconst(ty_in(from, mode), 0);
                Some(self.b.ins().icmp(IntCC::NotEqual, x, zero))
            }
            (DTypeKind::Bool, _) if to.is_integer() => Some(self.bool_to_int(mode, x, to_ty)),
            (DTypeKind::Bool, DTypeKind::RealFloat) => {
                let one = self.fconst(to_ty, 1.0);
                let zero = self.fconst(to_ty, 0.0);
                Some(self.sel(mode, x, one, zero))
            }
            (
                DTypeKind::SignedInt | DTypeKind::UnsignedInt,
                DTypeKind::SignedInt | DTypeKind::UnsignedInt,
            ) if same_width => Some(x),
            (DTypeKind::RealFloat, DTypeKind::SignedInt)
                if from == DType::F32 && to == DType::I32 =>
            {
                Some(self.b.ins().fcvt_to_sint_sat(to_ty, x))
            }
            (DTypeKind::SignedInt, DTypeKind::RealFloat)
                if from == DType::I32 && to == DType::F32 =>
            {
                Some(self.b.ins().fcvt_from_sint(to_ty, x))
            }
            _ => None,
        }
    }

    fn scalar_cast(&mut self, from: DType, to: DType, x: V) -> R<V> {
        use DTypeKind::*;
        let to_ty = scalar_ty(to);
        Ok(match (from.kind(), to.kind()) {
            (ComplexFloat, Bool) => {
                let (re, im) = x.parts();
                let t = scalar_ty(from);
                let zero = self.fconst(t, 0.0);
                let a = self.b.ins().fcmp(FloatCC::NotEqual, re, zero);
                let b = self.b.ins().fcmp(FloatCC::NotEqual, im, zero);
                V::Real(self.b.ins().bor(a, b))
            }
            (ComplexFloat, ComplexFloat) => {
                let (re, im) = x.parts();
                V::Complex(
                    self.float_to_float(re, to_ty),
                    self.float_to_float(im, to_ty),
                )
            }
            (ComplexFloat, _) => {
                let re = V::Real(x.parts().0);
                return self.scalar_cast(from.real_part(), to, re);
            }
            (_, ComplexFloat) => {
                let part = to.real_part();
                let re = self.scalar_cast(from, part, x)?.one();
                let im = self.fconst(to_ty, 0.0);
                V::Complex(re, im)
            }
            (RealFloat, Bool) => {
                let zero = self.fconst(scalar_ty(from), 0.0);
                V::Real(self.b.ins().fcmp(FloatCC::NotEqual, x.one(), zero))
            }
            (_, Bool) => V::Real(self.b.ins().icmp_imm_s(IntCC::NotEqual, x.one(), 0)),
            (RealFloat, RealFloat) => V::Real(self.float_to_float(x.one(), to_ty)),
            (RealFloat, _) => V::Real(self.float_to_int(x.one(), to)),
            (_, RealFloat) => {
                // Integers (and bools) convert through f64, as `Scalar::cast` does.
                let signed = from.is_signed_integer();
                let wide = self.int_to_i64(x.one(), from);
                let f = if signed {
                    self.b.ins().fcvt_from_sint(types::F64, wide)
                } else {
                    self.b.ins().fcvt_from_uint(types::F64, wide)
                };
                V::Real(self.float_to_float(f, to_ty))
            }
            (_, _) => {
                // Integer to integer (bool is 0/1): wrap to the target width.
                let v = x.one();
                let (fb, tb) = (from.size_bytes(), to.size_bytes());
                V::Real(if tb < fb {
                    self.b.ins().ireduce(to_ty, v)
                } else if tb > fb {
                    if from.is_signed_integer() {
                        self.b.ins().sextend(to_ty, v)
                    } else {
                        self.b.ins().uextend(to_ty, v)
                    }
                } else {
                    v
                })
            }
        })
    }

    fn int_to_i64(&mut self, v: Value, from: DType) -> Value {
        if from.size_bytes() == 8 {
            v
        } else if from.is_signed_integer() {
            self.b.ins().sextend(types::I64, v)
        } else {
            self.b.ins().uextend(types::I64, v)
        }
    }

    fn float_to_float(&mut self, v: Value, to: Type) -> Value {
        let from = self.b.func.dfg.value_type(v);
        if from == to {
            v
        } else if to == types::F64 {
            self.b.ins().fpromote(to, v)
        } else {
            self.b.ins().fdemote(to, v)
        }
    }

    /// Saturating conversion (NaN -> 0) to an integer dtype of any width.
    fn float_to_int(&mut self, v: Value, to: DType) -> Value {
        let bytes = to.size_bytes();
        if to.is_signed_integer() {
            let wide = self.b.ins().fcvt_to_sint_sat(types::I64, v);
            if bytes == 8 {
                return wide;
            }
            let bits = bytes as u32 * 8;
            let hi = self.i64c((1i64 << (bits - 1)) - 1);
            let lo = self.i64c(-(1i64 << (bits - 1)));
            let c = self.b.ins().smin(wide, hi);
            let c = self.b.ins().smax(c, lo);
            self.b.ins().ireduce(int_ty(bytes), c)
        } else {
            let wide = self.b.ins().fcvt_to_uint_sat(types::I64, v);
            if bytes == 8 {
                return wide;
            }
            let hi = self.i64c((1i64 << (bytes * 8)) - 1);
            let c = self.b.ins().umin(wide, hi);
            self.b.ins().ireduce(int_ty(bytes), c)
        }
    }
}
