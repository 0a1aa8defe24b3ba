//! The cuBLAS and cuFFT plans of library steps, checked with no GPU: each plan is carried out by
//! a host emulation of the documented library call (`cublasGemmStridedBatchedEx`, column-major
//! with its transposes, leading dimensions and batch strides; a rank-1 `cufftPlanMany` with its
//! advanced layout) and compared with the reference interpreter on random shapes and random
//! operand layouts (transposed, permuted, strided, reversed, broadcast, offset). The emulation
//! also checks that every address a call forms lies inside its buffer and that every output
//! element is written exactly once. What it cannot check is the libraries themselves: that runs
//! on a GPU (`tests/device.rs`).

mod support;

use kiln_cuda::library::{fft, gemm};
use kiln_ir::{C128, LibOp, LibraryStep};
use proptest::prelude::*;
use support::library_cases::{Case, close, fft_case, gemm_case, values};

/// `cublasGemmStridedBatchedEx` on host values: returns the output, or why the call is bad.
fn emulate_gemm(
    p: &gemm::GemmPlan,
    a: &[C128],
    b: &[C128],
    c_len: usize,
) -> Result<Vec<C128>, String> {
    let mut c = vec![C128::new(f64::NAN, f64::NAN); c_len];
    let mut written = vec![0u32; c_len];
    let (m, n, k) = (p.m as usize, p.n as usize, p.k as usize);
    let read = |buf: &[C128], at: i64| -> Result<C128, String> {
        usize::try_from(at)
            .ok()
            .and_then(|i| buf.get(i).copied())
            .ok_or_else(|| format!("read at {at} outside {} elements", buf.len()))
    };
    for call in &p.calls {
        for t in 0..p.batch as i64 {
            let ab = call[0] as i64 + t * p.strides[0];
            let bb = call[1] as i64 + t * p.strides[1];
            let cb = call[2] as i64 + t * p.strides[2];
            for i in 0..m as i64 {
                for j in 0..n as i64 {
                    let mut sum = C128::new(0.0, 0.0);
                    for l in 0..k as i64 {
                        let (lda, ldb) = (p.a.ld as i64, p.b.ld as i64);
                        let x = if p.a.trans { l + i * lda } else { i + l * lda };
                        let y = if p.b.trans { j + l * ldb } else { l + j * ldb };
                        sum += read(a, ab + x)? * read(b, bb + y)?;
                    }
                    let at = cb + i + j * p.ldc as i64;
                    let at = usize::try_from(at)
                        .ok()
                        .filter(|&at| at < c_len)
                        .ok_or_else(|| format!("write at {at} outside {c_len}"))?;
                    c[at] = sum;
                    written[at] += 1;
                }
            }
        }
    }
    if let Some(at) = written.iter().position(|&w| w != 1) {
        return Err(format!("output {at} written {} times", written[at]));
    }
    Ok(c)
}

/// A rank-1 `cufftPlanMany` (advanced layout) carried out on host values.
fn emulate_fft(p: &fft::FftPlan, x: &[C128], out_len: usize) -> Result<Vec<C128>, String> {
    use fft::FftType::*;
    let s = p.shape;
    let n = s.n as usize;
    let (reads, writes) = match s.ty {
        C2c | Z2z => (n, n),
        R2c | D2z => (n, n / 2 + 1),
        C2r | Z2d => (n / 2 + 1, n),
    };
    let mut out = vec![C128::new(f64::NAN, f64::NAN); out_len];
    let mut written = vec![0u32; out_len];
    for call in &p.calls {
        for t in 0..s.batch as i64 {
            let mut line = Vec::with_capacity(reads);
            for j in 0..reads as i64 {
                let at = call[0] as i64 + t * s.idist as i64 + j * s.istride as i64;
                let v = usize::try_from(at)
                    .ok()
                    .and_then(|i| x.get(i).copied())
                    .ok_or_else(|| format!("read at {at} outside {}", x.len()))?;
                line.push(v);
            }
            let sign = if p.inverse || matches!(s.ty, C2r | Z2d) {
                1.0
            } else {
                -1.0
            };
            // The whole line the transform sees (a Hermitian extension for complex-to-real).
            let full: Vec<C128> = match s.ty {
                C2r | Z2d => (0..n)
                    .map(|k| {
                        if k < reads {
                            line[k]
                        } else {
                            line[n - k].conj()
                        }
                    })
                    .collect(),
                R2c | D2z => line.iter().map(|v| C128::new(v.re, 0.0)).collect(),
                _ => line,
            };
            for k in 0..writes {
                let mut sum = C128::new(0.0, 0.0);
                for (j, v) in full.iter().enumerate() {
                    let angle = sign * 2.0 * std::f64::consts::PI * ((j * k) % n) as f64 / n as f64;
                    sum += v * C128::new(angle.cos(), angle.sin());
                }
                if matches!(s.ty, C2r | Z2d) {
                    sum = C128::new(sum.re, 0.0);
                }
                let at = call[1] as i64 + t * s.odist as i64 + k as i64 * s.ostride as i64;
                let at = usize::try_from(at)
                    .ok()
                    .filter(|&at| at < out_len)
                    .ok_or_else(|| format!("write at {at} outside {out_len}"))?;
                out[at] = sum;
                written[at] += 1;
            }
        }
    }
    if let Some(at) = written.iter().position(|&w| w != 1) {
        return Err(format!("output {at} written {} times", written[at]));
    }
    Ok(out)
}

/// Carries out `case` through its library plan, if it has one; returns whether it had.
fn check(case: &Case) -> Result<bool, String> {
    let got = match &case.step {
        LibraryStep::MatMul { a, b, dtype, .. } => {
            let Some(plan) = gemm::plan(a, b, *dtype) else {
                return Ok(false);
            };
            if plan.out_len() != case.out_len {
                return Err(format!(
                    "{plan:?} writes {} of {}",
                    plan.out_len(),
                    case.out_len
                ));
            }
            if plan.k == 0 {
                vec![C128::new(0.0, 0.0); case.out_len]
            } else if case.out_len == 0 {
                Vec::new()
            } else {
                // cuBLAS's A is kiln's b.
                let (xa, xb) = (values(&case.buffers[0]), values(&case.buffers[1]));
                emulate_gemm(&plan, &xb, &xa, case.out_len).map_err(|e| format!("{plan:?}: {e}"))?
            }
        }
        LibraryStep::Lib {
            op: LibOp::Fft(op),
            inputs,
            dtype,
            ..
        } => {
            let in_dtype = case.buffers[0].dtype();
            let Some(plan) = fft::plan(*op, &inputs[0], in_dtype, *dtype) else {
                return Ok(false);
            };
            if plan.out_len() != case.out_len {
                return Err(format!(
                    "{plan:?} writes {} of {}",
                    plan.out_len(),
                    case.out_len
                ));
            }
            emulate_fft(&plan, &values(&case.buffers[0]), case.out_len)
                .map_err(|e| format!("{op} {plan:?}: {e}"))?
        }
        other => return Err(format!("not a cuBLAS or cuFFT step: {other:?}")),
    };
    close(&case.expected, &got, case.scale, case.tol)
        .map_err(|e| format!("{:?}: {e}", case.step))?;
    Ok(true)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn gemm_plans_match_the_interpreter(seed in any::<u64>()) {
        check(&gemm_case(seed, false)).map_err(TestCaseError::fail)?;
    }

    /// Contiguous and transposed operands always have a plan.
    #[test]
    fn transposed_operands_always_have_a_gemm_plan(seed in any::<u64>()) {
        let planned = check(&gemm_case(seed, true)).map_err(TestCaseError::fail)?;
        prop_assert!(planned, "no plan for a plain layout (seed {seed})");
    }

    #[test]
    fn fft_plans_match_the_interpreter(seed in any::<u64>()) {
        check(&fft_case(seed, false)).map_err(TestCaseError::fail)?;
    }

    /// An unpadded transform of a contiguous or transposed operand always has a plan.
    #[test]
    fn transposed_operands_always_have_an_fft_plan(seed in any::<u64>()) {
        let planned = check(&fft_case(seed, true)).map_err(TestCaseError::fail)?;
        prop_assert!(planned, "no plan for a plain layout (seed {seed})");
    }
}
