//! Random verified programs, built from a stream of random choices.
//!
//! Invariant: nodes enter the program only through `Program::add` after `kiln_ir::infer`
//! accepted them and their element count is within `GenConfig::max_numel`, so every program
//! verifies and stays small. A choice the builder cannot honour (shapes that do not broadcast, a
//! max over an empty axis, ...) is skipped rather than repaired into something else. Choices are
//! drawn from a vector of integers, so proptest shrinks a failing program by shrinking those
//! integers towards 0 (the simplest option at every decision) and by dropping ops.

use super::GenConfig;
use super::values::{SPECIAL_F32, SPECIAL_F64, arb_realized, arb_shape};
use kiln_ir::{
    BinaryOp, C64, C128, DType, LibOp, NodeId, Op, Program, Realized, ReduceOp, Scalar, ScanOp,
    Shape, SliceAxis, UnaryOp, broadcast_shapes, infer,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// A verified random program: 1-3 random realized inputs (dtypes from the config; shapes with
/// extent-0 and extent-1 axes; special float values; contiguous or strided views), then up to
/// `max_nodes` random ops: unary, binary, where, cast (with casts and broadcasts inserted so
/// operands match), views (reshape, permute, broadcast, slices with negative steps), reductions
/// over random axis sets, scans and matmul, and constants (full, arange, eye). 1-2 outputs: the
/// last node and sometimes an intermediate node that has other consumers.
pub fn arb_program(cfg: GenConfig) -> impl Strategy<Value = Program> {
    let dtypes = cfg.dtypes_or_default();
    let input_spec = (proptest::sample::select(dtypes), arb_shape(&cfg));
    let max_nodes = cfg.max_nodes.max(1);
    vec(input_spec, 1..=3).prop_flat_map(move |specs| {
        let inputs: Vec<_> = specs
            .into_iter()
            .map(|(dtype, shape)| arb_realized(dtype, shape).boxed())
            .collect();
        let cfg = cfg.clone();
        (inputs, vec(any::<u64>(), max_nodes * 8), 1..=max_nodes)
            .prop_map(move |(inputs, choices, ops)| build(&cfg, inputs, &choices, ops))
    })
}

/// Reads decisions from the choice stream; an exhausted stream answers 0 (the simplest option).
struct Chooser<'a> {
    stream: &'a [u64],
    pos: usize,
}

impl Chooser<'_> {
    fn below(&mut self, n: usize) -> usize {
        let v = self.stream.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        if n == 0 { 0 } else { (v % n as u64) as usize }
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            None
        } else {
            Some(items[self.below(items.len())])
        }
    }
}

struct Builder<'a> {
    cfg: &'a GenConfig,
    dtypes: Vec<DType>,
    p: Program,
    ch: Chooser<'a>,
    /// Nodes random ops may use (everything but helper nodes).
    pool: Vec<NodeId>,
}

fn build(cfg: &GenConfig, inputs: Vec<Realized>, choices: &[u64], ops: usize) -> Program {
    let mut b = Builder {
        cfg,
        dtypes: cfg.dtypes_or_default(),
        p: Program::new(),
        ch: Chooser {
            stream: choices,
            pos: 0,
        },
        pool: Vec::new(),
    };
    for input in inputs {
        let id = b.p.add_input(input);
        b.pool.push(id);
    }
    for _ in 0..ops {
        b.random_op();
    }
    b.choose_outputs();
    b.p
}

impl Builder<'_> {
    fn dtype(&self, id: NodeId) -> DType {
        self.p.node(id).dtype
    }

    fn shape(&self, id: NodeId) -> Shape {
        self.p.node(id).shape.clone()
    }

    /// Adds a node if `infer` accepts it and it is small enough.
    fn try_add(&mut self, op: Op, inputs: Vec<NodeId>) -> Option<NodeId> {
        let operands: Vec<(DType, &Shape)> = inputs
            .iter()
            .map(|&i| (self.p.node(i).dtype, &self.p.node(i).shape))
            .collect();
        let info = infer(&op, &operands).ok()?;
        if info.shape.numel() > self.cfg.max_numel() {
            return None;
        }
        self.p.add(op, inputs).ok()
    }

    /// Adds a node the random ops may reuse.
    fn add_to_pool(&mut self, op: Op, inputs: Vec<NodeId>) -> Option<NodeId> {
        let id = self.try_add(op, inputs)?;
        self.pool.push(id);
        Some(id)
    }

    /// An operand, biased towards the most recent node so ops chain.
    fn operand(&mut self) -> NodeId {
        let last = self.pool.len() - 1;
        if self.ch.chance(2) {
            self.pool[last]
        } else {
            self.pool[self.ch.below(self.pool.len())]
        }
    }

    fn random_op(&mut self) {
        let mut kinds = vec![0, 0, 0, 1, 1, 1, 1, 2, 3, 8];
        if self.cfg.allow_views {
            kinds.extend([4, 4, 4]);
        }
        if self.cfg.allow_reduce {
            kinds.extend([5, 5]);
        }
        if self.cfg.allow_library {
            kinds.extend([6, 7, 9, 9]);
        }
        let kind = self.ch.pick(&kinds).unwrap_or(0);
        let _ = match kind {
            0 => self.unary(),
            1 => self.binary(),
            2 => self.where_(),
            3 => self.cast(),
            4 => self.view(),
            5 => self.reduce(),
            6 => self.scan(),
            7 => self.matmul(),
            9 => self.lib_op(),
            _ => self.leaf(),
        };
    }

    fn unary(&mut self) -> Option<NodeId> {
        let x = self.operand();
        let dtype = self.dtype(x);
        let ops: Vec<UnaryOp> = UnaryOp::ALL
            .into_iter()
            .filter(|op| op.result_dtype(dtype).is_some())
            .collect();
        let op = self.ch.pick(&ops)?;
        self.add_to_pool(Op::Unary(op), vec![x])
    }

    fn cast_to(&mut self, x: NodeId, dtype: DType) -> Option<NodeId> {
        if self.dtype(x) == dtype {
            Some(x)
        } else {
            self.try_add(Op::Cast(dtype), vec![x])
        }
    }

    /// Reshapes (prepending 1s) and broadcasts `x` to `target`.
    fn broadcast_to(&mut self, x: NodeId, target: &Shape) -> Option<NodeId> {
        let shape = self.shape(x);
        if shape == *target {
            return Some(x);
        }
        let mut dims = vec![1; target.rank().saturating_sub(shape.rank())];
        dims.extend_from_slice(shape.dims());
        let ranked = Shape(dims);
        let x = if ranked == shape {
            x
        } else {
            self.try_add(Op::Reshape(ranked.clone()), vec![x])?
        };
        if ranked == *target {
            Some(x)
        } else {
            self.try_add(Op::Broadcast(target.clone()), vec![x])
        }
    }

    /// Brings `xs` to one shape by broadcasting; `None` if their shapes do not broadcast.
    fn conform(&mut self, xs: &[NodeId]) -> Option<Vec<NodeId>> {
        let mut target = Shape::scalar();
        for &x in xs {
            target = broadcast_shapes(&target, &self.shape(x)).ok()?;
        }
        xs.iter().map(|&x| self.broadcast_to(x, &target)).collect()
    }

    fn binary(&mut self) -> Option<NodeId> {
        let a = self.operand();
        let b = self.operand();
        let dtype = self.dtype(a);
        let b = self.cast_to(b, dtype)?;
        let pair = self.conform(&[a, b]).unwrap_or_else(|| vec![a, a]);
        let ops: Vec<BinaryOp> = BinaryOp::ALL
            .into_iter()
            .filter(|op| op.result_dtype(dtype).is_some())
            .collect();
        let op = self.ch.pick(&ops)?;
        self.add_to_pool(Op::Binary(op), pair)
    }

    fn where_(&mut self) -> Option<NodeId> {
        let c = self.operand();
        let a = self.operand();
        let b = self.operand();
        let cond = self.cast_to(c, DType::Bool)?;
        let b = self.cast_to(b, self.dtype(a))?;
        let all = self.conform(&[cond, a, b])?;
        self.add_to_pool(Op::Where, all)
    }

    fn cast(&mut self) -> Option<NodeId> {
        let x = self.operand();
        let mut targets = self.dtypes.clone();
        targets.push(DType::Bool);
        let to = self.ch.pick(&targets)?;
        self.add_to_pool(Op::Cast(to), vec![x])
    }

    fn view(&mut self) -> Option<NodeId> {
        let x = self.operand();
        let shape = self.shape(x);
        let rank = shape.rank();
        let op = match self.ch.below(4) {
            0 => Op::Reshape(self.reshape_target(&shape)),
            1 => {
                let mut perm: Vec<usize> = (0..rank).collect();
                for i in (1..rank).rev() {
                    let j = self.ch.below(i + 1);
                    perm.swap(i, j);
                }
                Op::Permute(perm)
            }
            2 => {
                let x = if shape.dims().contains(&1) || rank >= self.cfg.max_rank.max(1) {
                    x
                } else {
                    let at = self.ch.below(rank + 1);
                    let mut dims = shape.0.clone();
                    dims.insert(at, 1);
                    self.try_add(Op::Reshape(Shape(dims)), vec![x])?
                };
                let from = self.shape(x);
                let to = Shape(
                    from.dims()
                        .iter()
                        .map(|&d| {
                            if d == 1 {
                                self.ch.below(self.cfg.max_dim + 1)
                            } else {
                                d
                            }
                        })
                        .collect(),
                );
                return self.add_to_pool(Op::Broadcast(to), vec![x]);
            }
            _ => Op::Slice(shape.dims().iter().map(|&d| self.slice_axis(d)).collect()),
        };
        self.add_to_pool(op, vec![x])
    }

    fn reshape_target(&mut self, shape: &Shape) -> Shape {
        let dims = shape.dims();
        match self.ch.below(4) {
            0 => Shape(vec![shape.numel()]),
            1 if dims.len() < self.cfg.max_rank.max(1) => {
                let mut d = dims.to_vec();
                d.insert(self.ch.below(dims.len() + 1), 1);
                Shape(d)
            }
            2 if dims.len() >= 2 => {
                let at = self.ch.below(dims.len() - 1);
                let mut d = dims.to_vec();
                let merged = d[at] * d[at + 1];
                d.splice(at..at + 2, [merged]);
                Shape(d)
            }
            _ => {
                // Split an axis into two factors (the trivial split `d = d * 1` included).
                let Some(at) = (!dims.is_empty()).then(|| self.ch.below(dims.len())) else {
                    return Shape(vec![1]);
                };
                let d = dims[at];
                let divisors: Vec<usize> = (1..=d).filter(|f| d.is_multiple_of(*f)).collect();
                let f = self.ch.pick(&divisors).unwrap_or(1);
                let mut out = dims.to_vec();
                out.splice(at..at + 1, [f, d / f]);
                Shape(out)
            }
        }
    }

    fn slice_axis(&mut self, dim: usize) -> SliceAxis {
        if dim == 0 {
            return SliceAxis {
                start: 0,
                step: 1,
                len: 0,
            };
        }
        let step = self.ch.pick(&[1isize, -1, 2, -2, 3]).unwrap_or(1);
        let start = self.ch.below(dim);
        let max_len = if step > 0 {
            (dim - start).div_ceil(step as usize)
        } else {
            start / step.unsigned_abs() + 1
        };
        let len = if self.ch.chance(6) {
            self.ch.below(max_len + 1)
        } else {
            max_len
        };
        SliceAxis { start, step, len }
    }

    fn reduce(&mut self) -> Option<NodeId> {
        let x = self.operand();
        let dtype = self.dtype(x);
        let rank = self.shape(x).rank();
        let ops: Vec<ReduceOp> = [
            ReduceOp::Sum,
            ReduceOp::Prod,
            ReduceOp::Max,
            ReduceOp::Min,
            ReduceOp::Any,
            ReduceOp::All,
            ReduceOp::ArgMax,
            ReduceOp::ArgMin,
        ]
        .into_iter()
        .filter(|op| op.result_dtype(dtype).is_some())
        .collect();
        let op = self.ch.pick(&ops)?;
        let axes: Vec<usize> = if op.is_arg() {
            if rank == 0 {
                return None;
            }
            vec![self.ch.below(rank)]
        } else {
            (0..rank).filter(|_| self.ch.chance(2)).collect()
        };
        self.add_to_pool(Op::Reduce { op, axes }, vec![x])
    }

    fn scan(&mut self) -> Option<NodeId> {
        let x = self.operand();
        let rank = self.shape(x).rank();
        if rank == 0 {
            return None;
        }
        let op = if self.ch.chance(2) {
            ScanOp::Sum
        } else {
            ScanOp::Prod
        };
        let axis = self.ch.below(rank);
        self.add_to_pool(Op::Scan { op, axis }, vec![x])
    }

    /// `x @ swap_last_two(y)` where `y` is `x` or another node of the same dtype and shape.
    fn matmul(&mut self) -> Option<NodeId> {
        let x = self.operand();
        let shape = self.shape(x);
        let x = if shape.rank() < 2 {
            self.try_add(Op::Reshape(Shape(vec![1, shape.numel()])), vec![x])?
        } else {
            x
        };
        let (dtype, shape) = (self.dtype(x), self.shape(x));
        let twins: Vec<NodeId> = self
            .pool
            .iter()
            .copied()
            .filter(|&n| self.dtype(n) == dtype && self.shape(n) == shape)
            .collect();
        let y = self.ch.pick(&twins).unwrap_or(x);
        let r = shape.rank();
        let mut perm: Vec<usize> = (0..r).collect();
        perm.swap(r - 2, r - 1);
        let yt = self.try_add(Op::Permute(perm), vec![y])?;
        self.add_to_pool(Op::MatMul, vec![x, yt])
    }

    /// A data-movement library op: concat, take (with in-range arange indices), sort, argsort,
    /// take_along_axis (with argsort indices) or searchsorted (into a sorted flattening).
    fn lib_op(&mut self) -> Option<NodeId> {
        let x = self.operand();
        let shape = self.shape(x);
        let rank = shape.rank();
        if rank == 0 {
            return None;
        }
        let axis = self.ch.below(rank);
        let descending = self.ch.chance(2);
        match self.ch.below(6) {
            0 => {
                let (dtype, shape) = (self.dtype(x), self.shape(x));
                let twins: Vec<NodeId> = self
                    .pool
                    .iter()
                    .copied()
                    .filter(|&n| self.dtype(n) == dtype && self.shape(n) == shape)
                    .collect();
                let y = self.ch.pick(&twins).unwrap_or(x);
                let n = 2 + self.ch.below(2);
                let parts = [x, y, x][..n].to_vec();
                self.add_to_pool(Op::Lib(LibOp::Concat { axis, n }), parts)
            }
            1 => {
                let n = shape.dims()[axis] as i64;
                if n == 0 {
                    return None;
                }
                let len = self.ch.below(n as usize + 2) as i64;
                let step = self.ch.below(3) as i64 - 1;
                // Keep every `start + i*step` (i < len) inside -n..n.
                let (lo, hi) = match step {
                    1 => (-n, n - len),
                    -1 => (len - 1 - n, n - 1),
                    _ => (-n, n - 1),
                };
                if lo > hi {
                    return None;
                }
                let start = lo + self.ch.below((hi - lo + 1) as usize) as i64;
                let idx = self.try_add(
                    Op::Arange {
                        start: Scalar::I64(start),
                        step: Scalar::I64(step),
                        len: len as usize,
                    },
                    vec![],
                )?;
                self.add_to_pool(Op::Lib(LibOp::Take { axis }), vec![x, idx])
            }
            2 => self.add_to_pool(Op::Lib(LibOp::Sort { axis, descending }), vec![x]),
            3 => self.add_to_pool(Op::Lib(LibOp::ArgSort { axis, descending }), vec![x]),
            4 => {
                let order = self.try_add(Op::Lib(LibOp::ArgSort { axis, descending }), vec![x])?;
                self.add_to_pool(Op::Lib(LibOp::TakeAlongAxis { axis }), vec![x, order])
            }
            _ => {
                let flat = self.try_add(Op::Reshape(Shape(vec![shape.numel()])), vec![x])?;
                let sorted = self.try_add(
                    Op::Lib(LibOp::Sort {
                        axis: 0,
                        descending: false,
                    }),
                    vec![flat],
                )?;
                let dtype = self.dtype(x);
                let others: Vec<NodeId> = self
                    .pool
                    .iter()
                    .copied()
                    .filter(|&n| self.dtype(n) == dtype)
                    .collect();
                let v = self.ch.pick(&others).unwrap_or(x);
                let right = self.ch.chance(2);
                self.add_to_pool(Op::Lib(LibOp::SearchSorted { right }), vec![sorted, v])
            }
        }
    }

    fn leaf(&mut self) -> Option<NodeId> {
        let dtype = self.ch.pick(&self.dtypes.clone())?;
        let n = self.cfg.max_dim;
        match self.ch.below(3) {
            0 => {
                let like = self.operand();
                let shape = if self.ch.chance(2) {
                    Shape::scalar()
                } else {
                    self.shape(like)
                };
                let value = self.constant(dtype);
                self.add_to_pool(Op::Full(value, shape), vec![])
            }
            // Aranges are real-valued only (kiln-ir rejects complex ones).
            1 if !dtype.is_complex() => {
                let start = self.constant(dtype);
                let step = self.constant(dtype);
                let len = self.ch.below(n + 1);
                self.add_to_pool(Op::Arange { start, step, len }, vec![])
            }
            _ => {
                let k = self.ch.below(5) as i64 - 2;
                let (rows, cols) = (self.ch.below(n + 1), self.ch.below(n + 1));
                self.add_to_pool(
                    Op::Eye {
                        rows,
                        cols,
                        k,
                        dtype,
                    },
                    vec![],
                )
            }
        }
    }

    /// A constant of `dtype`: small integers or special float values.
    fn constant(&mut self, dtype: DType) -> Scalar {
        let i = self.ch.below(SPECIAL_F64.len());
        let small = self.ch.below(7) as i64 - 3;
        match dtype {
            DType::F32 => Scalar::F32(SPECIAL_F32[i]),
            DType::F64 => Scalar::F64(SPECIAL_F64[i]),
            DType::C64 => Scalar::C64(C64::new(SPECIAL_F32[i], small as f32)),
            DType::C128 => Scalar::C128(C128::new(SPECIAL_F64[i], small as f64)),
            DType::Bool => Scalar::Bool(small > 0),
            int => {
                let extremes = [i64::MIN, i64::MAX, -1, 0, 1, small, small, small];
                Scalar::from_i64(extremes[i % extremes.len()], int)
            }
        }
    }

    /// The last node, and sometimes an intermediate node that has other consumers.
    fn choose_outputs(&mut self) {
        let last = self.pool[self.pool.len() - 1];
        self.p.outputs.push(last);
        if self.ch.chance(2) {
            let consumers = self.p.consumers();
            let shared: Vec<NodeId> = self
                .pool
                .iter()
                .copied()
                .filter(|&n| n != last && !consumers[n.index()].is_empty())
                .collect();
            if let Some(extra) = self.ch.pick(&shared) {
                self.p.outputs.push(extra);
            }
        }
    }
}
