//! The `Emitter`: a cranelift function builder plus the small vocabulary every code generation
//! step shares (constants, masks, selects, loads and stores of kiln values, helper calls, and
//! the per-lane fallback that runs a scalar operation on each lane of a vector).
//!
//! Invariant: every value built here has the representation `types.rs` prescribes for its
//! dtype and mode, so any operation can consume any other's result.

use super::types::{Mode, V, int_ty, scalar_ty, ty_in, vector_ty};
use crate::error::CpuError;
use crate::helpers::Helper;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    Endianness, FuncRef, InstBuilder, MemFlagsData, StackSlot, StackSlotData, StackSlotKind, Type,
    Value, types,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, Variable};
use kiln_ir::{DType, Scalar};
use std::collections::HashMap;

pub struct Emitter<'a, 'f> {
    pub b: FunctionBuilder<'f>,
    call_conv: CallConv,
    frontend: TargetFrontendConfig,
    imported: HashMap<Helper, FuncRef>,
    scratch: Option<StackSlot>,
    pub kernel_name: &'a str,
}

pub type R<T> = Result<T, CpuError>;

/// Flags for loads and stores of array elements: the executor guarantees the addresses are
/// inside their storages, but not that they are aligned to the access width.
pub fn elem_flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

pub fn lane_cast_flags() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

impl<'a, 'f> Emitter<'a, 'f> {
    pub fn new(
        b: FunctionBuilder<'f>,
        call_conv: CallConv,
        frontend: TargetFrontendConfig,
        kernel_name: &'a str,
    ) -> Self {
        Emitter {
            b,
            call_conv,
            frontend,
            imported: HashMap::new(),
            scratch: None,
            kernel_name,
        }
    }

    pub fn frontend_config(&self) -> TargetFrontendConfig {
        self.frontend
    }

    pub fn internal(&self, msg: impl Into<String>) -> CpuError {
        CpuError::Codegen {
            kernel: self.kernel_name.to_string(),
            detail: msg.into(),
        }
    }

    pub fn var(&mut self, ty: Type, init: Value) -> Variable {
        let v = self.b.declare_var(ty);
        self.b.def_var(v, init);
        v
    }

    pub fn iconst(&mut self, ty: Type, v: i64) -> Value {
        let bits = ty.bits();
        let masked = if bits >= 64 {
            v
        } else {
            (v as u64 & ((1u64 << bits) - 1)) as i64
        };
        self.b.ins().iconst(ty, masked)
    }

    pub fn i64c(&mut self, v: i64) -> Value {
        self.b.ins().iconst(types::I64, v)
    }

    /// A float constant of a scalar or vector float type.
    pub fn fconst(&mut self, ty: Type, v: f64) -> Value {
        let lane = ty.lane_type();
        let s = if lane == types::F32 {
            self.b.ins().f32const(v as f32)
        } else {
            self.b.ins().f64const(v)
        };
        if ty.is_vector() {
            self.b.ins().splat(ty, s)
        } else {
            s
        }
    }

    /// An integer constant of a scalar or vector integer type.
    pub fn ivconst(&mut self, ty: Type, v: i64) -> Value {
        let s = self.iconst(ty.lane_type(), v);
        if ty.is_vector() {
            self.b.ins().splat(ty, s)
        } else {
            s
        }
    }

    /// A bool constant in a mode (0/1 byte in scalar code, a mask in vector code).
    pub fn bool_const(&mut self, mode: Mode, v: bool) -> Value {
        match mode {
            Mode::Scalar => self.iconst(types::I8, v as i64),
            Mode::Vector { lanes } => {
                let ty = vector_ty(DType::Bool, lanes as usize);
                self.ivconst(ty, if v { -1 } else { 0 })
            }
        }
    }

    /// Converts a comparison result (scalar i8 0/1 or a vector mask) to 0/1 integers of `ty`.
    pub fn bool_to_int(&mut self, mode: Mode, cond: Value, ty: Type) -> Value {
        match mode {
            Mode::Scalar => self.extend_bool(cond, ty),
            Mode::Vector { .. } => {
                let cond = self.retype_mask(cond, ty);
                let one = self.ivconst(ty, 1);
                self.b.ins().band(cond, one)
            }
        }
    }

    /// Widens a scalar i8 0/1 to an integer type.
    pub fn extend_bool(&mut self, cond: Value, ty: Type) -> Value {
        if ty == types::I8 {
            cond
        } else {
            self.b.ins().uextend(ty, cond)
        }
    }

    /// Reinterprets a vector mask as another vector type of the same lane count and width.
    pub fn retype_mask(&mut self, mask: Value, ty: Type) -> Value {
        let have = self.b.func.dfg.value_type(mask);
        if have == ty {
            mask
        } else {
            self.b.ins().bitcast(ty, lane_cast_flags(), mask)
        }
    }

    /// `cond ? a : b` for a scalar 0/1 condition or a vector mask.
    pub fn sel(&mut self, mode: Mode, cond: Value, a: Value, b: Value) -> Value {
        match mode {
            Mode::Scalar => self.b.ins().select(cond, a, b),
            Mode::Vector { .. } => {
                let ty = self.b.func.dfg.value_type(a);
                let mask = self.retype_mask(cond, ty);
                self.b.ins().bitselect(mask, a, b)
            }
        }
    }

    pub fn constant(&mut self, s: Scalar, mode: Mode) -> V {
        let d = s.dtype();
        let scalar = |e: &mut Self, bits_or_float: Scalar| -> Value {
            match bits_or_float {
                Scalar::F32(v) => e.b.ins().f32const(v),
                Scalar::F64(v) => e.b.ins().f64const(v),
                Scalar::U64(v) => e.iconst(types::I64, v as i64),
                other => e.iconst(scalar_ty(other.dtype()), other.to_i64()),
            }
        };
        match (s, mode) {
            (Scalar::C64(c), _) => {
                let re = self.b.ins().f32const(c.re);
                let im = self.b.ins().f32const(c.im);
                V::Complex(re, im)
            }
            (Scalar::C128(c), _) => {
                let re = self.b.ins().f64const(c.re);
                let im = self.b.ins().f64const(c.im);
                V::Complex(re, im)
            }
            (Scalar::Bool(v), m) => V::Real(self.bool_const(m, v)),
            (_, Mode::Scalar) => V::Real(scalar(self, s)),
            (_, Mode::Vector { lanes }) => {
                let x = scalar(self, s);
                V::Real(self.b.ins().splat(vector_ty(d, lanes as usize), x))
            }
        }
    }

    /// Loads one element (scalar mode) or `lanes` consecutive elements (vector mode).
    pub fn load(&mut self, d: DType, mode: Mode, addr: Value) -> V {
        let fl = elem_flags();
        match (d, mode) {
            (DType::C64 | DType::C128, _) => {
                let t = scalar_ty(d);
                let re = self.b.ins().load(t, fl, addr, 0);
                let im = self.b.ins().load(t, fl, addr, t.bytes() as i32);
                V::Complex(re, im)
            }
            (DType::Bool, Mode::Vector { lanes }) => V::Real(self.load_bool_vector(addr, lanes)),
            (_, m) => V::Real(self.b.ins().load(ty_in(d, m), fl, addr, 0)),
        }
    }

    pub fn store(&mut self, d: DType, mode: Mode, addr: Value, v: V) {
        let fl = elem_flags();
        match (v, d, mode) {
            (V::Complex(re, im), _, _) => {
                let off = scalar_ty(d).bytes() as i32;
                self.b.ins().store(fl, re, addr, 0);
                self.b.ins().store(fl, im, addr, off);
            }
            (V::Real(x), DType::Bool, Mode::Vector { lanes }) => {
                self.store_bool_vector(addr, lanes, x)
            }
            (V::Real(x), _, _) => {
                self.b.ins().store(fl, x, addr, 0);
            }
        }
    }

    /// Loads `lanes` bool bytes and widens them to a mask of `16 / lanes`-byte lanes.
    fn load_bool_vector(&mut self, addr: Value, lanes: u8) -> Value {
        let fl = elem_flags();
        let bytes = if lanes == 16 {
            self.b.ins().load(types::I8X16, fl, addr, 0)
        } else {
            let word_ty = int_ty(lanes as usize);
            let word = self.b.ins().load(word_ty, fl, addr, 0);
            let holder = word_ty.by(16 / lanes as u32).unwrap_or(types::I64X2);
            let v = self.b.ins().scalar_to_vector(holder, word);
            self.b.ins().bitcast(types::I8X16, lane_cast_flags(), v)
        };
        let mut v = bytes;
        let mut width = 1;
        while width < 16 / lanes as usize {
            v = self.b.ins().swiden_low(v);
            width *= 2;
        }
        let ty = vector_ty(DType::Bool, lanes as usize);
        let zero = self.ivconst(ty, 0);
        self.b.ins().icmp(IntCC::NotEqual, v, zero)
    }

    /// Narrows a mask to `lanes` bytes holding 0/1 and stores them.
    fn store_bool_vector(&mut self, addr: Value, lanes: u8, mask: Value) {
        let fl = elem_flags();
        if lanes == 2 {
            // x86 has no i64x2 narrowing in cranelift: store the two bytes one by one.
            for lane in 0..2u8 {
                let x = self.b.ins().extractlane(mask, lane);
                let byte = self.b.ins().ireduce(types::I8, x);
                let bit = self.b.ins().band_imm_s(byte, 1);
                self.b.ins().store(fl, bit, addr, lane as i32);
            }
            return;
        }
        let ty = self.b.func.dfg.value_type(mask);
        let one = self.ivconst(ty, 1);
        let mut v = self.b.ins().band(mask, one);
        while self.b.func.dfg.value_type(v) != types::I8X16 {
            v = self.b.ins().snarrow(v, v);
        }
        if lanes == 16 {
            self.b.ins().store(fl, v, addr, 0);
        } else {
            let word_ty = int_ty(lanes as usize);
            let holder = word_ty.by(16 / lanes as u32).unwrap_or(types::I64X2);
            let w = self.b.ins().bitcast(holder, lane_cast_flags(), v);
            let word = self.b.ins().extractlane(w, 0);
            self.b.ins().store(fl, word, addr, 0);
        }
    }

    fn helper_ref(&mut self, h: Helper) -> R<FuncRef> {
        if let Some(r) = self.imported.get(&h) {
            return Ok(*r);
        }
        let r = super::imports::import_helper(self.b.func, h, self.call_conv);
        self.imported.insert(h, r);
        Ok(r)
    }

    /// Calls a helper and returns its first result (if it has one).
    pub fn call(&mut self, h: Helper, args: &[Value]) -> R<Option<Value>> {
        let f = self.helper_ref(h)?;
        let inst = self.b.ins().call(f, args);
        Ok(self.b.inst_results(inst).first().copied())
    }

    /// A 16-byte stack slot used as the out-parameter of complex helpers.
    pub fn scratch_addr(&mut self) -> Value {
        let slot = match self.scratch {
            Some(s) => s,
            None => {
                let s = self.b.create_sized_stack_slot(StackSlotData::new(
                    StackSlotKind::ExplicitSlot,
                    16,
                    4,
                ));
                self.scratch = Some(s);
                s
            }
        };
        self.b.ins().stack_addr(types::I64, slot, 0)
    }

    /// Runs a scalar operation on each lane of vector operands and reassembles the result.
    /// `dtypes` are the kiln dtypes of the operands; bool lanes are converted between masks
    /// and 0/1 bytes on the way in and out.
    pub fn per_lane(
        &mut self,
        mode: Mode,
        dtypes: &[DType],
        args: &[Value],
        result: DType,
        op: &mut dyn FnMut(&mut Self, &[V]) -> R<V>,
    ) -> R<Value> {
        let lanes = mode.lanes();
        let out_ty = vector_ty(result, lanes);
        let mut acc: Option<Value> = None;
        for lane in 0..lanes {
            let mut scalars = Vec::with_capacity(args.len());
            for (&a, &d) in args.iter().zip(dtypes) {
                let x = self.b.ins().extractlane(a, lane as u8);
                let x = if d == DType::Bool {
                    self.b.ins().icmp_imm_s(IntCC::NotEqual, x, 0)
                } else {
                    x
                };
                scalars.push(V::Real(x));
            }
            let r = op(self, &scalars)?.one();
            let r = if result == DType::Bool {
                let wide = self.extend_bool(r, out_ty.lane_type());
                self.b.ins().ineg(wide)
            } else {
                r
            };
            acc = Some(match acc {
                None => self.b.ins().splat(out_ty, r),
                Some(v) => self.b.ins().insertlane(v, r, lane as u8),
            });
        }
        acc.ok_or_else(|| self.internal("vector with no lanes"))
    }
}
