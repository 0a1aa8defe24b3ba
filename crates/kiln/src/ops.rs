//! `std::ops` operators on arrays, returning `Result` so a shape or dtype error is a value.
//!
//! `&a + &b`, `&a * 2.0`, `-&a` give `Result<Array>`; a `Result<Array>` can continue with more
//! arrays (`(&a * &b + &c)?`), so chains read naturally and an error anywhere propagates.

use std::ops::{Add, BitAnd, BitOr, BitXor, Div, Mul, Neg, Not, Rem, Shl, Shr, Sub};

use crate::elementwise as ew;
use crate::error::Result;
use crate::graph::Array;
use crate::operand::Operand;

macro_rules! binary_operator {
    ($($trait:ident :: $method:ident => $f:path),* $(,)?) => {$(
        impl<T: Into<Operand>> $trait<T> for &Array {
            type Output = Result<Array>;
            fn $method(self, rhs: T) -> Result<Array> { $f(self, rhs) }
        }
        impl<T: Into<Operand>> $trait<T> for Array {
            type Output = Result<Array>;
            fn $method(self, rhs: T) -> Result<Array> { $f(&self, rhs) }
        }
        impl $trait<&Array> for Result<Array> {
            type Output = Result<Array>;
            fn $method(self, rhs: &Array) -> Result<Array> { $f(&self?, rhs) }
        }
        impl $trait<Array> for Result<Array> {
            type Output = Result<Array>;
            fn $method(self, rhs: Array) -> Result<Array> { $f(&self?, rhs) }
        }
    )*};
}

binary_operator! {
    Add::add => ew::add, Sub::sub => ew::subtract, Mul::mul => ew::multiply,
    Div::div => ew::divide, Rem::rem => ew::remainder, BitAnd::bitand => bitand,
    BitOr::bitor => bitor, BitXor::bitxor => bitxor, Shl::shl => ew::bitwise_left_shift,
    Shr::shr => ew::bitwise_right_shift,
}

/// `&` is logical for booleans and bitwise for integers, as in NumPy.
fn bitand(a: &Array, b: impl Into<Operand>) -> Result<Array> {
    ew::bitwise_and(a, b)
}
fn bitor(a: &Array, b: impl Into<Operand>) -> Result<Array> {
    ew::bitwise_or(a, b)
}
fn bitxor(a: &Array, b: impl Into<Operand>) -> Result<Array> {
    ew::bitwise_xor(a, b)
}

impl Neg for &Array {
    type Output = Result<Array>;
    fn neg(self) -> Result<Array> {
        ew::negative(self)
    }
}
impl Neg for Array {
    type Output = Result<Array>;
    fn neg(self) -> Result<Array> {
        ew::negative(&self)
    }
}
impl Not for &Array {
    type Output = Result<Array>;
    /// `!x`: logical NOT for booleans, bitwise NOT for integers.
    fn not(self) -> Result<Array> {
        ew::bitwise_invert(self)
    }
}
impl Not for Array {
    type Output = Result<Array>;
    fn not(self) -> Result<Array> {
        ew::bitwise_invert(&self)
    }
}
