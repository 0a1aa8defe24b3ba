//! `kiln eval-workload`: builds one of the benchmark workloads W1-W4 on fresh data, evaluates
//! it, and prints one line: the runtime's start-up (`init_ms`), the first evaluation's latency (graph build + optimise + schedule +
//! kernel load or compile + execute; input creation and read-back are not timed), the warm latency (median of repeats on new data, plan
//! cache hit), a new length's latency, the cache counters after each phase, and digests of the
//! first result's bytes and of the same input evaluated again warm (equal digests:
//! bit-identical results).
//!
//! Invariant: the data depends only on the workload, the length and the repeat number, so two
//! processes (cold and warm-from-disk) compute the same values.

use clap::ArgMatches;
use kiln::Array;
use sha2::{Digest, Sha256};
use std::time::Instant;

fn data(n: usize, seed: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (((i + 31 * seed) * 7919) % 10007) as f64 / 10007.0 * 6.0 - 3.0)
        .collect()
}

fn f32s(n: usize, seed: usize) -> kiln::Result<Array> {
    let v: Vec<f32> = data(n, seed).into_iter().map(|x| x as f32).collect();
    Array::from_vec(v, &[n])
}

/// The realized inputs of a workload (made before any timing starts).
fn inputs(name: &str, n: usize, seed: usize) -> Result<Vec<Array>, String> {
    let e = |e: kiln::KilnError| e.to_string();
    match name {
        "w1" | "w3" => Ok(vec![f32s(n, seed).map_err(e)?]),
        "w2" => (0..5)
            .map(|k| Array::from_vec(data(n, seed * 5 + k), &[n]))
            .collect::<kiln::Result<_>>()
            .map_err(e),
        "w4" => {
            let cols = 4096.min(n.max(1));
            let rows = (n / cols).max(1);
            let v: Vec<f32> = data(rows * cols, seed)
                .into_iter()
                .map(|x| x as f32)
                .collect();
            Ok(vec![Array::from_vec(v, &[rows, cols]).map_err(e)?])
        }
        other => Err(format!("unknown workload {other} (w1, w2, w3, w4)")),
    }
}

/// Builds the workload's graph on `v` and evaluates it (what is timed).
fn compute(name: &str, v: &[Array]) -> Result<Array, String> {
    let e = |e: kiln::KilnError| e.to_string();
    let arg = |i: usize| v.get(i).ok_or_else(|| format!("{name}: missing input {i}"));
    let y = match name {
        "w1" => kiln::log(&(kiln::sin(arg(0)?).map_err(e)? + 5.0).map_err(e)?).map_err(e)?,
        "w2" => {
            let e4 = arg(4)?;
            ((arg(0)? * arg(1)?).map_err(e)? + (arg(2)? * arg(3)?).map_err(e)?)
                .and_then(|t| &t - e4)
                .map_err(e)?
        }
        "w3" => (arg(0)? * arg(0)?)
            .map_err(e)?
            .sum(None, false, None)
            .map_err(e)?,
        "w4" => {
            let x = arg(0)?;
            let m = x.max(Some(&[1]), true).map_err(e)?;
            let ex = kiln::exp(&(x - &m).map_err(e)?).map_err(e)?;
            (&ex / &ex.sum(Some(&[1]), true, None).map_err(e)?).map_err(e)?
        }
        other => return Err(format!("unknown workload {other} (w1, w2, w3, w4)")),
    };
    y.eval().map_err(e)?;
    Ok(y)
}

/// The bytes of a result's values.
fn bytes(y: &Array) -> Result<Vec<u8>, String> {
    let e = |e: kiln::KilnError| e.to_string();
    Ok(match y.dtype() {
        kiln::DType::F64 => y
            .to_vec::<f64>()
            .map_err(e)?
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
        _ => y
            .to_vec::<f32>()
            .map_err(e)?
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
    })
}

/// Times `compute` on fresh inputs: (milliseconds, result bytes).
fn timed(name: &str, n: usize, seed: usize) -> Result<(f64, Vec<u8>), String> {
    let v = inputs(name, n, seed)?;
    let start = Instant::now();
    let y = compute(name, &v)?;
    let t = ms(start);
    Ok((t, bytes(&y)?))
}

fn counters() -> Result<String, String> {
    let s = kiln::cache_stats().map_err(|e| e.to_string())?;
    Ok(format!(
        "compiles={} disk_hits={} memory_hits={} plan_hits={} plan_class_hits={} plan_disk_hits={} plan_misses={}",
        s.compiles,
        s.disk_hits,
        s.memory_hits,
        s.plans.hits,
        s.plans.class_hits,
        s.plans.disk_hits,
        s.plans.misses
    ))
}

/// The stage timings of the latest evaluation, as `stage=ms` fields.
fn stages() -> String {
    kiln::last_eval_timings()
        .iter()
        .map(|(stage, d)| format!("{}={:.3}", stage.replace(' ', "_"), d.as_secs_f64() * 1e3))
        .collect::<Vec<_>>()
        .join(" ")
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

pub fn run(m: &ArgMatches) -> Result<(), String> {
    let name = m.get_one::<String>("workload").ok_or("missing workload")?;
    let n = *m.get_one::<usize>("n").ok_or("missing --n")?;
    let repeat = (*m.get_one::<usize>("repeat").ok_or("missing --repeat")?).max(1);
    // Starting the runtime (thread pool, target detection, opening the disk cache) is timed
    // apart from the first evaluation; a program pays it once, whatever it evaluates.
    let start = Instant::now();
    counters()?;
    let init_ms = ms(start);
    let (first_ms, first) = timed(name, n, 0)?;
    let first_stages = stages();
    let after_first = counters()?;
    let mut warm = Vec::new();
    for r in 1..=repeat {
        warm.push(timed(name, n, r)?.0);
    }
    warm.sort_by(f64::total_cmp);
    let warm_ms = warm[warm.len() / 2];
    // The first input again, now through the plan cache and the in-memory kernel cache.
    let (_, again) = timed(name, n, 0)?;
    let after_warm = counters()?;
    // A new length of the same shape class: the optimised plan is rebound (a class hit), no
    // kernel may compile.
    let (new_len_ms, new_len) = timed(name, n + 4096, 0)?;
    let new_len_stages = stages();
    let after_new_len = counters()?;
    let digest = |bytes: &[u8]| -> String {
        Sha256::digest(bytes)
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    println!(
        "workload={name} n={n} init_ms={init_ms:.3} first_ms={first_ms:.3} warm_ms={warm_ms:.3} new_length_ms={new_len_ms:.3} digest={} warm_digest={} new_length_digest={}",
        digest(&first),
        digest(&again),
        digest(&new_len)
    );
    if !m.get_flag("quiet") {
        println!("after_first: {after_first}");
        println!("after_warm: {after_warm}");
        println!("after_new_length: {after_new_len}");
        println!("first_stages: {first_stages}");
        println!("new_length_stages: {new_len_stages}");
    }
    Ok(())
}
