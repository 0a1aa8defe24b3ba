//! Differential tests of the whole pipeline (egg + fusion + cranelift + executor) against the
//! reference interpreter, on random programs and on random expressions built through the API.
//!
//! Integers and booleans must match bit for bit; floats within `Tolerance::program()`, with
//! NaN, infinities and the sign of zero preserved, or, where a chain is ill-conditioned, every op
//! within its own error bound (see `support/local_check.rs`).

use kiln::{Array, DType};
use kiln_interp::compare::{Tolerance, assert_close};
use kiln_interp::testgen::{GenConfig, arb_program};
use proptest::prelude::*;

#[path = "support/local_check.rs"]
mod local_check;

/// End to end against the interpreter: integers and bools exact, floats within
/// `Tolerance::program()` (single-precision error wherever f32 intermediates exist). A mismatch is
/// accepted only where it is explained: every op of the program is right on its own operands
/// (`local_check::check_each_op`), and the output is either tainted by an accumulation whose
/// order decided between overflow and a finite value, or each mismatching element's reference
/// itself moves beyond the tolerance when every float op's result is perturbed by a few ULP.
/// A well-conditioned mismatch always fails.
fn check_program(p: &kiln_ir::Program) -> Result<(), TestCaseError> {
    let got = kiln::run_program(p).map_err(|e| TestCaseError::fail(format!("{e}\n{p}")))?;
    local_check::check_outputs(p, &got).map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_elementwise_programs(p in arb_program(local_check::real_dtypes(GenConfig { allow_reduce: false, allow_library: false, ..GenConfig::default() }))) {
        check_program(&p)?;
    }

    #[test]
    fn random_programs_with_reductions_and_views(p in arb_program(local_check::real_dtypes(GenConfig::default()))) {
        check_program(&p)?;
    }

    #[test]
    fn random_float_programs(p in arb_program(GenConfig { dtypes: vec![DType::F32, DType::F64], ..GenConfig::default() })) {
        check_program(&p)?;
    }
}

/// A random expression built through the public API from a small op alphabet.
fn build(ops: &[u8], x: &Array, y: &Array) -> kiln::Result<Array> {
    let mut acc = x.clone();
    for (i, op) in ops.iter().enumerate() {
        acc = match op % 12 {
            0 => (&acc + y)?,
            1 => (&acc * y)?,
            2 => kiln::sin(&acc)?,
            3 => kiln::exp(&kiln::negative(&kiln::abs(&acc)?)?)?,
            4 => kiln::maximum(&acc, 0.5)?,
            5 => (&acc - 1.5)?,
            6 => acc.flip(None)?,
            7 => kiln::where_(&kiln::greater(&acc, y)?, &acc, y)?,
            8 => (kiln::sqrt(&kiln::abs(&acc)?)? + y)?,
            9 => kiln::tanh(&acc)?,
            10 if i % 2 == 0 => (&acc.sum(Some(&[-1]), true, None)? + &acc)?,
            _ => (&acc.max(Some(&[0]), true)? - &acc)?,
        };
    }
    Ok(acc)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_api_expressions(
        ops in proptest::collection::vec(any::<u8>(), 1..8),
        rows in 1usize..9,
        cols in 1usize..40,
        seed in any::<u64>(),
        f64_dtype in any::<bool>(),
    ) {
        let n = rows * cols;
        let mut state = seed | 1;
        let mut next = || { state ^= state << 13; state ^= state >> 7; state ^= state << 17; (state % 2000) as f64 / 250.0 - 4.0 };
        let xs: Vec<f64> = (0..n).map(|_| next()).collect();
        let ys: Vec<f64> = (0..cols).map(|_| next()).collect();
        let (x, y) = if f64_dtype {
            (Array::from_vec(xs, &[rows, cols]).unwrap(), Array::from_vec(ys, &[cols]).unwrap())
        } else {
            (Array::from_vec(xs.iter().map(|&v| v as f32).collect(), &[rows, cols]).unwrap(),
             Array::from_vec(ys.iter().map(|&v| v as f32).collect(), &[cols]).unwrap())
        };
        let z = build(&ops, &x, &y).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let program = kiln::program_of(&[&z]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_program(&program)?;
        // `eval` runs the same pipeline as `run_program`: the same bits.
        let direct = kiln::run_program(&program).map_err(|e| TestCaseError::fail(e.to_string()))?;
        z.eval().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let got = z.data().map_err(|e| TestCaseError::fail(e.to_string()))?;
        assert_close(&direct[0], &got, &Tolerance::exact()).map_err(TestCaseError::fail)?;
    }
}
