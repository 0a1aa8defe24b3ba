//! Prints `explain()` for W1 (`log(sin(x) + 5)` on float32) and times repeated evaluations:
//! `cargo run --release -p kiln --example explain_w1 [-- --quiet]`.
use std::time::Instant;

fn main() -> kiln::Result<()> {
    let quiet = std::env::args().any(|a| a == "--quiet");
    let n = 10_000_000;
    let x = kiln::Array::from_vec((0..n).map(|i| (i % 1000) as f32 * 0.001).collect(), &[n])?;
    let w1 = |x: &kiln::Array| kiln::log(&(kiln::sin(x)? + 5.0)?);
    let y = w1(&x)?;
    let ex = kiln::explain(&[&y])?;
    if !quiet {
        println!("{ex}");
    }
    for _ in 0..5 {
        let t = Instant::now();
        let y = w1(&x)?;
        y.eval()?;
        let sq = (&x * &x)?.sum(None, false, None)?;
        let t1 = t.elapsed();
        let t = Instant::now();
        sq.eval()?;
        println!(
            "W1 10M f32: {:.2} ms ({:.2} ns/elem); sum(x*x): {:.2} ms",
            t1.as_secs_f64() * 1e3,
            t1.as_secs_f64() * 1e9 / n as f64,
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}
