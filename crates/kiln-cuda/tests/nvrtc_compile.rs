//! Every kernel the CUDA generator can be asked for compiles with NVRTC to PTX for compute_90:
//! the kernels scheduled for the differential suite's random programs, and hand-built kernels
//! covering every op, cast and reduction on every dtype. A compile error fails with NVRTC's log
//! and the generated source.
//!
//! NVRTC is loaded dynamically. Where it is missing the test says so and passes, unless
//! `KILN_REQUIRE_NVRTC` is set (CI sets it after installing the `nvidia-cuda-nvrtc` wheel).

mod support;

use support::nvrtc_or_skip;

use kiln_cuda::{CudaError, DEFAULT_ARCH, compile, generate, generate_split};
use kiln_ir::{DType, Kernel};
use std::time::Duration;

/// Compiles every kernel; fails with the log and source of each failure. Prints compile times.
fn compile_all(what: &str, kernels: &[Kernel]) {
    let mut failures = Vec::new();
    let mut times: Vec<Duration> = Vec::new();
    let mut split_times: Vec<Duration> = Vec::new();
    for k in kernels {
        // The one-pass form, and for reductions the split form (partial + finish).
        let mut forms = vec![(generate(k), vec!["kiln_main"], &mut times)];
        if k.reduce.is_some() {
            forms.push((
                generate_split(k),
                vec!["kiln_partial", "kiln_finish"],
                &mut split_times,
            ));
        }
        for (source, entries, times) in forms {
            let source = match source {
                Ok(s) => s,
                Err(e) => {
                    failures.push(format!("generation of {} failed: {e}\n{k}", k.name));
                    continue;
                }
            };
            match compile(&k.name, &source, DEFAULT_ARCH) {
                Ok(ptx) => {
                    let text = ptx.ptx.to_src();
                    for entry in entries {
                        assert!(
                            text.contains(&format!(".entry {entry}")),
                            "no {entry} in PTX of {}",
                            k.name
                        );
                    }
                    times.push(ptx.compile_time);
                }
                Err(e @ CudaError::Compile { .. }) => {
                    failures.push(format!("{e}\nkernel IR:\n{k}"))
                }
                Err(e) => failures.push(e.to_string()),
            }
        }
    }
    if let Some(first) = failures.first() {
        panic!(
            "{what}: {} of {} kernels failed; the first:\n{first}",
            failures.len(),
            kernels.len()
        );
    }
    report(what, times);
    report(&format!("{what} (split form)"), split_times);
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    if let (Some(min), Some(max)) = (times.first(), times.last()) {
        let median = times[times.len() / 2];
        let total: Duration = times.iter().sum();
        eprintln!(
            "{what}: {} modules compiled for {DEFAULT_ARCH}; NVRTC time per module: min {:.1} ms, median {:.1} ms, max {:.1} ms, total {:.2} s",
            times.len(),
            min.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            total.as_secs_f64()
        );
    }
}

#[test]
fn scheduled_kernels_of_random_programs_compile() {
    let kernels = support::scheduled_kernels(48);
    assert!(kernels.len() > 50, "too few kernels: {}", kernels.len());
    assert!(kernels.iter().any(|k| k.reduce.is_some()));
    // Generation needs no NVRTC: it must succeed everywhere.
    for k in &kernels {
        if let Err(e) = generate(k) {
            panic!("generation failed: {e}\n{k}");
        }
    }
    if nvrtc_or_skip("scheduled_kernels_of_random_programs_compile") {
        compile_all("random programs", &kernels);
    }
}

#[test]
fn every_op_and_cast_on_every_dtype_compiles() {
    let kernels: Vec<Kernel> = DType::ALL
        .into_iter()
        .map(support::all_ops_kernel)
        .collect();
    for k in &kernels {
        k.verify().unwrap_or_else(|e| panic!("{e}"));
    }
    if nvrtc_or_skip("every_op_and_cast_on_every_dtype_compiles") {
        compile_all("every op", &kernels);
    }
}

#[test]
fn every_reduction_on_every_dtype_compiles() {
    let kernels = support::all_reduce_kernels();
    for k in &kernels {
        k.verify().unwrap_or_else(|e| panic!("{e}"));
    }
    if nvrtc_or_skip("every_reduction_on_every_dtype_compiles") {
        compile_all("every reduction", &kernels);
    }
}

#[test]
fn a_broken_source_reports_the_log_and_the_source() {
    if !nvrtc_or_skip("a_broken_source_reports_the_log_and_the_source") {
        return;
    }
    let k = support::reduce_kernel(kiln_ir::ReduceOp::Sum, DType::F32, 1).expect("sum of f32");
    let mut source = generate(&k).expect("generates");
    source.text.push_str("\nthis is not C++;\n");
    match compile("broken", &source, DEFAULT_ARCH) {
        Err(CudaError::Compile {
            log, source_text, ..
        }) => {
            assert!(log.contains("error"), "log: {log}");
            assert!(source_text.contains("this is not C++"));
        }
        other => panic!("expected a compile error, got {other:?}"),
    }
}
