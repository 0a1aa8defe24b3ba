//! CUDA C names of kiln dtypes and literals of kiln scalars.
//!
//! Invariant: a literal denotes exactly the scalar's value: floats are written in the shortest
//! form that round-trips (Rust's `Debug`), and non-finite or NaN values by their bit pattern, so
//! NaN payloads and signed zeros survive.

use kiln_ir::{DType, Scalar};

/// The C type of a dtype (typedefs and structs from `kernels/prelude.cuh` / `complex.cuh`).
pub fn ctype(d: DType) -> &'static str {
    // The prelude's typedefs are the dtypes' short names; bool is C++ `bool` (one byte, 0 or 1).
    d.short_name()
}

fn f32_literal(v: f32) -> String {
    if v.is_finite() {
        format!("{v:?}f")
    } else {
        format!("__uint_as_float(0x{:08x}u)", v.to_bits())
    }
}

fn f64_literal(v: f64) -> String {
    if v.is_finite() {
        format!("{v:?}")
    } else {
        format!("__longlong_as_double(0x{:016x}LL)", v.to_bits())
    }
}

fn int_literal(v: i128, d: DType) -> String {
    let t = ctype(d);
    if (-(1i128 << 31)..(1i128 << 31)).contains(&v) {
        format!("({t}){v}")
    } else {
        // Outside int range: spell the two's complement bits, which the cast wraps to the value.
        format!("({t})0x{:x}ull", v as u64)
    }
}

/// A C expression of the scalar's dtype with exactly its value.
pub fn literal(s: &Scalar) -> String {
    match *s {
        Scalar::Bool(b) => b.to_string(),
        Scalar::F32(v) => f32_literal(v),
        Scalar::F64(v) => f64_literal(v),
        Scalar::C64(c) => format!("c64{{{}, {}}}", f32_literal(c.re), f32_literal(c.im)),
        Scalar::C128(c) => format!("c128{{{}, {}}}", f64_literal(c.re), f64_literal(c.im)),
        Scalar::U64(v) => format!("(u64){v}ull"),
        other => int_literal(other.to_i64() as i128, other.dtype()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_keep_the_value() {
        assert_eq!(literal(&Scalar::F32(0.1)), "0.1f");
        assert_eq!(literal(&Scalar::F32(-0.0)), "-0.0f");
        assert_eq!(literal(&Scalar::F64(1e300)), "1e300");
        assert_eq!(literal(&Scalar::F64(2.0)), "2.0");
        assert_eq!(
            literal(&Scalar::F32(f32::NEG_INFINITY)),
            "__uint_as_float(0xff800000u)"
        );
        assert_eq!(literal(&Scalar::I8(-3)), "(i8)-3");
        assert_eq!(
            literal(&Scalar::I64(i64::MIN)),
            "(i64)0x8000000000000000ull"
        );
        assert_eq!(
            literal(&Scalar::U64(u64::MAX)),
            "(u64)18446744073709551615ull"
        );
    }
}
