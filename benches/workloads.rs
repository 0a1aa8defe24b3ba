//! Workloads W1-W5 of `shared/bench/workloads.md`: kiln against an ndarray eager equivalent
//! (one pass over memory per operation, as NumPy does) in the same run, plus the machine's memory
//! bandwidth measured in the same run, and kiln's compile latency (cold and warm).
//!
//! Run: `cargo bench -p kiln --bench workloads` (criterion measurements, then a summary table
//! with ratios and effective bandwidth; `KILN_BENCH_QUICK=1` shortens it).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use kiln::Array;
use ndarray::{Array1, Array2, Axis};
use rayon::prelude::*;

fn data_f32(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 7919) % 10007) as f32 / 10007.0 * 6.0 - 3.0)
        .collect()
}
fn data_f64(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| ((i * 7919) % 10007) as f64 / 10007.0 * 6.0 - 3.0)
        .collect()
}

// ---- kiln versions: build the lazy graph and evaluate it (warm kernel cache). ----

fn kiln_w1_f32(x: &Array) -> Array {
    let y = kiln::log(&(kiln::sin(x).unwrap() + 5.0).unwrap()).unwrap();
    y.eval().unwrap();
    y
}
fn kiln_w1_f64(x: &Array) -> Array {
    kiln_w1_f32(x)
}
fn kiln_w2(a: &Array, b: &Array, c: &Array, d: &Array, e: &Array) -> Array {
    let y = ((a * b).unwrap() + (c * d).unwrap())
        .and_then(|t| &t - e)
        .unwrap();
    y.eval().unwrap();
    y
}
fn kiln_w3(x: &Array) -> Array {
    let y = (x * x).unwrap().sum(None, false, None).unwrap();
    y.eval().unwrap();
    y
}
fn kiln_w4(x: &Array) -> Array {
    let m = x.max(Some(&[1]), true).unwrap();
    let e = kiln::exp(&(x - &m).unwrap()).unwrap();
    let y = (&e / &e.sum(Some(&[1]), true, None).unwrap()).unwrap();
    y.eval().unwrap();
    y
}
fn kiln_w5(x: &Array) -> Array {
    let y = x.var(None, 0.0, false).unwrap();
    y.eval().unwrap();
    y
}

// ---- ndarray eager versions: one operation (one pass over memory) at a time. ----

fn nd_w1_f32(x: &Array1<f32>) -> Array1<f32> {
    let s = x.mapv(f32::sin);
    let t = &s + 5.0;
    t.mapv(f32::ln)
}
fn nd_w1_f64(x: &Array1<f64>) -> Array1<f64> {
    let s = x.mapv(f64::sin);
    let t = &s + 5.0;
    t.mapv(f64::ln)
}
fn nd_w2(
    a: &Array1<f64>,
    b: &Array1<f64>,
    c: &Array1<f64>,
    d: &Array1<f64>,
    e: &Array1<f64>,
) -> Array1<f64> {
    let ab = a * b;
    let cd = c * d;
    let s = &ab + &cd;
    &s - e
}
fn nd_w3(x: &Array1<f32>) -> f32 {
    let sq = x * x;
    sq.sum()
}
fn nd_w4(x: &Array2<f32>) -> Array2<f32> {
    let m = x.map_axis(Axis(1), |r| r.fold(f32::NEG_INFINITY, |a, &b| a.max(b)));
    let d = x - &m.insert_axis(Axis(1));
    let e = d.mapv(f32::exp);
    let s = e.sum_axis(Axis(1));
    &e / &s.insert_axis(Axis(1))
}
fn nd_w5(x: &Array1<f64>) -> f64 {
    let m = x.mean().unwrap_or(f64::NAN);
    let d = x - m;
    let sq = &d * &d;
    sq.mean().unwrap_or(f64::NAN)
}

/// Median wall time of `f` over enough repetitions to fill `budget`.
fn median_time(budget: Duration, mut f: impl FnMut()) -> Duration {
    f();
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed() < budget && times.len() < 200) {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

/// Memory bandwidth of this machine, both cores: a parallel copy (read + write) of 512 MiB into
/// a reused buffer, in bytes per second counting read + write.
fn measure_bandwidth(budget: Duration) -> f64 {
    let n = 64 << 20;
    let src = vec![1.0f64; n];
    let mut dst = vec![0.0f64; n];
    let t = median_time(budget, || {
        dst.par_chunks_mut(1 << 16)
            .zip(src.par_chunks(1 << 16))
            .for_each(|(d, s)| d.copy_from_slice(s));
        black_box(&dst);
    });
    (2 * n * 8) as f64 / t.as_secs_f64()
}

struct Row {
    name: String,
    kiln: Duration,
    peer: Duration,
    bytes: usize,
}

fn summary(quick: bool) {
    let budget = Duration::from_millis(if quick { 300 } else { 1500 });
    let bw = measure_bandwidth(budget);
    let mut rows = Vec::new();
    let sizes: &[usize] = if quick {
        &[1_000_000]
    } else {
        &[1_000_000, 10_000_000]
    };
    for &n in sizes {
        let xf = data_f32(n);
        let xd = data_f64(n);
        let (kx, nx) = (
            Array::from_vec(xf.clone(), &[n]).unwrap(),
            Array1::from(xf.clone()),
        );
        rows.push(Row {
            name: format!("W1 log(sin(x)+5) f32 n={n:.0e}"),
            kiln: median_time(budget, || {
                black_box(kiln_w1_f32(&kx));
            }),
            peer: median_time(budget, || {
                black_box(nd_w1_f32(&nx));
            }),
            bytes: 2 * 4 * n,
        });
        let (kx, nx) = (
            Array::from_vec(xd.clone(), &[n]).unwrap(),
            Array1::from(xd.clone()),
        );
        rows.push(Row {
            name: format!("W1 log(sin(x)+5) f64 n={n:.0e}"),
            kiln: median_time(budget, || {
                black_box(kiln_w1_f64(&kx));
            }),
            peer: median_time(budget, || {
                black_box(nd_w1_f64(&nx));
            }),
            bytes: 2 * 8 * n,
        });
        let k: Vec<Array> = (0..5)
            .map(|i| Array::from_vec(xd.iter().map(|v| v + i as f64).collect(), &[n]).unwrap())
            .collect();
        let a: Vec<Array1<f64>> = (0..5)
            .map(|i| Array1::from(xd.iter().map(|v| v + i as f64).collect::<Vec<_>>()))
            .collect();
        rows.push(Row {
            name: format!("W2 a*b+c*d-e f64 n={n:.0e}"),
            kiln: median_time(budget, || {
                black_box(kiln_w2(&k[0], &k[1], &k[2], &k[3], &k[4]));
            }),
            peer: median_time(budget, || {
                black_box(nd_w2(&a[0], &a[1], &a[2], &a[3], &a[4]));
            }),
            bytes: 6 * 8 * n,
        });
        let (kx, nx) = (
            Array::from_vec(xf.clone(), &[n]).unwrap(),
            Array1::from(xf.clone()),
        );
        rows.push(Row {
            name: format!("W3 sum(x*x) f32 n={n:.0e}"),
            kiln: median_time(budget, || {
                black_box(kiln_w3(&kx));
            }),
            peer: median_time(budget, || {
                black_box(nd_w3(&nx));
            }),
            bytes: 4 * n,
        });
        let (kx, nx) = (
            Array::from_vec(xd.clone(), &[n]).unwrap(),
            Array1::from(xd.clone()),
        );
        rows.push(Row {
            name: format!("W5 var(x) f64 n={n:.0e}"),
            kiln: median_time(budget, || {
                black_box(kiln_w5(&kx));
            }),
            peer: median_time(budget, || {
                black_box(nd_w5(&nx));
            }),
            bytes: 8 * n,
        });
    }
    for &side in if quick {
        &[1024usize][..]
    } else {
        &[1024usize, 4096][..]
    } {
        let v = data_f32(side * side);
        let kx = Array::from_vec(v.clone(), &[side, side]).unwrap();
        let nx =
            Array2::from_shape_vec((side, side), v).unwrap_or_else(|_| Array2::zeros((side, side)));
        rows.push(Row {
            name: format!("W4 softmax f32 {side}x{side}"),
            kiln: median_time(budget, || {
                black_box(kiln_w4(&kx));
            }),
            peer: median_time(budget, || {
                black_box(nd_w4(&nx));
            }),
            bytes: 2 * 4 * side * side,
        });
    }
    println!(
        "\nmemory bandwidth (parallel copy, read+write, both cores): {:.1} GB/s",
        bw / 1e9
    );
    println!("| workload | kiln ms | ndarray eager ms | speed-up | kiln GB/s | % of bandwidth |");
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        let gbs = r.bytes as f64 / r.kiln.as_secs_f64();
        println!(
            "| {} | {:.3} | {:.3} | {:.2}x | {:.1} | {:.0}% |",
            r.name,
            r.kiln.as_secs_f64() * 1e3,
            r.peer.as_secs_f64() * 1e3,
            r.peer.as_secs_f64() / r.kiln.as_secs_f64(),
            gbs / 1e9,
            100.0 * gbs / bw
        );
    }
    latency(budget);
}

/// Cold compile (optimise + schedule + compile with a fresh backend) and warm re-evaluation
/// overhead (same graph shape, new data, cached kernels) of W1 and W4.
fn latency(budget: Duration) {
    let w4 = |side: usize| {
        let x = Array::from_vec(data_f32(side * side), &[side, side]).unwrap();
        let m = x.max(Some(&[1]), true).unwrap();
        let e = kiln::exp(&(&x - &m).unwrap()).unwrap();
        (&e / &e.sum(Some(&[1]), true, None).unwrap()).unwrap()
    };
    let w1 = |n: usize| {
        let x = Array::from_vec(data_f32(n), &[n]).unwrap();
        kiln::log(&(kiln::sin(&x).unwrap() + 5.0).unwrap()).unwrap()
    };
    println!("\n| latency | ms |");
    println!("|---|---|");
    for (name, build) in [
        ("W1", &w1 as &dyn Fn(usize) -> Array),
        (
            "W4",
            &(|n: usize| w4((n as f64).sqrt() as usize)) as &dyn Fn(usize) -> Array,
        ),
    ] {
        let t = median_time(budget, || {
            let program = kiln_program_of(&build(64));
            let start = Instant::now();
            let (opt, _) = kiln_opt::optimize(&program, &kiln_opt::OptConfig::default()).unwrap();
            let s = kiln_sched::schedule(&opt, &kiln_sched::SchedConfig::default()).unwrap();
            let backend = kiln_cpu::CpuBackend::new().unwrap();
            for step in &s.steps {
                if let kiln_ir::Step::Kernel(k) = step {
                    backend.compile(&k.kernel).unwrap();
                }
            }
            black_box(start.elapsed());
        });
        println!(
            "| {name} cold: optimise + schedule + compile (fresh backend) | {:.3} |",
            t.as_secs_f64() * 1e3
        );
        let warm = median_time(budget, || {
            let y = build(1);
            y.eval().unwrap();
            black_box(&y);
        });
        println!(
            "| {name} warm re-eval, 1 element (graph build + pipeline overhead) | {:.4} |",
            warm.as_secs_f64() * 1e3
        );
    }
}

/// The program `kiln::eval` would run for `y`.
fn kiln_program_of(y: &Array) -> kiln_ir::Program {
    kiln::program_of(&[y]).unwrap()
}

fn criterion_benches(c: &mut Criterion) {
    let n = 1_000_000;
    let kx = Array::from_vec(data_f32(n), &[n]).unwrap();
    let nx = Array1::from(data_f32(n));
    let mut g = c.benchmark_group("W1_f32_1e6");
    g.bench_function("kiln", |b| b.iter(|| kiln_w1_f32(&kx)));
    g.bench_function("ndarray_eager", |b| b.iter(|| nd_w1_f32(&nx)));
    g.finish();
    let mut g = c.benchmark_group("W3_f32_1e6");
    g.bench_function("kiln", |b| b.iter(|| kiln_w3(&kx)));
    g.bench_function("ndarray_eager", |b| b.iter(|| nd_w3(&nx)));
    g.finish();
    let side = 1024;
    let kx = Array::from_vec(data_f32(side * side), &[side, side]).unwrap();
    let nx = Array2::from_shape_vec((side, side), data_f32(side * side)).unwrap();
    let mut g = c.benchmark_group("W4_softmax_1024");
    g.bench_function("kiln", |b| b.iter(|| kiln_w4(&kx)));
    g.bench_function("ndarray_eager", |b| b.iter(|| nd_w4(&nx)));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    targets = criterion_benches
}

fn main() {
    let quick = std::env::var("KILN_BENCH_QUICK").is_ok_and(|v| v == "1");
    if !quick {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    summary(quick);
}
