//! Strength reduction: replacing `pow` and division by cheaper operations.
//!
//! Invariant: without fast-math each rule is exact. `pow(x, 2) -> x*x` relies on the reference
//! `pow` being correctly rounded when the square is exact (true for the f64-then-round f32 path
//! and for the platform's f64 `pow`, checked by the property tests); `x / 2^k -> x * 2^-k` is
//! exact because both sides round the same real number once. `pow(x, 0.5) -> sqrt(x)` differs
//! at -0.0 and -inf and `pow(x, -1) -> 1/x` rounds differently, so both need fast-math.
//! `x*2 -> x+x` is not a rule: the cost model prices `mul` and `add` alike, so it never pays.

use super::{Rule, constant, full_like, info, is_const, var};
use crate::OptConfig;
use crate::analysis::ArrayGraph;
use egg::{Id, Subst, Var};
use kiln_ir::Scalar;

fn real_pow_base(eg: &ArrayGraph, s: &Subst) -> bool {
    info(eg, s, var("?x")).is_some_and(|a| !a.dtype.is_complex())
}

fn real_float_base(eg: &ArrayGraph, s: &Subst) -> bool {
    info(eg, s, var("?x")).is_some_and(|a| a.dtype.is_real_float())
}

pub(crate) fn rules(cfg: &OptConfig) -> Vec<Rule> {
    let mut rules = vec![
        // pow(x, 2) = x * x (integers wrap alike; real floats: an exact square rounds once)
        Rule::new("pow-two", "(pow ?x ?c)", "(mul ?x ?x)")
            .when(|eg, s| is_const(eg, s, var("?c"), 2.0) && real_pow_base(eg, s)),
        // pow(x, 1) = x
        Rule::new("pow-one", "(pow ?x ?c)", "?x")
            .when(|eg, s| is_const(eg, s, var("?c"), 1.0) && real_pow_base(eg, s)),
        // pow(x, 0) = 1 (IEEE pow(NaN, 0) is 1 too)
        Rule::new("pow-zero", "(pow ?x ?c)", "?one")
            .when(|eg, s| is_const(eg, s, var("?c"), 0.0) && real_pow_base(eg, s))
            .derive(full_like(var("?x"), var("?one"), |d| Some(Scalar::one(d)))),
        // x / c = x * (1/c) when c = ±2^k and 1/c is representable: both round x/c once
        Rule::new("div-pow2", "(div ?x ?c)", "(mul ?x ?r)")
            .when(real_float_base)
            .derive(|eg, s| reciprocal_of_power_of_two(eg, s, var("?c"), var("?r"))),
    ];
    if cfg.fast_math {
        rules.extend([
            // pow(x, 0.5) = sqrt(x) (pow gives +0 at -0.0 and +inf at -inf)
            Rule::new("fast-pow-half", "(pow ?x ?c)", "(sqrt ?x)")
                .when(|eg, s| is_const(eg, s, var("?c"), 0.5) && real_float_base(eg, s)),
            // pow(x, -1) = 1 / x
            Rule::new("fast-pow-neg-one", "(pow ?x ?c)", "(div ?one ?x)")
                .when(|eg, s| is_const(eg, s, var("?c"), -1.0) && real_float_base(eg, s))
                .derive(full_like(var("?x"), var("?one"), |d| Some(Scalar::one(d)))),
        ]);
    }
    rules
}

/// Binds `out` to `full(1/c)` when the constant `c` is ±2^k with an exactly representable inverse.
fn reciprocal_of_power_of_two(
    eg: &mut ArrayGraph,
    s: &Subst,
    c: Var,
    out: Var,
) -> Option<Vec<(Var, Id)>> {
    let value = constant(eg, s, c)?;
    let shape = info(eg, s, c)?.shape.clone();
    let inverse = match value {
        Scalar::F32(v) => exact_inverse(v as f64).and_then(|r| {
            let narrow = r as f32;
            (narrow as f64 == r).then_some(Scalar::F32(narrow))
        })?,
        Scalar::F64(v) => Scalar::F64(exact_inverse(v)?),
        _ => return None,
    };
    debug_assert_eq!(inverse.dtype(), value.dtype());
    let id = super::add_full(eg, inverse, &shape);
    Some(vec![(out, id)])
}

/// `1/v` when `v` is a finite nonzero power of two (either sign) and `1/v` is finite and nonzero.
fn exact_inverse(v: f64) -> Option<f64> {
    if !v.is_finite() || v == 0.0 {
        return None;
    }
    let (mantissa, _) = frexp(v.abs());
    if mantissa != 0.5 {
        return None;
    }
    let r = 1.0 / v;
    (r.is_finite() && r != 0.0 && r * v == 1.0).then_some(r)
}

/// Splits a positive finite `v` into `m * 2^e` with `m` in `[0.5, 1)`.
fn frexp(v: f64) -> (f64, i32) {
    let mut m = v;
    let mut e = 0;
    while m >= 1.0 {
        m /= 2.0;
        e += 1;
    }
    while m < 0.5 {
        m *= 2.0;
        e -= 1;
    }
    (m, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverses_of_powers_of_two() {
        assert_eq!(exact_inverse(4.0), Some(0.25));
        assert_eq!(exact_inverse(-0.5), Some(-2.0));
        assert_eq!(exact_inverse(3.0), None);
        assert_eq!(exact_inverse(0.0), None);
        assert_eq!(exact_inverse(f64::INFINITY), None);
        // 2^-1074 is representable but its inverse overflows.
        assert_eq!(exact_inverse(f64::from_bits(1)), None);
    }
}
