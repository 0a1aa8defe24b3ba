//! Evaluation of a kernel's SSA values at one point (scalar mode) or at `lanes` consecutive
//! points of the innermost dimension (vector mode).
//!
//! Invariant: only values some root needs are emitted (so a dead helper call costs nothing),
//! in id order, each from operands already emitted in the same context.

use super::emit::{Emitter, R};
use super::types::{Mode, V, vector_ty};
use cranelift_codegen::ir::{InstBuilder, Value};
use kiln_ir::{DType, Inst, Kernel, ValueId};

/// How a parameter is read in an evaluation context.
#[derive(Clone, Copy, Debug)]
pub enum ParamSource {
    /// Load from this address (the element, or the first of `lanes` elements).
    Addr(Value),
    /// The value was loaded once for the whole row (the parameter is constant along it).
    Hoisted(V),
}

/// Where each dimension index comes from.
#[derive(Clone, Copy, Debug)]
pub enum IndexSource {
    Fixed(Value),
    /// The innermost dimension: the given value for lane 0, counting up by lane.
    Inner(Value),
}

pub struct Ctx {
    pub mode: Mode,
    pub params: Vec<Option<ParamSource>>,
    pub index: Vec<Option<IndexSource>>,
    pub reduced: Option<V>,
}

/// Marks the values the `roots` depend on.
pub fn needed(kernel: &Kernel, roots: &[ValueId]) -> Vec<bool> {
    let n = kernel.body.len() + kernel.epilogue.len();
    let mut need = vec![false; n];
    for r in roots {
        if let Some(slot) = need.get_mut(r.0 as usize) {
            *slot = true;
        }
    }
    for i in (0..n).rev() {
        if need[i] {
            for op in Kernel::operands(&kernel.value(ValueId(i as u32)).inst) {
                if let Some(slot) = need.get_mut(op.0 as usize) {
                    *slot = true;
                }
            }
        }
    }
    need
}

impl Emitter<'_, '_> {
    /// Emits every needed value in `ids` (in order), storing results in `vals`.
    pub fn eval(
        &mut self,
        kernel: &Kernel,
        ctx: &Ctx,
        need: &[bool],
        ids: std::ops::Range<usize>,
        vals: &mut [Option<V>],
    ) -> R<()> {
        for i in ids {
            if !need.get(i).copied().unwrap_or(false) || vals[i].is_some() {
                continue;
            }
            let value = kernel.value(ValueId(i as u32));
            let get = |e: &Self, id: &ValueId| -> R<V> {
                vals.get(id.0 as usize)
                    .copied()
                    .flatten()
                    .ok_or_else(|| e.internal(format!("{id} used before it is emitted")))
            };
            let dtype_of = |id: &ValueId| kernel.value(*id).dtype;
            let v = match &value.inst {
                Inst::Load { param } => {
                    let dtype = kernel.params.get(*param).map(|p| p.dtype);
                    match (ctx.params.get(*param).copied().flatten(), dtype) {
                        (Some(ParamSource::Addr(a)), Some(d)) => self.load(d, ctx.mode, a),
                        (Some(ParamSource::Hoisted(v)), _) => v,
                        _ => {
                            return Err(self.internal(format!(
                                "p{param} cannot be read where %{i} is evaluated"
                            )));
                        }
                    }
                }
                Inst::Const(s) => self.constant(*s, ctx.mode),
                Inst::Index { dim } => match ctx.index.get(*dim).copied().flatten() {
                    Some(IndexSource::Fixed(v)) => match ctx.mode {
                        Mode::Scalar => V::Real(v),
                        Mode::Vector { lanes } => {
                            V::Real(self.b.ins().splat(vector_ty(DType::I64, lanes as usize), v))
                        }
                    },
                    Some(IndexSource::Inner(v)) => V::Real(self.inner_index(ctx.mode, v)),
                    None => {
                        return Err(self.internal(format!(
                            "index {dim} is not available where %{i} is evaluated"
                        )));
                    }
                },
                Inst::Unary { op, arg } => {
                    let x = get(self, arg)?;
                    self.unary(*op, dtype_of(arg), ctx.mode, x)?
                }
                Inst::Binary { op, lhs, rhs } => {
                    let a = get(self, lhs)?;
                    let b = get(self, rhs)?;
                    self.binary(*op, dtype_of(lhs), ctx.mode, a, b)?
                }
                Inst::Select {
                    cond,
                    then,
                    otherwise,
                } => {
                    let c = get(self, cond)?.one();
                    let a = get(self, then)?;
                    let b = get(self, otherwise)?;
                    self.select(ctx.mode, c, a, b)
                }
                Inst::Cast { arg, to } => {
                    let x = get(self, arg)?;
                    self.cast(dtype_of(arg), *to, ctx.mode, x)?
                }
                Inst::Reduced => ctx
                    .reduced
                    .ok_or_else(|| self.internal("`reduced` outside an epilogue"))?,
            };
            vals[i] = Some(v);
        }
        Ok(())
    }

    /// The innermost index of each lane: `first + lane`.
    fn inner_index(&mut self, mode: Mode, first: Value) -> Value {
        match mode {
            Mode::Scalar => first,
            Mode::Vector { lanes } => {
                let ty = vector_ty(DType::I64, lanes as usize);
                let mut v = self.b.ins().splat(ty, first);
                for lane in 1..lanes {
                    let x = self.b.ins().iadd_imm_s(first, lane as i64);
                    v = self.b.ins().insertlane(v, x, lane);
                }
                v
            }
        }
    }
}
