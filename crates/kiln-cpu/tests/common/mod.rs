//! Shared test support: deterministic random values with special cases, kernel builders, and
//! a differential launcher that runs a kernel on the JIT and on `kiln_interp::run_kernel` and
//! compares every written buffer.
#![allow(dead_code)]

use kiln_cpu::CpuBackend;
use kiln_cpu::exec::LaunchBuffer;
use kiln_interp::KernelBuffer;
use kiln_interp::compare::{Tolerance, assert_close};
use kiln_ir::{
    Access, C64, C128, DType, InnerStride, Inst, Kernel, LaunchGeometry, Param, ParamLayout,
    Realized, Scalar, Shape, Storage, Store, Value, ValueId,
};
use std::sync::Arc;

pub mod sweeps;

/// xorshift64*: deterministic, seedable, no dependencies.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const SPECIAL_F64: [f64; 16] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    3.5,
    1e-310,
    f64::MIN_POSITIVE,
    f64::MAX,
    -f64::MAX,
    1e30,
    -7.0,
];

/// A float with a good share of special values, else random magnitudes.
pub fn random_f64(rng: &mut Rng, single: bool) -> f64 {
    match rng.below(10) {
        0..=2 => {
            let v = SPECIAL_F64[rng.below(SPECIAL_F64.len() as u64) as usize];
            if single && v.is_finite() && v != 0.0 && (v.abs() > f32::MAX as f64 || v.abs() < 1e-40)
            {
                f32::MAX as f64 * v.signum()
            } else {
                v
            }
        }
        3..=6 => (rng.unit() - 0.5) * 20.0,
        7 => (rng.unit() - 0.5) * 2.0,
        _ => {
            let e = rng.below(60) as i32 - 30;
            (rng.unit() - 0.5) * 10f64.powi(e)
        }
    }
}

/// An integer value: small values (shift counts, exponents), edges, or full-range bits.
pub fn random_int(rng: &mut Rng, d: DType) -> Scalar {
    let v: i64 = match rng.below(8) {
        0..=3 => rng.below(21) as i64 - 10,
        4 => [0, 1, -1, i64::MIN, i64::MAX][rng.below(5) as usize],
        _ => rng.next() as i64,
    };
    if d == DType::U64 {
        Scalar::U64(v as u64)
    } else {
        Scalar::from_i64(v, d)
    }
}

pub fn random_scalar(rng: &mut Rng, d: DType) -> Scalar {
    match d {
        DType::Bool => Scalar::Bool(rng.below(2) == 1),
        DType::F32 => Scalar::F32(random_f64(rng, true) as f32),
        DType::F64 => Scalar::F64(random_f64(rng, false)),
        DType::C64 => Scalar::C64(C64::new(
            random_f64(rng, true) as f32,
            random_f64(rng, true) as f32,
        )),
        DType::C128 => Scalar::C128(C128::new(random_f64(rng, false), random_f64(rng, false))),
        d => random_int(rng, d),
    }
}

pub fn random_storage(rng: &mut Rng, d: DType, len: usize) -> Storage {
    let mut s = Storage::zeroed(d, len).expect("storage");
    for i in 0..len {
        s.set(i, random_scalar(rng, d)).expect("set");
    }
    s
}

pub fn val(inst: Inst, dtype: DType) -> Value {
    Value { inst, dtype }
}

pub fn param(dtype: DType, access: Access, inner: InnerStride) -> Param {
    Param {
        dtype,
        access,
        inner,
    }
}

pub fn store(param: usize, value: u32) -> Store {
    Store {
        param,
        value: ValueId(value),
    }
}

pub fn kernel(
    name: &str,
    params: Vec<Param>,
    outer_rank: usize,
    body: Vec<Value>,
    stores: Vec<Store>,
) -> Kernel {
    Kernel {
        name: name.into(),
        params,
        outer_rank,
        body,
        reduce: None,
        epilogue: vec![],
        stores,
    }
}

pub fn layout(offset: usize, strides: Vec<isize>) -> ParamLayout {
    ParamLayout { offset, strides }
}

/// Runs `k` on the JIT and on the interpreter with the given read storages (in param order,
/// one per read param) and fresh zeroed write storages of `write_lens` (one per write param),
/// then compares every written storage.
pub fn differential(
    backend: &CpuBackend,
    k: &Kernel,
    g: &LaunchGeometry,
    reads: &[Storage],
    write_lens: &[usize],
    tol: &Tolerance,
) -> Result<(), String> {
    let writes: Vec<DType> = k
        .params
        .iter()
        .filter(|p| p.access == Access::Write)
        .map(|p| p.dtype)
        .collect();
    let mut jit_out: Vec<Storage> = writes
        .iter()
        .zip(write_lens)
        .map(|(&d, &n)| Storage::zeroed(d, n).unwrap())
        .collect();
    let mut ref_out: Vec<Storage> = writes
        .iter()
        .zip(write_lens)
        .map(|(&d, &n)| Storage::zeroed(d, n).unwrap())
        .collect();
    {
        let (mut r, mut w) = (reads.iter(), jit_out.iter_mut());
        let mut bufs: Vec<LaunchBuffer> = k
            .params
            .iter()
            .map(|p| match p.access {
                Access::Read => LaunchBuffer::Read(r.next().unwrap()),
                Access::Write => LaunchBuffer::Write(w.next().unwrap()),
            })
            .collect();
        backend
            .launch(k, g, &mut bufs)
            .map_err(|e| format!("jit: {e}"))?;
    }
    {
        let (mut r, mut w) = (reads.iter(), ref_out.iter_mut());
        let mut bufs: Vec<KernelBuffer> = k
            .params
            .iter()
            .map(|p| match p.access {
                Access::Read => KernelBuffer::Read(r.next().unwrap()),
                Access::Write => KernelBuffer::Write(w.next().unwrap()),
            })
            .collect();
        kiln_interp::run_kernel(k, g, &mut bufs).map_err(|e| format!("interp: {e}"))?;
    }
    for (i, (j, r)) in jit_out.into_iter().zip(ref_out).enumerate() {
        let n = j.len();
        let j = Realized::contiguous(Arc::new(j), Shape::from([n])).unwrap();
        let r = Realized::contiguous(Arc::new(r), Shape::from([n])).unwrap();
        assert_close(&r, &j, tol).map_err(|e| format!("output {i}: {e}"))?;
    }
    Ok(())
}
