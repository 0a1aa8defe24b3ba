//! Algebraic identities of elementwise ops.
//!
//! Invariant: without fast-math every rule here is exact under IEEE-754 and kiln's integer
//! semantics (wrap-around), bit for bit, for every input including NaN, ±inf and -0.0 (NaN
//! payloads aside). Identities that hold only for integers are guarded by the dtype; identities
//! that change float results (`x*0`, `x-x`, `x+0.0`, reassociation, reciprocal multiplication,
//! `log(exp x)`) are added only with fast-math. Complex numbers are excluded from identities that
//! rely on one component alone (`(a+bi)*(1+0i)` computes `b*0`, which is NaN for infinite `b`).

use super::{Rule, full_like, info, is_const, is_real, var};
use crate::OptConfig;
use crate::analysis::ArrayGraph;
use egg::Subst;
use kiln_ir::{DType, DTypeKind, Scalar};

/// The dtype of the array bound to `?x`.
fn dtype_of(eg: &ArrayGraph, s: &Subst, name: &str) -> Option<DType> {
    info(eg, s, var(name)).map(|a| a.dtype)
}

fn x_dtype_is(
    name: &'static str,
    pred: impl Fn(DType) -> bool + Send + Sync + 'static,
) -> impl Fn(&ArrayGraph, &Subst) -> bool + Send + Sync + 'static {
    move |eg, s| dtype_of(eg, s, name).is_some_and(&pred)
}

/// `?c` is the constant `value` and `?x` has a dtype accepted by `pred`.
fn const_and_dtype(
    value: f64,
    pred: impl Fn(DType) -> bool + Send + Sync + 'static,
) -> impl Fn(&ArrayGraph, &Subst) -> bool + Send + Sync + 'static {
    move |eg, s| is_const(eg, s, var("?c"), value) && dtype_of(eg, s, "?x").is_some_and(&pred)
}

/// `?c` is the additive identity that `x + c == x` needs: integer 0, float -0.0 (since
/// `-0.0 + 0.0 = +0.0`), complex -0.0-0.0i.
fn is_add_identity(eg: &ArrayGraph, s: &Subst) -> bool {
    match super::constant(eg, s, var("?c")) {
        Some(Scalar::C64(z)) => {
            z.re == 0.0 && z.re.is_sign_negative() && z.im == 0.0 && z.im.is_sign_negative()
        }
        Some(Scalar::C128(z)) => {
            z.re == 0.0 && z.re.is_sign_negative() && z.im == 0.0 && z.im.is_sign_negative()
        }
        Some(c) if c.dtype().is_real_float() => c.is_exactly(-0.0) && c.to_f64().is_sign_negative(),
        Some(c) => c.dtype().is_integer() && super::is_value(c, 0.0),
        None => false,
    }
}

/// `?c` is +0 in its dtype (`x - (+0.0) == x` for every float x, complex componentwise).
fn is_pos_zero(eg: &ArrayGraph, s: &Subst) -> bool {
    match super::constant(eg, s, var("?c")) {
        Some(c) => c == Scalar::zero(c.dtype()) && !c.dtype().is_bool(),
        None => false,
    }
}

fn is_int(d: DType) -> bool {
    d.is_integer()
}

fn is_int_or_bool(d: DType) -> bool {
    d.is_integer() || d.is_bool()
}

fn is_signed_or_float(d: DType) -> bool {
    matches!(d.kind(), DTypeKind::SignedInt | DTypeKind::RealFloat)
}

pub(crate) fn rules(cfg: &OptConfig) -> Vec<Rule> {
    let mut rules = vec![
        // x * 1 = x (integers and real floats; 1*x alike)
        Rule::new("mul-one-r", "(mul ?x ?c)", "?x").when(const_and_dtype(1.0, is_real)),
        Rule::new("mul-one-l", "(mul ?c ?x)", "?x").when(const_and_dtype(1.0, is_real)),
        // x + (-0.0) = x (integers: x + 0 = x); never x + (+0.0), which turns -0.0 into +0.0
        Rule::new("add-neg-zero-r", "(add ?x ?c)", "?x").when(is_add_identity),
        Rule::new("add-neg-zero-l", "(add ?c ?x)", "?x").when(is_add_identity),
        // x - (+0) = x
        Rule::new("sub-zero", "(sub ?x ?c)", "?x").when(is_pos_zero),
        // x / 1 = x (real floats)
        Rule::new("div-one", "(div ?x ?c)", "?x").when(const_and_dtype(1.0, is_real)),
        // -(-x) = x
        Rule::new("neg-neg", "(neg (neg ?x))", "?x"),
        // x * -1 = -x (signed integers wrap alike; real floats flip the sign bit exactly)
        Rule::new("mul-neg-one-r", "(mul ?x ?c)", "(neg ?x)")
            .when(const_and_dtype(-1.0, is_signed_or_float)),
        Rule::new("mul-neg-one-l", "(mul ?c ?x)", "(neg ?x)")
            .when(const_and_dtype(-1.0, is_signed_or_float)),
        // x - (-y) = x + y (IEEE subtraction is addition of the negation)
        Rule::new("sub-neg", "(sub ?x (neg ?y))", "(add ?x ?y)"),
        // x + (-y) = x - y
        Rule::new("add-neg", "(add ?x (neg ?y))", "(sub ?x ?y)"),
        // (-x) + y = y - x (IEEE addition is commutative, signed zeros included)
        Rule::new("neg-add", "(add (neg ?x) ?y)", "(sub ?y ?x)"),
        // abs(abs x) = abs x
        Rule::new("abs-abs", "(abs (abs ?x))", "(abs ?x)"),
        // abs(-x) = abs x (not unsigned: abs is the identity there but -x wraps)
        Rule::new("abs-neg", "(abs (neg ?x))", "(abs ?x)")
            .when(x_dtype_is("?x", |d| !d.is_unsigned_integer())),
        // not(not x) = x
        Rule::new("not-not", "(not (not ?x))", "?x"),
        // not(a == b) = a != b (also for NaN: NaN != NaN is true)
        Rule::new("not-eq", "(not (eq ?x ?y))", "(ne ?x ?y)"),
        // not(a != b) = a == b
        Rule::new("not-ne", "(not (ne ?x ?y))", "(eq ?x ?y)"),
        // not(a < b) = a >= b (integers and bool only: NaN makes both false)
        Rule::new("not-lt", "(not (lt ?x ?y))", "(ge ?x ?y)")
            .when(x_dtype_is("?x", is_int_or_bool)),
        // not(a <= b) = a > b (integers and bool)
        Rule::new("not-le", "(not (le ?x ?y))", "(gt ?x ?y)")
            .when(x_dtype_is("?x", is_int_or_bool)),
        // not(a > b) = a <= b (integers and bool)
        Rule::new("not-gt", "(not (gt ?x ?y))", "(le ?x ?y)")
            .when(x_dtype_is("?x", is_int_or_bool)),
        // not(a >= b) = a < b (integers and bool)
        Rule::new("not-ge", "(not (ge ?x ?y))", "(lt ?x ?y)")
            .when(x_dtype_is("?x", is_int_or_bool)),
        // where(c, x, x) = x
        Rule::new("where-same", "(where ?c ?x ?x)", "?x"),
        // where(not c, x, y) = where(c, y, x)
        Rule::new("where-not", "(where (not ?c) ?x ?y)", "(where ?c ?y ?x)"),
        // where(true, x, y) = x
        Rule::new("where-true", "(where ?c ?x ?y)", "?x")
            .when(|eg, s| is_const(eg, s, var("?c"), 1.0)),
        // where(false, x, y) = y
        Rule::new("where-false", "(where ?c ?x ?y)", "?y")
            .when(|eg, s| is_const(eg, s, var("?c"), 0.0)),
        // cast(x, dtype(x)) = x
        Rule::new("cast-same", "(cast ?d ?x)", "?x")
            .when(|eg, s| super::dtype_attr(eg, s, var("?d")) == dtype_of(eg, s, "?x")),
        // cast(cast(x, B), C) = cast(x, C) when x -> B keeps every value and B -> C converts
        // that value as x -> C would
        Rule::new("cast-cast", "(cast ?c (cast ?b ?x))", "(cast ?c ?x)").when(|eg, s| {
            let from = dtype_of(eg, s, "?x");
            let mid = super::dtype_attr(eg, s, var("?b"));
            let to = super::dtype_attr(eg, s, var("?c"));
            match (from, mid, to) {
                (Some(from), Some(mid), Some(to)) => cast_chain_exact(from, mid, to),
                _ => false,
            }
        }),
        // maximum(x, x) = x, minimum(x, x) = x (NaN and signed zeros return x itself)
        Rule::new("max-self", "(maximum ?x ?x)", "?x"),
        Rule::new("min-self", "(minimum ?x ?x)", "?x"),
        // x & x = x, x | x = x (integers and bool)
        Rule::new("bitand-self", "(bitand ?x ?x)", "?x"),
        Rule::new("bitor-self", "(bitor ?x ?x)", "?x"),
        Rule::new("and-self", "(and ?x ?x)", "?x"),
        Rule::new("or-self", "(or ?x ?x)", "?x"),
        // x ^ x = 0 (integers and bool)
        Rule::new("bitxor-self", "(bitxor ?x ?x)", "?z").derive(full_like(
            var("?x"),
            var("?z"),
            |d| Some(Scalar::zero(d)),
        )),
        Rule::new("xor-self", "(xor ?x ?x)", "?z")
            .derive(full_like(var("?x"), var("?z"), |d| Some(Scalar::zero(d)))),
        // x * 0 = 0 (integers only: for floats inf*0 and NaN*0 are NaN, -x*0 is -0.0)
        Rule::new("mul-zero-int-r", "(mul ?x ?c)", "?c").when(const_and_dtype(0.0, is_int)),
        Rule::new("mul-zero-int-l", "(mul ?c ?x)", "?c").when(const_and_dtype(0.0, is_int)),
        // x - x = 0 (integers only)
        Rule::new("sub-self-int", "(sub ?x ?x)", "?z")
            .when(x_dtype_is("?x", is_int))
            .derive(full_like(var("?x"), var("?z"), |d| Some(Scalar::zero(d)))),
        // x == x is true, x != x is false (integers and bool only: NaN != NaN)
        Rule::new("eq-self-int", "(eq ?x ?x)", "?z")
            .when(x_dtype_is("?x", is_int_or_bool))
            .derive(full_like(var("?x"), var("?z"), |_| {
                Some(Scalar::Bool(true))
            })),
        Rule::new("ne-self-int", "(ne ?x ?x)", "?z")
            .when(x_dtype_is("?x", is_int_or_bool))
            .derive(full_like(var("?x"), var("?z"), |_| {
                Some(Scalar::Bool(false))
            })),
        // (x + a) + b = x + (a + b) for constants a, b (integers: wrap-around addition is associative)
        Rule::new(
            "add-const-chain-int",
            "(add (add ?x ?a) ?b)",
            "(add ?x (add ?a ?b))",
        )
        .when(const_chain(is_int)),
        // (x * a) * b = x * (a * b) for constants a, b (integers)
        Rule::new(
            "mul-const-chain-int",
            "(mul (mul ?x ?a) ?b)",
            "(mul ?x (mul ?a ?b))",
        )
        .when(const_chain(is_int)),
    ];
    if cfg.fast_math {
        rules.extend(fast_math_rules());
    }
    rules
}

/// `?a` and `?b` are constants and `?x`'s dtype passes `pred`.
fn const_chain(
    pred: impl Fn(DType) -> bool + Send + Sync + 'static,
) -> impl Fn(&ArrayGraph, &Subst) -> bool + Send + Sync + 'static {
    move |eg, s| {
        super::constant(eg, s, var("?a")).is_some()
            && super::constant(eg, s, var("?b")).is_some()
            && dtype_of(eg, s, "?x").is_some_and(&pred)
    }
}

fn is_floating(d: DType) -> bool {
    d.is_floating()
}

/// Value-changing float identities (fast-math only).
fn fast_math_rules() -> Vec<Rule> {
    vec![
        // x * 0 = 0 (wrong for inf, NaN and the sign of zero)
        Rule::new("fast-mul-zero-r", "(mul ?x ?c)", "?c").when(const_and_dtype(0.0, is_floating)),
        Rule::new("fast-mul-zero-l", "(mul ?c ?x)", "?c").when(const_and_dtype(0.0, is_floating)),
        // x - x = 0 (wrong for inf and NaN)
        Rule::new("fast-sub-self", "(sub ?x ?x)", "?z")
            .when(x_dtype_is("?x", is_floating))
            .derive(full_like(var("?x"), var("?z"), |d| Some(Scalar::zero(d)))),
        // x + 0.0 = x (wrong for x = -0.0)
        Rule::new("fast-add-zero-r", "(add ?x ?c)", "?x").when(const_and_dtype(0.0, is_floating)),
        Rule::new("fast-add-zero-l", "(add ?c ?x)", "?x").when(const_and_dtype(0.0, is_floating)),
        // (x + a) + b = x + (a + b) (rounds once instead of twice)
        Rule::new(
            "fast-add-const-chain",
            "(add (add ?x ?a) ?b)",
            "(add ?x (add ?a ?b))",
        )
        .when(const_chain(is_floating)),
        // (x * a) * b = x * (a * b)
        Rule::new(
            "fast-mul-const-chain",
            "(mul (mul ?x ?a) ?b)",
            "(mul ?x (mul ?a ?b))",
        )
        .when(const_chain(is_floating)),
        // x / c = x * (1/c) (1/c rounds unless c is a power of two)
        Rule::new("fast-div-recip", "(div ?x ?c)", "(mul ?x (div ?one ?c))")
            .when(|eg, s| super::constant(eg, s, var("?c")).is_some())
            .derive(full_like(var("?x"), var("?one"), |d| {
                d.is_floating().then(|| Scalar::one(d))
            })),
        // log(exp x) = x (exp overflows for large x)
        Rule::new("fast-log-exp", "(log (exp ?x))", "?x")
            .when(x_dtype_is("?x", |d| d.is_real_float())),
    ]
}

/// Whether `cast(cast(x: from, mid), to) == cast(x, to)` for every `x`: the first cast must keep
/// the value exactly, and the second must treat it as the direct cast does. Integer-to-integer
/// casts wrap while float-to-integer casts saturate, so an integer routed through a float may not
/// end in an integer (`300i16 -> f32 -> i8` is 127, `300i16 -> i8` is 44).
pub fn cast_chain_exact(from: DType, mid: DType, to: DType) -> bool {
    let int_through_float = from.is_integer() && mid.is_floating() && to.is_integer();
    exact_widening(from, mid) && !int_through_float
}

/// Whether every value of `from` is exactly representable in `to`, so that casting through `to`
/// first changes nothing: `cast(cast(x, to), c) == cast(x, c)` for every target `c`.
pub fn exact_widening(from: DType, to: DType) -> bool {
    use DTypeKind::*;
    if from == to || from.is_bool() {
        return true;
    }
    let (fb, tb) = (from.size_bytes(), to.size_bytes());
    match (from.kind(), to.kind()) {
        (SignedInt, SignedInt) | (UnsignedInt, UnsignedInt) => tb >= fb,
        (UnsignedInt, SignedInt) => tb > fb,
        // Integers fit a float's significand: 24 bits for f32, 53 for f64.
        (SignedInt | UnsignedInt, RealFloat) => fb * 8 <= mantissa_bits(to),
        (SignedInt | UnsignedInt, ComplexFloat) => fb * 8 <= mantissa_bits(to.real_part()),
        (RealFloat, RealFloat) => tb >= fb,
        (RealFloat, ComplexFloat) => to.real_part().size_bytes() >= fb,
        (ComplexFloat, ComplexFloat) => tb >= fb,
        _ => false,
    }
}

fn mantissa_bits(d: DType) -> usize {
    match d {
        DType::F32 => 24,
        _ => 53,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_table() {
        assert!(exact_widening(DType::I16, DType::F32));
        assert!(!exact_widening(DType::I32, DType::F32));
        assert!(exact_widening(DType::I32, DType::F64));
        assert!(!exact_widening(DType::I64, DType::F64));
        assert!(exact_widening(DType::U8, DType::I16));
        assert!(!exact_widening(DType::U8, DType::I8));
        assert!(!exact_widening(DType::I8, DType::U64));
        assert!(exact_widening(DType::F32, DType::C64));
        assert!(!exact_widening(DType::F64, DType::F32));
        assert!(!exact_widening(DType::C64, DType::F32));
        assert!(!cast_chain_exact(DType::I16, DType::F32, DType::I8));
        assert!(cast_chain_exact(DType::I16, DType::I32, DType::I8));
        assert!(cast_chain_exact(DType::I16, DType::F32, DType::F64));
    }
}
