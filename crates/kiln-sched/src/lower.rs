//! Lowering of one kernel group to a local loop-nest IR over its uncollapsed iteration space.
//!
//! The local IR is the kernel IR with two differences that let `emit` collapse dimensions first:
//! parameter layouts are affine rows over the uncollapsed space, and generator coordinates are
//! `Coord` rows instead of index arithmetic. Values are interned per region, so equal subterms
//! (the same load, the same op on the same values) are computed once. Invariants: a group member
//! is read from registers only at the point where it is computed (else it is an internal error);
//! every other buffer is loaded through a parameter whose layout is the composed view.

use crate::affine::{Affine, Transform, apply_ctx};
use crate::error::SchedError;
use crate::group::{GroupKind, Groups};
use crate::realize::{Mat, Plan, buffer_affine};
use kiln_ir::{
    Access, BinaryOp, BufferRef, DType, NodeId, Op, Program, ReduceOp, Scalar, Shape, UnaryOp,
};
use petgraph::graph::NodeIndex;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Region {
    /// Evaluated at every point of the whole space.
    Body,
    /// Evaluated once per outer point of a reducing kernel.
    Epilogue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LId(pub u32);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LInst {
    Load {
        param: usize,
    },
    Const(Scalar),
    /// `offset + sum_d coefs[d] * index[d]` (as i64) over the uncollapsed space.
    Coord {
        offset: isize,
        coefs: Vec<isize>,
    },
    Unary {
        op: UnaryOp,
        arg: LId,
    },
    Binary {
        op: BinaryOp,
        lhs: LId,
        rhs: LId,
    },
    Select {
        cond: LId,
        then: LId,
        otherwise: LId,
    },
    Cast {
        arg: LId,
        to: DType,
    },
    Reduced,
}

#[derive(Clone, Debug, Default)]
pub struct Arena {
    pub values: Vec<(LInst, DType)>,
    interned: HashMap<(LInst, DType), LId>,
}

impl Arena {
    fn push(&mut self, inst: LInst, dtype: DType) -> LId {
        let key = (inst, dtype);
        if let Some(id) = self.interned.get(&key) {
            return *id;
        }
        let id = LId(self.values.len() as u32);
        self.values.push(key.clone());
        self.interned.insert(key, id);
        id
    }
}

#[derive(Clone, Debug)]
pub struct LParam {
    pub dtype: DType,
    pub access: Access,
    /// Where it is read (write params are at outer points, like the epilogue).
    pub region: Region,
    pub buffer: BufferRef,
    /// One row over the uncollapsed space.
    pub layout: Affine,
}

#[derive(Clone, Debug)]
pub struct LKernel {
    pub space: Vec<usize>,
    pub outer_rank: usize,
    pub params: Vec<LParam>,
    pub body: Arena,
    pub epilogue: Arena,
    pub reduce: Option<(ReduceOp, LId)>,
    /// `(param, value)`: epilogue values in a reducing kernel, else body values.
    pub stores: Vec<(usize, LId)>,
    /// Op names in emission order, for the kernel's readable name.
    pub op_names: Vec<&'static str>,
}

/// What a group needs from the rest of the schedule to be lowered.
pub struct Env<'a> {
    pub p: &'a Program,
    pub plan: &'a Plan,
    pub groups: &'a Groups,
    pub temp_of: &'a [Option<usize>],
}

pub fn lower_group(env: &Env, g: NodeIndex) -> Result<LKernel, SchedError> {
    let group = &env.groups.graph[g];
    let first = group.members[0];
    let p = env.p;
    let (space, outer, reduce_node) = match &group.kind {
        GroupKind::Map { space } => (space.0.clone(), space.clone(), None),
        GroupKind::Reduce { node, outer } => {
            let Op::Reduce { axes, .. } = &p.node(*node).op else {
                return Err(SchedError::internal(
                    *node,
                    "reduce group of a non-reduce node",
                ));
            };
            let input = &p.node(p.node(*node).inputs[0]).shape;
            let mut space = outer.0.clone();
            space.extend(axes.iter().map(|&a| input.0[a]));
            (space, outer.clone(), Some(*node))
        }
        GroupKind::Library { .. } => {
            return Err(SchedError::internal(
                first,
                "library group lowered as a kernel",
            ));
        }
    };
    let mut l = Lowerer {
        env,
        group: g,
        space_rank: space.len(),
        outer,
        reduce_node,
        body: Arena::default(),
        epilogue: Arena::default(),
        params: Vec::new(),
        param_index: HashMap::new(),
        memo: HashMap::new(),
        member_values: HashMap::new(),
        op_names: Vec::new(),
    };
    let mut reduce = None;
    if let Some(r) = reduce_node {
        let node = p.node(r);
        let Op::Reduce { op, axes } = &node.op else {
            return Err(SchedError::internal(r, "reduce group of a non-reduce node"));
        };
        let input = node.inputs[0];
        let rank = p.node(input).shape.rank();
        let mut dims_of = vec![0; rank];
        let kept = (0..rank).filter(|d| !axes.contains(d));
        for (i, d) in kept.chain(axes.iter().copied()).enumerate() {
            dims_of[d] = i;
        }
        l.op_names.push(op.name());
        let ctx = vec![Transform::Space {
            dims_of,
            rank: l.space_rank,
        }];
        let value = l.lower(input, &ctx, Region::Body)?;
        reduce = Some((*op, value));
    }
    let mut stores = Vec::new();
    // Members in program order: each one's member operands are then already memoised, so the
    // lowering recursion never runs deeper than one member's inlined chain (`MAX_FUSED_DEPTH`).
    let mut members = group.members.clone();
    members.sort_unstable();
    for &m in &members {
        l.member_value(m)?;
    }
    for &m in &members {
        if !env.groups.stored[m.index()] {
            continue;
        }
        let value = l.member_value(m)?;
        let Some(t) = env.temp_of[m.index()] else {
            return Err(SchedError::internal(m, "stored member has no temporary"));
        };
        let layout = l.store_layout();
        let param = l.params.len();
        l.params.push(LParam {
            dtype: p.node(m).dtype,
            access: Access::Write,
            region: l.member_region(),
            buffer: BufferRef::Temp(t),
            layout,
        });
        stores.push((param, value));
    }
    Ok(LKernel {
        outer_rank: l.outer.rank(),
        space,
        params: l.params,
        body: l.body,
        epilogue: l.epilogue,
        reduce,
        stores,
        op_names: l.op_names,
    })
}

type MemoKey = (Region, NodeId, Vec<Transform>);

struct Lowerer<'a> {
    env: &'a Env<'a>,
    group: NodeIndex,
    space_rank: usize,
    /// Shape of the points where members are computed (the outer dims of the space).
    outer: Shape,
    reduce_node: Option<NodeId>,
    body: Arena,
    epilogue: Arena,
    params: Vec<LParam>,
    param_index: HashMap<(Region, BufferRef, Affine), usize>,
    memo: HashMap<MemoKey, LId>,
    member_values: HashMap<NodeId, LId>,
    op_names: Vec<&'static str>,
}

impl Lowerer<'_> {
    fn member_region(&self) -> Region {
        if self.reduce_node.is_some() {
            Region::Epilogue
        } else {
            Region::Body
        }
    }

    fn outer_space(&self) -> Transform {
        Transform::Space {
            dims_of: (0..self.outer.rank()).collect(),
            rank: self.space_rank,
        }
    }

    /// Where members are stored: row-major over the outer dims.
    fn store_layout(&self) -> Affine {
        Affine::contiguous(&self.outer)
            .into_space(&(0..self.outer.rank()).collect::<Vec<_>>(), self.space_rank)
    }

    fn arena(&mut self, region: Region) -> &mut Arena {
        match region {
            Region::Body => &mut self.body,
            Region::Epilogue => &mut self.epilogue,
        }
    }

    fn push(&mut self, region: Region, inst: LInst, dtype: DType) -> LId {
        self.arena(region).push(inst, dtype)
    }

    fn member_value(&mut self, m: NodeId) -> Result<LId, SchedError> {
        if let Some(v) = self.member_values.get(&m) {
            return Ok(*v);
        }
        let region = self.member_region();
        let v = if Some(m) == self.reduce_node {
            self.push(region, LInst::Reduced, self.env.p.node(m).dtype)
        } else {
            let shape = &self.env.p.node(m).shape;
            let mut ctx = vec![self.outer_space()];
            if *shape != self.outer {
                ctx.push(Transform::Reshape {
                    from: shape.clone(),
                    to: self.outer.clone(),
                });
            }
            self.define(m, &ctx, region)?
        };
        self.member_values.insert(m, v);
        Ok(v)
    }

    fn lower(&mut self, n: NodeId, ctx: &[Transform], region: Region) -> Result<LId, SchedError> {
        let key = (region, n, ctx.to_vec());
        if let Some(v) = self.memo.get(&key) {
            return Ok(*v);
        }
        let env = self.env;
        let v = match env.plan.mat[n.index()] {
            Mat::Inline => self.define(n, ctx, region)?,
            Mat::Input(slot) => {
                let a = self.leaf(n, ctx, &buffer_affine(env.p, &env.plan.mat, n))?;
                self.load(region, BufferRef::Input(slot), env.p.node(n).dtype, a)
            }
            Mat::Temp => {
                let a = self.leaf(n, ctx, &Affine::contiguous(&env.p.node(n).shape))?;
                if env.groups.group_of[n.index()] == Some(self.group) {
                    if region != self.member_region() || !self.at_store_point(&a) {
                        return Err(SchedError::internal(n, "group member read off its point"));
                    }
                    self.member_value(n)?
                } else {
                    let Some(t) = env.temp_of[n.index()] else {
                        return Err(SchedError::internal(n, "temp read before it is planned"));
                    };
                    self.load(region, BufferRef::Temp(t), env.p.node(n).dtype, a)
                }
            }
        };
        self.memo.insert(key, v);
        Ok(v)
    }

    fn leaf(&self, n: NodeId, ctx: &[Transform], a: &Affine) -> Result<Affine, SchedError> {
        apply_ctx(ctx, a).ok_or_else(|| SchedError::internal(n, "view is not expressible"))
    }

    fn at_store_point(&self, a: &Affine) -> bool {
        let want = self.store_layout();
        let space = self.outer.0.iter().copied();
        a.offset == want.offset
            && a.coefs[0]
                .iter()
                .zip(&want.coefs[0])
                .zip(space.chain(std::iter::repeat(usize::MAX)))
                .all(|((&c, &w), d)| d <= 1 || c == w)
            || self.outer.numel() == 0
    }

    fn load(&mut self, region: Region, buffer: BufferRef, dtype: DType, layout: Affine) -> LId {
        let key = (region, buffer, layout);
        let param = match self.param_index.get(&key) {
            Some(p) => *p,
            None => {
                let p = self.params.len();
                self.params.push(LParam {
                    dtype,
                    access: Access::Read,
                    region,
                    buffer,
                    layout: key.2.clone(),
                });
                self.param_index.insert(key, p);
                p
            }
        };
        self.push(region, LInst::Load { param }, dtype)
    }

    fn coord(
        &mut self,
        n: NodeId,
        ctx: &[Transform],
        region: Region,
        rank: usize,
    ) -> Result<Vec<LId>, SchedError> {
        let a = self.leaf(n, ctx, &Affine::identity(rank))?;
        Ok((0..rank)
            .map(|row| {
                let inst = LInst::Coord {
                    offset: a.offset[row],
                    coefs: a.coefs[row].clone(),
                };
                self.push(region, inst, DType::I64)
            })
            .collect())
    }

    /// Evaluates a node's own op (not reading its buffer, even if it has one).
    fn define(&mut self, n: NodeId, ctx: &[Transform], region: Region) -> Result<LId, SchedError> {
        let p = self.env.p;
        let node = p.node(n);
        let dtype = node.dtype;
        let arg = |i: usize| {
            node.inputs
                .get(i)
                .copied()
                .ok_or_else(|| SchedError::internal(n, "missing operand"))
        };
        let v = match &node.op {
            Op::Input(slot) => {
                let a = self.leaf(n, ctx, &Affine::of_view(&p.inputs[*slot].view))?;
                self.op_names.push("copy");
                self.load(region, BufferRef::Input(*slot), dtype, a)
            }
            Op::Full(value, _) => self.push(region, LInst::Const(*value), dtype),
            Op::Arange { start, step, .. } => {
                let i = self.coord(n, ctx, region, 1)?[0];
                self.op_names.push("arange");
                self.arange(region, *start, *step, i)
            }
            Op::Eye { k, .. } => {
                let rc = self.coord(n, ctx, region, 2)?;
                self.op_names.push("eye");
                let diff = self.binary(region, BinaryOp::Sub, rc[1], rc[0], DType::I64);
                let k = self.push(region, LInst::Const(Scalar::I64(*k)), DType::I64);
                let on = self.binary(region, BinaryOp::Eq, diff, k, DType::Bool);
                self.cast(region, on, DType::Bool, dtype)
            }
            Op::Unary(op) => {
                let a = self.lower(arg(0)?, ctx, region)?;
                self.op_names.push(op.name());
                self.push(region, LInst::Unary { op: *op, arg: a }, dtype)
            }
            Op::Binary(op) => {
                let a = self.lower(arg(0)?, ctx, region)?;
                let b = self.lower(arg(1)?, ctx, region)?;
                self.op_names.push(op.name());
                self.binary(region, *op, a, b, dtype)
            }
            Op::Where => {
                let c = self.lower(arg(0)?, ctx, region)?;
                let a = self.lower(arg(1)?, ctx, region)?;
                let b = self.lower(arg(2)?, ctx, region)?;
                self.op_names.push("where");
                let inst = LInst::Select {
                    cond: c,
                    then: a,
                    otherwise: b,
                };
                self.push(region, inst, dtype)
            }
            Op::Cast(to) => {
                let o = arg(0)?;
                let a = self.lower(o, ctx, region)?;
                self.op_names.push("cast");
                self.cast(region, a, p.node(o).dtype, *to)
            }
            Op::Reshape(_) | Op::Permute(_) | Op::Broadcast(_) | Op::Slice(_) => {
                let o = arg(0)?;
                let Some(t) = Transform::of_op(&node.op, &p.node(o).shape) else {
                    return Err(SchedError::internal(n, "movement op without a transform"));
                };
                let mut inner = ctx.to_vec();
                inner.push(t);
                self.lower(o, &inner, region)?
            }
            Op::Reduce { .. } | Op::Scan { .. } | Op::MatMul | Op::Lib(_) => {
                return Err(SchedError::internal(n, "reduction or library op inlined"));
            }
        };
        Ok(v)
    }

    fn binary(&mut self, region: Region, op: BinaryOp, lhs: LId, rhs: LId, dtype: DType) -> LId {
        self.push(region, LInst::Binary { op, lhs, rhs }, dtype)
    }

    fn cast(&mut self, region: Region, arg: LId, from: DType, to: DType) -> LId {
        if from == to {
            return arg;
        }
        self.push(region, LInst::Cast { arg, to }, to)
    }

    /// `start + i * step` exactly as the reference computes it: wrapping i64 arithmetic
    /// truncated to integer dtypes, f64 (complex128) arithmetic rounded once for floats.
    fn arange(&mut self, region: Region, start: Scalar, step: Scalar, i: LId) -> LId {
        let dtype = start.dtype();
        let wide = if dtype.is_complex() {
            DType::C128
        } else if dtype.is_real_float() {
            DType::F64
        } else {
            DType::I64
        };
        let (start, step) = (start.cast(wide), step.cast(wide));
        let i = self.cast(region, i, DType::I64, wide);
        let step = self.push(region, LInst::Const(step), wide);
        let scaled = self.binary(region, BinaryOp::Mul, i, step, wide);
        let start = self.push(region, LInst::Const(start), wide);
        let sum = self.binary(region, BinaryOp::Add, start, scaled, wide);
        self.cast(region, sum, wide, dtype)
    }
}
