//! How kiln dtypes are represented in cranelift values, in scalar and in vector code.
//!
//! Invariants:
//! - scalar code: bool is an `i8` holding 0 or 1; signed and unsigned integers share the
//!   cranelift integer type of their width; complex numbers are a pair of floats;
//! - vector code uses 128-bit vectors of `lanes` lanes, all of one lane width `16 / lanes`
//!   bytes; a bool is a lane mask (all ones or all zeros) of that width; complex never
//!   appears in vector code.

use cranelift_codegen::ir::{Type, Value, types};
use kiln_ir::DType;

/// A kiln value in generated code.
#[derive(Clone, Copy, Debug)]
pub enum V {
    Real(Value),
    Complex(Value, Value),
}

impl V {
    /// The single cranelift value of a non-complex kiln value.
    pub fn one(self) -> Value {
        match self {
            V::Real(v) => v,
            // Callers only ask for one value of a non-complex dtype, which the verifier
            // guarantees is represented by `Real`.
            V::Complex(re, _) => re,
        }
    }
    pub fn parts(self) -> (Value, Value) {
        match self {
            V::Complex(re, im) => (re, im),
            V::Real(v) => (v, v),
        }
    }
}

/// Whether code handles one element or a vector of `lanes` elements at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Scalar,
    Vector { lanes: u8 },
}

impl Mode {
    pub fn lanes(self) -> usize {
        match self {
            Mode::Scalar => 1,
            Mode::Vector { lanes } => lanes as usize,
        }
    }
}

/// The scalar cranelift type of a dtype (of one component for complex dtypes).
pub fn scalar_ty(d: DType) -> Type {
    match d {
        DType::Bool | DType::I8 | DType::U8 => types::I8,
        DType::I16 | DType::U16 => types::I16,
        DType::I32 | DType::U32 => types::I32,
        DType::I64 | DType::U64 => types::I64,
        DType::F32 | DType::C64 => types::F32,
        DType::F64 | DType::C128 => types::F64,
    }
}

/// The integer type of `bytes` bytes.
pub fn int_ty(bytes: usize) -> Type {
    match bytes {
        1 => types::I8,
        2 => types::I16,
        4 => types::I32,
        _ => types::I64,
    }
}

/// The vector cranelift type of a dtype in vector mode with `lanes` lanes.
pub fn vector_ty(d: DType, lanes: usize) -> Type {
    let lane = if d == DType::Bool {
        int_ty(16 / lanes)
    } else {
        scalar_ty(d)
    };
    lane.by(lanes as u32).unwrap_or(types::I8X16)
}

/// The type of a dtype in a mode.
pub fn ty_in(d: DType, mode: Mode) -> Type {
    match mode {
        Mode::Scalar => scalar_ty(d),
        Mode::Vector { lanes } => vector_ty(d, lanes as usize),
    }
}

/// The integer type with the width of a float type (for bit manipulation).
pub fn same_width_int(t: Type) -> Type {
    if t.is_vector() {
        int_ty(t.lane_bits() as usize / 8)
            .by(t.lane_count())
            .unwrap_or(t)
    } else {
        int_ty(t.bits() as usize / 8)
    }
}
