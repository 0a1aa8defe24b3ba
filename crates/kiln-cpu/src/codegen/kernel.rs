//! Lowering of one kernel to its entry points (see `abi.rs`): the elementwise row loop, the
//! reduction over a flat reduce range with its accumulators, and the epilogue with stores.
//!
//! Invariants:
//! - addresses are formed only as `base + sum(index[d] * stride[d])` over in-range indices, so
//!   a launch whose geometry passed `Schedule::verify` stays inside its storages;
//! - float sums are accumulated in blocks (scalar loops: `SUM_BLOCK` elements; vector loops:
//!   `LANE_TERMS` elements per accumulator lane, over `unroll` independent vector
//!   accumulators), and block partials are added with Neumaier compensation: the error is that
//!   of a `LANE_TERMS`-term naive sum plus O(eps), independent of the length;
//! - the independent vector accumulators of one block are combined pairwise with the
//!   reduction's own operation (NaN-propagating max/min stay NaN-propagating);
//! - arg reductions keep the first extremum, and the first NaN wins over any number.

use super::emit::{Emitter, R};
use super::eval::{Ctx, IndexSource, ParamSource, needed};
use super::simd;
use super::types::{Mode, V, scalar_ty, ty_in};
use crate::abi::{ACC_INDEX_OFFSET, base_word, stride_word};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value, types};
use cranelift_frontend::Variable;
use kiln_ir::{Access, DType, InnerStride, Kernel, ParamRole, ReduceOp, ValueId};

/// Longest run of elements a scalar loop sums without compensation.
pub const SUM_BLOCK: i64 = 256;

/// Elements each lane of each vector accumulator sums without compensation.
pub const LANE_TERMS: i64 = 64;

/// Independent vector accumulators of a contiguous reduce loop with a cheap body: one
/// accumulator makes every iteration wait for the previous combine (3-4 cycles for an add),
/// which caps a memory-bound reduction far below the bandwidth.
pub const REDUCE_UNROLL: usize = 4;

/// Whether the values a reduction needs are cheap enough that the loop-carried combine, not the
/// body, bounds the loop. An expensive body (a transcendental, a helper call) already hides
/// the combine's latency, and unrolling it would only multiply its compile time.
fn cheap_body(kernel: &Kernel, need: &[bool]) -> bool {
    use kiln_ir::{BinaryOp as B, Inst, UnaryOp as U};
    let mut count = 0;
    for (i, v) in kernel.body.iter().enumerate() {
        if !need.get(i).copied().unwrap_or(false) {
            continue;
        }
        count += 1;
        let cheap = match &v.inst {
            Inst::Unary { op, .. } => matches!(
                op,
                U::Neg
                    | U::Abs
                    | U::Sqrt
                    | U::Floor
                    | U::Ceil
                    | U::Trunc
                    | U::Round
                    | U::Sign
                    | U::SignBit
                    | U::IsNan
                    | U::IsInf
                    | U::IsFinite
                    | U::Not
            ),
            Inst::Binary { op, .. } => !matches!(
                op,
                B::Pow | B::Atan2 | B::Hypot | B::Nextafter | B::LogAddExp | B::FloorDiv | B::Rem
            ),
            _ => true,
        };
        if !cheap {
            return false;
        }
    }
    count <= 12
}

/// The words of the argument block, loaded once at function entry.
pub struct Frame {
    pub dims: Vec<Value>,
    pub bases: Vec<Value>,
    pub strides: Vec<Vec<Value>>,
}

/// The state of one reduction in progress.
struct Acc {
    run: Vec<Variable>,
    comp: Vec<Variable>,
    best_index: Option<Variable>,
}

/// A finished reduction at one outer point.
pub struct Reduced {
    pub value: V,
    pub index: Option<Value>,
}

impl Emitter<'_, '_> {
    /// Evaluates the kernel body at one position of an inner loop: the `fixed` indices of the
    /// outer dimensions, `last + j` for the innermost one (when the space has one), and `params`
    /// as each read parameter's source. Shared by the elementwise and the reduction loops.
    fn eval_body_at(
        &mut self,
        kernel: &Kernel,
        need: &[bool],
        mode: Mode,
        params: Vec<Option<ParamSource>>,
        fixed: &[Option<IndexSource>],
        last: Option<Value>,
        j: Value,
    ) -> R<Vec<Option<V>>> {
        let mut index = fixed.to_vec();
        if let Some(last) = last {
            let first = self.b.ins().iadd(last, j);
            index.push(Some(IndexSource::Inner(first)));
        }
        let ctx = Ctx {
            mode,
            params,
            index,
            reduced: None,
        };
        let mut vals = vec![None; kernel.body.len()];
        self.eval(kernel, &ctx, need, 0..kernel.body.len(), &mut vals)?;
        Ok(vals)
    }

    pub fn load_frame(&mut self, kernel: &Kernel, args: Value) -> Frame {
        let rank = kernel.space_rank();
        let fl = MemFlagsData::trusted();
        let word = |e: &mut Self, w: usize| e.b.ins().load(types::I64, fl, args, (w * 8) as i32);
        let dims = (0..rank).map(|d| word(self, d)).collect();
        let mut bases = Vec::new();
        let mut strides = Vec::new();
        for p in 0..kernel.params.len() {
            bases.push(word(self, base_word(rank, p)));
            strides.push(
                (0..rank)
                    .map(|d| word(self, stride_word(rank, p, d)))
                    .collect(),
            );
        }
        Frame {
            dims,
            bases,
            strides,
        }
    }

    /// `start + sum(idx[k] * strides[first_dim + k])`.
    fn offset_ptr(
        &mut self,
        start: Value,
        idx: &[Value],
        strides: &[Value],
        first_dim: usize,
    ) -> Value {
        let mut p = start;
        for (k, &i) in idx.iter().enumerate() {
            let term = self.b.ins().imul(i, strides[first_dim + k]);
            p = self.b.ins().iadd(p, term);
        }
        p
    }

    /// The elementwise `main`: every outer point in `[lo, hi)`.
    pub fn elementwise_main(
        &mut self,
        kernel: &Kernel,
        frame: &Frame,
        lo: Value,
        hi: Value,
        simd: bool,
    ) -> R<()> {
        let roots: Vec<ValueId> = kernel.stores.iter().map(|s| s.value).collect();
        let need = needed(kernel, &roots);
        let reads: Vec<usize> = (0..kernel.params.len())
            .filter(|&p| kernel.param_role(p) == ParamRole::BodyRead)
            .collect();
        let touched: Vec<usize> = reads
            .iter()
            .copied()
            .chain(kernel.stores.iter().map(|s| s.param))
            .collect();
        let lanes = if simd {
            simd::lanes(kernel, &need, 0..kernel.body.len(), &touched)
        } else {
            None
        };
        let rank = kernel.outer_rank;
        let dims = frame.dims[..rank].to_vec();
        self.range_loop(&dims, lo, hi, &mut |e, idx, n, _| {
            let ptrs: Vec<Value> = (0..kernel.params.len())
                .map(|p| e.offset_ptr(frame.bases[p], idx, &frame.strides[p], 0))
                .collect();
            let inner_stride = |p: usize| frame.strides[p].get(rank.wrapping_sub(1)).copied();
            let fixed: Vec<Option<IndexSource>> = idx
                .iter()
                .take(rank.saturating_sub(1))
                .map(|&v| Some(IndexSource::Fixed(v)))
                .collect();
            let row = |e: &mut Emitter, mode: Mode, j: Value| -> R<()> {
                let lanes = mode.lanes() as i64;
                let mut params = vec![None; kernel.params.len()];
                for &p in &reads {
                    params[p] =
                        Some(e.param_source(kernel, p, mode, ptrs[p], j, inner_stride(p), lanes));
                }
                let vals =
                    e.eval_body_at(kernel, &need, mode, params, &fixed, idx.last().copied(), j)?;
                for s in &kernel.stores {
                    let v = vals
                        .get(s.value.0 as usize)
                        .copied()
                        .flatten()
                        .ok_or_else(|| e.internal("stored value not emitted"))?;
                    let addr = e.element_addr(
                        kernel,
                        s.param,
                        mode,
                        ptrs[s.param],
                        j,
                        inner_stride(s.param),
                    );
                    e.store(kernel.params[s.param].dtype, mode, addr, v);
                }
                Ok(())
            };
            let zero = e.i64c(0);
            let scalar_start = match lanes {
                Some(l) => {
                    let mode = Mode::Vector { lanes: l };
                    let vec_end = e.b.ins().band_imm_s(n, !(l as i64 - 1));
                    e.counted_loop(zero, vec_end, l as i64, &mut |e, j| row(e, mode, j))?;
                    vec_end
                }
                None => zero,
            };
            e.counted_loop(scalar_start, n, 1, &mut |e, j| row(e, Mode::Scalar, j))
        })
    }

    /// The address of element `j` of a row (the first of `lanes` elements in vector mode).
    fn element_addr(
        &mut self,
        kernel: &Kernel,
        p: usize,
        mode: Mode,
        row_ptr: Value,
        j: Value,
        stride: Option<Value>,
    ) -> Value {
        let Some(stride) = stride else {
            return row_ptr;
        };
        let off = match (mode, kernel.params[p].inner) {
            // Unit params in a vector loop: the loop runs only when the row is longer than one
            // element, where `check` guarantees the stride is one element.
            (Mode::Vector { .. }, InnerStride::Unit) => self
                .b
                .ins()
                .imul_imm_s(j, kernel.params[p].dtype.size_bytes() as i64),
            _ => self.b.ins().imul(j, stride),
        };
        self.b.ins().iadd(row_ptr, off)
    }

    /// How a read parameter is fetched at element `j` of a row.
    fn param_source(
        &mut self,
        kernel: &Kernel,
        p: usize,
        mode: Mode,
        row_ptr: Value,
        j: Value,
        stride: Option<Value>,
        _lanes: i64,
    ) -> ParamSource {
        match (kernel.params[p].inner, mode) {
            (InnerStride::Zero, Mode::Vector { lanes }) => {
                // Constant along the row: one scalar load, splatted.
                let d = kernel.params[p].dtype;
                let s = self.load(d, Mode::Scalar, row_ptr).one();
                let v = if d == DType::Bool {
                    let ty = ty_in(d, mode).lane_type();
                    let wide = self.extend_bool(s, ty);
                    self.b.ins().ineg(wide)
                } else {
                    s
                };
                ParamSource::Hoisted(V::Real(
                    self.b.ins().splat(ty_in(d, Mode::Vector { lanes }), v),
                ))
            }
            _ => ParamSource::Addr(self.element_addr(kernel, p, mode, row_ptr, j, stride)),
        }
    }

    /// The identity of a reduction in a mode.
    fn identity(&mut self, op: ReduceOp, d: DType, mode: Mode) -> V {
        let ty = ty_in(d, mode);
        let int_limit = |e: &mut Self, max: bool| -> Value {
            let bits = d.size_bytes() as u32 * 8;
            let v = match (d.is_signed_integer(), max) {
                (true, true) => ((1u64 << (bits - 1)) - 1) as i64,
                (true, false) => (1i64 << (bits - 1)).wrapping_neg(),
                (false, true) => -1,
                (false, false) => 0,
            };
            e.ivconst(ty, v)
        };
        match op {
            ReduceOp::Sum | ReduceOp::Prod => {
                let one = op == ReduceOp::Prod;
                match d.kind() {
                    kiln_ir::DTypeKind::ComplexFloat => {
                        let t = scalar_ty(d);
                        let re = self.fconst(t, if one { 1.0 } else { 0.0 });
                        let im = self.fconst(t, 0.0);
                        V::Complex(re, im)
                    }
                    kiln_ir::DTypeKind::RealFloat => {
                        V::Real(self.fconst(ty, if one { 1.0 } else { 0.0 }))
                    }
                    _ => V::Real(self.ivconst(ty, one as i64)),
                }
            }
            ReduceOp::Max | ReduceOp::ArgMax if d.is_real_float() => {
                V::Real(self.fconst(ty, f64::NEG_INFINITY))
            }
            ReduceOp::Min | ReduceOp::ArgMin if d.is_real_float() => {
                V::Real(self.fconst(ty, f64::INFINITY))
            }
            ReduceOp::Max | ReduceOp::ArgMax => V::Real(int_limit(self, false)),
            ReduceOp::Min | ReduceOp::ArgMin => V::Real(int_limit(self, true)),
            ReduceOp::Any => V::Real(self.bool_const(mode, false)),
            ReduceOp::All => V::Real(self.bool_const(mode, true)),
        }
    }

    /// Combines an accumulator with a value (no compensation).
    fn combine(&mut self, op: ReduceOp, d: DType, a: V, x: V) -> V {
        if let (V::Complex(ar, ai), V::Complex(xr, xi)) = (a, x) {
            return match op {
                ReduceOp::Prod => {
                    let (r, i) = self.complex_mul(ar, ai, xr, xi);
                    V::Complex(r, i)
                }
                _ => V::Complex(self.b.ins().fadd(ar, xr), self.b.ins().fadd(ai, xi)),
            };
        }
        let (a, x) = (a.one(), x.one());
        let float = d.is_real_float();
        let signed = d.is_signed_integer();
        V::Real(match op {
            ReduceOp::Sum if float => self.b.ins().fadd(a, x),
            ReduceOp::Sum => self.b.ins().iadd(a, x),
            ReduceOp::Prod if float => self.b.ins().fmul(a, x),
            ReduceOp::Prod => self.b.ins().imul(a, x),
            ReduceOp::Max | ReduceOp::ArgMax if float => self.b.ins().fmax(a, x),
            ReduceOp::Max | ReduceOp::ArgMax if signed => self.b.ins().smax(a, x),
            ReduceOp::Max | ReduceOp::ArgMax => self.b.ins().umax(a, x),
            ReduceOp::Min | ReduceOp::ArgMin if float => self.b.ins().fmin(a, x),
            ReduceOp::Min | ReduceOp::ArgMin if signed => self.b.ins().smin(a, x),
            ReduceOp::Min | ReduceOp::ArgMin => self.b.ins().umin(a, x),
            ReduceOp::Any => self.b.ins().bor(a, x),
            ReduceOp::All => self.b.ins().band(a, x),
        })
    }

    fn compensated(op: ReduceOp, d: DType) -> bool {
        op == ReduceOp::Sum && d.is_floating()
    }

    fn new_acc(&mut self, op: ReduceOp, d: DType) -> Acc {
        let id = self.identity(op, d, Mode::Scalar);
        let parts: Vec<Value> = match id {
            V::Complex(r, i) => vec![r, i],
            V::Real(v) => vec![v],
        };
        let ty = scalar_ty(d);
        let run = parts.iter().map(|&v| self.var(ty, v)).collect();
        let comp = if Self::compensated(op, d) {
            parts
                .iter()
                .map(|_| {
                    let z = self.fconst(ty, 0.0);
                    self.var(ty, z)
                })
                .collect()
        } else {
            Vec::new()
        };
        let best_index = op.is_arg().then(|| {
            let m1 = self.i64c(-1);
            self.var(types::I64, m1)
        });
        Acc {
            run,
            comp,
            best_index,
        }
    }

    fn read_vars(&mut self, vars: &[Variable]) -> V {
        match vars {
            [r, i] => V::Complex(self.b.use_var(*r), self.b.use_var(*i)),
            [v, ..] => V::Real(self.b.use_var(*v)),
            [] => V::Real(self.i64c(0)),
        }
    }

    fn write_vars(&mut self, vars: &[Variable], v: V) {
        match (vars, v) {
            ([r, i], V::Complex(vr, vi)) => {
                self.b.def_var(*r, vr);
                self.b.def_var(*i, vi);
            }
            ([x, ..], v) => self.b.def_var(*x, v.one()),
            _ => {}
        }
    }

    /// Adds a block partial into the running accumulator (Neumaier for float sums).
    fn add_block(&mut self, op: ReduceOp, d: DType, acc: &Acc, partial: V) {
        if !Self::compensated(op, d) {
            let run = self.read_vars(&acc.run);
            let v = self.combine(op, d, run, partial);
            self.write_vars(&acc.run, v);
            return;
        }
        let xs: Vec<Value> = match partial {
            V::Complex(r, i) => vec![r, i],
            V::Real(v) => vec![v],
        };
        for (k, x) in xs.into_iter().enumerate() {
            let s = self.b.use_var(acc.run[k]);
            let c = self.b.use_var(acc.comp[k]);
            let t = self.b.ins().fadd(s, x);
            let abs_s = self.b.ins().fabs(s);
            let abs_x = self.b.ins().fabs(x);
            let s_big = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, abs_s, abs_x);
            let d1 = self.b.ins().fsub(s, t);
            let a = self.b.ins().fadd(d1, x);
            let d2 = self.b.ins().fsub(x, t);
            let b = self.b.ins().fadd(d2, s);
            let corr = self.b.ins().select(s_big, a, b);
            let c2 = self.b.ins().fadd(c, corr);
            self.b.def_var(acc.comp[k], c2);
            self.b.def_var(acc.run[k], t);
        }
    }

    /// The accumulator's value: `s + c` for compensated sums (unless `s` is not finite, where
    /// the compensation is meaningless), else the running value.
    fn finish_acc(&mut self, op: ReduceOp, d: DType, acc: &Acc) -> Reduced {
        let run = self.read_vars(&acc.run);
        let index = acc.best_index.map(|v| self.b.use_var(v));
        if !Self::compensated(op, d) {
            return Reduced { value: run, index };
        }
        let ty = scalar_ty(d);
        let fix = |e: &mut Self, s: Value, c: Variable| -> Value {
            let c = e.b.use_var(c);
            let sum = e.b.ins().fadd(s, c);
            let a = e.b.ins().fabs(s);
            let inf = e.fconst(ty, f64::INFINITY);
            let finite = e.b.ins().fcmp(FloatCC::LessThan, a, inf);
            e.b.ins().select(finite, sum, s)
        };
        let value = match run {
            V::Complex(r, i) => V::Complex(fix(self, r, acc.comp[0]), fix(self, i, acc.comp[1])),
            V::Real(s) => V::Real(fix(self, s, acc.comp[0])),
        };
        Reduced { value, index }
    }

    /// Horizontal combination of a vector accumulator into a scalar.
    fn horizontal(&mut self, op: ReduceOp, d: DType, lanes: u8, v: Value) -> V {
        let mut acc = self.b.ins().extractlane(v, 0);
        for lane in 1..lanes {
            let x = self.b.ins().extractlane(v, lane);
            acc = match op {
                ReduceOp::Any => self.b.ins().bor(acc, x),
                ReduceOp::All => self.b.ins().band(acc, x),
                _ => self.combine(op, d, V::Real(acc), V::Real(x)).one(),
            };
        }
        if d == DType::Bool {
            acc = self.b.ins().icmp_imm_s(IntCC::NotEqual, acc, 0);
        }
        V::Real(acc)
    }

    /// Reduces the flat reduce range `[rlo, rhi)` at the outer point `oidx`.
    pub fn reduce_point(
        &mut self,
        kernel: &Kernel,
        frame: &Frame,
        oidx: &[Value],
        rlo: Value,
        rhi: Value,
        simd: bool,
    ) -> R<Reduced> {
        let Some(red) = &kernel.reduce else {
            return Err(self.internal("reduce_point on a kernel without reduction"));
        };
        let (op, value_dtype) = (red.op, kernel.value(red.value).dtype);
        // float32 and complex64 products accumulate in double precision (as the reference
        // does): a long product overflows f32 midway and turns into NaN (`inf * 0`) where the
        // exact product is finite.
        let d = match (op, value_dtype) {
            (ReduceOp::Prod, DType::C64) => DType::C128,
            (ReduceOp::Prod, DType::F32) => DType::F64,
            _ => value_dtype,
        };
        let need = needed(kernel, &[red.value]);
        let reads: Vec<usize> = (0..kernel.params.len())
            .filter(|&p| kernel.param_role(p) == ParamRole::BodyRead)
            .collect();
        // A widened accumulator (f32 products in f64) has no 128-bit vector of the body's
        // lane count, so such reductions run the scalar loop.
        let lanes = if simd && d == value_dtype {
            simd::lanes(kernel, &need, 0..kernel.body.len(), &reads)
        } else {
            None
        };
        let unroll = if lanes.is_some() && cheap_body(kernel, &need) {
            REDUCE_UNROLL
        } else {
            1
        };
        let block_len = match lanes {
            Some(l) => LANE_TERMS * l as i64 * unroll as i64,
            None => SUM_BLOCK,
        };
        let outer = kernel.outer_rank;
        let rank = kernel.space_rank();
        let outer_ptrs: Vec<Value> = (0..kernel.params.len())
            .map(|p| self.offset_ptr(frame.bases[p], oidx, &frame.strides[p], 0))
            .collect();
        let acc = self.new_acc(op, d);
        let rdims = frame.dims[outer..].to_vec();
        self.range_loop(&rdims, rlo, rhi, &mut |e, ridx, n, flat| {
            let ptrs: Vec<Value> = outer_ptrs
                .iter()
                .enumerate()
                .map(|(p, &o)| e.offset_ptr(o, ridx, &frame.strides[p], outer))
                .collect();
            let inner_stride = |p: usize| (rank > outer).then(|| frame.strides[p][rank - 1]);
            let mut fixed: Vec<Option<IndexSource>> =
                oidx.iter().map(|&v| Some(IndexSource::Fixed(v))).collect();
            fixed.extend(
                ridx.iter()
                    .take(ridx.len().saturating_sub(1))
                    .map(|&v| Some(IndexSource::Fixed(v))),
            );
            // Evaluates the reduced body value at element j of the row.
            // Parameters constant along the row are loaded and splatted once per row, not once
            // per vector iteration.
            let hoisted: Vec<Option<ParamSource>> = (0..kernel.params.len())
                .map(|p| match lanes {
                    Some(l)
                        if reads.contains(&p) && kernel.params[p].inner == InnerStride::Zero =>
                    {
                        let mode = Mode::Vector { lanes: l };
                        let zero = e.i64c(0);
                        Some(e.param_source(kernel, p, mode, ptrs[p], zero, inner_stride(p), 1))
                    }
                    _ => None,
                })
                .collect();
            let value_at = |e: &mut Emitter, mode: Mode, j: Value| -> R<V> {
                let mut params = vec![None; kernel.params.len()];
                for &p in &reads {
                    params[p] = match (mode, hoisted[p]) {
                        (Mode::Vector { .. }, Some(h)) => Some(h),
                        _ => Some(e.param_source(kernel, p, mode, ptrs[p], j, inner_stride(p), 1)),
                    };
                }
                let vals =
                    e.eval_body_at(kernel, &need, mode, params, &fixed, ridx.last().copied(), j)?;
                let v = vals
                    .get(red.value.0 as usize)
                    .copied()
                    .flatten()
                    .ok_or_else(|| e.internal("reduced value not emitted"))?;
                e.cast(value_dtype, d, mode, v)
            };
            let zero = e.i64c(0);
            if op.is_arg() {
                let best_index = acc
                    .best_index
                    .ok_or_else(|| e.internal("arg reduction without index"))?;
                return e.counted_loop(zero, n, 1, &mut |e, j| {
                    let x = value_at(e, Mode::Scalar, j)?.one();
                    let best = e.b.use_var(acc.run[0]);
                    let bi = e.b.use_var(best_index);
                    let better = e.arg_better(op, d, x, best);
                    let fresh = e.b.ins().icmp_imm_s(IntCC::SignedLessThan, bi, 0);
                    let take = e.b.ins().bor(better, fresh);
                    let nb = e.b.ins().select(take, x, best);
                    let r = e.b.ins().iadd(flat, j);
                    let ni = e.b.ins().select(take, r, bi);
                    e.b.def_var(acc.run[0], nb);
                    e.b.def_var(best_index, ni);
                    Ok(())
                });
            }
            let block = |e: &mut Emitter, j0: Value, j1: Value| -> R<()> {
                let id = e.identity(op, d, Mode::Scalar);
                let pvars: Vec<Variable> = match id {
                    V::Complex(r, i) => vec![e.var(scalar_ty(d), r), e.var(scalar_ty(d), i)],
                    V::Real(v) => vec![e.var(scalar_ty(d), v)],
                };
                let mut scalar_start = j0;
                if let Some(l) = lanes {
                    let mode = Mode::Vector { lanes: l };
                    let vid = e.identity(op, d, mode).one();
                    let vvars: Vec<Variable> =
                        (0..unroll).map(|_| e.var(ty_in(d, mode), vid)).collect();
                    let step = l as i64 * unroll as i64;
                    let len = e.b.ins().isub(j1, j0);
                    let mut vend = j0;
                    if unroll > 1 {
                        // `step` is a power of two, so the mask rounds down to whole steps.
                        let ulen = e.b.ins().band_imm_s(len, !(step - 1));
                        let uend = e.b.ins().iadd(j0, ulen);
                        e.counted_loop(j0, uend, step, &mut |e, j| {
                            for (k, &var) in vvars.iter().enumerate() {
                                let jk = e.b.ins().iadd_imm_s(j, k as i64 * l as i64);
                                let x = value_at(e, mode, jk)?;
                                let a = V::Real(e.b.use_var(var));
                                let c = e.combine(op, d, a, x).one();
                                e.b.def_var(var, c);
                            }
                            Ok(())
                        })?;
                        vend = uend;
                    }
                    // Whole vectors left over (fewer than `unroll`) go to the first accumulator.
                    let vlen = e.b.ins().band_imm_s(len, !(l as i64 - 1));
                    let vlast = e.b.ins().iadd(j0, vlen);
                    e.counted_loop(vend, vlast, l as i64, &mut |e, j| {
                        let x = value_at(e, mode, j)?;
                        let a = V::Real(e.b.use_var(vvars[0]));
                        let c = e.combine(op, d, a, x).one();
                        e.b.def_var(vvars[0], c);
                        Ok(())
                    })?;
                    let vend = vlast;
                    // Pairwise combination of the accumulators: ((a0, a1), (a2, a3)).
                    let mut accs: Vec<Value> = vvars.iter().map(|&v| e.b.use_var(v)).collect();
                    while accs.len() > 1 {
                        let mut next = Vec::with_capacity(accs.len().div_ceil(2));
                        for pair in accs.chunks(2) {
                            next.push(match *pair {
                                [a, b] => e.combine(op, d, V::Real(a), V::Real(b)).one(),
                                [a] => a,
                                _ => return Err(e.internal("empty accumulator pair")),
                            });
                        }
                        accs = next;
                    }
                    let vacc = accs[0];
                    let h = e.horizontal(op, d, l, vacc);
                    e.write_vars(&pvars, h);
                    scalar_start = vend;
                }
                e.counted_loop(scalar_start, j1, 1, &mut |e, j| {
                    let x = value_at(e, Mode::Scalar, j)?;
                    let a = e.read_vars(&pvars);
                    let c = e.combine(op, d, a, x);
                    e.write_vars(&pvars, c);
                    Ok(())
                })?;
                let partial = e.read_vars(&pvars);
                e.add_block(op, d, &acc, partial);
                Ok(())
            };
            if Self::compensated(op, d) {
                e.counted_loop(zero, n, block_len, &mut |e, j0| {
                    let end = e.b.ins().iadd_imm_s(j0, block_len);
                    let j1 = e.b.ins().smin(end, n);
                    block(e, j0, j1)
                })
            } else {
                block(e, zero, n)
            }
        })?;
        let done = self.finish_acc(op, d, &acc);
        let value = self.cast(d, value_dtype, Mode::Scalar, done.value)?;
        Ok(Reduced {
            value,
            index: done.index,
        })
    }

    /// Whether `x` replaces `best` in an arg reduction (first NaN wins; ties keep the first).
    fn arg_better(&mut self, op: ReduceOp, d: DType, x: Value, best: Value) -> Value {
        let max = op == ReduceOp::ArgMax;
        if d.is_real_float() {
            let cc = if max {
                FloatCC::GreaterThan
            } else {
                FloatCC::LessThan
            };
            let strict = self.b.ins().fcmp(cc, x, best);
            let x_nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
            let best_num = self.b.ins().fcmp(FloatCC::Ordered, best, best);
            let nan_wins = self.b.ins().band(x_nan, best_num);
            self.b.ins().bor(strict, nan_wins)
        } else {
            let cc = match (max, d.is_signed_integer()) {
                (true, true) => IntCC::SignedGreaterThan,
                (true, false) => IntCC::UnsignedGreaterThan,
                (false, true) => IntCC::SignedLessThan,
                (false, false) => IntCC::UnsignedLessThan,
            };
            self.b.ins().icmp(cc, x, best)
        }
    }

    /// Runs the epilogue and the stores at outer point `oidx`.
    pub fn finish_point(
        &mut self,
        kernel: &Kernel,
        frame: &Frame,
        oidx: &[Value],
        reduced: &Reduced,
    ) -> R<()> {
        let roots: Vec<ValueId> = kernel.stores.iter().map(|s| s.value).collect();
        let need = needed(kernel, &roots);
        let outer_ptr =
            |e: &mut Self, p: usize| e.offset_ptr(frame.bases[p], oidx, &frame.strides[p], 0);
        let mut params = vec![None; kernel.params.len()];
        for (p, param) in kernel.params.iter().enumerate() {
            if param.access == Access::Read && kernel.param_role(p) == ParamRole::EpilogueRead {
                params[p] = Some(ParamSource::Addr(outer_ptr(self, p)));
            }
        }
        let index = oidx.iter().map(|&v| Some(IndexSource::Fixed(v))).collect();
        let value = match reduced.index {
            Some(i) => V::Real(i),
            None => reduced.value,
        };
        let ctx = Ctx {
            mode: Mode::Scalar,
            params,
            index,
            reduced: Some(value),
        };
        let total = kernel.body.len() + kernel.epilogue.len();
        let mut vals = vec![None; total];
        self.eval(kernel, &ctx, &need, 0..total, &mut vals)?;
        for s in &kernel.stores {
            let v = vals
                .get(s.value.0 as usize)
                .copied()
                .flatten()
                .ok_or_else(|| self.internal("stored value not emitted"))?;
            let addr = outer_ptr(self, s.param);
            self.store(kernel.params[s.param].dtype, Mode::Scalar, addr, v);
        }
        Ok(())
    }

    /// Writes a finished reduction to an accumulator record (see `abi.rs`).
    pub fn write_acc(&mut self, d: DType, reduced: &Reduced, out: Value) {
        self.store(d, Mode::Scalar, out, reduced.value);
        let idx = match reduced.index {
            Some(i) => i,
            None => self.i64c(-1),
        };
        self.b
            .ins()
            .store(MemFlagsData::trusted(), idx, out, ACC_INDEX_OFFSET);
    }

    /// Reads an accumulator record.
    pub fn read_acc(&mut self, d: DType, arg: bool, from: Value) -> Reduced {
        let value = self.load(d, Mode::Scalar, from);
        let index = arg.then(|| {
            self.b
                .ins()
                .load(types::I64, MemFlagsData::trusted(), from, ACC_INDEX_OFFSET)
        });
        Reduced { value, index }
    }
}
