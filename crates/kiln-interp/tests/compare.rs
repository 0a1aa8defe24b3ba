//! `compare::assert_close` and the ULP distances.

use kiln_interp::compare::{Tolerance, assert_close, ulp_distance_f32, ulp_distance_f64};
use kiln_ir::{C64, Realized, Shape};

fn f32s(v: &[f32]) -> Realized {
    Realized::from_vec(v, Shape::from([v.len()])).unwrap()
}

fn f64s(v: &[f64]) -> Realized {
    Realized::from_vec(v, Shape::from([v.len()])).unwrap()
}

fn next_up(x: f32) -> f32 {
    f32::from_bits(x.to_bits() + 1)
}

#[test]
fn ulp_distances() {
    assert_eq!(ulp_distance_f32(1.0, 1.0), 0);
    assert_eq!(ulp_distance_f32(1.0, next_up(1.0)), 1);
    assert_eq!(ulp_distance_f32(-0.0, 0.0), 0);
    assert_eq!(ulp_distance_f32(-1e-45, 1e-45), 2);
    assert_eq!(ulp_distance_f32(f32::NAN, f32::NAN), 0);
    assert_eq!(ulp_distance_f32(f32::NAN, 1.0), u64::MAX);
    assert_eq!(ulp_distance_f32(f32::MAX, f32::INFINITY), 1);
    assert_eq!(ulp_distance_f64(1.0, 1.0 + f64::EPSILON), 1);
    assert_eq!(ulp_distance_f64(-5e-324, 5e-324), 2);
    assert_eq!(
        ulp_distance_f64(f64::NEG_INFINITY, f64::INFINITY),
        0xffe0_0000_0000_0000
    );
}

#[test]
fn exact_catches_one_ulp_and_the_sign_of_zero() {
    let a = f32s(&[1.0, 2.0]);
    let b = f32s(&[1.0, next_up(2.0)]);
    let err = assert_close(&a, &b, &Tolerance::exact()).unwrap_err();
    assert!(err.contains("[1]") && err.contains("1 ulps"), "{err}");
    assert!(assert_close(&a, &a, &Tolerance::exact()).is_ok());
    let zero = f64s(&[0.0]);
    let neg_zero = f64s(&[-0.0]);
    assert!(assert_close(&zero, &neg_zero, &Tolerance::exact()).is_err());
    assert!(assert_close(&zero, &neg_zero, &Tolerance::single_op()).is_ok());
}

#[test]
fn tolerances_accept_within_budget_and_reject_beyond() {
    let a = f32s(&[1.0]);
    let four = f32s(&[f32::from_bits(1.0f32.to_bits() + 4)]);
    let five = f32s(&[f32::from_bits(1.0f32.to_bits() + 5)]);
    assert!(assert_close(&a, &four, &Tolerance::single_op()).is_ok());
    assert!(assert_close(&a, &five, &Tolerance::single_op()).is_err());
    // rtol 1e-4 for f32 chains...
    assert!(assert_close(&f32s(&[1000.0]), &f32s(&[1000.05]), &Tolerance::program()).is_ok());
    assert!(assert_close(&f32s(&[1000.0]), &f32s(&[1000.5]), &Tolerance::program()).is_err());
    // ...and 1e-10 for f64.
    assert!(
        assert_close(
            &f64s(&[1000.0]),
            &f64s(&[1000.0 + 5e-8]),
            &Tolerance::program()
        )
        .is_ok()
    );
    assert!(
        assert_close(
            &f64s(&[1000.0]),
            &f64s(&[1000.0 + 5e-6]),
            &Tolerance::program()
        )
        .is_err()
    );
    // atol covers results that should be zero.
    assert!(assert_close(&f32s(&[0.0]), &f32s(&[5e-7]), &Tolerance::program()).is_ok());
    assert!(assert_close(&f32s(&[0.0]), &f32s(&[5e-6]), &Tolerance::program()).is_err());
}

#[test]
fn nan_matches_nan_and_infinities_match_exactly() {
    let nan = f64s(&[f64::NAN]);
    let other_nan = f64s(&[-f64::NAN]);
    assert!(assert_close(&nan, &other_nan, &Tolerance::exact()).is_ok());
    assert!(assert_close(&nan, &f64s(&[1.0]), &Tolerance::program()).is_err());
    assert!(assert_close(&f64s(&[1.0]), &nan, &Tolerance::program()).is_err());
    let inf = f32s(&[f32::INFINITY]);
    assert!(assert_close(&inf, &inf, &Tolerance::exact()).is_ok());
    assert!(assert_close(&inf, &f32s(&[f32::MAX]), &Tolerance::program()).is_err());
    assert!(assert_close(&f32s(&[f32::MAX]), &inf, &Tolerance::program()).is_err());
    assert!(assert_close(&inf, &f32s(&[f32::NEG_INFINITY]), &Tolerance::program()).is_err());
}

#[test]
fn integers_bools_dtypes_shapes_and_complex() {
    let ints = Realized::from_vec(&[1i64, 2, 3], Shape::from([3])).unwrap();
    let off = Realized::from_vec(&[1i64, 2, 4], Shape::from([3])).unwrap();
    let err = assert_close(&ints, &off, &Tolerance::program()).unwrap_err();
    assert!(err.contains("[2]"), "{err}");
    let bools = Realized::from_vec(&[true, false], Shape::from([2])).unwrap();
    assert!(assert_close(&bools, &bools, &Tolerance::exact()).is_ok());
    let other_dtype = Realized::from_vec(&[1i32, 2, 3], Shape::from([3])).unwrap();
    assert!(assert_close(&ints, &other_dtype, &Tolerance::program()).is_err());
    let other_shape = Realized::from_vec(&[1i64, 2, 3], Shape::from([3, 1])).unwrap();
    assert!(assert_close(&ints, &other_shape, &Tolerance::program()).is_err());
    let c = Realized::from_vec(&[C64::new(1.0, f32::NAN)], Shape::from([1])).unwrap();
    let d = Realized::from_vec(&[C64::new(1.0, 2.0)], Shape::from([1])).unwrap();
    assert!(assert_close(&c, &c, &Tolerance::exact()).is_ok());
    assert!(assert_close(&c, &d, &Tolerance::program()).is_err());
    // Multi-dimensional mismatches name the multi-index.
    let m = Realized::from_vec(&[1u8, 2, 3, 4], Shape::from([2, 2])).unwrap();
    let n = Realized::from_vec(&[1u8, 2, 3, 5], Shape::from([2, 2])).unwrap();
    let err = assert_close(&m, &n, &Tolerance::exact()).unwrap_err();
    assert!(err.contains("[1, 1]"), "{err}");
}
