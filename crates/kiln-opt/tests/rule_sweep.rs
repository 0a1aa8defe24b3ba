//! Every rule's left-hand side, instantiated for every dtype it type-checks at and run on inputs
//! drawn from special values (NaN, ±inf, ±0.0, subnormals, integer extremes) and random bits:
//! the optimised expression must give bit-identical results to the original under the reference
//! interpreter. Random programs rarely contain `x * 1.0` or `pow(x, 2)`; this sweep makes sure
//! each rule meets each dtype and each special value. With fast-math the same templates must stay
//! within `Tolerance::program()` on moderate finite inputs.

use egg::RecExpr;
use kiln_interp::compare::{Tolerance, assert_close};
use kiln_ir::{C128, DType, DTypeKind, Realized, Scalar};
use kiln_opt::convert::expr_to_program;
use kiln_opt::lang::Const;
use kiln_opt::{ArrayLang, OptConfig, OptError, optimize_expr};

/// Elementwise templates: `{x}`, `{y}` are inputs of dtype `{d}` and shape `[6]`; `{c:V}` is the
/// constant V in that dtype.
const ELEMENTWISE: &[&str] = &[
    "(mul {x} {c:1})",
    "(mul {c:1} {x})",
    "(add {x} {c:-0})",
    "(add {c:-0} {x})",
    "(add {x} {c:0})",
    "(sub {x} {c:0})",
    "(sub {x} {c:-0})",
    "(div {x} {c:1})",
    "(neg (neg {x}))",
    "(mul {x} {c:-1})",
    "(mul {c:-1} {x})",
    "(sub {x} (neg {y}))",
    "(add {x} (neg {y}))",
    "(add (neg {x}) {y})",
    "(abs (abs {x}))",
    "(abs (neg {x}))",
    "(not (not {x}))",
    "(not (eq {x} {y}))",
    "(not (ne {x} {y}))",
    "(not (lt {x} {y}))",
    "(not (le {x} {y}))",
    "(not (gt {x} {y}))",
    "(not (ge {x} {y}))",
    "(where (lt {x} {y}) {y} {y})",
    "(where (not (lt {x} {y})) {x} {y})",
    "(maximum {x} {x})",
    "(minimum {x} {x})",
    "(bitand {x} {x})",
    "(bitor {x} {x})",
    "(bitxor {x} {x})",
    "(and {x} {x})",
    "(or {x} {x})",
    "(xor {x} {x})",
    "(mul {x} {c:0})",
    "(mul {c:0} {x})",
    "(sub {x} {x})",
    "(eq {x} {x})",
    "(ne {x} {x})",
    "(add (add {x} {c:1}) {c:2})",
    "(mul (mul {x} {c:3}) {c:-1})",
    "(pow {x} {c:2})",
    "(pow {x} {c:1})",
    "(pow {x} {c:0})",
    "(pow {x} {c:0.5})",
    "(pow {x} {c:-1})",
    "(div {x} {c:2})",
    "(div {x} {c:0.25})",
    "(div {x} {c:-0.5})",
    "(div {x} {c:3})",
    "(log (exp {x}))",
    "(slice <5:-2:3> (add {x} {y}))",
    "(permute [0] (sqrt {x}))",
];

/// Templates with their own shapes: `{x:SHAPE}` is input 0 of dtype `{d}`, `{c:V:SHAPE}` a constant.
const SHAPED: &[&str] = &[
    "(reduce.sum [0] (broadcast [3,2] {x:[1,2]}))",
    "(reduce.prod [0] (broadcast [3,2] {x:[1,2]}))",
    "(reduce.max [0] (broadcast [3,2] {x:[1,2]}))",
    "(reduce.min [1] (broadcast [2,4] {x:[2,1]}))",
    "(reduce.any [0] (broadcast [3,2] {x:[1,2]}))",
    "(reduce.sum [0] (mul {c:3:[4,2]} {x:[4,2]}))",
    "(reduce.sum [0] (mul {x:[4,2]} {c:-1:[4,2]}))",
    "(reduce.sum [1] (reduce.sum [0] {x:[3,2]}))",
    "(reduce.prod [1] (reduce.prod [0] {x:[3,2]}))",
    "(reduce.max [1] (reduce.max [0] {x:[3,2]}))",
    "(reduce.min [0] (reduce.min [1] {x:[3,2]}))",
    "(reduce.all [0] (reduce.all [1] {x:[3,2]}))",
    "(reduce.sum [1] {x:[4,1]})",
    "(reduce.prod [1] {x:[4,1]})",
    "(reduce.max [0,1] {x:[4,1]})",
    "(reduce.sum [0,1] {x:[3,1]})",
    "(reduce.argmin [1] {x:[4,1]})",
    "(slice <1:1:2> (slice <5:-2:3> {x:[6]}))",
    "(permute [1,0] (permute [1,0] (exp {x:[2,3]})))",
    "(reshape [6] (reshape [3,2] {x:[2,3]}))",
    "(broadcast [2,3] (broadcast [1,3] {x:[1,1]}))",
];

/// A small deterministic generator (xorshift), so the sweep is reproducible.
struct Bits(u64);

impl Bits {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn value(dtype: DType, bits: &mut Bits, tame: bool) -> Scalar {
    const SPECIAL: [f64; 14] = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        2.5,
        -3.75,
        1e-310,
        1e-40,
        1e30,
        f64::MAX,
    ];
    let r = bits.next();
    let real = |r: u64| match r % 3 {
        _ if tame => (r % 801) as f64 / 100.0 - 4.0,
        0 => SPECIAL[(r / 3) as usize % SPECIAL.len()],
        1 => (r % 2001) as f64 / 100.0 - 10.0,
        _ => f64::from_bits(r.rotate_left(17)),
    };
    match dtype.kind() {
        DTypeKind::Bool => Scalar::Bool(r.is_multiple_of(2)),
        DTypeKind::SignedInt | DTypeKind::UnsignedInt => match r % 3 {
            0 => Scalar::from_i64((r % 9) as i64 - 4, dtype),
            1 => Scalar::from_i64([i64::MIN, i64::MAX, -1, 0][(r / 3) as usize % 4], dtype),
            _ => Scalar::from_i64(r as i64, dtype),
        },
        DTypeKind::RealFloat => Scalar::from_f64(real(r), dtype),
        DTypeKind::ComplexFloat => Scalar::C128(C128::new(real(r), real(bits.next()))).cast(dtype),
    }
}

fn constant(text: &str, dtype: DType) -> String {
    let v: f64 = text
        .parse()
        .unwrap_or_else(|_| panic!("bad template constant {text}"));
    let s = if dtype.is_integer() && v.fract() == 0.0 {
        Scalar::from_i64(v as i64, dtype)
    } else {
        Scalar::from_f64(v, dtype)
    };
    Const(s).to_string()
}

/// Expands `{x}`, `{y}`, `{c:V}`, `{x:SHAPE}`, `{c:V:SHAPE}` for dtype `d`.
fn instantiate(template: &str, d: DType) -> String {
    let name = d.short_name();
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .map(|i| open + i)
            .unwrap_or(rest.len() - 1);
        let hole = &rest[open + 1..close];
        let parts: Vec<&str> = hole.splitn(3, ':').collect();
        let text = match parts[..] {
            ["x"] => format!("input#0:{name}[6]"),
            ["y"] => format!("input#1:{name}[6]"),
            ["x", shape] => format!("input#0:{name}{shape}"),
            ["c", v] => format!("(full {} [6])", constant(v, d)),
            ["c", v, shape] => format!("(full {} {shape})", constant(v, d)),
            _ => panic!("bad hole {hole}"),
        };
        out.push_str(&text);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

fn inputs(expr: &RecExpr<ArrayLang>, bits: &mut Bits, tame: bool) -> Vec<Realized> {
    let mut leaves: Vec<_> = expr
        .as_ref()
        .iter()
        .filter_map(|n| match n {
            ArrayLang::Input(l) => Some(l.clone()),
            _ => None,
        })
        .collect();
    leaves.sort();
    leaves.dedup();
    leaves
        .iter()
        .map(|l| {
            let values: Vec<Scalar> = (0..l.shape.numel())
                .map(|_| value(l.dtype, bits, tame))
                .collect();
            Realized::from_scalars(l.dtype, l.shape.clone(), &values).expect("valid input")
        })
        .collect()
}

/// Optimises `text` and compares results on several random inputs: bit-exactly on special values
/// by default, or (fast-math) within `Tolerance::program()` on moderate finite values wherever the
/// exact result is finite. Returns whether the expression type-checked (templates are tried at
/// every dtype).
fn sweep_one(text: &str, cfg: &OptConfig, bits: &mut Bits) -> bool {
    let expr: RecExpr<ArrayLang> = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
    let best = match optimize_expr(&expr, cfg) {
        Ok((best, _)) => best,
        Err(OptError::InvalidExpr(_)) => return false,
        Err(e) => panic!("{text}: {e}"),
    };
    for _ in 0..6 {
        let data = inputs(&expr, bits, cfg.fast_math);
        let run = |e: &RecExpr<ArrayLang>| {
            let p = expr_to_program(e, &data).unwrap_or_else(|err| panic!("{e}: {err}"));
            kiln_interp::run_program(&p).unwrap_or_else(|err| panic!("{e}: {err}"))
        };
        let (want, got) = (run(&expr), run(&best));
        for (w, g) in want.iter().zip(&got) {
            let verdict = if cfg.fast_math {
                close_where_finite(w, g)
            } else {
                assert_close(w, g, &Tolerance::exact())
            };
            if let Err(msg) = verdict {
                panic!("`{text}` => `{best}` changed results: {msg}\ninputs {data:?}");
            }
        }
    }
    true
}

fn close_where_finite(want: &Realized, got: &Realized) -> Result<(), String> {
    for (i, (w, g)) in want.scalars().into_iter().zip(got.scalars()).enumerate() {
        let finite = match w {
            Scalar::F32(v) => v.is_finite(),
            Scalar::F64(v) => v.is_finite(),
            Scalar::C64(z) => z.re.is_finite() && z.im.is_finite(),
            Scalar::C128(z) => z.re.is_finite() && z.im.is_finite(),
            _ => true,
        };
        if finite {
            let one = |s: Scalar| Realized::from_scalars(s.dtype(), kiln_ir::Shape::scalar(), &[s]);
            let (w1, g1) = (
                one(w).map_err(|e| e.to_string())?,
                one(g).map_err(|e| e.to_string())?,
            );
            assert_close(&w1, &g1, &Tolerance::program())
                .map_err(|m| format!("element {i}: {m}"))?;
        }
    }
    Ok(())
}

fn sweep(cfg: &OptConfig) {
    let mut bits = Bits(0x9E37_79B9_7F4A_7C15);
    for template in ELEMENTWISE.iter().chain(SHAPED) {
        let mut any = false;
        for d in DType::ALL {
            any |= sweep_one(&instantiate(template, d), cfg, &mut bits);
        }
        assert!(any, "template {template} type-checks at no dtype");
    }
}

#[test]
fn every_rule_is_exact_at_every_dtype() {
    sweep(&OptConfig::default());
}

#[test]
fn fast_math_rules_stay_close_on_finite_values() {
    sweep(&OptConfig {
        fast_math: true,
        ..OptConfig::default()
    });
}
