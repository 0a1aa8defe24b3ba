//! Times W4 (row softmax, 4096 x 4096 float32): `cargo run --release -p kiln --example softmax_probe`.
use std::time::Instant;
fn main() -> kiln::Result<()> {
    let side = 4096;
    let x = kiln::Array::from_vec(
        (0..side * side).map(|i| (i % 977) as f32 * 0.01).collect(),
        &[side, side],
    )?;
    if std::env::args().any(|a| a == "--explain") {
        let m = x.max(Some(&[1]), true)?;
        let e = kiln::exp(&(&x - &m)?)?;
        let p = (&e / &e.sum(Some(&[1]), true, None)?)?;
        println!("{}", kiln::explain(&[&p])?);
        return Ok(());
    }
    for _ in 0..4 {
        let t = Instant::now();
        let m = x.max(Some(&[1]), true)?;
        let e = kiln::exp(&(&x - &m)?)?;
        let p = (&e / &e.sum(Some(&[1]), true, None)?)?;
        p.eval()?;
        println!(
            "softmax 4096^2 f32: {:.2} ms",
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}
