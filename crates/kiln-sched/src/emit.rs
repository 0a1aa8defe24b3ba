//! From a lowered group to a verified `KernelStep`: dimension collapsing, then kernel IR.
//!
//! Collapsing makes kernels depend on layout classes, not on shapes: within the outer group and
//! within the reduce group of dims, extent-1 dims are dropped and adjacent dims `d, d+1` merge when
//! every affine row of the kernel (parameter layouts and generator coordinates) has
//! `stride[d] == stride[d+1] * extent[d+1]`. So a contiguous 2-D elementwise op becomes the same
//! rank-1 kernel as the 1-D one. Invariants: the IR contains no extent (sizes and strides are in
//! the `LaunchGeometry` only; generator coefficients are view strides of generators); a reducing
//! kernel keeps at least one reduce dim; every parameter's `InnerStride` matches its geometry.

use crate::error::SchedError;
use crate::lower::{Arena, LId, LInst, LKernel, Region};
use kiln_ir::{
    Access, BinaryOp, DType, InnerStride, Inst, Kernel, KernelStep, LaunchGeometry, NodeId, Param,
    ParamLayout, Reduction, Scalar, Store, Value, ValueId,
};
use std::collections::HashMap;

/// One dim of the collapsed space: its extent and the original dim whose strides it keeps.
#[derive(Clone, Copy, Debug)]
struct NewDim {
    extent: usize,
    inner: Option<usize>,
}

fn collapse(dims: &[usize], extents: &[usize], rows: &[&[isize]], keep_one: bool) -> Vec<NewDim> {
    if dims.iter().any(|&d| extents[d] == 0) {
        return vec![NewDim {
            extent: 0,
            inner: None,
        }];
    }
    let mut out: Vec<NewDim> = Vec::new();
    for &d in dims.iter().filter(|&&d| extents[d] != 1) {
        let mergeable = out
            .last()
            .and_then(|cur| cur.inner)
            .is_some_and(|c| rows.iter().all(|r| r[c] == r[d] * extents[d] as isize));
        match out.last_mut() {
            Some(cur) if mergeable => {
                cur.extent *= extents[d];
                cur.inner = Some(d);
            }
            _ => out.push(NewDim {
                extent: extents[d],
                inner: Some(d),
            }),
        }
    }
    if out.is_empty() && keep_one {
        out.push(NewDim {
            extent: 1,
            inner: None,
        });
    }
    out
}

fn new_row(row: &[isize], dims: &[NewDim]) -> Vec<isize> {
    dims.iter().map(|d| d.inner.map_or(0, |i| row[i])).collect()
}

pub fn emit(
    l: &LKernel,
    name: String,
    buffers: Vec<kiln_ir::BufferRef>,
) -> Result<KernelStep, SchedError> {
    let coord_rows = |a: &Arena| -> Vec<Vec<isize>> {
        a.values
            .iter()
            .filter_map(|(inst, _)| match inst {
                LInst::Coord { coefs, .. } => Some(coefs.clone()),
                _ => None,
            })
            .collect()
    };
    let mut rows: Vec<Vec<isize>> = l.params.iter().map(|p| p.layout.coefs[0].clone()).collect();
    rows.extend(coord_rows(&l.body));
    rows.extend(coord_rows(&l.epilogue));
    let row_refs: Vec<&[isize]> = rows.iter().map(|r| r.as_slice()).collect();
    let outer: Vec<usize> = (0..l.outer_rank).collect();
    let inner: Vec<usize> = (l.outer_rank..l.space.len()).collect();
    let outer_dims = collapse(&outer, &l.space, &row_refs, false);
    let reduce_dims = match l.reduce {
        Some(_) => collapse(&inner, &l.space, &row_refs, true),
        None => Vec::new(),
    };
    let new_dims: Vec<NewDim> = outer_dims.iter().chain(&reduce_dims).copied().collect();
    let extents: Vec<usize> = new_dims.iter().map(|d| d.extent).collect();
    let outer_rank = outer_dims.len();
    let space_empty = extents.contains(&0);
    let outer_empty = extents[..outer_rank].contains(&0);

    let mut params = Vec::with_capacity(l.params.len());
    let mut layouts = Vec::with_capacity(l.params.len());
    for (i, p) in l.params.iter().enumerate() {
        let strides = new_row(&p.layout.coefs[0], &new_dims);
        let reads_body = p.access == Access::Read && p.region == Region::Body;
        let (empty, inner_dim) = if reads_body {
            (space_empty, extents.len().checked_sub(1))
        } else {
            (outer_empty, outer_rank.checked_sub(1))
        };
        let offset = if empty {
            0
        } else {
            usize::try_from(p.layout.offset[0]).map_err(|_| {
                SchedError::internal(NodeId(0), format!("param {i} has a negative offset"))
            })?
        };
        let inner = match inner_dim {
            Some(d) if extents[d] > 1 => match strides[d] {
                1 => InnerStride::Unit,
                0 => InnerStride::Zero,
                _ => InnerStride::Any,
            },
            _ => InnerStride::Unit,
        };
        params.push(Param {
            dtype: p.dtype,
            access: p.access,
            inner,
        });
        layouts.push(ParamLayout { offset, strides });
    }

    let mut out = Emitter::default();
    let body_map = out.translate(&l.body, &new_dims);
    out.body_len = out.values.len();
    out.interned.clear();
    let epilogue_map = out.translate(&l.epilogue, &new_dims);
    let (body, epilogue) = {
        let mut values = out.values;
        let epilogue = values.split_off(out.body_len);
        (values, epilogue)
    };
    let reduce = l.reduce.map(|(op, v)| Reduction {
        op,
        value: body_map[v.0 as usize],
        dims: reduce_dims.len(),
    });
    let store_map = if l.reduce.is_some() {
        &epilogue_map
    } else {
        &body_map
    };
    let stores = l
        .stores
        .iter()
        .map(|&(param, v)| Store {
            param,
            value: store_map[v.0 as usize],
        })
        .collect();
    let kernel = Kernel {
        name,
        params,
        outer_rank,
        body,
        reduce,
        epilogue,
        stores,
    };
    Ok(KernelStep {
        kernel,
        geometry: LaunchGeometry {
            dims: extents,
            params: layouts,
        },
        buffers,
    })
}

#[derive(Default)]
struct Emitter {
    values: Vec<Value>,
    body_len: usize,
    interned: HashMap<Value, ValueId>,
}

impl Emitter {
    fn push(&mut self, inst: Inst, dtype: DType) -> ValueId {
        let v = Value { inst, dtype };
        if let Some(id) = self.interned.get(&v) {
            return *id;
        }
        let id = ValueId(self.values.len() as u32);
        self.values.push(v.clone());
        self.interned.insert(v, id);
        id
    }

    /// Translates one region; returns the new id of each local value.
    fn translate(&mut self, arena: &Arena, dims: &[NewDim]) -> Vec<ValueId> {
        let mut map: Vec<ValueId> = Vec::with_capacity(arena.values.len());
        for (inst, dtype) in &arena.values {
            let m = |id: &LId| map[id.0 as usize];
            let id = match inst {
                LInst::Load { param } => self.push(Inst::Load { param: *param }, *dtype),
                LInst::Const(s) => self.push(Inst::Const(*s), *dtype),
                LInst::Coord { offset, coefs } => self.coord(*offset, &new_row(coefs, dims), dims),
                LInst::Unary { op, arg } => self.push(
                    Inst::Unary {
                        op: *op,
                        arg: m(arg),
                    },
                    *dtype,
                ),
                LInst::Binary { op, lhs, rhs } => self.push(
                    Inst::Binary {
                        op: *op,
                        lhs: m(lhs),
                        rhs: m(rhs),
                    },
                    *dtype,
                ),
                LInst::Select {
                    cond,
                    then,
                    otherwise,
                } => self.push(
                    Inst::Select {
                        cond: m(cond),
                        then: m(then),
                        otherwise: m(otherwise),
                    },
                    *dtype,
                ),
                LInst::Cast { arg, to } => self.push(
                    Inst::Cast {
                        arg: m(arg),
                        to: *to,
                    },
                    *dtype,
                ),
                LInst::Reduced => self.push(Inst::Reduced, *dtype),
            };
            map.push(id);
        }
        map
    }

    /// `offset + sum coefs[d] * index[d]` as i64 index arithmetic over the collapsed dims.
    fn coord(&mut self, offset: isize, coefs: &[isize], dims: &[NewDim]) -> ValueId {
        let mut acc: Option<ValueId> = None;
        for (d, (&c, dim)) in coefs.iter().zip(dims).enumerate() {
            if c == 0 || dim.extent <= 1 {
                continue;
            }
            let mut term = self.push(Inst::Index { dim: d }, DType::I64);
            if c != 1 {
                let k = self.push(Inst::Const(Scalar::I64(c as i64)), DType::I64);
                term = self.binary(BinaryOp::Mul, term, k);
            }
            acc = Some(match acc {
                None => term,
                Some(a) => self.binary(BinaryOp::Add, a, term),
            });
        }
        match acc {
            None => self.push(Inst::Const(Scalar::I64(offset as i64)), DType::I64),
            Some(a) if offset == 0 => a,
            Some(a) => {
                let k = self.push(Inst::Const(Scalar::I64(offset as i64)), DType::I64);
                self.binary(BinaryOp::Add, a, k)
            }
        }
    }

    fn binary(&mut self, op: BinaryOp, lhs: ValueId, rhs: ValueId) -> ValueId {
        self.push(Inst::Binary { op, lhs, rhs }, DType::I64)
    }
}
