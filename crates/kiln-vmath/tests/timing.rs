//! A rough throughput print for the benchmark workloads (run with
//! `cargo test -p kiln-vmath --release -- --nocapture timing`): ns per element of F32X4
//! exp/log/sin over 1e6 elements. It also checks the results, so it cannot pass vacuously.

mod common;

use common::{Isa, compile};
use cranelift_codegen::ir::types;
use kiln_vmath::MathFn;

#[test]
fn timing_f32x4_exp_log_sin() {
    let n = 1_000_000;
    let xs: Vec<f32> = (0..n).map(|i| 0.5 + (i as f32) * 1e-5).collect();
    for f in [MathFn::Exp, MathFn::Log, MathFn::Sin, MathFn::Cos] {
        let k = compile(f, types::F32X4, Isa::Native);
        let mut out = vec![0.0f32; n];
        k.run_into_f32(&xs, &mut out);
        let start = std::time::Instant::now();
        let reps = 5;
        for _ in 0..reps {
            k.run_into_f32(&xs, &mut out);
        }
        let ns = start.elapsed().as_secs_f64() * 1e9 / (reps * n) as f64;
        println!("timing {f:>5} f32x4: {ns:.2} ns/element");
        let i = n / 2;
        let want = common::reference(f, f64::from(xs[i]), 1.0);
        assert!((f64::from(out[i]) - want).abs() <= want.abs() * 1e-6, "{f}");
    }
}
