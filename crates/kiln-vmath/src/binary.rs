//! The two-operand functions without a reduction of their own: `hypot` and `logaddexp`.
//!
//! Invariant: special operands follow C99 (`hypot(±inf, NaN) = inf`) and NumPy (`logaddexp`
//! with equal infinities), patched by selects after the ordinary formula, which is computed on
//! every lane regardless.

use cranelift_codegen::ir::Value;
use cranelift_codegen::ir::condcodes::FloatCC;

use crate::exp::exp;
use crate::lanes::Lanes;
use crate::log::log1p;

pub(crate) fn hypot(l: &mut Lanes, x: Value, y: Value) -> Value {
    let a = l.abs(x);
    let b = l.abs(y);
    // NaN in a makes the comparison false, so the NaN lands in mn and poisons r.
    let a_big = l.fcmp(FloatCC::GreaterThan, a, b);
    let mx = l.select(a_big, a, b);
    let mn = l.select(a_big, b, a);
    // mx * sqrt(1 + (mn/mx)^2) never overflows before the true result does.
    let r = l.div(mn, mx);
    let one = l.c(1.0);
    let s = l.fma(r, r, one);
    let root = l.sqrt(s);
    let h = l.mul(mx, root);
    // mx = 0: both zero (or mn NaN), where r is 0/0.
    let mx_zero = l.fcmpc(FloatCC::Equal, mx, 0.0);
    let h = l.select(mx_zero, mn, h);
    let a_inf = l.fcmpc(FloatCC::Equal, a, f64::INFINITY);
    let b_inf = l.fcmpc(FloatCC::Equal, b, f64::INFINITY);
    let any_inf = l.or(a_inf, b_inf);
    l.selectc(any_inf, f64::INFINITY, h)
}

pub(crate) fn logaddexp(l: &mut Lanes, x: Value, y: Value) -> Value {
    // max(x, y) + log1p(exp(-|x - y|)); NaN in y lands in mx, NaN in x poisons d.
    let x_big = l.fcmp(FloatCC::GreaterThan, x, y);
    let mx = l.select(x_big, x, y);
    let diff = l.sub(x, y);
    let ad = l.abs(diff);
    // Equal operands (including equal infinities, where x - y is NaN) give mx + ln2.
    let equal = l.fcmp(FloatCC::Equal, x, y);
    let ad = l.selectc(equal, 0.0, ad);
    let nd = l.neg(ad);
    let e = exp(l, nd);
    let lp = log1p(l, e);
    l.add(mx, lp)
}
