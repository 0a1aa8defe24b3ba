//! Kernel IR: one fused loop nest over an index space, shared by every code generator.
//!
//! A kernel iterates a space of `outer_rank + reduce.dims` dimensions whose extents arrive at run
//! time (`LaunchGeometry`), outer dimensions first. The `body` is evaluated at every point of the
//! whole space; with a `reduce`, its `value` is combined over the reduce dimensions and the
//! `epilogue` is evaluated once per outer point, where `Inst::Reduced` is the combined value.
//! `stores` write values at outer points.
//!
//! Invariants (checked by `Kernel::verify`):
//! - values are SSA: an operand always refers to an earlier value; body values never refer to
//!   epilogue values; `Reduced` appears only in the epilogue; an epilogue value may use a body
//!   value only if that value does not vary along the reduce dimensions (a constant or an index
//!   of an outer dimension); backends and the interpreter may reject anything else;
//! - a parameter is read in the body, read in the epilogue, or written by stores: one role each;
//! - a write parameter is stored to exactly once, and written parameters are never read;
//! - every value's dtype is what `op::UnaryOp/BinaryOp::result_dtype` give for its operands.
//!
//! Codegen never sees the array graph: everything a backend needs is in this file's types. Sizes
//! and strides are run-time arguments, so a new length never needs a new kernel; the kernel is
//! specialised only on dtypes, ranks and each parameter's `InnerStride` class.

use crate::dtype::DType;
use crate::error::IrError;
use crate::op::{BinaryOp, ReduceOp, UnaryOp};
use crate::scalar::Scalar;
use std::fmt::{self, Write};

/// Index of a value in a kernel: body values first, then epilogue values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueId(pub u32);

impl fmt::Display for ValueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
}

/// A parameter's stride along the innermost dimension of the space it is accessed in (the last
/// reduce dimension for body reads of a reducing kernel, else the last outer dimension), fixed at
/// compile time so the backend can pick contiguous SIMD, splat or gather code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InnerStride {
    /// Stride 1 (or the space has rank 0).
    Unit,
    /// Stride 0: the value is constant along the inner dimension.
    Zero,
    /// Any other stride, read at run time.
    Any,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    pub dtype: DType,
    pub access: Access,
    pub inner: InnerStride,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Inst {
    /// The element of a read parameter at the current point.
    Load {
        param: usize,
    },
    Const(Scalar),
    /// The current index (as i64) along iteration dimension `dim`.
    Index {
        dim: usize,
    },
    Unary {
        op: UnaryOp,
        arg: ValueId,
    },
    Binary {
        op: BinaryOp,
        lhs: ValueId,
        rhs: ValueId,
    },
    Select {
        cond: ValueId,
        then: ValueId,
        otherwise: ValueId,
    },
    Cast {
        arg: ValueId,
        to: DType,
    },
    /// The reduction's combined value (epilogue only).
    Reduced,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Value {
    pub inst: Inst,
    pub dtype: DType,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reduction {
    pub op: ReduceOp,
    /// The body value combined over the reduce dimensions.
    pub value: ValueId,
    /// Number of reduce dimensions (the innermost of the space). For arg reductions, exactly 1.
    pub dims: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Store {
    pub param: usize,
    pub value: ValueId,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Kernel {
    /// A readable name (not part of the kernel's identity: see `canonical_text`).
    pub name: String,
    pub params: Vec<Param>,
    pub outer_rank: usize,
    pub body: Vec<Value>,
    pub reduce: Option<Reduction>,
    pub epilogue: Vec<Value>,
    pub stores: Vec<Store>,
}

/// Where a parameter is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamRole {
    BodyRead,
    EpilogueRead,
    Written,
    Unused,
}

impl Kernel {
    /// Rank of the whole iteration space.
    pub fn space_rank(&self) -> usize {
        self.outer_rank + self.reduce.as_ref().map_or(0, |r| r.dims)
    }

    pub fn value(&self, id: ValueId) -> &Value {
        let i = id.0 as usize;
        if i < self.body.len() {
            &self.body[i]
        } else {
            &self.epilogue[i - self.body.len()]
        }
    }

    /// All values in id order: body then epilogue.
    pub fn values(&self) -> impl Iterator<Item = (ValueId, &Value)> {
        self.body
            .iter()
            .chain(&self.epilogue)
            .enumerate()
            .map(|(i, v)| (ValueId(i as u32), v))
    }

    /// Whether a value id belongs to the epilogue.
    pub fn is_epilogue(&self, id: ValueId) -> bool {
        id.0 as usize >= self.body.len()
    }

    pub fn param_role(&self, param: usize) -> ParamRole {
        if self.stores.iter().any(|s| s.param == param) {
            return ParamRole::Written;
        }
        for (id, v) in self.values() {
            if v.inst == (Inst::Load { param }) {
                return if self.is_epilogue(id) {
                    ParamRole::EpilogueRead
                } else {
                    ParamRole::BodyRead
                };
            }
        }
        ParamRole::Unused
    }

    /// The operands of an instruction.
    pub fn operands(inst: &Inst) -> Vec<ValueId> {
        match inst {
            Inst::Unary { arg, .. } | Inst::Cast { arg, .. } => vec![*arg],
            Inst::Binary { lhs, rhs, .. } => vec![*lhs, *rhs],
            Inst::Select {
                cond,
                then,
                otherwise,
            } => vec![*cond, *then, *otherwise],
            Inst::Load { .. } | Inst::Const(_) | Inst::Index { .. } | Inst::Reduced => vec![],
        }
    }

    /// Checks the invariants in the module docs.
    pub fn verify(&self) -> Result<(), IrError> {
        let fail = |msg: String| Err(IrError::Verify(format!("kernel {}: {msg}", self.name)));
        let body_len = self.body.len();
        for (id, v) in self.values() {
            let in_epilogue = self.is_epilogue(id);
            for op in Self::operands(&v.inst) {
                if op >= id {
                    return fail(format!("{id} uses later value {op}"));
                }
                if !in_epilogue && op.0 as usize >= body_len {
                    return fail(format!("body value {id} uses epilogue value {op}"));
                }
            }
            let dims = if in_epilogue {
                self.outer_rank
            } else {
                self.space_rank()
            };
            let expected = match &v.inst {
                Inst::Load { param } => match self.params.get(*param) {
                    Some(p) if p.access == Access::Read => Some(p.dtype),
                    _ => return fail(format!("{id} loads bad or written param p{param}")),
                },
                Inst::Const(s) => Some(s.dtype()),
                Inst::Index { dim } if *dim < dims => Some(DType::I64),
                Inst::Index { dim } => return fail(format!("{id} indexes dim {dim} of {dims}")),
                Inst::Unary { op, arg } => op.result_dtype(self.value(*arg).dtype),
                Inst::Binary { op, lhs, rhs } => {
                    let (a, b) = (self.value(*lhs).dtype, self.value(*rhs).dtype);
                    if a != b {
                        return fail(format!("{id}: operand dtypes {a} and {b} differ"));
                    }
                    op.result_dtype(a)
                }
                Inst::Select {
                    cond,
                    then,
                    otherwise,
                } => {
                    let (c, a, b) = (
                        self.value(*cond).dtype,
                        self.value(*then).dtype,
                        self.value(*otherwise).dtype,
                    );
                    (c == DType::Bool && a == b).then_some(a)
                }
                Inst::Cast { to, .. } => Some(*to),
                Inst::Reduced => match &self.reduce {
                    Some(r) if in_epilogue => r.op.result_dtype(self.value(r.value).dtype),
                    _ => return fail(format!("{id}: `reduced` outside an epilogue")),
                },
            };
            if expected != Some(v.dtype) {
                return fail(format!(
                    "{id} has dtype {} but its instruction gives {expected:?}",
                    v.dtype
                ));
            }
        }
        if let Some(r) = &self.reduce {
            if r.value.0 as usize >= body_len {
                return fail("reduced value is not a body value".into());
            }
            if r.op.is_arg() && r.dims != 1 {
                return fail("arg reductions reduce exactly one dimension".into());
            }
        } else if !self.epilogue.is_empty() {
            return fail("epilogue without a reduction".into());
        }
        for (p, param) in self.params.iter().enumerate() {
            let role = self.param_role(p);
            let stores = self.stores.iter().filter(|s| s.param == p).count();
            match param.access {
                Access::Write if stores != 1 => {
                    return fail(format!("write param p{p} is stored {stores} times"));
                }
                Access::Read if stores != 0 => return fail(format!("read param p{p} is stored")),
                _ => {}
            }
            let both = self.values().any(|(id, v)| {
                v.inst == (Inst::Load { param: p })
                    && self.is_epilogue(id) != (role == ParamRole::EpilogueRead)
            });
            if both {
                return fail(format!("param p{p} is read in both body and epilogue"));
            }
        }
        for s in &self.stores {
            let v = self.values().nth(s.value.0 as usize);
            match (v, self.params.get(s.param)) {
                (Some((id, v)), Some(p)) => {
                    if v.dtype != p.dtype {
                        return fail(format!(
                            "store of {} into {} param p{}",
                            v.dtype, p.dtype, s.param
                        ));
                    }
                    if self.reduce.is_some() && !self.is_epilogue(id) {
                        return fail(format!("reducing kernel stores body value {id}"));
                    }
                }
                _ => return fail(format!("bad store {s:?}")),
            }
        }
        Ok(())
    }

    /// The kernel's identity as text: everything but its name. Equal text means equal code, so
    /// this is the key of compiled-kernel caches.
    pub fn canonical_text(&self) -> String {
        let mut unnamed = self.clone();
        unnamed.name = String::new();
        unnamed.to_string()
    }
}

impl fmt::Display for Kernel {
    /// Text form, for example:
    ///
    /// ```text
    /// kernel sum_sq(p0: read f32 unit, p1: write f32 unit) outer 1 reduce 1
    ///   %0 = load p0 : f32
    ///   %1 = mul %0 %0 : f32
    ///   reduce sum %1
    ///   %2 = reduced : f32
    ///   store p1 %2
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kernel {}(", self.name)?;
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            let access = match p.access {
                Access::Read => "read",
                Access::Write => "write",
            };
            let inner = match p.inner {
                InnerStride::Unit => "unit",
                InnerStride::Zero => "zero",
                InnerStride::Any => "any",
            };
            write!(f, "p{i}: {access} {} {inner}", p.dtype.short_name())?;
        }
        write!(f, ") outer {}", self.outer_rank)?;
        if let Some(r) = &self.reduce {
            write!(f, " reduce {}", r.dims)?;
        }
        f.write_char('\n')?;
        let body_len = self.body.len();
        for (id, v) in self.values() {
            if id.0 as usize == body_len
                && let Some(r) = &self.reduce
            {
                writeln!(f, "  reduce {} {}", r.op.name(), r.value)?;
            }
            f.write_str("  ")?;
            write!(f, "{id} = ")?;
            match &v.inst {
                Inst::Load { param } => write!(f, "load p{param}")?,
                Inst::Const(s) => write!(f, "const {s}")?,
                Inst::Index { dim } => write!(f, "index {dim}")?,
                Inst::Unary { op, arg } => write!(f, "{} {arg}", op.name())?,
                Inst::Binary { op, lhs, rhs } => write!(f, "{} {lhs} {rhs}", op.name())?,
                Inst::Select {
                    cond,
                    then,
                    otherwise,
                } => write!(f, "select {cond} {then} {otherwise}")?,
                Inst::Cast { arg, to } => write!(f, "cast {arg} {}", to.short_name())?,
                Inst::Reduced => f.write_str("reduced")?,
            }
            writeln!(f, " : {}", v.dtype.short_name())?;
        }
        // A reduction with an empty epilogue has no epilogue value to print its line before.
        if self.epilogue.is_empty()
            && let Some(r) = &self.reduce
        {
            writeln!(f, "  reduce {} {}", r.op.name(), r.value)?;
        }
        for s in &self.stores {
            writeln!(f, "  store p{} {}", s.param, s.value)?;
        }
        Ok(())
    }
}

/// Run-time sizes and strides of one launch.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LaunchGeometry {
    /// Extents of the iteration space: outer dims, then reduce dims.
    pub dims: Vec<usize>,
    /// One layout per kernel parameter.
    pub params: Vec<ParamLayout>,
}

/// Where a parameter's elements are: `offset + sum(index[d] * strides[d])` over the dimensions of
/// the space it is accessed in (all dims for body reads, the outer dims otherwise; the vector
/// always has one stride per space dimension, unused ones 0).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ParamLayout {
    pub offset: usize,
    pub strides: Vec<isize>,
}

impl LaunchGeometry {
    /// Checks that the geometry matches the kernel (ranks, inner-stride classes).
    pub fn check(&self, kernel: &Kernel) -> Result<(), IrError> {
        let fail = |msg: String| Err(IrError::Verify(format!("launch of {}: {msg}", kernel.name)));
        if self.dims.len() != kernel.space_rank() {
            return fail(format!(
                "{} dims for a rank-{} space",
                self.dims.len(),
                kernel.space_rank()
            ));
        }
        if self.params.len() != kernel.params.len() {
            return fail(format!(
                "{} layouts for {} params",
                self.params.len(),
                kernel.params.len()
            ));
        }
        for (p, (layout, param)) in self.params.iter().zip(&kernel.params).enumerate() {
            if layout.strides.len() != self.dims.len() {
                return fail(format!("p{p} has {} strides", layout.strides.len()));
            }
            let inner_dim = match kernel.param_role(p) {
                ParamRole::BodyRead => self.dims.len().checked_sub(1),
                _ => kernel.outer_rank.checked_sub(1),
            };
            if let Some(d) = inner_dim {
                let stride = layout.strides[d];
                let ok = match param.inner {
                    InnerStride::Unit => stride == 1 || self.dims[d] <= 1,
                    InnerStride::Zero => stride == 0 || self.dims[d] <= 1,
                    InnerStride::Any => true,
                };
                if !ok {
                    return fail(format!(
                        "p{p} is {:?} but has inner stride {stride}",
                        param.inner
                    ));
                }
            }
        }
        Ok(())
    }
}
