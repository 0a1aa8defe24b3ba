//! Data types of the Array API standard and their promotion lattice.
//!
//! Invariant: `DType` is a closed set of the 13 standard dtypes; every dtype-dependent decision in
//! kiln (promotion, casting, kernel specialisation) matches on it exhaustively.

use std::fmt;

/// One of the 13 dtypes of the Array API standard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    C64,
    C128,
}

/// The kind of a dtype, as `isdtype` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DTypeKind {
    Bool,
    SignedInt,
    UnsignedInt,
    RealFloat,
    ComplexFloat,
}

impl DType {
    /// Every dtype, in a stable order.
    pub const ALL: [DType; 13] = [
        DType::Bool,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::F32,
        DType::F64,
        DType::C64,
        DType::C128,
    ];

    /// Size of one element in bytes (bool is stored as one byte holding 0 or 1).
    pub fn size_bytes(self) -> usize {
        match self {
            DType::Bool | DType::I8 | DType::U8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 | DType::C64 => 8,
            DType::C128 => 16,
        }
    }

    pub fn kind(self) -> DTypeKind {
        match self {
            DType::Bool => DTypeKind::Bool,
            DType::I8 | DType::I16 | DType::I32 | DType::I64 => DTypeKind::SignedInt,
            DType::U8 | DType::U16 | DType::U32 | DType::U64 => DTypeKind::UnsignedInt,
            DType::F32 | DType::F64 => DTypeKind::RealFloat,
            DType::C64 | DType::C128 => DTypeKind::ComplexFloat,
        }
    }

    pub fn is_bool(self) -> bool {
        self == DType::Bool
    }
    pub fn is_integer(self) -> bool {
        matches!(self.kind(), DTypeKind::SignedInt | DTypeKind::UnsignedInt)
    }
    pub fn is_signed_integer(self) -> bool {
        self.kind() == DTypeKind::SignedInt
    }
    pub fn is_unsigned_integer(self) -> bool {
        self.kind() == DTypeKind::UnsignedInt
    }
    pub fn is_real_float(self) -> bool {
        self.kind() == DTypeKind::RealFloat
    }
    pub fn is_complex(self) -> bool {
        self.kind() == DTypeKind::ComplexFloat
    }
    /// Real or complex floating point.
    pub fn is_floating(self) -> bool {
        self.is_real_float() || self.is_complex()
    }
    /// Integer or floating (not bool).
    pub fn is_numeric(self) -> bool {
        !self.is_bool()
    }

    /// The real dtype of a complex dtype's components; a real dtype maps to itself.
    pub fn real_part(self) -> DType {
        match self {
            DType::C64 => DType::F32,
            DType::C128 => DType::F64,
            other => other,
        }
    }

    /// The complex dtype whose components are this real float dtype.
    pub fn to_complex(self) -> Option<DType> {
        match self {
            DType::F32 | DType::C64 => Some(DType::C64),
            DType::F64 | DType::C128 => Some(DType::C128),
            _ => None,
        }
    }

    /// Bits of an integer dtype (0 for others).
    pub fn int_bits(self) -> u32 {
        if self.is_integer() {
            8 * self.size_bytes() as u32
        } else {
            0
        }
    }

    /// The standard's name: `"float32"`, `"int64"`, ...
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::C64 => "complex64",
            DType::C128 => "complex128",
        }
    }

    /// Short name used in IR text: `f32`, `i64`, `c128`, `bool`.
    pub fn short_name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I8 => "i8",
            DType::I16 => "i16",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::U8 => "u8",
            DType::U16 => "u16",
            DType::U32 => "u32",
            DType::U64 => "u64",
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::C64 => "c64",
            DType::C128 => "c128",
        }
    }

    /// Parses either the standard name or the short name.
    pub fn from_name(name: &str) -> Option<DType> {
        DType::ALL
            .into_iter()
            .find(|d| d.name() == name || d.short_name() == name)
    }

    /// The dtype `sum`/`prod` accumulate in by default (Array API `dtype=None` rule):
    /// signed ints widen to int64, unsigned ints to uint64, bool to int64, floats keep their dtype.
    pub fn default_sum_dtype(self) -> DType {
        match self.kind() {
            DTypeKind::Bool | DTypeKind::SignedInt => DType::I64,
            DTypeKind::UnsignedInt => DType::U64,
            _ => self,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The result dtype of a binary operation between two arrays.
///
/// Within a kind this is the Array API promotion lattice. Across kinds (which the standard leaves
/// to the implementation) kiln follows NumPy 2 without value-based casting: bool promotes to any
/// numeric dtype; an integer meeting a float gives the smallest float of at least that float's
/// precision that represents the integer's range (int8/16 and uint8/16 keep float32, wider
/// integers give float64); `uint64` with a signed integer gives float64.
pub fn promote(a: DType, b: DType) -> DType {
    use DTypeKind::*;
    if a == b {
        return a;
    }
    match (a.kind(), b.kind()) {
        (Bool, _) => b,
        (_, Bool) => a,
        (SignedInt, SignedInt) | (UnsignedInt, UnsignedInt) => {
            if a.size_bytes() >= b.size_bytes() {
                a
            } else {
                b
            }
        }
        (SignedInt, UnsignedInt) => promote_mixed_int(a, b),
        (UnsignedInt, SignedInt) => promote_mixed_int(b, a),
        (SignedInt | UnsignedInt, RealFloat | ComplexFloat) => promote_int_float(a, b),
        (RealFloat | ComplexFloat, SignedInt | UnsignedInt) => promote_int_float(b, a),
        (RealFloat | ComplexFloat, RealFloat | ComplexFloat) => {
            let wide = a.real_part() == DType::F64 || b.real_part() == DType::F64;
            match (a.is_complex() || b.is_complex(), wide) {
                (true, true) => DType::C128,
                (true, false) => DType::C64,
                (false, true) => DType::F64,
                (false, false) => DType::F32,
            }
        }
    }
}

fn promote_mixed_int(signed: DType, unsigned: DType) -> DType {
    match unsigned {
        DType::U64 => DType::F64,
        _ => {
            let needed = (unsigned.size_bytes() * 2).max(signed.size_bytes());
            match needed {
                1 => DType::I8,
                2 => DType::I16,
                4 => DType::I32,
                _ => DType::I64,
            }
        }
    }
}

fn promote_int_float(int: DType, float: DType) -> DType {
    let small_int = int.size_bytes() <= 2;
    match (float, small_int) {
        (DType::F32, true) => DType::F32,
        (DType::F32 | DType::F64, _) => DType::F64,
        (DType::C64, true) => DType::C64,
        _ => DType::C128,
    }
}

/// Whether `from` casts to `to` without loss under the standard's `can_cast` rules
/// (the promotion lattice: `promote(from, to) == to` within the same kind family).
pub fn can_cast(from: DType, to: DType) -> bool {
    if from == to {
        return true;
    }
    if from.is_bool() {
        return true;
    }
    if to.is_bool() {
        return false;
    }
    promote(from, to) == to
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_lattice_examples() {
        assert_eq!(promote(DType::I8, DType::U8), DType::I16);
        assert_eq!(promote(DType::I32, DType::U32), DType::I64);
        assert_eq!(promote(DType::U8, DType::U32), DType::U32);
        assert_eq!(promote(DType::F32, DType::C128), DType::C128);
        assert_eq!(promote(DType::F64, DType::C64), DType::C128);
        assert_eq!(promote(DType::Bool, DType::F32), DType::F32);
        assert_eq!(promote(DType::U64, DType::I8), DType::F64);
        assert_eq!(promote(DType::I16, DType::F32), DType::F32);
        assert_eq!(promote(DType::I32, DType::F32), DType::F64);
    }

    #[test]
    fn promotion_is_commutative_and_idempotent() {
        for a in DType::ALL {
            assert_eq!(promote(a, a), a);
            for b in DType::ALL {
                assert_eq!(promote(a, b), promote(b, a), "{a} {b}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for d in DType::ALL {
            assert_eq!(DType::from_name(d.name()), Some(d));
            assert_eq!(DType::from_name(d.short_name()), Some(d));
        }
    }

    #[test]
    fn can_cast_follows_lattice() {
        assert!(can_cast(DType::I8, DType::I64));
        assert!(!can_cast(DType::I64, DType::I8));
        assert!(can_cast(DType::F32, DType::C64));
        assert!(!can_cast(DType::C64, DType::F64));
        assert!(can_cast(DType::Bool, DType::U8));
        assert!(!can_cast(DType::U8, DType::Bool));
    }
}
