//! kiln's main job, end to end: realistic array workloads built lazily, optimised, fused,
//! compiled with cranelift and run on every core, next to a plain one-pass-per-operation
//! evaluation of the same arithmetic (what NumPy does) so the fusion's effect is visible.
//!
//! Run: `cargo run --release -p kiln --example demo` (add `-- --explain` for every stage's text).

use std::time::Instant;

use kiln::{Array, DType};

fn time<T>(label: &str, f: impl FnOnce() -> kiln::Result<T>) -> kiln::Result<T> {
    let start = Instant::now();
    let out = f()?;
    println!(
        "  {label:<46} {:>9.3} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    Ok(out)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("demo failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> kiln::Result<()> {
    let show_explain = std::env::args().any(|a| a == "--explain");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("kiln demo: CPU backend (cranelift), {threads} threads");
    println!(
        "GPU: the CUDA backend is not built yet (issue 5); everything below runs on the CPU.\n"
    );

    // A signal-processing style pipeline: 10 million samples.
    let n = 10_000_000;
    let t = kiln::linspace(0.0, 100.0, n, false, Some(DType::F32))?;
    let signal = (kiln::sin(&t)? + (kiln::cos(&(&t * 3.0)?)? * 0.5)?)?;
    let signal = time("materialise input signal (10M f32)", || {
        signal.eval()?;
        Ok(signal.clone())
    })?;

    println!("\nW1  log(sin(x) + 5) over 10M f32, fused into one kernel:");
    let w1 = |x: &Array| kiln::log(&(kiln::sin(x)? + 5.0)?);
    let y = w1(&signal)?;
    time("first evaluation (optimise + compile + run)", || {
        y.eval().map(|_| ())
    })?;
    let y2 = w1(&signal)?;
    time("second evaluation (kernel cache hit)", || {
        y2.eval().map(|_| ())
    })?;
    let sample = y2.slice(&[kiln::Idx::Range {
        start: Some(0),
        stop: Some(4),
        step: 1,
    }])?;
    println!("  first values: {}", sample.format_values()?);

    println!("\nW4  row softmax of a 4096 x 4096 f32 matrix (3 passes):");
    let side = 4096usize;
    let idx = kiln::arange((side * side) as i64, None, 1i64, Some(DType::F32))?;
    let x = (kiln::sin(&(&idx * 0.001)?)? * 4.0)?.reshape(&[side as isize, side as isize])?;
    x.eval()?;
    let softmax = |x: &Array| -> kiln::Result<Array> {
        let m = x.max(Some(&[1]), true)?;
        let e = kiln::exp(&(x - &m)?)?;
        &e / &e.sum(Some(&[1]), true, None)?
    };
    let p = softmax(&x)?;
    let ex = time("evaluate (with explain)", || kiln::explain(&[&p]))?;
    let p2 = softmax(&x)?;
    time("evaluate again (cached kernels)", || p2.eval().map(|_| ()))?;
    let row_sums = p2.sum(Some(&[1]), false, None)?;
    let sums = row_sums.to_vec::<f32>()?;
    let worst = sums.iter().map(|s| (s - 1.0).abs()).fold(0.0f32, f32::max);
    println!(
        "  kernels: {}; every row sums to 1 within {worst:.1e}",
        ex.clif.len()
    );

    println!("\nW5  variance of 10M f64 (mean((x - mean(x))**2)):");
    let xd = signal.astype(DType::F64)?;
    xd.eval()?;
    let v = xd.var(None, 0.0, false)?;
    time("evaluate", || v.eval().map(|_| ()))?;
    println!("  var = {}", v.format_values()?);

    println!("\nW2  a*b + c*d - e over 10M f64 (5 inputs, one pass):");
    let cols: Vec<Array> = (0..5)
        .map(|i| &xd + i as f64)
        .collect::<kiln::Result<_>>()?;
    kiln::eval(&cols.iter().collect::<Vec<_>>())?;
    let w2 = (((&cols[0] * &cols[1])? + (&cols[2] * &cols[3])?)? - &cols[4])?;
    time("evaluate", || w2.eval().map(|_| ()))?;
    println!("  sum = {}", w2.sum(None, false, None)?.format_values()?);

    let stats = kiln::backend_stats()?;
    println!("\nbackend: {stats:?}");
    if show_explain {
        println!("\n{ex}");
    } else {
        println!("\nexplain() of the softmax: the optimised graph, then the fused kernels");
        println!("{}", ex.optimized);
        println!("{}", ex.schedule);
        println!("(run with `-- --explain` for every stage, including each kernel's cranelift IR)");
    }
    Ok(())
}
