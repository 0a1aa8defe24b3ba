//! Hand-checked values for every op family, special values included.

use kiln_interp::InterpError;
use kiln_interp::scalar_ops::{binary, reduce, select, unary};
use kiln_ir::{BinaryOp as B, C64, C128, DType, ReduceOp as R, Scalar, UnaryOp as U};

fn f64_of(s: Scalar) -> f64 {
    match s {
        Scalar::F64(v) => v,
        other => panic!("expected f64, got {other}"),
    }
}

fn f32_of(s: Scalar) -> f32 {
    match s {
        Scalar::F32(v) => v,
        other => panic!("expected f32, got {other}"),
    }
}

fn u(op: U, x: Scalar) -> Scalar {
    unary(op, x).unwrap()
}

fn b(op: B, x: Scalar, y: Scalar) -> Scalar {
    binary(op, x, y).unwrap()
}

fn uf(op: U, x: f64) -> f64 {
    f64_of(u(op, Scalar::F64(x)))
}

fn bf(op: B, x: f64, y: f64) -> f64 {
    f64_of(b(op, Scalar::F64(x), Scalar::F64(y)))
}

/// Same value, or both NaN, and the same sign of zero.
fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a == b && a.is_sign_negative() == b.is_sign_negative())
}

#[test]
fn float_sign_round_and_predicates() {
    assert!(uf(U::Sign, f64::NAN).is_nan());
    assert!(same(uf(U::Sign, -0.0), 0.0));
    assert!(same(uf(U::Sign, -3.0), -1.0));
    assert!(same(uf(U::Sign, f64::INFINITY), 1.0));
    assert!(same(uf(U::Round, 2.5), 2.0));
    assert!(same(uf(U::Round, 3.5), 4.0));
    assert!(same(uf(U::Round, -0.5), -0.0));
    assert!(same(uf(U::Floor, -0.5), -1.0));
    assert!(same(uf(U::Ceil, -0.5), -0.0));
    assert!(same(uf(U::Trunc, -1.7), -1.0));
    assert!(same(uf(U::Abs, -0.0), 0.0));
    assert!(same(uf(U::Neg, 0.0), -0.0));
    assert_eq!(u(U::SignBit, Scalar::F64(-0.0)), Scalar::Bool(true));
    assert_eq!(u(U::SignBit, Scalar::F32(0.0)), Scalar::Bool(false));
    assert_eq!(u(U::IsNan, Scalar::F32(f32::NAN)), Scalar::Bool(true));
    assert_eq!(
        u(U::IsInf, Scalar::F64(f64::NEG_INFINITY)),
        Scalar::Bool(true)
    );
    assert_eq!(
        u(U::IsFinite, Scalar::F64(f64::INFINITY)),
        Scalar::Bool(false)
    );
    assert!(same(uf(U::Imag, -3.0), 0.0));
    assert!(same(uf(U::Real, -3.0), -3.0));
}

#[test]
fn float_transcendentals_special_values() {
    assert!(same(uf(U::Sqrt, -0.0), -0.0));
    assert!(uf(U::Sqrt, -1.0).is_nan());
    assert!(same(uf(U::Log, 0.0), f64::NEG_INFINITY));
    assert!(uf(U::Log, -1.0).is_nan());
    assert!(same(uf(U::Exp, f64::NEG_INFINITY), 0.0));
    assert!(same(uf(U::Expm1, -0.0), -0.0));
    assert!(same(uf(U::Log1p, -1.0), f64::NEG_INFINITY));
    assert!(same(uf(U::Log2, 8.0), 3.0));
    assert!(same(uf(U::Log10, 1000.0), 3.0));
    assert!(same(uf(U::Tanh, f64::INFINITY), 1.0));
    assert!(same(uf(U::Atanh, 1.0), f64::INFINITY));
    assert!(uf(U::Acosh, 0.5).is_nan());
    // libm's acosh gives finite values for x <= -1; the reference must give NaN.
    assert!(uf(U::Acosh, -3077.0).is_nan());
    assert!(uf(U::Acosh, -1.0).is_nan());
    assert!(same(uf(U::Asinh, -0.0), -0.0));
    // acosh of a huge value must not overflow (std's closed form does).
    let big = uf(U::Acosh, 1e308);
    assert!((big - 709.889_355_822_726).abs() < 1e-12, "{big}");
    assert!(same(uf(U::Sin, 0.0), 0.0));
    assert!(uf(U::Cos, f64::INFINITY).is_nan());
}

#[test]
fn f32_ops_round_once_from_f64() {
    // 1/3 in f32 is the correctly rounded quotient.
    assert_eq!(
        f32_of(b(B::Div, Scalar::F32(1.0), Scalar::F32(3.0))),
        1.0f32 / 3.0
    );
    assert_eq!(
        f32_of(b(B::Add, Scalar::F32(1e8), Scalar::F32(1.0))),
        1e8f32 + 1.0
    );
    // exp(1) rounded once to f32.
    assert_eq!(
        f32_of(u(U::Exp, Scalar::F32(1.0))),
        std::f64::consts::E as f32
    );
    // Overflow in f32 even though the f64 result is finite.
    assert_eq!(
        f32_of(b(B::Mul, Scalar::F32(1e30), Scalar::F32(1e30))),
        f32::INFINITY
    );
    assert_eq!(f32_of(u(U::Exp, Scalar::F32(100.0))), f32::INFINITY);
}

#[test]
fn float_maximum_minimum_propagate_nan_and_order_zeros() {
    assert!(same(bf(B::Maximum, -0.0, 0.0), 0.0));
    assert!(same(bf(B::Maximum, 0.0, -0.0), 0.0));
    assert!(same(bf(B::Minimum, 0.0, -0.0), -0.0));
    assert!(bf(B::Maximum, f64::NAN, 1.0).is_nan());
    assert!(bf(B::Minimum, 1.0, f64::NAN).is_nan());
    assert!(same(bf(B::Maximum, -1.0, f64::NEG_INFINITY), -1.0));
}

#[test]
fn float_floor_divide_and_remainder_follow_python_for_finite_operands() {
    assert!(same(bf(B::FloorDiv, 7.0, -2.0), -4.0));
    assert!(same(bf(B::Rem, 7.0, -2.0), -1.0));
    assert!(same(bf(B::Rem, -7.0, 2.0), 1.0));
    assert!(same(bf(B::Rem, 6.0, -3.0), -0.0));
    assert!(same(bf(B::Rem, -6.0, 3.0), 0.0));
    assert!(same(bf(B::FloorDiv, 1.0, 0.0), f64::INFINITY));
    assert!(same(bf(B::FloorDiv, -1.0, 0.0), f64::NEG_INFINITY));
    assert!(bf(B::FloorDiv, 0.0, 0.0).is_nan());
    assert!(bf(B::Rem, 1.0, 0.0).is_nan());
    assert!(same(bf(B::Rem, -1.0, f64::INFINITY), f64::INFINITY));
    assert!(same(bf(B::Rem, 1.0, f64::INFINITY), 1.0));
    // Infinite operands follow the Array API (floor of the IEEE quotient), not NumPy's NaN / -1.
    assert!(same(bf(B::FloorDiv, f64::INFINITY, 2.0), f64::INFINITY));
    assert!(same(
        bf(B::FloorDiv, f64::NEG_INFINITY, 2.0),
        f64::NEG_INFINITY
    ));
    assert!(same(bf(B::FloorDiv, 1.0, f64::NEG_INFINITY), -0.0));
    assert!(same(bf(B::FloorDiv, -1.0, f64::INFINITY), -0.0));
    assert!(bf(B::FloorDiv, f64::INFINITY, f64::NEG_INFINITY).is_nan());
    assert!(same(bf(B::FloorDiv, 0.5, -1.0), -1.0));
    assert!(same(bf(B::FloorDiv, -0.0, 1.0), -0.0));
    assert_eq!(
        f32_of(b(B::FloorDiv, Scalar::F32(7.5), Scalar::F32(2.0))),
        3.0
    );
    assert_eq!(f32_of(b(B::Rem, Scalar::F32(-7.5), Scalar::F32(2.0))), 0.5);
}

#[test]
fn float_pow_is_c_pow() {
    assert!(same(bf(B::Pow, f64::NAN, 0.0), 1.0));
    assert!(same(bf(B::Pow, 1.0, f64::NAN), 1.0));
    assert!(bf(B::Pow, -8.0, 1.0 / 3.0).is_nan());
    assert!(same(bf(B::Pow, -2.0, 3.0), -8.0));
    assert!(same(bf(B::Pow, 0.0, -1.0), f64::INFINITY));
    assert!(same(bf(B::Pow, -0.0, -1.0), f64::NEG_INFINITY));
    assert!(same(bf(B::Pow, -1.0, f64::INFINITY), 1.0));
}

#[test]
fn float_c99_binaries() {
    assert!(same(bf(B::Hypot, f64::INFINITY, f64::NAN), f64::INFINITY));
    assert!(same(bf(B::Hypot, 3.0, 4.0), 5.0));
    assert!(same(bf(B::Copysign, 2.0, -0.0), -2.0));
    assert!(same(bf(B::Copysign, -2.0, f64::NAN), 2.0));
    assert!(same(bf(B::Atan2, 0.0, -0.0), std::f64::consts::PI));
    assert!(same(bf(B::Atan2, -0.0, 1.0), -0.0));
    assert!(same(
        bf(B::LogAddExp, f64::INFINITY, f64::INFINITY),
        f64::INFINITY
    ));
    assert!(same(
        bf(B::LogAddExp, f64::NEG_INFINITY, f64::NEG_INFINITY),
        f64::NEG_INFINITY
    ));
    assert!(same(bf(B::LogAddExp, 0.0, 0.0), std::f64::consts::LN_2));
    assert!(same(bf(B::LogAddExp, 1000.0, 0.0), 1000.0));
    assert!(bf(B::LogAddExp, f64::NAN, 0.0).is_nan());
}

#[test]
fn nextafter_steps_one_ulp() {
    assert_eq!(bf(B::Nextafter, 1.0, 2.0), 1.0 + f64::EPSILON);
    assert_eq!(bf(B::Nextafter, 1.0, 0.0), 1.0 - f64::EPSILON / 2.0);
    assert!(same(bf(B::Nextafter, 0.0, -1.0), -5e-324));
    assert!(same(bf(B::Nextafter, 0.0, -0.0), -0.0));
    assert!(same(
        bf(B::Nextafter, -1.0, f64::NEG_INFINITY),
        -1.0 - f64::EPSILON
    ));
    assert!(same(
        bf(B::Nextafter, f64::MAX, f64::INFINITY),
        f64::INFINITY
    ));
    assert!(bf(B::Nextafter, f64::NAN, 1.0).is_nan());
    let up = f32_of(b(B::Nextafter, Scalar::F32(1.0), Scalar::F32(2.0)));
    assert_eq!(up, 1.0 + f32::EPSILON);
}

#[test]
fn float_comparisons_are_ieee() {
    let nan = Scalar::F64(f64::NAN);
    assert_eq!(b(B::Eq, nan, nan), Scalar::Bool(false));
    assert_eq!(b(B::Ne, nan, nan), Scalar::Bool(true));
    assert_eq!(b(B::Lt, nan, Scalar::F64(1.0)), Scalar::Bool(false));
    assert_eq!(
        b(B::Eq, Scalar::F32(-0.0), Scalar::F32(0.0)),
        Scalar::Bool(true)
    );
    assert_eq!(
        b(B::Ge, Scalar::F32(2.0), Scalar::F32(2.0)),
        Scalar::Bool(true)
    );
}

#[test]
fn integer_wrap_around() {
    assert_eq!(b(B::Add, Scalar::I8(127), Scalar::I8(1)), Scalar::I8(-128));
    assert_eq!(b(B::Sub, Scalar::U8(0), Scalar::U8(1)), Scalar::U8(255));
    assert_eq!(
        b(B::Mul, Scalar::I32(1 << 30), Scalar::I32(4)),
        Scalar::I32(0)
    );
    assert_eq!(
        b(B::Mul, Scalar::U64(u64::MAX), Scalar::U64(u64::MAX)),
        Scalar::U64(1)
    );
    assert_eq!(u(U::Neg, Scalar::I16(i16::MIN)), Scalar::I16(i16::MIN));
    assert_eq!(u(U::Neg, Scalar::U8(1)), Scalar::U8(255));
    assert_eq!(u(U::Abs, Scalar::I8(i8::MIN)), Scalar::I8(i8::MIN));
    assert_eq!(u(U::Abs, Scalar::I64(-5)), Scalar::I64(5));
    assert_eq!(u(U::Sign, Scalar::I32(-7)), Scalar::I32(-1));
    assert_eq!(u(U::Sign, Scalar::U32(7)), Scalar::U32(1));
    assert_eq!(u(U::Not, Scalar::U8(0x0f)), Scalar::U8(0xf0));
    assert_eq!(u(U::Not, Scalar::I32(0)), Scalar::I32(-1));
    assert_eq!(u(U::Floor, Scalar::I64(-3)), Scalar::I64(-3));
    assert_eq!(u(U::IsNan, Scalar::I64(-3)), Scalar::Bool(false));
    assert_eq!(u(U::IsFinite, Scalar::U8(3)), Scalar::Bool(true));
    assert_eq!(u(U::Imag, Scalar::I8(3)), Scalar::I8(0));
}

#[test]
fn integer_division_follows_python_and_zero_gives_zero() {
    assert_eq!(
        b(B::FloorDiv, Scalar::I32(7), Scalar::I32(-2)),
        Scalar::I32(-4)
    );
    assert_eq!(
        b(B::FloorDiv, Scalar::I32(-7), Scalar::I32(2)),
        Scalar::I32(-4)
    );
    assert_eq!(
        b(B::FloorDiv, Scalar::I32(-8), Scalar::I32(2)),
        Scalar::I32(-4)
    );
    assert_eq!(b(B::Rem, Scalar::I32(7), Scalar::I32(-2)), Scalar::I32(-1));
    assert_eq!(b(B::Rem, Scalar::I32(-7), Scalar::I32(2)), Scalar::I32(1));
    assert_eq!(
        b(B::FloorDiv, Scalar::I64(5), Scalar::I64(0)),
        Scalar::I64(0)
    );
    assert_eq!(b(B::Rem, Scalar::U16(5), Scalar::U16(0)), Scalar::U16(0));
    assert_eq!(
        b(B::FloorDiv, Scalar::I8(i8::MIN), Scalar::I8(-1)),
        Scalar::I8(i8::MIN)
    );
    assert_eq!(
        b(B::Rem, Scalar::I64(i64::MIN), Scalar::I64(-1)),
        Scalar::I64(0)
    );
    assert_eq!(
        b(B::FloorDiv, Scalar::U8(200), Scalar::U8(7)),
        Scalar::U8(28)
    );
    assert_eq!(
        b(B::Maximum, Scalar::U64(u64::MAX), Scalar::U64(1)),
        Scalar::U64(u64::MAX)
    );
    assert_eq!(b(B::Minimum, Scalar::I8(-1), Scalar::I8(1)), Scalar::I8(-1));
}

#[test]
fn integer_pow() {
    assert_eq!(b(B::Pow, Scalar::I32(3), Scalar::I32(4)), Scalar::I32(81));
    assert_eq!(b(B::Pow, Scalar::I8(2), Scalar::I8(7)), Scalar::I8(-128));
    assert_eq!(b(B::Pow, Scalar::U8(3), Scalar::U8(5)), Scalar::U8(243));
    assert_eq!(b(B::Pow, Scalar::U8(2), Scalar::U8(200)), Scalar::U8(0));
    assert_eq!(b(B::Pow, Scalar::I64(7), Scalar::I64(0)), Scalar::I64(1));
    assert_eq!(b(B::Pow, Scalar::I64(0), Scalar::I64(0)), Scalar::I64(1));
    assert_eq!(b(B::Pow, Scalar::I32(1), Scalar::I32(-5)), Scalar::I32(1));
    assert_eq!(b(B::Pow, Scalar::I32(-1), Scalar::I32(-5)), Scalar::I32(-1));
    assert_eq!(b(B::Pow, Scalar::I32(-1), Scalar::I32(-4)), Scalar::I32(1));
    assert_eq!(b(B::Pow, Scalar::I32(2), Scalar::I32(-1)), Scalar::I32(0));
    assert_eq!(b(B::Pow, Scalar::I32(0), Scalar::I32(-1)), Scalar::I32(0));
    assert_eq!(
        b(B::Pow, Scalar::I64(3), Scalar::I64(41)),
        Scalar::I64(3i64.wrapping_pow(41))
    );
}

#[test]
fn shifts_follow_kiln_ir_conventions() {
    assert_eq!(b(B::Shl, Scalar::I8(1), Scalar::I8(7)), Scalar::I8(-128));
    assert_eq!(b(B::Shl, Scalar::I8(1), Scalar::I8(8)), Scalar::I8(0));
    assert_eq!(b(B::Shl, Scalar::I32(1), Scalar::I32(-1)), Scalar::I32(0));
    assert_eq!(b(B::Shr, Scalar::I32(-8), Scalar::I32(1)), Scalar::I32(-4));
    assert_eq!(b(B::Shr, Scalar::I32(-8), Scalar::I32(32)), Scalar::I32(-1));
    assert_eq!(b(B::Shr, Scalar::I32(8), Scalar::I32(40)), Scalar::I32(0));
    assert_eq!(b(B::Shr, Scalar::I32(-8), Scalar::I32(-3)), Scalar::I32(-1));
    assert_eq!(b(B::Shr, Scalar::U8(0x80), Scalar::U8(7)), Scalar::U8(1));
    assert_eq!(b(B::Shr, Scalar::U8(0x80), Scalar::U8(8)), Scalar::U8(0));
    assert_eq!(
        b(B::Shl, Scalar::U64(3), Scalar::U64(63)),
        Scalar::U64(1 << 63)
    );
    assert_eq!(
        b(B::Shl, Scalar::U64(1), Scalar::U64(u64::MAX)),
        Scalar::U64(0)
    );
}

#[test]
fn bitwise_and_bool_ops() {
    assert_eq!(
        b(B::BitAnd, Scalar::I16(0x0ff0), Scalar::I16(0x00ff)),
        Scalar::I16(0x00f0)
    );
    assert_eq!(
        b(B::BitOr, Scalar::U8(0xf0), Scalar::U8(0x0f)),
        Scalar::U8(0xff)
    );
    assert_eq!(
        b(B::BitXor, Scalar::I64(-1), Scalar::I64(0)),
        Scalar::I64(-1)
    );
    let (t, f) = (Scalar::Bool(true), Scalar::Bool(false));
    assert_eq!(b(B::BitXor, t, t), f);
    assert_eq!(b(B::LogicalAnd, t, f), f);
    assert_eq!(b(B::LogicalOr, t, f), t);
    assert_eq!(b(B::LogicalXor, t, f), t);
    assert_eq!(b(B::Lt, f, t), t);
    assert_eq!(b(B::Gt, f, t), f);
    assert_eq!(u(U::Not, t), f);
}

#[test]
fn rejected_dtypes_are_typed_errors() {
    let err =
        |r: Result<Scalar, InterpError>| matches!(r, Err(InterpError::UnsupportedDType { .. }));
    assert!(err(binary(B::Add, Scalar::Bool(true), Scalar::Bool(true))));
    assert!(err(binary(B::Div, Scalar::I32(1), Scalar::I32(2))));
    assert!(err(binary(B::Shl, Scalar::F32(1.0), Scalar::F32(2.0))));
    assert!(err(binary(
        B::Maximum,
        Scalar::C64(C64::new(1.0, 0.0)),
        Scalar::C64(C64::new(1.0, 0.0))
    )));
    assert!(err(unary(U::Sqrt, Scalar::I32(4))));
    assert!(err(unary(U::Not, Scalar::F64(1.0))));
    assert!(err(unary(U::Floor, Scalar::C128(C128::new(1.0, 0.0)))));
    assert!(err(unary(U::Neg, Scalar::Bool(true))));
    assert!(matches!(
        binary(B::Add, Scalar::I32(1), Scalar::I64(2)),
        Err(InterpError::DTypeMismatch { .. })
    ));
}

#[test]
fn result_dtypes_match_kiln_ir_for_every_accepted_pair() {
    for dtype in DType::ALL {
        let x = Scalar::one(dtype);
        for op in U::ALL {
            match (op.result_dtype(dtype), unary(op, x)) {
                (Some(want), Ok(got)) => assert_eq!(got.dtype(), want, "{} {dtype}", op.name()),
                (None, Err(_)) => {}
                (want, got) => panic!("{} {dtype}: kiln-ir says {want:?}, got {got:?}", op.name()),
            }
        }
        for op in B::ALL {
            match (op.result_dtype(dtype), binary(op, x, x)) {
                (Some(want), Ok(got)) => assert_eq!(got.dtype(), want, "{} {dtype}", op.name()),
                (None, Err(_)) => {}
                (want, got) => panic!("{} {dtype}: kiln-ir says {want:?}, got {got:?}", op.name()),
            }
        }
    }
}

fn c(re: f64, im: f64) -> Scalar {
    Scalar::C128(C128::new(re, im))
}

fn cv(s: Scalar) -> C128 {
    match s {
        Scalar::C128(v) => v,
        other => panic!("expected c128, got {other}"),
    }
}

fn close(a: C128, b: C128) -> bool {
    (a - b).norm() <= 1e-12 * (1.0 + b.norm())
}

#[test]
fn complex_arithmetic() {
    assert_eq!(
        cv(b(B::Mul, c(1.0, 2.0), c(3.0, 4.0))),
        C128::new(-5.0, 10.0)
    );
    assert!(close(
        cv(b(B::Div, c(-5.0, 10.0), c(3.0, 4.0))),
        C128::new(1.0, 2.0)
    ));
    // Smith's algorithm does not overflow where the textbook formula does.
    let q = cv(b(B::Div, c(1e300, 1e300), c(1e300, 1e300)));
    assert!(close(q, C128::new(1.0, 0.0)), "{q}");
    let inf = cv(b(B::Div, c(1.0, 1.0), c(0.0, 0.0)));
    assert!(inf.re.is_infinite() && inf.im.is_infinite());
    assert_eq!(
        cv(b(B::Pow, c(f64::NAN, 1.0), c(0.0, 0.0))),
        C128::new(1.0, 0.0)
    );
    assert_eq!(cv(b(B::Pow, c(0.0, 0.0), c(2.0, 0.0))), C128::new(0.0, 0.0));
    assert!(close(
        cv(b(B::Pow, c(0.0, 1.0), c(2.0, 0.0))),
        C128::new(-1.0, 0.0)
    ));
    assert_eq!(b(B::Eq, c(1.0, -0.0), c(1.0, 0.0)), Scalar::Bool(true));
    assert_eq!(
        b(B::Ne, c(1.0, f64::NAN), c(1.0, f64::NAN)),
        Scalar::Bool(true)
    );
    // complex64 is rounded per component.
    let z = b(
        B::Add,
        Scalar::C64(C64::new(1.0, 2.0)),
        Scalar::C64(C64::new(0.5, -4.0)),
    );
    assert_eq!(z, Scalar::C64(C64::new(1.5, -2.0)));
}

#[test]
fn complex_unary() {
    assert_eq!(u(U::Abs, c(3.0, -4.0)), Scalar::F64(5.0));
    assert_eq!(u(U::Abs, Scalar::C64(C64::new(3.0, 4.0))), Scalar::F32(5.0));
    assert_eq!(
        u(U::Real, Scalar::C64(C64::new(3.0, 4.0))),
        Scalar::F32(3.0)
    );
    assert_eq!(u(U::Imag, c(3.0, 4.0)), Scalar::F64(4.0));
    assert_eq!(cv(u(U::Conj, c(3.0, 4.0))), C128::new(3.0, -4.0));
    assert!(close(cv(u(U::Sign, c(3.0, -4.0))), C128::new(0.6, -0.8)));
    assert_eq!(cv(u(U::Sign, c(0.0, 0.0))), C128::new(0.0, 0.0));
    assert!(close(cv(u(U::Sqrt, c(-4.0, 0.0))), C128::new(0.0, 2.0)));
    assert!(close(
        cv(u(U::Exp, c(0.0, std::f64::consts::PI))),
        C128::new(-1.0, 0.0)
    ));
    assert!(close(
        cv(u(U::Log, c(-1.0, 0.0))),
        C128::new(0.0, std::f64::consts::PI)
    ));
    assert!(close(cv(u(U::Log10, c(100.0, 0.0))), C128::new(2.0, 0.0)));
    let tiny = cv(u(U::Expm1, c(1e-20, 0.0)));
    assert_eq!(tiny.re, 1e-20);
    assert_eq!(u(U::IsNan, c(1.0, f64::NAN)), Scalar::Bool(true));
    assert_eq!(u(U::IsInf, c(f64::NAN, f64::INFINITY)), Scalar::Bool(true));
    assert_eq!(u(U::IsFinite, c(1.0, f64::INFINITY)), Scalar::Bool(false));
    assert_eq!(u(U::IsFinite, c(1.0, 2.0)), Scalar::Bool(true));
    assert!(close(cv(u(U::Sin, c(1.0, 2.0))), C128::new(1.0, 2.0).sin()));
}

#[test]
fn select_picks_by_condition() {
    assert_eq!(
        select(Scalar::Bool(true), Scalar::I8(1), Scalar::I8(2)),
        Scalar::I8(1)
    );
    assert_eq!(
        select(Scalar::Bool(false), Scalar::I8(1), Scalar::I8(2)),
        Scalar::I8(2)
    );
    assert_eq!(
        select(Scalar::F32(f32::NAN), Scalar::I8(1), Scalar::I8(2)),
        Scalar::I8(1)
    );
}

#[test]
fn reductions() {
    let f32s = |v: &[f32]| v.iter().map(|&x| Scalar::F32(x)).collect::<Vec<_>>();
    // Accumulated in f64 and rounded once: 1e8 + 1 + ... survives where f32 accumulation drops it.
    let mut many = vec![1e8f32];
    many.extend(std::iter::repeat_n(1.0f32, 16));
    assert_eq!(
        reduce(R::Sum, DType::F32, &f32s(&many)).unwrap(),
        Scalar::F32(100_000_016.0)
    );
    // Compensated f64 sum: 1 + 1e100 - 1e100 = 1.
    let comp = [1.0, 1e100, 1.0, -1e100].map(Scalar::F64);
    assert_eq!(reduce(R::Sum, DType::F64, &comp).unwrap(), Scalar::F64(2.0));
    let infs = [f64::INFINITY, 1.0].map(Scalar::F64);
    assert_eq!(
        reduce(R::Sum, DType::F64, &infs).unwrap(),
        Scalar::F64(f64::INFINITY)
    );
    assert_eq!(reduce(R::Sum, DType::F32, &[]).unwrap(), Scalar::F32(0.0));
    assert_eq!(reduce(R::Prod, DType::I8, &[]).unwrap(), Scalar::I8(1));
    let ints = [100i8, 100, 100].map(Scalar::I8);
    assert_eq!(reduce(R::Sum, DType::I8, &ints).unwrap(), Scalar::I8(44));
    assert_eq!(reduce(R::Prod, DType::I8, &ints).unwrap(), Scalar::I8(0x40));
    let with_nan = f32s(&[1.0, f32::NAN, 3.0, f32::NAN]);
    assert!(f32_of(reduce(R::Max, DType::F32, &with_nan).unwrap()).is_nan());
    assert_eq!(
        reduce(R::ArgMax, DType::F32, &with_nan).unwrap(),
        Scalar::I64(1)
    );
    assert_eq!(
        reduce(R::ArgMin, DType::F32, &with_nan).unwrap(),
        Scalar::I64(1)
    );
    let ties = f32s(&[1.0, 3.0, -2.0, 3.0, -2.0]);
    assert_eq!(
        reduce(R::ArgMax, DType::F32, &ties).unwrap(),
        Scalar::I64(1)
    );
    assert_eq!(
        reduce(R::ArgMin, DType::F32, &ties).unwrap(),
        Scalar::I64(2)
    );
    assert_eq!(
        reduce(R::Min, DType::F32, &ties).unwrap(),
        Scalar::F32(-2.0)
    );
    let zeros = f32s(&[-0.0, 0.0]);
    assert_eq!(
        reduce(R::Max, DType::F32, &zeros).unwrap(),
        Scalar::F32(0.0)
    );
    assert_eq!(
        reduce(R::ArgMax, DType::F32, &zeros).unwrap(),
        Scalar::I64(0)
    );
    let us = [3u64, u64::MAX, 7].map(Scalar::U64);
    assert_eq!(reduce(R::ArgMax, DType::U64, &us).unwrap(), Scalar::I64(1));
    assert_eq!(
        reduce(R::Max, DType::U64, &us).unwrap(),
        Scalar::U64(u64::MAX)
    );
    let bools = [true, false].map(Scalar::Bool);
    assert_eq!(
        reduce(R::Any, DType::Bool, &bools).unwrap(),
        Scalar::Bool(true)
    );
    assert_eq!(
        reduce(R::All, DType::Bool, &bools).unwrap(),
        Scalar::Bool(false)
    );
    assert_eq!(
        reduce(R::All, DType::Bool, &[]).unwrap(),
        Scalar::Bool(true)
    );
    let cs = [C64::new(1.0, 1.0), C64::new(1.0, -1.0)].map(Scalar::C64);
    assert_eq!(
        reduce(R::Prod, DType::C64, &cs).unwrap(),
        Scalar::C64(C64::new(2.0, 0.0))
    );
    assert!(matches!(
        reduce(R::Max, DType::F32, &[]),
        Err(InterpError::EmptyReduction { .. })
    ));
    assert!(matches!(
        reduce(R::ArgMin, DType::I32, &[]),
        Err(InterpError::EmptyReduction { .. })
    ));
    assert!(matches!(
        reduce(R::Any, DType::F32, &[]),
        Err(InterpError::UnsupportedDType { .. })
    ));
    assert!(matches!(
        reduce(R::Sum, DType::F32, &[Scalar::F64(1.0)]),
        Err(InterpError::DTypeMismatch { .. })
    ));
}
