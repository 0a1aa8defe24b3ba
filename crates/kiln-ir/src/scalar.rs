//! Typed scalar values: constants in the graph and the kernel IR, and `item()` results.
//!
//! Invariant: a `Scalar` always carries exactly the dtype of its variant; equality and hashing
//! compare floats by bit pattern, so `NaN == NaN` and `0.0 != -0.0` here (graph identity, not
//! IEEE comparison). The text forms (`Display`, parsed back by `FromStr`, and `Debug`) are as
//! exact: two scalars have the same text only if they are equal, so a NaN's sign and payload
//! show (`nan`, `-nan`, or `nan(0x<bits>)`). Cache keys and stored plans rely on this.

use crate::dtype::DType;
use num_complex::Complex;
use std::fmt;
use std::hash::{Hash, Hasher};

pub type C64 = Complex<f32>;
pub type C128 = Complex<f64>;

#[derive(Clone, Copy)]
pub enum Scalar {
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    F32(f32),
    F64(f64),
    C64(C64),
    C128(C128),
}

impl Scalar {
    pub fn dtype(&self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::I8(_) => DType::I8,
            Scalar::I16(_) => DType::I16,
            Scalar::I32(_) => DType::I32,
            Scalar::I64(_) => DType::I64,
            Scalar::U8(_) => DType::U8,
            Scalar::U16(_) => DType::U16,
            Scalar::U32(_) => DType::U32,
            Scalar::U64(_) => DType::U64,
            Scalar::F32(_) => DType::F32,
            Scalar::F64(_) => DType::F64,
            Scalar::C64(_) => DType::C64,
            Scalar::C128(_) => DType::C128,
        }
    }

    /// Zero of a dtype (`false` for bool).
    pub fn zero(dtype: DType) -> Scalar {
        Scalar::from_f64(0.0, dtype)
    }

    /// One of a dtype (`true` for bool).
    pub fn one(dtype: DType) -> Scalar {
        Scalar::from_f64(1.0, dtype)
    }

    /// Converts an f64 to `dtype` with `as`-cast semantics (saturating for ints, NaN -> 0).
    pub fn from_f64(v: f64, dtype: DType) -> Scalar {
        match dtype {
            DType::Bool => Scalar::Bool(v != 0.0),
            DType::I8 => Scalar::I8(v as i8),
            DType::I16 => Scalar::I16(v as i16),
            DType::I32 => Scalar::I32(v as i32),
            DType::I64 => Scalar::I64(v as i64),
            DType::U8 => Scalar::U8(v as u8),
            DType::U16 => Scalar::U16(v as u16),
            DType::U32 => Scalar::U32(v as u32),
            DType::U64 => Scalar::U64(v as u64),
            DType::F32 => Scalar::F32(v as f32),
            DType::F64 => Scalar::F64(v),
            DType::C64 => Scalar::C64(C64::new(v as f32, 0.0)),
            DType::C128 => Scalar::C128(C128::new(v, 0.0)),
        }
    }

    /// Converts an i64 to `dtype` with wrap-around for ints (two's complement truncation).
    pub fn from_i64(v: i64, dtype: DType) -> Scalar {
        match dtype {
            DType::Bool => Scalar::Bool(v != 0),
            DType::I8 => Scalar::I8(v as i8),
            DType::I16 => Scalar::I16(v as i16),
            DType::I32 => Scalar::I32(v as i32),
            DType::I64 => Scalar::I64(v),
            DType::U8 => Scalar::U8(v as u8),
            DType::U16 => Scalar::U16(v as u16),
            DType::U32 => Scalar::U32(v as u32),
            DType::U64 => Scalar::U64(v as u64),
            _ => Scalar::from_f64(v as f64, dtype),
        }
    }

    /// The value as f64 (real part for complex, 0/1 for bool; u64/i64 may round).
    pub fn to_f64(&self) -> f64 {
        match *self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::I8(v) => v as f64,
            Scalar::I16(v) => v as f64,
            Scalar::I32(v) => v as f64,
            Scalar::I64(v) => v as f64,
            Scalar::U8(v) => v as f64,
            Scalar::U16(v) => v as f64,
            Scalar::U32(v) => v as f64,
            Scalar::U64(v) => v as f64,
            Scalar::F32(v) => v as f64,
            Scalar::F64(v) => v,
            Scalar::C64(v) => v.re as f64,
            Scalar::C128(v) => v.re,
        }
    }

    /// The value as complex128.
    pub fn to_c128(&self) -> C128 {
        match *self {
            Scalar::C64(v) => C128::new(v.re as f64, v.im as f64),
            Scalar::C128(v) => v,
            other => C128::new(other.to_f64(), 0.0),
        }
    }

    /// The exact value of an integer or bool scalar (floats truncate toward zero, saturating).
    pub fn to_i128(&self) -> i128 {
        match *self {
            Scalar::U64(v) => v as i128,
            Scalar::F32(_) | Scalar::F64(_) | Scalar::C64(_) | Scalar::C128(_) => {
                self.to_f64() as i128
            }
            other => other.to_i64() as i128,
        }
    }

    /// The value as i64 for integer and bool scalars (u64 wraps); floats truncate toward zero.
    pub fn to_i64(&self) -> i64 {
        match *self {
            Scalar::Bool(b) => b as i64,
            Scalar::I8(v) => v as i64,
            Scalar::I16(v) => v as i64,
            Scalar::I32(v) => v as i64,
            Scalar::I64(v) => v,
            Scalar::U8(v) => v as i64,
            Scalar::U16(v) => v as i64,
            Scalar::U32(v) => v as i64,
            Scalar::U64(v) => v as i64,
            other => other.to_f64() as i64,
        }
    }

    /// Casts to another dtype with the semantics of `astype` (C-like conversions; complex to real
    /// keeps the real part; float to int saturates, NaN -> 0).
    pub fn cast(&self, to: DType) -> Scalar {
        if self.dtype() == to {
            return *self;
        }
        match (*self, to) {
            (_, DType::C64) => {
                let c = self.to_c128();
                Scalar::C64(C64::new(c.re as f32, c.im as f32))
            }
            (_, DType::C128) => Scalar::C128(self.to_c128()),
            (Scalar::C64(c), DType::Bool) => Scalar::Bool(c.re != 0.0 || c.im != 0.0),
            (Scalar::C128(c), DType::Bool) => Scalar::Bool(c.re != 0.0 || c.im != 0.0),
            (Scalar::U64(v), _) if to.is_floating() => Scalar::from_f64(v as f64, to),
            (Scalar::U64(v), _) => Scalar::from_i64(v as i64, to),
            (_, _) if self.dtype().is_integer() || self.dtype().is_bool() => {
                if to.is_floating() {
                    Scalar::from_f64(self.to_i64() as f64, to)
                } else {
                    Scalar::from_i64(self.to_i64(), to)
                }
            }
            (_, _) => Scalar::from_f64(self.to_f64(), to),
        }
    }

    /// Bit pattern used for identity (hashing, equality): floats by bits, complex by both parts.
    fn identity_bits(&self) -> (u64, u64) {
        match *self {
            Scalar::F32(v) => (v.to_bits() as u64, 0),
            Scalar::F64(v) => (v.to_bits(), 0),
            Scalar::C64(v) => (v.re.to_bits() as u64, v.im.to_bits() as u64),
            Scalar::C128(v) => (v.re.to_bits(), v.im.to_bits()),
            Scalar::U64(v) => (v, 0),
            other => (other.to_i64() as u64, 0),
        }
    }

    /// Whether this is exactly the value `v` (by bits for floats, so -0.0 is not 0.0).
    pub fn is_exactly(&self, v: f64) -> bool {
        *self == Scalar::from_f64(v, self.dtype()) && self.to_f64() == v
    }
}

impl PartialEq for Scalar {
    fn eq(&self, other: &Self) -> bool {
        self.dtype() == other.dtype() && self.identity_bits() == other.identity_bits()
    }
}
impl Eq for Scalar {}

impl Hash for Scalar {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.dtype().hash(state);
        self.identity_bits().hash(state);
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Scalar::Bool(b) => write!(f, "{b}")?,
            Scalar::F32(v) => f.write_str(&f32_text(v))?,
            Scalar::F64(v) => f.write_str(&f64_text(v))?,
            Scalar::C64(c) => write_complex(f, part32(c.re), part32(c.im))?,
            Scalar::C128(c) => write_complex(f, part64(c.re), part64(c.im))?,
            Scalar::U64(v) => write!(f, "{v}")?,
            other => write!(f, "{}", other.to_i64())?,
        }
        write!(f, ":{}", self.dtype().short_name())
    }
}

/// The `Display` text with the dtype's variant name around it (`F64(nan:f64)`): exact, as the
/// module doc says (a derived `Debug` would print every NaN alike).
impl fmt::Debug for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}({self})", self.dtype())
    }
}

/// A complex part: Rust's shortest `Display` (`1`, `-0`, `0.5`, `inf`), a NaN by its text.
fn part32(v: f32) -> String {
    if v.is_nan() {
        f32_text(v)
    } else {
        format!("{v}")
    }
}

fn part64(v: f64) -> String {
    if v.is_nan() {
        f64_text(v)
    } else {
        format!("{v}")
    }
}

fn write_complex(f: &mut fmt::Formatter<'_>, re: String, im: String) -> fmt::Result {
    let sign = if im.starts_with('-') { "" } else { "+" };
    write!(f, "({re}{sign}{im}j)")
}

/// A NaN's text: `nan` or `-nan` for the default quiet NaN, else its bits in hex.
fn nan_text(negative: bool, default: bool, bits: String) -> String {
    match (default, negative) {
        (true, false) => "nan".into(),
        (true, true) => "-nan".into(),
        _ => format!("nan(0x{bits})"),
    }
}

fn f32_text(v: f32) -> String {
    if v.is_nan() {
        let bits = v.to_bits();
        let default = bits & 0x7fff_ffff == f32::NAN.to_bits();
        return nan_text(v.is_sign_negative(), default, format!("{bits:08x}"));
    }
    finite_text(v as f64)
}

fn f64_text(v: f64) -> String {
    if v.is_nan() {
        let bits = v.to_bits();
        let default = bits & 0x7fff_ffff_ffff_ffff == f64::NAN.to_bits();
        return nan_text(v.is_sign_negative(), default, format!("{bits:016x}"));
    }
    finite_text(v)
}

/// Text of a value that is not NaN; Rust's float `Display` never uses an exponent, so the text
/// has a sign only in front.
fn finite_text(v: f64) -> String {
    if v.is_infinite() {
        (if v > 0.0 { "inf" } else { "-inf" }).into()
    } else if v == 0.0 && v.is_sign_negative() {
        "-0.0".into()
    } else if v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

impl std::str::FromStr for Scalar {
    type Err = String;
    /// Parses the `Display` text form (`value:dtype`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (value, dtype) = s
            .rsplit_once(':')
            .ok_or_else(|| format!("scalar `{s}` lacks `:dtype`"))?;
        let dtype = DType::from_name(dtype).ok_or_else(|| format!("unknown dtype in `{s}`"))?;
        let bad = || format!("bad {dtype} literal `{value}`");
        Ok(match dtype {
            DType::Bool => Scalar::Bool(value.parse().map_err(|_| bad())?),
            DType::U64 => Scalar::U64(value.parse().map_err(|_| bad())?),
            d if d.is_integer() => Scalar::from_i64(value.parse().map_err(|_| bad())?, d),
            DType::F32 => Scalar::F32(parse_f32(value).ok_or_else(bad)?),
            DType::F64 => Scalar::F64(parse_f64(value).ok_or_else(bad)?),
            d => {
                let inner = value
                    .strip_prefix('(')
                    .and_then(|v| v.strip_suffix("j)"))
                    .ok_or_else(bad)?;
                let split = inner
                    .get(1..)
                    .and_then(|rest| rest.rfind(['+', '-']))
                    .map(|i| i + 1)
                    .ok_or_else(bad)?;
                let (re, im) = inner.split_at(split);
                let im = im.strip_prefix('+').unwrap_or(im);
                if d == DType::C64 {
                    let (re, im) = (
                        parse_f32(re).ok_or_else(bad)?,
                        parse_f32(im).ok_or_else(bad)?,
                    );
                    Scalar::C64(C64::new(re, im))
                } else {
                    let (re, im) = (
                        parse_f64(re).ok_or_else(bad)?,
                        parse_f64(im).ok_or_else(bad)?,
                    );
                    Scalar::C128(C128::new(re, im))
                }
            }
        })
    }
}

/// The bits of a `nan(0x...)` text.
fn nan_bits(s: &str) -> Option<&str> {
    s.strip_prefix("nan(0x")?.strip_suffix(')')
}

fn parse_f64(s: &str) -> Option<f64> {
    match s {
        "nan" | "+nan" => Some(f64::NAN),
        "-nan" => Some(-f64::NAN),
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        _ => match nan_bits(s) {
            Some(hex) => u64::from_str_radix(hex, 16).ok().map(f64::from_bits),
            None => s.parse().ok(),
        },
    }
}

/// As `parse_f64`, keeping a NaN's f32 bits (a finite text is the f64 value of an f32, so the
/// cast back is exact).
fn parse_f32(s: &str) -> Option<f32> {
    match s {
        "nan" | "+nan" => Some(f32::NAN),
        "-nan" => Some(-f32::NAN),
        _ => match nan_bits(s) {
            Some(hex) => u32::from_str_radix(hex, 16).ok().map(f32::from_bits),
            None => parse_f64(s).map(|v| v as f32),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn nans_of_another_sign_or_payload_have_another_text() {
        let nans = [
            Scalar::F64(f64::NAN),
            Scalar::F64(-f64::NAN),
            Scalar::F64(f64::from_bits(0x7ff8_0000_0000_0001)),
        ];
        for (i, a) in nans.iter().enumerate() {
            for b in &nans[i + 1..] {
                assert_ne!(a.to_string(), b.to_string());
                assert_ne!(format!("{a:?}"), format!("{b:?}"));
            }
        }
        assert_eq!(Scalar::F64(-f64::NAN).to_string(), "-nan:f64");
    }

    #[test]
    fn text_round_trip() -> TestResult {
        for s in [
            Scalar::F32(2.5),
            Scalar::F64(-0.0),
            Scalar::F64(f64::NAN),
            Scalar::F64(-f64::NAN),
            Scalar::F64(f64::from_bits(0x7ff0_0000_0000_0001)),
            Scalar::F64(f64::from_bits(0xfff8_dead_beef_0001)),
            Scalar::F32(f32::NAN),
            Scalar::F32(-f32::NAN),
            Scalar::F32(f32::from_bits(0xffc0_1234)),
            Scalar::F32(-0.0),
            Scalar::F32(1e-7),
            Scalar::C64(C64::new(-f32::NAN, f32::from_bits(0x7f80_0001))),
            Scalar::C128(C128::new(f64::NAN, -f64::NAN)),
            Scalar::C128(C128::new(-0.0, -0.0)),
            Scalar::I64(-3),
            Scalar::U64(u64::MAX),
            Scalar::Bool(true),
            Scalar::C64(C64::new(1.0, -2.0)),
            Scalar::C128(C128::new(0.5, 2.0)),
            Scalar::U8(200),
        ] {
            let text = s.to_string();
            assert_eq!(text.parse::<Scalar>()?, s, "{text}");
            // Equal text only for equal scalars (bits): the Debug text too.
            assert_eq!(format!("{s:?}"), format!("{:?}", text.parse::<Scalar>()?));
        }
        Ok(())
    }

    #[test]
    fn identity_distinguishes_signed_zero() {
        assert_ne!(Scalar::F64(0.0), Scalar::F64(-0.0));
        assert_eq!(Scalar::F64(f64::NAN), Scalar::F64(f64::NAN));
    }

    #[test]
    fn casts_follow_astype() {
        assert_eq!(Scalar::F64(300.7).cast(DType::U8), Scalar::U8(255));
        assert_eq!(Scalar::I64(-1).cast(DType::U16), Scalar::U16(65535));
        assert_eq!(Scalar::F32(1.5).cast(DType::Bool), Scalar::Bool(true));
        assert_eq!(Scalar::U64(u64::MAX).cast(DType::I64), Scalar::I64(-1));
    }
}
