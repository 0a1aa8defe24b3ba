//! Arrays on a CUDA device, end to end: random programs (library steps included) evaluated on
//! the device against the reference interpreter, and the API's moves between devices.
//!
//! Without a device every test here checks only that the device is refused with a typed error,
//! and passes; with `KILN_REQUIRE_GPU` set (as `benches/gpu/run.sh` does on the GPU machine) a
//! missing device fails them.

use kiln::{Array, DType, Device, KilnError};
use kiln_interp::testgen::{GenConfig, arb_program};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

#[path = "support/local_check.rs"]
mod local_check;

fn device_or_skip(test: &str) -> Result<Option<Device>, String> {
    match Device::cuda(0) {
        Ok(d) => Ok(Some(d)),
        Err(KilnError::Cuda(kiln_cuda::CudaError::NoDevice(msg))) => {
            if std::env::var_os("KILN_REQUIRE_GPU").is_some_and(|v| !v.is_empty()) {
                return Err(format!("KILN_REQUIRE_GPU is set but: {msg}"));
            }
            eprintln!("{test}: no CUDA device ({msg}); device checks SKIPPED");
            Ok(None)
        }
        Err(e) => Err(format!("expected a device or NoDevice, got {e}")),
    }
}

/// `device_or_skip` for tests that return kiln's error type.
fn api_device_or_skip(test: &str) -> kiln::Result<Option<Device>> {
    device_or_skip(test).map_err(|e| KilnError::Invalid(kiln_ir::IrError::InvalidArgument(e)))
}

#[test]
fn random_programs_on_the_device_match_the_interpreter() -> Result<(), String> {
    let Some(device) = device_or_skip("random_programs_on_the_device_match_the_interpreter")?
    else {
        return Ok(());
    };
    let strategy = arb_program(local_check::real_dtypes(GenConfig::default()));
    let mut runner = TestRunner::deterministic();
    let mut failures = Vec::new();
    for case in 0..128 {
        let p = strategy
            .new_tree(&mut runner)
            .map_err(|e| e.to_string())?
            .current();
        let checked = kiln::run_program_on(&p, device)
            .map_err(|e| format!("device run failed: {e}"))
            .and_then(|got| local_check::check_outputs(&p, &got));
        if let Err(e) = checked {
            failures.push(format!("case {case}: {e}\n{p}"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of 128 programs failed on the device:\n{}",
            failures.len(),
            failures.join("\n\n")
        ))
    }
}

#[test]
fn arrays_move_to_the_device_and_back() -> kiln::Result<()> {
    let Some(device) = api_device_or_skip("arrays_move_to_the_device_and_back")? else {
        return Ok(());
    };
    let n = 257;
    let a = (&kiln::arange(0.0, Some(((n * n) as f64).into()), 1.0, Some(DType::F32))?
        .reshape(&[n as isize, n as isize])?
        * 1e-4)?;
    let b = kiln::cos(&a)?;
    // A product (a library step, on the host), a softmax (reductions), and a long sum (split).
    let on_cpu = [
        kiln::matmul(&a, &b)?,
        softmax(&a)?,
        a.reshape(&[-1])?.sum(None, false, None)?,
    ];
    let (ad, bd) = (a.to_device(device)?, b.to_device(device)?);
    assert_eq!(ad.device(), device);
    let on_gpu = [
        kiln::matmul(&ad, &bd)?,
        softmax(&ad)?,
        ad.reshape(&[-1])?.sum(None, false, None)?,
    ];
    for (c, g) in on_cpu.iter().zip(&on_gpu) {
        assert_eq!(g.device(), device);
        let back = g.to_device(Device::Cpu)?;
        assert_eq!(back.device(), Device::Cpu);
        let (cv, gv) = (c.to_vec::<f32>()?, back.to_vec::<f32>()?);
        for (x, y) in cv.iter().zip(&gv) {
            assert!((x - y).abs() <= 1e-4 * x.abs().max(1.0), "{x} vs {y}");
        }
    }
    // Data on two devices never meets.
    assert!((&a + &ad).is_err());
    Ok(())
}

/// A chain of evaluations on the device moves nothing between them: only the first upload and
/// the final read-back cross PCIe, and the result matches the CPU.
#[test]
fn chained_evaluations_stay_on_the_device() -> kiln::Result<()> {
    let Some(device) = api_device_or_skip("chained_evaluations_stay_on_the_device")? else {
        return Ok(());
    };
    let Device::Cuda(ordinal) = device else {
        return Ok(());
    };
    let n = 1 << 16;
    let x = (&kiln::arange(0.0, Some((n as f64).into()), 1.0, Some(DType::F32))? * 1e-3)?;
    x.eval()?;
    let xd = x.to_device(device)?;
    let before = kiln::cuda_transfers(ordinal)?;
    let (mut cpu, mut gpu) = (x.clone(), xd.clone());
    for _ in 0..5 {
        cpu = (&kiln::sin(&cpu)? + 0.5)?;
        gpu = (&kiln::sin(&gpu)? + 0.5)?;
        cpu.eval()?;
        gpu.eval()?;
    }
    let moved = kiln::cuda_transfers(ordinal)?;
    assert_eq!(moved, before, "five evaluations on the device moved data");
    let back = gpu.to_device(Device::Cpu)?.to_vec::<f32>()?;
    let after = kiln::cuda_transfers(ordinal)?;
    assert_eq!(after.downloads, before.downloads + 1);
    assert_eq!(after.download_bytes, before.download_bytes + 4 * n as u64);
    for (c, g) in cpu.to_vec::<f32>()?.iter().zip(&back) {
        assert!((c - g).abs() <= 1e-5, "{c} vs {g}");
    }
    Ok(())
}

fn softmax(x: &Array) -> kiln::Result<Array> {
    let m = x.max(Some(&[-1]), true)?;
    let e = kiln::exp(&(x - &m)?)?;
    &e / &e.sum(Some(&[-1]), true, None)?
}

#[test]
fn repeated_evaluations_reuse_their_plan() -> kiln::Result<()> {
    let Some(device) = api_device_or_skip("repeated_evaluations_reuse_their_plan")? else {
        return Ok(());
    };
    let before = kiln::plan_cache_stats();
    for i in 0..5 {
        let x = kiln::full(&[1000], i as f64, Some(DType::F32))?.to_device(device)?;
        let y = (&kiln::sin(&x)? + 0.5)?;
        y.eval()?;
        let got = y.to_device(Device::Cpu)?.to_vec::<f32>()?;
        assert!((got[0] - ((i as f32).sin() + 0.5)).abs() < 1e-6);
    }
    let after = kiln::plan_cache_stats();
    // Other tests may evaluate at the same time: at least four hits are this test's.
    assert!(after.hits >= before.hits + 4, "{before:?} -> {after:?}");
    Ok(())
}

#[test]
fn products_and_ffts_on_the_device_match_the_cpu() -> kiln::Result<()> {
    let Some(device) = api_device_or_skip("products_and_ffts_on_the_device_match_the_cpu")? else {
        return Ok(());
    };
    let Device::Cuda(ordinal) = device else {
        return Ok(());
    };
    let before = kiln::cuda_library_steps(ordinal)?;
    let n = 256;
    let a = (&kiln::arange(0.0, Some(((n * n) as f64).into()), 1.0, Some(DType::F32))? * 1e-4)?
        .reshape(&[n as isize, n as isize])?;
    let b = kiln::cos(&a)?;
    a.eval()?;
    b.eval()?;
    let (ad, bd) = (a.to_device(device)?, b.to_device(device)?);
    // A product, one with a transposed operand, and a 2-D FFT round trip.
    let cpu = [
        kiln::matmul(&a, &b)?,
        kiln::matmul(&a.matrix_transpose()?, &b)?,
    ];
    let gpu = [
        kiln::matmul(&ad, &bd)?,
        kiln::matmul(&ad.matrix_transpose()?, &bd)?,
    ];
    for (c, g) in cpu.iter().zip(&gpu) {
        let (c, g) = (
            c.to_vec::<f32>()?,
            g.to_device(Device::Cpu)?.to_vec::<f32>()?,
        );
        for (x, y) in c.iter().zip(&g) {
            assert!((x - y).abs() <= 1e-3 * (1.0 + x.abs()), "{x} vs {y}");
        }
    }
    let z = a.astype(DType::C64)?;
    let zd = z.to_device(device)?;
    let norm = kiln::fft::Norm::Backward;
    let fc = kiln::fft::fftn(&z, None, None, norm)?;
    let fg = kiln::fft::fftn(&zd, None, None, norm)?;
    let (fc, fg) = (
        fc.to_vec::<kiln::C64>()?,
        fg.to_device(Device::Cpu)?.to_vec::<kiln::C64>()?,
    );
    for (x, y) in fc.iter().zip(&fg) {
        assert!((x - y).norm() <= 1e-3 * (1.0 + x.norm()), "{x} vs {y}");
    }
    let after = kiln::cuda_library_steps(ordinal)?;
    assert!(after.cublas >= before.cublas + 2, "{before:?} -> {after:?}");
    assert!(after.cufft >= before.cufft + 2, "{before:?} -> {after:?}");
    Ok(())
}
