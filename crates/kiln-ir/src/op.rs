//! The closed set of graph operations, their classes, and shape/dtype inference.
//!
//! Invariant: `infer` is the single definition of what an op accepts and produces. The frontend
//! calls it when a node is built, the verifier re-checks whole programs with it, and the optimiser
//! relies on it so a rewrite can never change a node's dtype or shape.
//!
//! Graph-level conventions (the frontend inserts casts, broadcasts and reshapes to meet them):
//! - binary ops and `Where` take operands of one shape and (except `Where`'s condition) one dtype;
//! - `Reduce` keeps reduced axes as extent 1; `Broadcast` keeps the rank;
//! - integer division and remainder by zero give 0; shifts by a count outside `0..bits` give 0
//!   (left, or right of a non-negative value) or -1 (right of a negative value); integer overflow
//!   wraps; float-to-integer casts saturate and send NaN to 0.

use crate::dtype::DType;
use crate::error::IrError;
use crate::libop::LibOp;
use crate::scalar::Scalar;
use crate::shape::Shape;
use std::fmt;

/// Elementwise functions of one operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnaryOp {
    Neg,
    Abs,
    Sqrt,
    Exp,
    Expm1,
    Log,
    Log1p,
    Log2,
    Log10,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Floor,
    Ceil,
    Trunc,
    /// Round half to even.
    Round,
    /// -1, 0 or 1 (NaN stays NaN; both zeros give +0).
    Sign,
    SignBit,
    IsNan,
    IsInf,
    IsFinite,
    /// Bitwise invert for integers, logical not for bool.
    Not,
    Real,
    Imag,
    Conj,
}

/// Elementwise functions of two operands of one dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    /// True division; floating dtypes only.
    Div,
    Pow,
    /// NaN-propagating maximum.
    Maximum,
    /// NaN-propagating minimum.
    Minimum,
    Atan2,
    Hypot,
    Copysign,
    Nextafter,
    LogAddExp,
    /// Floor of the quotient (Python `//`).
    FloorDiv,
    /// Remainder with the sign of the divisor (Python `%`).
    Rem,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LogicalAnd,
    LogicalOr,
    LogicalXor,
}

/// Reductions; `Reduce` nodes keep reduced axes with extent 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReduceOp {
    Sum,
    Prod,
    /// NaN-propagating.
    Max,
    /// NaN-propagating.
    Min,
    Any,
    All,
    /// Index (int64) of the first maximum along one axis; NaN counts as the maximum.
    ArgMax,
    /// Index (int64) of the first minimum along one axis; NaN counts as the minimum.
    ArgMin,
}

/// Inclusive scans along one axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScanOp {
    Sum,
    Prod,
}

/// One axis of a `Slice`: elements `start, start+step, ...` (`len` of them), `step != 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SliceAxis {
    pub start: usize,
    pub step: isize,
    pub len: usize,
}

/// A graph operation. Attributes that fix the result (target shape, dtype) live in the op, so
/// `infer` is a function of the op and its operands alone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// A realized array: slot in `Program::inputs`.
    Input(usize),
    /// A constant filling `shape`.
    Full(Scalar, Shape),
    /// `start + i*step` for `i in 0..len`, in `start`'s dtype (floats computed in f64); real
    /// numeric dtypes only.
    Arange {
        start: Scalar,
        step: Scalar,
        len: usize,
    },
    /// A `rows x cols` matrix with ones on diagonal `k`.
    Eye {
        rows: usize,
        cols: usize,
        k: i64,
        dtype: DType,
    },
    Unary(UnaryOp),
    Binary(BinaryOp),
    /// `where(cond, a, b)`.
    Where,
    Cast(DType),
    /// Row-major reshape to the given shape (same element count).
    Reshape(Shape),
    /// Axis permutation: output axis `i` is input axis `perm[i]`.
    Permute(Vec<usize>),
    /// Same-rank broadcast: each input extent equals the target's or is 1.
    Broadcast(Shape),
    Slice(Vec<SliceAxis>),
    Reduce {
        op: ReduceOp,
        axes: Vec<usize>,
    },
    Scan {
        op: ScanOp,
        axis: usize,
    },
    /// Batched matrix product `[..., m, k] x [..., k, n]`, equal batch dims, one dtype.
    MatMul,
    /// A data-movement library op (concat, gathers, sorting; see `libop`).
    Lib(LibOp),
}

/// The scheduling class of an op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpClass {
    /// Inputs and generators (constants, arange, eye).
    Leaf,
    Elementwise,
    /// Views: reshape, permute, broadcast, slice.
    Movement,
    Reduce,
    /// Opaque library steps: scans, matrix products and `LibOp`s.
    Library,
}

impl Op {
    pub fn class(&self) -> OpClass {
        match self {
            Op::Input(_) | Op::Full(..) | Op::Arange { .. } | Op::Eye { .. } => OpClass::Leaf,
            Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Cast(_) => OpClass::Elementwise,
            Op::Reshape(_) | Op::Permute(_) | Op::Broadcast(_) | Op::Slice(_) => OpClass::Movement,
            Op::Reduce { .. } => OpClass::Reduce,
            Op::Scan { .. } | Op::MatMul | Op::Lib(_) => OpClass::Library,
        }
    }

    /// Number of operands the op takes.
    pub fn arity(&self) -> usize {
        match self.class() {
            OpClass::Leaf => 0,
            _ => match self {
                Op::Binary(_) | Op::MatMul => 2,
                Op::Where => 3,
                Op::Lib(l) => l.arity(),
                _ => 1,
            },
        }
    }
}

impl UnaryOp {
    pub const ALL: [UnaryOp; 34] = [
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Sqrt,
        UnaryOp::Exp,
        UnaryOp::Expm1,
        UnaryOp::Log,
        UnaryOp::Log1p,
        UnaryOp::Log2,
        UnaryOp::Log10,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tan,
        UnaryOp::Asin,
        UnaryOp::Acos,
        UnaryOp::Atan,
        UnaryOp::Sinh,
        UnaryOp::Cosh,
        UnaryOp::Tanh,
        UnaryOp::Asinh,
        UnaryOp::Acosh,
        UnaryOp::Atanh,
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Trunc,
        UnaryOp::Round,
        UnaryOp::Sign,
        UnaryOp::SignBit,
        UnaryOp::IsNan,
        UnaryOp::IsInf,
        UnaryOp::IsFinite,
        UnaryOp::Not,
        UnaryOp::Real,
        UnaryOp::Imag,
        UnaryOp::Conj,
    ];

    /// Lower-case name, as in the Array API where one exists (`neg` for `negative`).
    pub fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Neg => "neg",
            Abs => "abs",
            Sqrt => "sqrt",
            Exp => "exp",
            Expm1 => "expm1",
            Log => "log",
            Log1p => "log1p",
            Log2 => "log2",
            Log10 => "log10",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Asin => "asin",
            Acos => "acos",
            Atan => "atan",
            Sinh => "sinh",
            Cosh => "cosh",
            Tanh => "tanh",
            Asinh => "asinh",
            Acosh => "acosh",
            Atanh => "atanh",
            Floor => "floor",
            Ceil => "ceil",
            Trunc => "trunc",
            Round => "round",
            Sign => "sign",
            SignBit => "signbit",
            IsNan => "isnan",
            IsInf => "isinf",
            IsFinite => "isfinite",
            Not => "not",
            Real => "real",
            Imag => "imag",
            Conj => "conj",
        }
    }

    pub fn from_name(name: &str) -> Option<UnaryOp> {
        UnaryOp::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Whether the op is only defined on floating dtypes (transcendentals and sqrt).
    pub fn needs_float(self) -> bool {
        use UnaryOp::*;
        matches!(
            self,
            Sqrt | Exp
                | Expm1
                | Log
                | Log1p
                | Log2
                | Log10
                | Sin
                | Cos
                | Tan
                | Asin
                | Acos
                | Atan
                | Sinh
                | Cosh
                | Tanh
                | Asinh
                | Acosh
                | Atanh
        )
    }

    /// Result dtype for an operand dtype, or `None` if the op does not accept it.
    pub fn result_dtype(self, x: DType) -> Option<DType> {
        use UnaryOp::*;
        let ok = match self {
            _ if self.needs_float() => x.is_floating(),
            Neg | Sign => x.is_numeric(),
            Abs => x.is_numeric(),
            Floor | Ceil | Trunc => x.is_numeric() && !x.is_complex(),
            Round => x.is_numeric(),
            SignBit => x.is_real_float(),
            IsNan | IsInf | IsFinite => x.is_numeric(),
            Not => x.is_bool() || x.is_integer(),
            Real | Imag | Conj => x.is_numeric(),
            _ => false,
        };
        ok.then(|| match self {
            SignBit | IsNan | IsInf | IsFinite => DType::Bool,
            Abs | Real | Imag => x.real_part(),
            _ => x,
        })
    }
}

impl BinaryOp {
    pub const ALL: [BinaryOp; 28] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Pow,
        BinaryOp::Maximum,
        BinaryOp::Minimum,
        BinaryOp::Atan2,
        BinaryOp::Hypot,
        BinaryOp::Copysign,
        BinaryOp::Nextafter,
        BinaryOp::LogAddExp,
        BinaryOp::FloorDiv,
        BinaryOp::Rem,
        BinaryOp::BitAnd,
        BinaryOp::BitOr,
        BinaryOp::BitXor,
        BinaryOp::Shl,
        BinaryOp::Shr,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::LogicalAnd,
        BinaryOp::LogicalOr,
        BinaryOp::LogicalXor,
    ];

    pub fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            Div => "div",
            Pow => "pow",
            Maximum => "maximum",
            Minimum => "minimum",
            Atan2 => "atan2",
            Hypot => "hypot",
            Copysign => "copysign",
            Nextafter => "nextafter",
            LogAddExp => "logaddexp",
            FloorDiv => "floordiv",
            Rem => "rem",
            BitAnd => "bitand",
            BitOr => "bitor",
            BitXor => "bitxor",
            Shl => "shl",
            Shr => "shr",
            Eq => "eq",
            Ne => "ne",
            Lt => "lt",
            Le => "le",
            Gt => "gt",
            Ge => "ge",
            LogicalAnd => "and",
            LogicalOr => "or",
            LogicalXor => "xor",
        }
    }

    pub fn from_name(name: &str) -> Option<BinaryOp> {
        BinaryOp::ALL.into_iter().find(|op| op.name() == name)
    }

    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eq | Ne | Lt | Le | Gt | Ge)
    }

    /// Result dtype for an operand dtype (both operands share it), or `None` if not accepted.
    pub fn result_dtype(self, x: DType) -> Option<DType> {
        use BinaryOp::*;
        let ok = match self {
            Add | Sub | Mul | Pow => x.is_numeric(),
            Div => x.is_floating(),
            Maximum | Minimum | FloorDiv | Rem => x.is_numeric() && !x.is_complex(),
            Atan2 | Hypot | Copysign | Nextafter | LogAddExp => x.is_real_float(),
            BitAnd | BitOr | BitXor => x.is_integer() || x.is_bool(),
            Shl | Shr => x.is_integer(),
            Eq | Ne => true,
            Lt | Le | Gt | Ge => !x.is_complex(),
            LogicalAnd | LogicalOr | LogicalXor => x.is_bool(),
        };
        ok.then(|| if self.is_comparison() { DType::Bool } else { x })
    }
}

impl ReduceOp {
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::Any => "any",
            ReduceOp::All => "all",
            ReduceOp::ArgMax => "argmax",
            ReduceOp::ArgMin => "argmin",
        }
    }

    pub fn from_name(name: &str) -> Option<ReduceOp> {
        use ReduceOp::*;
        [Sum, Prod, Max, Min, Any, All, ArgMax, ArgMin]
            .into_iter()
            .find(|op| op.name() == name)
    }

    pub fn is_arg(self) -> bool {
        matches!(self, ReduceOp::ArgMax | ReduceOp::ArgMin)
    }

    /// Result dtype of reducing `x`, or `None` if not accepted.
    pub fn result_dtype(self, x: DType) -> Option<DType> {
        match self {
            ReduceOp::Sum | ReduceOp::Prod => x.is_numeric().then_some(x),
            ReduceOp::Max | ReduceOp::Min => (x.is_numeric() && !x.is_complex()).then_some(x),
            ReduceOp::Any | ReduceOp::All => x.is_bool().then_some(DType::Bool),
            ReduceOp::ArgMax | ReduceOp::ArgMin => {
                (x.is_numeric() && !x.is_complex()).then_some(DType::I64)
            }
        }
    }

    /// The identity element, where one exists (`None` for max/min/arg reductions).
    pub fn identity(self, dtype: DType) -> Option<Scalar> {
        match self {
            ReduceOp::Sum => Some(Scalar::zero(dtype)),
            ReduceOp::Prod => Some(Scalar::one(dtype)),
            ReduceOp::Any => Some(Scalar::Bool(false)),
            ReduceOp::All => Some(Scalar::Bool(true)),
            _ => None,
        }
    }
}

impl ScanOp {
    pub fn name(self) -> &'static str {
        match self {
            ScanOp::Sum => "cumsum",
            ScanOp::Prod => "cumprod",
        }
    }
}

/// The dtype and shape of a node: what `infer` computes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeInfo {
    pub dtype: DType,
    pub shape: Shape,
}

/// Checks an op against its operands and returns the result's dtype and shape.
pub fn infer(op: &Op, operands: &[(DType, &Shape)]) -> Result<TypeInfo, IrError> {
    let t = infer_unchecked(op, operands)?;
    // No node may describe more bytes than an allocation can hold: such shapes are rejected
    // here, when the node is built, rather than overflowing index arithmetic later.
    let bytes = t
        .shape
        .checked_numel()
        .and_then(|n| n.checked_mul(t.dtype.size_bytes()))
        .filter(|&b| b <= isize::MAX as usize);
    if bytes.is_none() {
        return Err(IrError::TooLarge(format!(
            "an array of shape {} and dtype {}",
            t.shape, t.dtype
        )));
    }
    Ok(t)
}

fn infer_unchecked(op: &Op, operands: &[(DType, &Shape)]) -> Result<TypeInfo, IrError> {
    if operands.len() != op.arity() {
        return Err(IrError::Arity {
            op: op.to_string(),
            expected: op.arity(),
            got: operands.len(),
        });
    }
    let unsupported = |dtype| IrError::UnsupportedDType {
        op: op.to_string(),
        dtype,
    };
    let out = |dtype, shape: &Shape| TypeInfo {
        dtype,
        shape: shape.clone(),
    };
    match op {
        Op::Input(_) => Err(IrError::Verify(
            "input nodes take their type from the realized array".into(),
        )),
        Op::Full(value, shape) => Ok(out(value.dtype(), shape)),
        Op::Arange { start, step, len } => {
            if start.dtype() != step.dtype() {
                return Err(IrError::DTypeMismatch {
                    op: "arange".into(),
                    a: start.dtype(),
                    b: step.dtype(),
                });
            }
            // Complex aranges have no exact lowering (kernels cannot build a complex number from
            // two reals, and `(i+0j) * step` turns a NaN part into NaN in both parts); the
            // frontend builds them from real aranges instead.
            if start.dtype().is_bool() || start.dtype().is_complex() {
                return Err(unsupported(start.dtype()));
            }
            Ok(out(start.dtype(), &Shape::from([*len])))
        }
        Op::Eye {
            rows, cols, dtype, ..
        } => Ok(out(*dtype, &Shape::from([*rows, *cols]))),
        Op::Unary(u) => {
            let (x, shape) = operands[0];
            let dtype = u.result_dtype(x).ok_or_else(|| unsupported(x))?;
            Ok(out(dtype, shape))
        }
        Op::Binary(b) => {
            let ((da, sa), (db, sb)) = (operands[0], operands[1]);
            if da != db {
                return Err(IrError::DTypeMismatch {
                    op: op.to_string(),
                    a: da,
                    b: db,
                });
            }
            same_shape(op, sa, sb)?;
            let dtype = b.result_dtype(da).ok_or_else(|| unsupported(da))?;
            Ok(out(dtype, sa))
        }
        Op::Where => {
            let ((dc, sc), (da, sa), (db, sb)) = (operands[0], operands[1], operands[2]);
            if dc != DType::Bool {
                return Err(unsupported(dc));
            }
            if da != db {
                return Err(IrError::DTypeMismatch {
                    op: "where".into(),
                    a: da,
                    b: db,
                });
            }
            same_shape(op, sc, sa)?;
            same_shape(op, sa, sb)?;
            Ok(out(da, sa))
        }
        Op::Cast(to) => Ok(out(*to, operands[0].1)),
        Op::Reshape(to) => {
            let from = operands[0].1;
            if from.numel() != to.numel() {
                return Err(IrError::Reshape {
                    from: from.clone(),
                    from_numel: from.numel(),
                    to: to.clone(),
                });
            }
            Ok(out(operands[0].0, to))
        }
        Op::Permute(perm) => {
            let (dtype, from) = operands[0];
            check_permutation(perm, from.rank())?;
            let shape = Shape(perm.iter().map(|&p| from.0[p]).collect());
            Ok(out(dtype, &shape))
        }
        Op::Broadcast(to) => {
            let (dtype, from) = operands[0];
            let ok = from.rank() == to.rank()
                && from.0.iter().zip(&to.0).all(|(&f, &t)| f == t || f == 1);
            if !ok {
                return Err(IrError::BroadcastTo {
                    from: from.clone(),
                    to: to.clone(),
                });
            }
            Ok(out(dtype, to))
        }
        Op::Slice(axes) => {
            let (dtype, from) = operands[0];
            if axes.len() != from.rank() {
                return Err(IrError::BadSlice {
                    axis: axes.len(),
                    detail: format!("{} slice specs for rank {}", axes.len(), from.rank()),
                });
            }
            for (axis, (s, &dim)) in axes.iter().zip(from.dims()).enumerate() {
                check_slice_axis(axis, s, dim)?;
            }
            let shape = Shape(axes.iter().map(|s| s.len).collect());
            Ok(out(dtype, &shape))
        }
        Op::Reduce { op: r, axes } => {
            let (x, from) = operands[0];
            check_axes(axes, from.rank(), "reduce")?;
            if r.is_arg() && axes.len() != 1 {
                return Err(IrError::InvalidArgument(format!(
                    "{} reduces exactly one axis, got {axes:?}",
                    r.name()
                )));
            }
            let dtype = r.result_dtype(x).ok_or_else(|| unsupported(x))?;
            let mut shape = from.clone();
            for &a in axes {
                shape.0[a] = 1;
            }
            let empty_reduce = axes.iter().any(|&a| from.0[a] == 0);
            if empty_reduce && r.identity(x).is_none() && shape.numel() > 0 {
                return Err(IrError::InvalidArgument(format!(
                    "{} of an empty axis (shape {from}, axes {axes:?}) has no identity",
                    r.name()
                )));
            }
            Ok(out(dtype, &shape))
        }
        Op::Scan { axis, .. } => {
            let (x, from) = operands[0];
            check_axes(&[*axis], from.rank(), "scan")?;
            if !x.is_numeric() {
                return Err(unsupported(x));
            }
            Ok(out(x, from))
        }
        Op::MatMul => {
            let ((da, sa), (db, sb)) = (operands[0], operands[1]);
            if da != db {
                return Err(IrError::DTypeMismatch {
                    op: "matmul".into(),
                    a: da,
                    b: db,
                });
            }
            if !da.is_numeric() {
                return Err(unsupported(da));
            }
            let err = |detail: &str| IrError::MatMulShape {
                a: sa.clone(),
                b: sb.clone(),
                detail: detail.into(),
            };
            if sa.rank() < 2 || sb.rank() != sa.rank() {
                return Err(err("graph matmul needs equal ranks >= 2"));
            }
            let r = sa.rank();
            if sa.0[..r - 2] != sb.0[..r - 2] {
                return Err(err("batch dimensions differ"));
            }
            if sa.0[r - 1] != sb.0[r - 2] {
                return Err(err(&format!(
                    "contracted dimensions {} and {} differ",
                    sa.0[r - 1],
                    sb.0[r - 2]
                )));
            }
            let mut shape = sa.clone();
            shape.0[r - 1] = sb.0[r - 1];
            Ok(out(da, &shape))
        }
        Op::Lib(l) => crate::libop::infer_lib(*l, operands),
    }
}

fn same_shape(op: &Op, a: &Shape, b: &Shape) -> Result<(), IrError> {
    if a != b {
        return Err(IrError::ShapeMismatch {
            op: op.to_string(),
            a: a.clone(),
            b: b.clone(),
        });
    }
    Ok(())
}

/// Checks that `perm` is a permutation of `0..rank`.
pub fn check_permutation(perm: &[usize], rank: usize) -> Result<(), IrError> {
    let mut seen = vec![false; rank];
    let ok = perm.len() == rank
        && perm
            .iter()
            .all(|&p| p < rank && !std::mem::replace(&mut seen[p], true));
    if !ok {
        return Err(IrError::BadPermutation {
            perm: perm.to_vec(),
            rank,
        });
    }
    Ok(())
}

/// Checks that axes are in range and distinct.
pub fn check_axes(axes: &[usize], rank: usize, what: &'static str) -> Result<(), IrError> {
    let mut seen = vec![false; rank];
    for &a in axes {
        if a >= rank {
            return Err(IrError::AxisOutOfBounds {
                axis: a as i64,
                rank,
            });
        }
        if std::mem::replace(&mut seen[a], true) {
            return Err(IrError::RepeatedAxis { axis: a, what });
        }
    }
    Ok(())
}

fn check_slice_axis(axis: usize, s: &SliceAxis, dim: usize) -> Result<(), IrError> {
    if s.step == 0 {
        return Err(IrError::BadSlice {
            axis,
            detail: "step must not be zero".into(),
        });
    }
    if s.len == 0 {
        return Ok(());
    }
    let last = s.start as i128 + (s.len as i128 - 1) * s.step as i128;
    if s.start >= dim || last < 0 || last >= dim as i128 {
        return Err(IrError::BadSlice {
            axis,
            detail: format!(
                "start {} step {} len {} leaves extent {dim}",
                s.start, s.step, s.len
            ),
        });
    }
    Ok(())
}

impl fmt::Display for Op {
    /// The op's text form: `add`, `reduce.sum[0,2]`, `reshape[2,3]`, `slice[4:-1:5]`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, v: &[usize]| -> fmt::Result {
            write!(f, "{}", Shape(v.to_vec()))
        };
        match self {
            Op::Input(slot) => write!(f, "input#{slot}"),
            Op::Full(v, shape) => write!(f, "full[{v}]{shape}"),
            Op::Arange { start, step, len } => write!(f, "arange[{start},{step},{len}]"),
            Op::Eye {
                rows,
                cols,
                k,
                dtype,
            } => write!(f, "eye[{rows},{cols},{k},{}]", dtype.short_name()),
            Op::Unary(u) => f.write_str(u.name()),
            Op::Binary(b) => f.write_str(b.name()),
            Op::Where => f.write_str("where"),
            Op::Cast(d) => write!(f, "cast.{}", d.short_name()),
            Op::Reshape(s) => write!(f, "reshape{s}"),
            Op::Permute(p) => {
                f.write_str("permute")?;
                list(f, p)
            }
            Op::Broadcast(s) => write!(f, "broadcast{s}"),
            Op::Slice(axes) => {
                f.write_str("slice[")?;
                for (i, s) in axes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{}:{}", s.start, s.step, s.len)?;
                }
                f.write_str("]")
            }
            Op::Reduce { op, axes } => {
                write!(f, "reduce.{}", op.name())?;
                list(f, axes)
            }
            Op::Scan { op, axis } => write!(f, "{}[{axis}]", op.name()),
            Op::MatMul => f.write_str("matmul"),
            Op::Lib(l) => write!(f, "{l}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[usize]) -> Shape {
        Shape::from(v)
    }

    #[test]
    fn binary_requires_equal_dtype_and_shape() {
        let a = s(&[2, 3]);
        let b = s(&[3, 2]);
        assert!(
            infer(
                &Op::Binary(BinaryOp::Add),
                &[(DType::F32, &a), (DType::F64, &a)]
            )
            .is_err()
        );
        assert!(
            infer(
                &Op::Binary(BinaryOp::Add),
                &[(DType::F32, &a), (DType::F32, &b)]
            )
            .is_err()
        );
        let t = infer(
            &Op::Binary(BinaryOp::Lt),
            &[(DType::F32, &a), (DType::F32, &a)],
        )
        .unwrap();
        assert_eq!(t.dtype, DType::Bool);
    }

    #[test]
    fn reduce_keeps_dims_and_rejects_empty_max() {
        let x = s(&[4, 0, 3]);
        let t = infer(
            &Op::Reduce {
                op: ReduceOp::Sum,
                axes: vec![1],
            },
            &[(DType::F64, &x)],
        )
        .unwrap();
        assert_eq!(t.shape, s(&[4, 1, 3]));
        assert!(
            infer(
                &Op::Reduce {
                    op: ReduceOp::Max,
                    axes: vec![1]
                },
                &[(DType::F64, &x)]
            )
            .is_err()
        );
    }

    #[test]
    fn slice_bounds_are_checked() {
        let x = s(&[5]);
        let ok = Op::Slice(vec![SliceAxis {
            start: 4,
            step: -2,
            len: 3,
        }]);
        assert_eq!(infer(&ok, &[(DType::I32, &x)]).unwrap().shape, s(&[3]));
        let bad = Op::Slice(vec![SliceAxis {
            start: 4,
            step: -2,
            len: 4,
        }]);
        assert!(infer(&bad, &[(DType::I32, &x)]).is_err());
    }

    #[test]
    fn shapes_too_large_to_allocate_are_rejected() {
        let huge = Op::Full(Scalar::F64(1.0), s(&[1 << 40, 1 << 40]));
        assert!(matches!(infer(&huge, &[]), Err(IrError::TooLarge(_))));
        let bytes = Op::Full(Scalar::F64(1.0), s(&[1 << 31, 1 << 31]));
        assert!(matches!(infer(&bytes, &[]), Err(IrError::TooLarge(_))));
        assert!(infer(&Op::Full(Scalar::F64(1.0), s(&[usize::MAX, 0])), &[]).is_ok());
    }

    #[test]
    fn names_round_trip() {
        for u in UnaryOp::ALL {
            assert_eq!(UnaryOp::from_name(u.name()), Some(u));
        }
        for b in BinaryOp::ALL {
            assert_eq!(BinaryOp::from_name(b.name()), Some(b));
        }
    }
}
