//! One-line rule specs: `input => expected` in the e-graph text form, one per rule, plus negative
//! specs for every unsafe rewrite (the input must come back unchanged without fast-math).
//!
//! Every default-config spec is also run through the reference interpreter on inputs full of
//! special values (±0.0, ±inf, NaN, subnormals, integer extremes): the rewritten expression must
//! give bit-identical results.

use egg::RecExpr;
use kiln_interp::compare::{Tolerance, assert_close};
use kiln_ir::{DType, Realized, Scalar};
use kiln_opt::convert::expr_to_program;
use kiln_opt::{ArrayLang, OptConfig, optimize_expr};

fn parse(text: &str) -> RecExpr<ArrayLang> {
    match text.parse() {
        Ok(e) => e,
        Err(e) => panic!("spec `{text}` does not parse: {e}"),
    }
}

fn fast() -> OptConfig {
    OptConfig {
        fast_math: true,
        ..OptConfig::default()
    }
}

/// Runs the optimiser on `input` and compares the printed result with `expected`.
fn rewrite(cfg: &OptConfig, input: &str, expected: &str) -> RecExpr<ArrayLang> {
    let (best, report) = match optimize_expr(&parse(input), cfg) {
        Ok(r) => r,
        Err(e) => panic!("optimising `{input}` failed: {e}"),
    };
    assert_eq!(
        best.to_string(),
        parse(expected).to_string(),
        "spec `{input}` (report {report:?})"
    );
    assert!(report.cost_after <= report.cost_before);
    best
}

/// A default-config spec, also checked bit for bit against the interpreter.
fn spec(input: &str, expected: &str) {
    let best = rewrite(&OptConfig::default(), input, expected);
    same_results(&parse(input), &best);
}

/// A spec that needs fast-math; without it the input must stay as it is.
fn fast_spec(input: &str, expected: &str) {
    unchanged(input);
    rewrite(&fast(), input, expected);
}

/// A negative spec: the default config must not rewrite `input`.
fn unchanged(input: &str) {
    rewrite(&OptConfig::default(), input, input);
}

/// Realized inputs for every `input#slot` leaf, filled with special values.
fn inputs_for(expr: &RecExpr<ArrayLang>) -> Vec<Realized> {
    let mut leaves: Vec<_> = expr
        .as_ref()
        .iter()
        .filter_map(|n| match n {
            ArrayLang::Input(leaf) => Some(leaf.clone()),
            _ => None,
        })
        .collect();
    leaves.sort();
    leaves.dedup();
    leaves
        .iter()
        .enumerate()
        .map(|(i, leaf)| {
            assert_eq!(leaf.slot, i, "spec inputs must use slots 0, 1, ...");
            let values: Vec<Scalar> = (0..leaf.shape.numel())
                .map(|k| special_value(leaf.dtype, k + 3 * i))
                .collect();
            match Realized::from_scalars(leaf.dtype, leaf.shape.clone(), &values) {
                Ok(r) => r,
                Err(e) => panic!("building input {i}: {e}"),
            }
        })
        .collect()
}

fn special_value(dtype: DType, k: usize) -> Scalar {
    const FLOATS: [f64; 12] = [
        1.5,
        -0.0,
        f64::INFINITY,
        0.0,
        f64::NAN,
        -2.25,
        f64::NEG_INFINITY,
        3.0,
        1e30,
        -7.5,
        1e-40,
        0.5,
    ];
    const INTS: [i64; 8] = [0, 1, -1, 7, i64::MIN, i64::MAX, -3, 100];
    match dtype.kind() {
        kiln_ir::DTypeKind::Bool => Scalar::Bool(k % 3 == 1),
        kiln_ir::DTypeKind::SignedInt | kiln_ir::DTypeKind::UnsignedInt => {
            Scalar::from_i64(INTS[k % INTS.len()], dtype)
        }
        kiln_ir::DTypeKind::RealFloat => Scalar::from_f64(FLOATS[k % FLOATS.len()], dtype),
        kiln_ir::DTypeKind::ComplexFloat => {
            let z = kiln_ir::C128::new(FLOATS[k % FLOATS.len()], FLOATS[(k + 5) % FLOATS.len()]);
            Scalar::C128(z).cast(dtype)
        }
    }
}

fn same_results(before: &RecExpr<ArrayLang>, after: &RecExpr<ArrayLang>) {
    let inputs = inputs_for(before);
    let run = |e: &RecExpr<ArrayLang>| {
        let p = expr_to_program(e, &inputs).unwrap_or_else(|err| panic!("{e}: {err}"));
        kiln_interp::run_program(&p).unwrap_or_else(|err| panic!("{e}: {err}"))
    };
    let (want, got) = (run(before), run(after));
    assert_eq!(want.len(), got.len());
    for (w, g) in want.iter().zip(&got) {
        if let Err(msg) = assert_close(w, g, &Tolerance::exact()) {
            panic!("`{before}` => `{after}` changed results: {msg}");
        }
    }
}

// ---------------------------------------------------------------- algebra

#[test]
fn algebra_identities() {
    spec(
        "(mul input#0:f32[12] (full 1.0:f32 [12]))",
        "input#0:f32[12]",
    );
    spec("(mul (full 1:i32 [8]) input#0:i32[8])", "input#0:i32[8]");
    spec(
        "(add input#0:f32[12] (full -0.0:f32 [12]))",
        "input#0:f32[12]",
    );
    spec(
        "(add (full -0.0:f64 [12]) input#0:f64[12])",
        "input#0:f64[12]",
    );
    spec("(add input#0:i64[8] (full 0:i64 [8]))", "input#0:i64[8]");
    spec(
        "(add input#0:c64[12] (full -0-0j:c64 [12]))",
        "input#0:c64[12]",
    );
    spec(
        "(sub input#0:f64[12] (full 0.0:f64 [12]))",
        "input#0:f64[12]",
    );
    spec(
        "(div input#0:f32[12] (full 1.0:f32 [12]))",
        "input#0:f32[12]",
    );
    spec("(neg (neg input#0:f32[12]))", "input#0:f32[12]");
    spec("(neg (neg input#0:i8[8]))", "input#0:i8[8]");
    spec(
        "(mul input#0:f32[12] (full -1.0:f32 [12]))",
        "(neg input#0:f32[12])",
    );
    spec(
        "(mul (full -1:i16 [8]) input#0:i16[8])",
        "(neg input#0:i16[8])",
    );
    spec(
        "(sub input#0:f32[12] (neg input#1:f32[12]))",
        "(add input#0:f32[12] input#1:f32[12])",
    );
    spec(
        "(add input#0:f64[12] (neg input#1:f64[12]))",
        "(sub input#0:f64[12] input#1:f64[12])",
    );
    spec(
        "(add (neg input#0:f64[12]) input#1:f64[12])",
        "(sub input#1:f64[12] input#0:f64[12])",
    );
    spec("(abs (abs input#0:f32[12]))", "(abs input#0:f32[12])");
    spec("(abs (neg input#0:i32[8]))", "(abs input#0:i32[8])");
    spec("(abs (abs input#0:c64[12]))", "(abs input#0:c64[12])");
    spec("(not (not input#0:bool[6]))", "input#0:bool[6]");
    spec("(not (not input#0:u16[8]))", "input#0:u16[8]");
    spec(
        "(not (eq input#0:f32[12] input#1:f32[12]))",
        "(ne input#0:f32[12] input#1:f32[12])",
    );
    spec(
        "(not (ne input#0:f32[12] input#1:f32[12]))",
        "(eq input#0:f32[12] input#1:f32[12])",
    );
    spec(
        "(not (lt input#0:i32[8] input#1:i32[8]))",
        "(ge input#0:i32[8] input#1:i32[8])",
    );
    spec(
        "(not (ge input#0:u8[8] input#1:u8[8]))",
        "(lt input#0:u8[8] input#1:u8[8])",
    );
    spec(
        "(where input#0:bool[6] input#1:f32[6] input#1:f32[6])",
        "input#1:f32[6]",
    );
    spec(
        "(where (not input#0:bool[6]) input#1:f32[6] input#2:f32[6])",
        "(where input#0:bool[6] input#2:f32[6] input#1:f32[6])",
    );
    spec(
        "(where (full true:bool [6]) input#0:f32[6] input#1:f32[6])",
        "input#0:f32[6]",
    );
    spec(
        "(maximum input#0:f64[12] input#0:f64[12])",
        "input#0:f64[12]",
    );
    spec("(bitand input#0:i32[8] input#0:i32[8])", "input#0:i32[8]");
}

#[test]
fn casts() {
    // f32 -> f64 is exact, so the round trip is the identity.
    spec("(cast f32 (cast f64 input#0:f32[12]))", "input#0:f32[12]");
    spec(
        "(cast f64 (cast i32 input#0:i16[8]))",
        "(cast f64 input#0:i16[8])",
    );
    spec("(cast i64 input#0:i64[8])", "input#0:i64[8]");
    // f64 -> f32 rounds: not removable.
    unchanged("(cast f64 (cast f32 input#0:f64[12]))");
    // i16 -> f32 is exact, but float -> int saturates where int -> int wraps.
    unchanged("(cast i8 (cast f32 input#0:i16[8]))");
    // i64 -> f64 rounds large integers.
    unchanged("(cast f32 (cast f64 input#0:i64[8]))");
}

#[test]
fn integer_only_identities() {
    spec("(mul input#0:i32[8] (full 0:i32 [8]))", "(full 0:i32 [8])");
    spec("(sub input#0:i64[8] input#0:i64[8])", "(full 0:i64 [8])");
    spec("(bitxor input#0:u8[8] input#0:u8[8])", "(full 0:u8 [8])");
    spec("(eq input#0:i32[8] input#0:i32[8])", "(full true:bool [8])");
    spec(
        "(add (add input#0:i32[8] (full 1:i32 [8])) (full 2:i32 [8]))",
        "(add input#0:i32[8] (full 3:i32 [8]))",
    );
    // Floats: NaN != NaN, and a comparison negation is not the opposite comparison.
    unchanged("(eq input#0:f32[12] input#0:f32[12])");
    unchanged("(not (lt input#0:f32[12] input#1:f32[12]))");
}

#[test]
fn value_changing_float_rules_need_fast_math() {
    // inf * 0 is NaN and -1 * 0 is -0.0.
    fast_spec(
        "(mul input#0:f32[12] (full 0.0:f32 [12]))",
        "(full 0.0:f32 [12])",
    );
    // inf - inf is NaN.
    fast_spec(
        "(sub input#0:f64[12] input#0:f64[12])",
        "(full 0.0:f64 [12])",
    );
    // -0.0 + 0.0 is +0.0.
    fast_spec(
        "(add input#0:f32[12] (full 0.0:f32 [12]))",
        "input#0:f32[12]",
    );
    // Rounds once instead of twice.
    fast_spec(
        "(add (add input#0:f32[12] (full 0.1:f32 [12])) (full 0.2:f32 [12]))",
        "(add input#0:f32[12] (full 0.30000001192092896:f32 [12]))",
    );
    // 1/3 is not exact.
    fast_spec(
        "(div input#0:f32[12] (full 3.0:f32 [12]))",
        "(mul input#0:f32[12] (full 0.3333333432674408:f32 [12]))",
    );
    // exp overflows for large x.
    fast_spec("(log (exp input#0:f64[12]))", "input#0:f64[12]");
    // exp(log x) is never x (log's domain), not even with fast-math.
    unchanged("(exp (log input#0:f64[12]))");
    rewrite(
        &fast(),
        "(exp (log input#0:f64[12]))",
        "(exp (log input#0:f64[12]))",
    );
    // Complex x * 1 computes b*0 for the imaginary part b.
    unchanged("(mul input#0:c64[12] (full 1+0j:c64 [12]))");
}

#[test]
fn constant_folding_uses_reference_semantics() {
    spec(
        "(add (full 1.0:f32 [4]) (full 2.0:f32 [4]))",
        "(full 3.0:f32 [4])",
    );
    // The folded NaN has the bits the host's sqrt gives (x86: the negative default NaN), the
    // same bits a compiled kernel computes; the text shows them exactly.
    let host_nan = kiln_ir::Scalar::F64((-1.0f64).sqrt());
    spec(
        "(sqrt (full -1.0:f64 [2]))",
        &format!("(full {host_nan} [2])"),
    );
    spec(
        "(add (full 127:i8 [3]) (full 1:i8 [3]))",
        "(full -128:i8 [3])",
    );
    spec(
        "(floordiv (full 7:i32 [3]) (full 0:i32 [3]))",
        "(full 0:i32 [3])",
    );
    spec("(cast u8 (full 300.5:f64 [2]))", "(full 255:u8 [2])");
    spec("(reduce.sum [0] (full 3:i32 [5]))", "(full 15:i32 [1])");
    // A float sum of copies is not folded (n additions round n times).
    unchanged("(reduce.sum [0] (full 0.1:f32 [5]))");
}

// ---------------------------------------------------------------- strength reduction

#[test]
fn strength_reduction() {
    spec(
        "(pow input#0:f32[12] (full 2.0:f32 [12]))",
        "(mul input#0:f32[12] input#0:f32[12])",
    );
    spec(
        "(pow input#0:f64[12] (full 2.0:f64 [12]))",
        "(mul input#0:f64[12] input#0:f64[12])",
    );
    spec(
        "(pow input#0:i32[8] (full 2:i32 [8]))",
        "(mul input#0:i32[8] input#0:i32[8])",
    );
    spec(
        "(pow input#0:f32[12] (full 1.0:f32 [12]))",
        "input#0:f32[12]",
    );
    spec(
        "(pow input#0:f64[12] (full 0.0:f64 [12]))",
        "(full 1.0:f64 [12])",
    );
    spec(
        "(div input#0:f32[12] (full 4.0:f32 [12]))",
        "(mul input#0:f32[12] (full 0.25:f32 [12]))",
    );
    spec(
        "(div input#0:f64[12] (full -0.5:f64 [12]))",
        "(mul input#0:f64[12] (full -2.0:f64 [12]))",
    );
    // pow(-0.0, 0.5) is +0.0 but sqrt(-0.0) is -0.0; pow(-inf, 0.5) is +inf.
    fast_spec(
        "(pow input#0:f32[12] (full 0.5:f32 [12]))",
        "(sqrt input#0:f32[12])",
    );
    fast_spec(
        "(pow input#0:f64[12] (full -1.0:f64 [12]))",
        "(div (full 1.0:f64 [12]) input#0:f64[12])",
    );
}

// ---------------------------------------------------------------- movement

#[test]
fn view_merging() {
    spec(
        "(reshape [6] (reshape [3,2] input#0:f32[2,3]))",
        "(reshape [6] input#0:f32[2,3])",
    );
    spec("(reshape [2,3] input#0:f32[2,3])", "input#0:f32[2,3]");
    spec(
        "(permute [1,0] (permute [1,0] input#0:f32[2,3]))",
        "input#0:f32[2,3]",
    );
    spec(
        "(permute [2,0,1] (permute [1,2,0] input#0:i32[2,3,4]))",
        "input#0:i32[2,3,4]",
    );
    spec(
        "(permute [1,0,2] (permute [1,2,0] input#0:i32[2,3,4]))",
        "(permute [2,1,0] input#0:i32[2,3,4])",
    );
    spec(
        "(broadcast [4,3] (broadcast [1,3] input#0:f32[1,1]))",
        "(broadcast [4,3] input#0:f32[1,1])",
    );
    spec("(broadcast [2,3] input#0:f32[2,3])", "input#0:f32[2,3]");
    spec(
        "(slice <1:1:2> (slice <1:2:4> input#0:f32[10]))",
        "(slice <3:2:2> input#0:f32[10])",
    );
    spec(
        "(slice <3:-1:4> (slice <1:2:4> input#0:f32[10]))",
        "(slice <7:-2:4> input#0:f32[10])",
    );
    spec("(slice <0:1:4,0:1:1> input#0:f32[4,1])", "input#0:f32[4,1]");
    spec("(reshape [3,2] (full 1.0:f32 [6]))", "(full 1.0:f32 [3,2])");
    spec(
        "(broadcast [3,2] (full 1.0:f32 [1,2]))",
        "(full 1.0:f32 [3,2])",
    );
    spec("(slice <0:1:2> (full 7:i64 [5]))", "(full 7:i64 [2])");
}

#[test]
fn views_are_pushed_through_elementwise_ops() {
    spec(
        "(slice <0:1:2> (add input#0:f32[12] input#1:f32[12]))",
        "(add (slice <0:1:2> input#0:f32[12]) (slice <0:1:2> input#1:f32[12]))",
    );
    spec(
        "(slice <0:3:4> (exp input#0:f32[12]))",
        "(exp (slice <0:3:4> input#0:f32[12]))",
    );
    spec(
        "(slice <1:1:2> (cast f64 input#0:f32[12]))",
        "(cast f64 (slice <1:1:2> input#0:f32[12]))",
    );
    spec(
        "(permute [1,0] (add (permute [1,0] input#0:f32[2,3]) (permute [1,0] input#1:f32[2,3])))",
        "(add input#0:f32[2,3] input#1:f32[2,3])",
    );
    // Pushing a permute alone computes the same number of elements: not cheaper.
    unchanged("(permute [1,0] (add input#0:f32[2,3] input#1:f32[2,3]))");
    // When the full result is an output too, the slice stays on top so exp runs once.
    unchanged("(outputs (slice <0:1:2> (exp input#0:f32[12])) (exp input#0:f32[12]))");
}

// ---------------------------------------------------------------- reductions

#[test]
fn reductions() {
    spec(
        "(reduce.sum [0] (broadcast [5,3] input#0:i32[1,3]))",
        "(mul input#0:i32[1,3] (full 5:i32 [1,3]))",
    );
    fast_spec(
        "(reduce.sum [0] (broadcast [5,3] input#0:f32[1,3]))",
        "(mul input#0:f32[1,3] (full 5.0:f32 [1,3]))",
    );
    spec(
        "(reduce.max [0] (broadcast [5,3] input#0:f32[1,3]))",
        "input#0:f32[1,3]",
    );
    spec(
        "(reduce.sum [0] (mul (full 3:i64 [4,2]) input#0:i64[4,2]))",
        "(mul (full 3:i64 [1,2]) (reduce.sum [0] input#0:i64[4,2]))",
    );
    fast_spec(
        "(reduce.sum [0] (mul input#0:f32[4,3] (full 3.0:f32 [4,3])))",
        "(mul (full 3.0:f32 [1,3]) (reduce.sum [0] input#0:f32[4,3]))",
    );
    spec("(reduce.max [1] input#0:f32[4,1])", "input#0:f32[4,1]");
    spec("(reduce.sum [1] input#0:i32[4,1])", "input#0:i32[4,1]");
    spec("(reduce.prod [1] input#0:f64[4,1])", "input#0:f64[4,1]");
    // The reference sums from +0.0, so a float sum of [-0.0] is +0.0.
    unchanged("(reduce.sum [1] input#0:f32[4,1])");
    spec(
        "(reduce.max [0,1] input#0:f32[4,1])",
        "(reduce.max [0] input#0:f32[4,1])",
    );
    spec("(reduce.argmax [1] input#0:f32[4,1])", "(full 0:i64 [4,1])");
    spec(
        "(reduce.sum [1] (reduce.sum [0] input#0:i32[3,4]))",
        "(reduce.sum [0,1] input#0:i32[3,4])",
    );
    spec(
        "(reduce.any [0] (reduce.any [1] input#0:bool[3,2]))",
        "(reduce.any [0,1] input#0:bool[3,2])",
    );
    // Float sums regrouped round differently; float max/min pick between ±0.0 by order.
    fast_spec(
        "(reduce.sum [1] (reduce.sum [0] input#0:f32[3,4]))",
        "(reduce.sum [0,1] input#0:f32[3,4])",
    );
    unchanged("(reduce.max [1] (reduce.max [0] input#0:f32[3,4]))");
}

// ---------------------------------------------------------------- the whole pipeline

#[test]
fn outputs_keep_their_order_and_cost_counts_shared_nodes_once() {
    spec(
        "(outputs (mul input#0:f32[12] (full 1.0:f32 [12])) (neg (neg input#1:f32[12])) input#0:f32[12])",
        "(outputs input#0:f32[12] input#1:f32[12] input#0:f32[12])",
    );
    // exp(x) is computed once and shared, so x*x with x = exp(y) beats pow(exp(y), 2).
    spec(
        "(pow (exp input#0:f32[12]) (full 2.0:f32 [12]))",
        "(mul (exp input#0:f32[12]) (exp input#0:f32[12]))",
    );
}

#[test]
fn ill_typed_expressions_are_errors() {
    let bad = parse("(add input#0:f32[3] input#1:f64[3])");
    assert!(matches!(
        optimize_expr(&bad, &OptConfig::default()),
        Err(kiln_opt::OptError::InvalidExpr(_))
    ));
}
