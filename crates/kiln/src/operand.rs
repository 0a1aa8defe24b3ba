//! Operands of binary functions: arrays or Python-style scalars, and how they meet.
//!
//! Invariant: every binary function goes through `prepare_binary`, the one place where dtype
//! promotion, scalar adoption and broadcasting happen, so operators and named functions can't
//! disagree. Scalars are "weak" (Array API / NumPy 2 rules): they take the array's dtype when
//! their kind fits, an integer scalar out of the array's range is an error, and a scalar of a
//! higher kind (a float with an integer array) promotes to that kind's default dtype.

use kiln_ir::{DType, IrError, Op, Scalar, Shape, broadcast_shapes};

use crate::error::{KilnError, Result, invalid};
use crate::graph::Array;

/// A Python-style scalar operand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScalarArg {
    Bool(bool),
    Int(i64),
    Float(f64),
    Complex(kiln_ir::C128),
}

/// An operand of a binary function.
#[derive(Clone, Debug)]
pub enum Operand {
    Array(Array),
    Scalar(ScalarArg),
}

impl From<Array> for Operand {
    fn from(a: Array) -> Operand {
        Operand::Array(a)
    }
}
impl From<&Array> for Operand {
    fn from(a: &Array) -> Operand {
        Operand::Array(a.clone())
    }
}
impl From<ScalarArg> for Operand {
    fn from(s: ScalarArg) -> Operand {
        Operand::Scalar(s)
    }
}
macro_rules! scalar_from {
    ($($t:ty => $v:ident as $as:ty),*) => {$(
        impl From<$t> for ScalarArg {
            fn from(v: $t) -> ScalarArg { ScalarArg::$v(v as $as) }
        }
        impl From<$t> for Operand {
            fn from(v: $t) -> Operand { Operand::Scalar(ScalarArg::$v(v as $as)) }
        }
    )*};
}
scalar_from!(i8 => Int as i64, i16 => Int as i64, i32 => Int as i64, i64 => Int as i64,
    u8 => Int as i64, u16 => Int as i64, u32 => Int as i64, f32 => Float as f64, f64 => Float as f64);
impl From<bool> for ScalarArg {
    fn from(v: bool) -> ScalarArg {
        ScalarArg::Bool(v)
    }
}
impl From<bool> for Operand {
    fn from(v: bool) -> Operand {
        Operand::Scalar(ScalarArg::Bool(v))
    }
}
impl From<kiln_ir::C128> for Operand {
    fn from(v: kiln_ir::C128) -> Operand {
        Operand::Scalar(ScalarArg::Complex(v))
    }
}

impl ScalarArg {
    /// The dtype a scalar takes next to an array of dtype `array`.
    pub fn result_dtype(self, array: DType) -> DType {
        match self {
            ScalarArg::Bool(_) => array,
            ScalarArg::Int(_) if array.is_bool() => DType::I64,
            ScalarArg::Int(_) => array,
            ScalarArg::Float(_) if array.is_floating() => array,
            ScalarArg::Float(_) => DType::F64,
            ScalarArg::Complex(_) if array.is_complex() => array,
            ScalarArg::Complex(_) if array == DType::F32 => DType::C64,
            ScalarArg::Complex(_) => DType::C128,
        }
    }

    /// The scalar as a value of `dtype`; an integer that does not fit is an error.
    pub fn to_scalar(self, dtype: DType) -> Result<Scalar> {
        let value = match self {
            ScalarArg::Bool(b) => Scalar::Bool(b),
            ScalarArg::Int(i) => {
                if dtype.is_integer() && !int_fits(i, dtype) {
                    return Err(invalid(format!(
                        "Python integer {i} is out of bounds for {dtype}"
                    )));
                }
                Scalar::I64(i)
            }
            ScalarArg::Float(f) => Scalar::F64(f),
            ScalarArg::Complex(c) => Scalar::C128(c),
        };
        Ok(value.cast(dtype))
    }

    /// The dtype the scalar has on its own (default int/float/complex).
    pub fn default_dtype(self) -> DType {
        match self {
            ScalarArg::Bool(_) => DType::Bool,
            ScalarArg::Int(_) => DType::I64,
            ScalarArg::Float(_) => DType::F64,
            ScalarArg::Complex(_) => DType::C128,
        }
    }
}

fn int_fits(v: i64, dtype: DType) -> bool {
    let bits = dtype.int_bits();
    if dtype.is_unsigned_integer() {
        v >= 0 && (bits >= 64 || (v as u64) < (1u64 << bits))
    } else {
        bits >= 64 || (v >= -(1i64 << (bits - 1)) && v < (1i64 << (bits - 1)))
    }
}

/// A constant array of `shape` holding `value` (one `Full` node: no data, no broadcast chain).
pub(crate) fn constant(value: Scalar, shape: &Shape) -> Result<Array> {
    Array::from_op(Op::Full(value, shape.clone()), vec![])
}

/// Casts an array to `dtype` (no node if it already has it).
pub(crate) fn cast(a: &Array, dtype: DType) -> Result<Array> {
    if a.dtype() == dtype {
        return Ok(a.clone());
    }
    Array::from_op(Op::Cast(dtype), vec![a.clone()])
}

/// Broadcasts an array to `shape` (leading axes added by a reshape, then a same-rank broadcast).
pub(crate) fn broadcast_array(a: &Array, shape: &Shape) -> Result<Array> {
    if a.shape_ref() == shape {
        return Ok(a.clone());
    }
    if a.ndim() > shape.rank() {
        return Err(KilnError::Invalid(IrError::BroadcastTo {
            from: a.shape_ref().clone(),
            to: shape.clone(),
        }));
    }
    let mut padded = vec![1; shape.rank() - a.ndim()];
    padded.extend_from_slice(a.shape());
    let padded = Shape(padded);
    let mut x = a.clone();
    if padded != *a.shape_ref() {
        x = Array::from_op(Op::Reshape(padded.clone()), vec![x])?;
    }
    if padded != *shape {
        x = Array::from_op(Op::Broadcast(shape.clone()), vec![x])?;
    }
    Ok(x)
}

/// The common dtype of two operands (at least one of them an array).
pub(crate) fn common_dtype(a: &Operand, b: &Operand) -> Result<DType> {
    match (a, b) {
        (Operand::Array(x), Operand::Array(y)) => Ok(kiln_ir::promote(x.dtype(), y.dtype())),
        (Operand::Array(x), Operand::Scalar(s)) | (Operand::Scalar(s), Operand::Array(x)) => {
            Ok(s.result_dtype(x.dtype()))
        }
        (Operand::Scalar(_), Operand::Scalar(_)) => {
            Err(invalid("at least one operand must be an array"))
        }
    }
}

/// Materialises operands as arrays of `dtype` broadcast to one shape.
pub(crate) fn align(operands: &[Operand], dtype: DType) -> Result<Vec<Array>> {
    let mut shape = Shape::scalar();
    for op in operands {
        if let Operand::Array(a) = op {
            shape = broadcast_shapes(&shape, a.shape_ref())?;
        }
    }
    operands
        .iter()
        .map(|op| match op {
            Operand::Array(a) => broadcast_array(&cast(a, dtype)?, &shape),
            Operand::Scalar(s) => constant(s.to_scalar(dtype)?, &shape),
        })
        .collect()
}
