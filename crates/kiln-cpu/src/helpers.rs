//! `extern "C"` helper functions that generated code calls for rare or hard operations:
//! scalar transcendentals (when no inline vector math is available), complex arithmetic,
//! integer power / floor division / remainder, float floor division / remainder, nextafter.
//!
//! Invariant: every helper is total (no panics: a panic cannot unwind out of JIT code) and
//! implements exactly the reference semantics of `kiln-interp`'s `scalar_ops` (complex math is
//! `kiln-cmath`'s, shared with the reference; complex64 is computed in complex128 and rounded): f32
//! transcendentals are computed in f64 and rounded once; floor division and remainder follow
//! NumPy's `npy_divmod` for floats and Python's rules for integers (division by zero gives 0);
//! integer power wraps. An op code is the op's index in `UnaryOp::ALL` / `BinaryOp::ALL`.

use kiln_ir::C128;
use kiln_ir::{BinaryOp, UnaryOp};

/// A helper the code generator can call; `symbol` is the name registered with the JIT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Helper {
    F32Unary,
    F64Unary,
    F32Binary,
    F64Binary,
    C64Unary,
    C128Unary,
    C64Binary,
    C128Binary,
    I64Binary,
    U64Binary,
}

impl Helper {
    pub const ALL: [Helper; 10] = [
        Helper::F32Unary,
        Helper::F64Unary,
        Helper::F32Binary,
        Helper::F64Binary,
        Helper::C64Unary,
        Helper::C128Unary,
        Helper::C64Binary,
        Helper::C128Binary,
        Helper::I64Binary,
        Helper::U64Binary,
    ];

    pub fn symbol(self) -> &'static str {
        match self {
            Helper::F32Unary => "kiln_f32_unary",
            Helper::F64Unary => "kiln_f64_unary",
            Helper::F32Binary => "kiln_f32_binary",
            Helper::F64Binary => "kiln_f64_binary",
            Helper::C64Unary => "kiln_c64_unary",
            Helper::C128Unary => "kiln_c128_unary",
            Helper::C64Binary => "kiln_c64_binary",
            Helper::C128Binary => "kiln_c128_binary",
            Helper::I64Binary => "kiln_i64_binary",
            Helper::U64Binary => "kiln_u64_binary",
        }
    }

    /// The address of the Rust function behind the symbol.
    pub fn address(self) -> *const u8 {
        match self {
            Helper::F32Unary => kiln_f32_unary as *const u8,
            Helper::F64Unary => kiln_f64_unary as *const u8,
            Helper::F32Binary => kiln_f32_binary as *const u8,
            Helper::F64Binary => kiln_f64_binary as *const u8,
            Helper::C64Unary => kiln_c64_unary as *const u8,
            Helper::C128Unary => kiln_c128_unary as *const u8,
            Helper::C64Binary => kiln_c64_binary as *const u8,
            Helper::C128Binary => kiln_c128_binary as *const u8,
            Helper::I64Binary => kiln_i64_binary as *const u8,
            Helper::U64Binary => kiln_u64_binary as *const u8,
        }
    }
}

pub fn unary_code(op: UnaryOp) -> u32 {
    UnaryOp::ALL.iter().position(|&o| o == op).unwrap_or(0) as u32
}

pub fn binary_code(op: BinaryOp) -> u32 {
    BinaryOp::ALL.iter().position(|&o| o == op).unwrap_or(0) as u32
}

/// Real unary math in f64 (the f32 helper rounds this result once).
pub fn real_unary(op: UnaryOp, x: f64) -> f64 {
    use UnaryOp::*;
    match op {
        Exp => x.exp(),
        Expm1 => x.exp_m1(),
        Log => x.ln(),
        Log1p => x.ln_1p(),
        Log2 => x.log2(),
        Log10 => x.log10(),
        Sin => x.sin(),
        Cos => x.cos(),
        Tan => x.tan(),
        Asin => x.asin(),
        Acos => x.acos(),
        Atan => x.atan(),
        Sinh => x.sinh(),
        Cosh => x.cosh(),
        Tanh => x.tanh(),
        // std's closed forms overflow early; the reference uses libm's.
        Asinh => libm::asinh(x),
        // libm's (musl's) acosh returns finite garbage for x <= -1: the domain check is ours.
        Acosh if x < 1.0 => f64::NAN,
        Acosh => libm::acosh(x),
        Atanh => libm::atanh(x),
        Sqrt => x.sqrt(),
        _ => f64::NAN,
    }
}

extern "C" fn kiln_f64_unary(op: u32, x: f64) -> f64 {
    match UnaryOp::ALL.get(op as usize) {
        Some(&op) => real_unary(op, x),
        None => f64::NAN,
    }
}

extern "C" fn kiln_f32_unary(op: u32, x: f32) -> f32 {
    kiln_f64_unary(op, x as f64) as f32
}

/// NumPy's `npy_divmod`: returns (floor quotient, remainder with the divisor's sign).
macro_rules! divmod {
    ($name:ident, $t:ty) => {
        pub fn $name(a: $t, b: $t) -> ($t, $t) {
            let m = a % b;
            if b == 0.0 {
                return (a / b, m);
            }
            let mut div = (a - m) / b;
            let mut m = m;
            if m != 0.0 {
                if (b < 0.0) != (m < 0.0) {
                    m += b;
                    div -= 1.0;
                }
            } else {
                m = (0.0 as $t).copysign(b);
            }
            let floordiv = if div != 0.0 {
                let f = div.floor();
                if div - f > 0.5 { f + 1.0 } else { f }
            } else {
                (0.0 as $t).copysign(a / b)
            };
            (floordiv, m)
        }
    };
}
divmod!(divmod_f64, f64);
divmod!(divmod_f32, f32);

/// Floor division: NumPy's divmod quotient for finite operands, the Array API's
/// `floor(a / b)` when one is infinite (`inf // 2 = inf`, `1 // -inf = -0.0`).
macro_rules! floor_div {
    ($name:ident, $divmod:ident, $t:ty) => {
        pub fn $name(a: $t, b: $t) -> $t {
            if a.is_infinite() || b.is_infinite() {
                return (a / b).floor();
            }
            $divmod(a, b).0
        }
    };
}
floor_div!(floor_div_f64, divmod_f64, f64);
floor_div!(floor_div_f32, divmod_f32, f32);

macro_rules! nextafter {
    ($name:ident, $t:ty) => {
        pub fn $name(x: $t, y: $t) -> $t {
            if x.is_nan() || y.is_nan() {
                <$t>::NAN
            } else if x == y {
                y
            } else if x < y {
                x.next_up()
            } else {
                x.next_down()
            }
        }
    };
}
nextafter!(nextafter_f64, f64);
nextafter!(nextafter_f32, f32);

/// NumPy's `npy_logaddexp`.
pub fn logaddexp(x: f64, y: f64) -> f64 {
    if x == y {
        return x + std::f64::consts::LN_2;
    }
    let d = x - y;
    if d > 0.0 {
        x + (-d).exp().ln_1p()
    } else if d <= 0.0 {
        y + d.exp().ln_1p()
    } else {
        d
    }
}

/// Real binary math computed in f64 (pow, atan2, hypot, logaddexp).
pub fn real_binary_f64(op: BinaryOp, a: f64, b: f64) -> f64 {
    use BinaryOp::*;
    match op {
        Pow => a.powf(b),
        Atan2 => a.atan2(b),
        Hypot => a.hypot(b),
        LogAddExp => logaddexp(a, b),
        Copysign => a.copysign(b),
        Nextafter => nextafter_f64(a, b),
        FloorDiv => floor_div_f64(a, b),
        Rem => divmod_f64(a, b).1,
        _ => f64::NAN,
    }
}

extern "C" fn kiln_f64_binary(op: u32, a: f64, b: f64) -> f64 {
    match BinaryOp::ALL.get(op as usize) {
        Some(&op) => real_binary_f64(op, a, b),
        None => f64::NAN,
    }
}

extern "C" fn kiln_f32_binary(op: u32, a: f32, b: f32) -> f32 {
    use BinaryOp::*;
    match BinaryOp::ALL.get(op as usize) {
        // Exact or native-precision operations stay in f32.
        Some(Nextafter) => nextafter_f32(a, b),
        Some(FloorDiv) => floor_div_f32(a, b),
        Some(Rem) => divmod_f32(a, b).1,
        Some(Copysign) => a.copysign(b),
        Some(&op) => real_binary_f64(op, a as f64, b as f64) as f32,
        None => f32::NAN,
    }
}

/// Complex unary math in complex128 (`Abs` returns `|z|` in the real part): `kiln-cmath`'s
/// table, the one the reference interpreter dispatches through.
pub fn complex_unary(op: UnaryOp, z: C128) -> C128 {
    match op {
        UnaryOp::Abs => C128::new(z.re.hypot(z.im), 0.0),
        _ => kiln_cmath::unary(op, z).unwrap_or(C128::new(f64::NAN, f64::NAN)),
    }
}

/// Complex binary math in complex128 (`kiln-cmath`'s table).
pub fn complex_binary(op: BinaryOp, a: C128, b: C128) -> C128 {
    kiln_cmath::binary(op, a, b).unwrap_or(C128::new(f64::NAN, f64::NAN))
}

extern "C" fn kiln_c64_unary(op: u32, re: f32, im: f32, out: *mut f32) {
    let z = match UnaryOp::ALL.get(op as usize) {
        Some(&op) => complex_unary(op, C128::new(re as f64, im as f64)),
        None => C128::new(f64::NAN, f64::NAN),
    };
    // SAFETY: generated code passes a pointer to a 2-element stack slot of f32.
    unsafe {
        *out = z.re as f32;
        *out.add(1) = z.im as f32;
    }
}

extern "C" fn kiln_c128_unary(op: u32, re: f64, im: f64, out: *mut f64) {
    let z = match UnaryOp::ALL.get(op as usize) {
        Some(&op) => complex_unary(op, C128::new(re, im)),
        None => C128::new(f64::NAN, f64::NAN),
    };
    // SAFETY: generated code passes a pointer to a 2-element stack slot of f64.
    unsafe {
        *out = z.re;
        *out.add(1) = z.im;
    }
}

extern "C" fn kiln_c64_binary(op: u32, are: f32, aim: f32, bre: f32, bim: f32, out: *mut f32) {
    let z = match BinaryOp::ALL.get(op as usize) {
        Some(&op) => complex_binary(
            op,
            C128::new(are as f64, aim as f64),
            C128::new(bre as f64, bim as f64),
        ),
        None => C128::new(f64::NAN, f64::NAN),
    };
    // SAFETY: generated code passes a pointer to a 2-element stack slot of f32.
    unsafe {
        *out = z.re as f32;
        *out.add(1) = z.im as f32;
    }
}

extern "C" fn kiln_c128_binary(op: u32, are: f64, aim: f64, bre: f64, bim: f64, out: *mut f64) {
    let z = match BinaryOp::ALL.get(op as usize) {
        Some(&op) => complex_binary(op, C128::new(are, aim), C128::new(bre, bim)),
        None => C128::new(f64::NAN, f64::NAN),
    };
    // SAFETY: generated code passes a pointer to a 2-element stack slot of f64.
    unsafe {
        *out = z.re;
        *out.add(1) = z.im;
    }
}

/// Integer power by squaring with wrap-around; negative exponents give 1 for base 1, ±1 for
/// base -1 and 0 otherwise.
pub fn ipow(base: i64, exp: i64) -> i64 {
    if exp < 0 {
        return match base {
            1 => 1,
            -1 => {
                if exp % 2 == 0 {
                    1
                } else {
                    -1
                }
            }
            _ => 0,
        };
    }
    upow(base as u64, exp as u64) as i64
}

pub fn upow(mut base: u64, mut exp: u64) -> u64 {
    let mut acc: u64 = 1;
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        exp >>= 1;
    }
    acc
}

/// Python floor division of signed integers; division by zero gives 0, `MIN // -1` wraps.
pub fn ifloordiv(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0;
    }
    let q = a.wrapping_div(b);
    if a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0)) {
        q.wrapping_sub(1)
    } else {
        q
    }
}

/// Python remainder of signed integers (sign of the divisor); by zero gives 0.
pub fn irem(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0;
    }
    let r = a.wrapping_rem(b);
    if r != 0 && ((r < 0) != (b < 0)) {
        r.wrapping_add(b)
    } else {
        r
    }
}

extern "C" fn kiln_i64_binary(op: u32, a: i64, b: i64) -> i64 {
    match BinaryOp::ALL.get(op as usize) {
        Some(BinaryOp::Pow) => ipow(a, b),
        Some(BinaryOp::FloorDiv) => ifloordiv(a, b),
        Some(BinaryOp::Rem) => irem(a, b),
        _ => 0,
    }
}

extern "C" fn kiln_u64_binary(op: u32, a: u64, b: u64) -> u64 {
    match BinaryOp::ALL.get(op as usize) {
        Some(BinaryOp::Pow) => upow(a, b),
        Some(BinaryOp::FloorDiv) => a.checked_div(b).unwrap_or(0),
        Some(BinaryOp::Rem) => a.checked_rem(b).unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_integer_division() {
        assert_eq!(ifloordiv(-7, 2), -4);
        assert_eq!(irem(-7, 2), 1);
        assert_eq!(irem(7, -2), -1);
        assert_eq!(ifloordiv(7, 0), 0);
        assert_eq!(irem(7, 0), 0);
        assert_eq!(ifloordiv(i64::MIN, -1), i64::MIN);
    }

    #[test]
    fn float_divmod_follows_numpy() {
        assert_eq!(divmod_f64(-7.0, 2.0), (-4.0, 1.0));
        assert_eq!(floor_div_f64(f64::INFINITY, 2.0), f64::INFINITY);
        assert_eq!(floor_div_f64(f64::NEG_INFINITY, 2.0), f64::NEG_INFINITY);
        assert!(floor_div_f64(1.0, f64::NEG_INFINITY).is_sign_negative());
        assert_eq!(floor_div_f64(1.0, f64::NEG_INFINITY), 0.0);
        assert!(floor_div_f64(-1.0, f64::INFINITY).is_sign_negative());
        assert!(floor_div_f64(f64::INFINITY, f64::INFINITY).is_nan());
        assert_eq!(floor_div_f32(f32::INFINITY, -0.0), f32::NEG_INFINITY);
        assert_eq!(divmod_f64(7.0, -2.0), (-4.0, -1.0));
        let (q, r) = divmod_f64(1.0, 0.0);
        assert!(q.is_infinite() && r.is_nan());
        assert!(divmod_f64(0.0, -3.0).1.is_sign_negative());
    }

    #[test]
    fn integer_pow_wraps_and_handles_negative_exponents() {
        assert_eq!(ipow(3, 4), 81);
        assert_eq!(ipow(-1, -3), -1);
        assert_eq!(ipow(2, -1), 0);
        assert_eq!(ipow(2, 64), 0);
        assert_eq!(upow(10, 3), 1000);
    }

    #[test]
    fn acosh_outside_its_domain_is_nan() {
        for x in [-3077.0, -1.5, -0.3, 0.999] {
            assert!(real_unary(UnaryOp::Acosh, x).is_nan(), "acosh({x})");
        }
        assert_eq!(real_unary(UnaryOp::Acosh, 1.0), 0.0);
    }

    #[test]
    fn nextafter_steps_one_ulp() {
        assert_eq!(nextafter_f32(1.0, 2.0), 1.0 + f32::EPSILON);
        assert!(nextafter_f64(0.0, -1.0) < 0.0);
        assert!(nextafter_f64(f64::NAN, 1.0).is_nan());
    }
}
