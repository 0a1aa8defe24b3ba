//! Library steps: batched matrix products (faer's matmul for float and complex dtypes, a
//! wrapping triple loop for integers) and inclusive scans along one axis; data-movement ops are
//! in `libops`.
//!
//! Invariant: operands are read only through their verified views (`Schedule::verify` checked
//! that each view fits its buffer); the result is a fresh contiguous storage of the temporary
//! declared by the schedule, written before anyone else can see it.

use crate::CpuBackend;
use crate::error::CpuError;
use crate::exec::read_buffer;
use crate::matmul::{StridedMat, faer_matmul, product_work};
use kiln_ir::{
    C64, C128, DType, Element, IndexIter, LibraryStep, Operand, Realized, ScanOp, Schedule, Shape,
    Storage,
};
use rayon::prelude::*;
use std::sync::Arc;

/// A batch of at least as many products as threads runs one product per thread (no split of a
/// product, no packing twice) when the products are below this many multiply-adds or the batch
/// divides evenly over the threads; only a few large products left over favour splitting each.
/// Measured on 2 cores, f32: 16 x 256^3 168 GFLOP/s per product per thread against 141-148
/// split, 64 x 128^3 179 against 77-89, 512 x 32^3 117 against 6.
const BATCH_PARALLEL_WORK: usize = 512 * 512 * 512;

/// Element arithmetic for the library loops: wrapping for integers, IEEE for floats.
pub trait Num: Element {
    fn add(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn zero() -> Self;
}

macro_rules! int_num {
    ($($t:ty),*) => {$(
        impl Num for $t {
            fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            fn zero() -> Self { 0 }
        }
    )*};
}
int_num!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! float_num {
    ($($t:ty => $z:expr),*) => {$(
        impl Num for $t {
            fn add(self, o: Self) -> Self { self + o }
            fn mul(self, o: Self) -> Self { self * o }
            fn zero() -> Self { $z }
        }
    )*};
}
float_num!(f32 => 0.0, f64 => 0.0, C64 => C64::new(0.0, 0.0), C128 => C128::new(0.0, 0.0));

/// Runs a library step; returns the temporary it wrote and its storage.
pub fn run(
    backend: &CpuBackend,
    step: &LibraryStep,
    s: &Schedule,
    inputs: &[Realized],
    temps: &[Option<Arc<Storage>>],
) -> Result<(usize, Storage), CpuError> {
    let (out, dtype) = (step.out(), step.dtype());
    let decl = s
        .buffers
        .get(out)
        .ok_or_else(|| CpuError::Internal(format!("library step writes unknown t{out}")))?;
    if decl.dtype != dtype {
        return Err(CpuError::Internal(format!(
            "t{out} is {} but the step computes {dtype}",
            decl.dtype
        )));
    }
    let mut storage = if overwrites_every_element(step, dtype) {
        Storage::for_overwrite(dtype, decl.len)?
    } else {
        Storage::zeroed(dtype, decl.len)?
    };
    match step {
        LibraryStep::MatMul { a, b, .. } => {
            let sa = read_buffer(a.buffer, inputs, temps)?;
            let sb = read_buffer(b.buffer, inputs, temps)?;
            matmul(backend, dtype, (sa, a), (sb, b), &mut storage)?;
        }
        LibraryStep::Scan {
            op, axis, input, ..
        } => {
            let si = read_buffer(input.buffer, inputs, temps)?;
            scan(*op, *axis, dtype, si, input, &mut storage)?;
        }
        LibraryStep::Lib {
            op, inputs: ops, ..
        } => {
            let args = ops
                .iter()
                .map(|o| Ok((read_buffer(o.buffer, inputs, temps)?, o)))
                .collect::<Result<Vec<_>, CpuError>>()?;
            match op {
                kiln_ir::LibOp::Linalg(l) => crate::linalg::run(backend, *l, &args, &mut storage)?,
                _ => crate::libops::run(*op, &args, &mut storage)?,
            }
        }
    }
    Ok((out, storage))
}

/// Whether the step writes every element of its output, so the output need not start zeroed
/// (a reused pooled allocation skips the page faults of a fresh one): a float product through
/// faer with a non-empty inner dimension (`Accum::Replace` stores every element). Integer
/// products accumulate into zeros and `k = 0` writes nothing, so both keep zeroed storage.
fn overwrites_every_element(step: &LibraryStep, dtype: DType) -> bool {
    match step {
        LibraryStep::MatMul { a, .. } => {
            dtype.is_floating() && a.view.shape.dims().last().is_some_and(|&k| k > 0)
        }
        _ => false,
    }
}

struct MatDims {
    batch: Shape,
    m: usize,
    k: usize,
    n: usize,
}

fn matmul_dims(a: &Operand, b: &Operand, out_len: usize) -> Result<MatDims, CpuError> {
    let (sa, sb) = (a.view.shape.dims(), b.view.shape.dims());
    let bad = || {
        CpuError::Internal(format!(
            "matmul of shapes {} and {}",
            a.view.shape, b.view.shape
        ))
    };
    if sa.len() < 2 || sa.len() != sb.len() || sa[..sa.len() - 2] != sb[..sb.len() - 2] {
        return Err(bad());
    }
    let r = sa.len();
    let (m, k, n) = (sa[r - 2], sa[r - 1], sb[r - 1]);
    if sb[r - 2] != k {
        return Err(bad());
    }
    let batch = Shape::from(&sa[..r - 2]);
    if batch.numel() * m * n != out_len {
        return Err(bad());
    }
    Ok(MatDims { batch, m, k, n })
}

/// Element offset of the matrix at batch index `bi`.
fn batch_offset(op: &Operand, bi: &[usize]) -> isize {
    op.view.offset as isize
        + bi.iter()
            .zip(&op.view.strides)
            .map(|(&i, &s)| i as isize * s)
            .sum::<isize>()
}

fn matmul(
    backend: &CpuBackend,
    dtype: DType,
    a: (&Storage, &Operand),
    b: (&Storage, &Operand),
    out: &mut Storage,
) -> Result<(), CpuError> {
    if a.0.dtype() != dtype || b.0.dtype() != dtype {
        return Err(CpuError::Internal(
            "matmul operand dtypes differ from the step's".into(),
        ));
    }
    let dims = matmul_dims(a.1, b.1, out.len())?;
    match dtype {
        DType::F32 => gemm_batched::<f32>(backend, &dims, a, b, out),
        DType::F64 => gemm_batched::<f64>(backend, &dims, a, b, out),
        DType::C64 => gemm_batched::<C64>(backend, &dims, a, b, out),
        DType::C128 => gemm_batched::<C128>(backend, &dims, a, b, out),
        DType::I8 => int_matmul::<i8>(&dims, a, b, out),
        DType::I16 => int_matmul::<i16>(&dims, a, b, out),
        DType::I32 => int_matmul::<i32>(&dims, a, b, out),
        DType::I64 => int_matmul::<i64>(&dims, a, b, out),
        DType::U8 => int_matmul::<u8>(&dims, a, b, out),
        DType::U16 => int_matmul::<u16>(&dims, a, b, out),
        DType::U32 => int_matmul::<u32>(&dims, a, b, out),
        DType::U64 => int_matmul::<u64>(&dims, a, b, out),
        DType::Bool => Err(CpuError::UnsupportedDType {
            op: "matmul",
            dtype,
        }),
    }
}

fn gemm_batched<T: Num + crate::linalg::Field>(
    backend: &CpuBackend,
    d: &MatDims,
    a: (&Storage, &Operand),
    b: (&Storage, &Operand),
    out: &mut Storage,
) -> Result<(), CpuError> {
    let (m, k, n) = (d.m, d.k, d.n);
    if m == 0 || n == 0 {
        return Ok(());
    }
    let r = a.1.view.strides.len();
    let (a_rs, a_cs) = (a.1.view.strides[r - 2], a.1.view.strides[r - 1]);
    let (b_rs, b_cs) = (b.1.view.strides[r - 2], b.1.view.strides[r - 1]);
    let threads = backend.threads();
    // Addresses travel into the pool as integers: raw pointers are not `Sync`.
    let out_addr = out.as_mut_ptr() as usize;
    let (a_addr, b_addr) = (a.0.as_ptr() as usize, b.0.as_ptr() as usize);
    let size = std::mem::size_of::<T>();
    let one = |bn: usize, bi: &[usize], threads: usize| {
        let (ao, bo) = (batch_offset(a.1, bi), batch_offset(b.1, bi));
        let lhs = StridedMat {
            addr: a_addr.wrapping_add_signed(ao * size as isize),
            rs: a_rs,
            cs: a_cs,
        };
        let rhs = StridedMat {
            addr: b_addr.wrapping_add_signed(bo * size as isize),
            rs: b_rs,
            cs: b_cs,
        };
        // SAFETY: `Schedule::verify` checked that both operand views fit their storages, so
        // every element `offset + i*rs + j*cs` the product reads (i < m or k, j < k or n) is in
        // bounds; the destination is the exclusively owned `out` of batch*m*n elements, and
        // product `bn` writes only its row-major chunk bn*m*n .. (bn+1)*m*n.
        unsafe { faer_matmul::<T>(m, n, k, out_addr + bn * m * n * size, lhs, rhs, threads) };
    };
    let batch: Vec<Vec<usize>> = IndexIter::new(&d.batch).collect();
    backend.pool().install(|| {
        let even = batch.len().is_multiple_of(threads);
        if batch.len() >= threads && (even || product_work(m, n, k) < BATCH_PARALLEL_WORK) {
            // Many small products: one thread each, the batch spread over the pool.
            batch
                .par_iter()
                .enumerate()
                .for_each(|(bn, bi)| one(bn, bi, 1));
        } else {
            for (bn, bi) in batch.iter().enumerate() {
                one(bn, bi, threads);
            }
        }
    });
    Ok(())
}

fn int_matmul<T: Num>(
    d: &MatDims,
    a: (&Storage, &Operand),
    b: (&Storage, &Operand),
    out: &mut Storage,
) -> Result<(), CpuError> {
    let missing = || CpuError::Internal("matmul storage dtype".into());
    let (av, bv) = (
        a.0.as_slice::<T>().ok_or_else(missing)?,
        b.0.as_slice::<T>().ok_or_else(missing)?,
    );
    let ov = out.as_mut_slice::<T>().ok_or_else(missing)?;
    let r = a.1.view.strides.len();
    let (a_rs, a_cs) = (a.1.view.strides[r - 2], a.1.view.strides[r - 1]);
    let (b_rs, b_cs) = (b.1.view.strides[r - 2], b.1.view.strides[r - 1]);
    let oob = || CpuError::Internal("matmul operand out of bounds".into());
    for (bn, bi) in IndexIter::new(&d.batch).enumerate() {
        let (ao, bo) = (batch_offset(a.1, &bi), batch_offset(b.1, &bi));
        for i in 0..d.m {
            for j in 0..d.n {
                let mut acc = T::zero();
                for p in 0..d.k {
                    let x = *av
                        .get((ao + i as isize * a_rs + p as isize * a_cs) as usize)
                        .ok_or_else(oob)?;
                    let y = *bv
                        .get((bo + p as isize * b_rs + j as isize * b_cs) as usize)
                        .ok_or_else(oob)?;
                    acc = acc.add(x.mul(y));
                }
                *ov.get_mut(bn * d.m * d.n + i * d.n + j).ok_or_else(oob)? = acc;
            }
        }
    }
    Ok(())
}

fn scan(
    op: ScanOp,
    axis: usize,
    dtype: DType,
    input: &Storage,
    view: &Operand,
    out: &mut Storage,
) -> Result<(), CpuError> {
    if input.dtype() != dtype {
        return Err(CpuError::Internal(
            "scan input dtype differs from the step's".into(),
        ));
    }
    match dtype {
        DType::I8 => scan_typed::<i8>(op, axis, input, view, out),
        DType::I16 => scan_typed::<i16>(op, axis, input, view, out),
        DType::I32 => scan_typed::<i32>(op, axis, input, view, out),
        DType::I64 => scan_typed::<i64>(op, axis, input, view, out),
        DType::U8 => scan_typed::<u8>(op, axis, input, view, out),
        DType::U16 => scan_typed::<u16>(op, axis, input, view, out),
        DType::U32 => scan_typed::<u32>(op, axis, input, view, out),
        DType::U64 => scan_typed::<u64>(op, axis, input, view, out),
        DType::F32 => scan_typed::<f32>(op, axis, input, view, out),
        DType::F64 => scan_typed::<f64>(op, axis, input, view, out),
        DType::C64 => scan_typed::<C64>(op, axis, input, view, out),
        DType::C128 => scan_typed::<C128>(op, axis, input, view, out),
        DType::Bool => Err(CpuError::UnsupportedDType { op: "scan", dtype }),
    }
}

fn scan_typed<T: Num>(
    op: ScanOp,
    axis: usize,
    input: &Storage,
    operand: &Operand,
    out: &mut Storage,
) -> Result<(), CpuError> {
    let view = &operand.view;
    let dims = view.shape.dims();
    if axis >= dims.len() || out.len() != view.shape.numel() {
        return Err(CpuError::Internal(format!(
            "scan along {axis} of {}",
            view.shape
        )));
    }
    let missing = || CpuError::Internal("scan storage dtype".into());
    let iv = input.as_slice::<T>().ok_or_else(missing)?;
    let ov = out.as_mut_slice::<T>().ok_or_else(missing)?;
    let out_strides = view.shape.contiguous_strides();
    let mut lines = dims.to_vec();
    lines[axis] = 1;
    let oob = || CpuError::Internal("scan out of bounds".into());
    for start in IndexIter::new(&Shape::from(lines)) {
        let in0 = view.offset_of(&start);
        let out0: isize = start
            .iter()
            .zip(&out_strides)
            .map(|(&i, &s)| i as isize * s)
            .sum();
        let mut acc: Option<T> = None;
        for i in 0..dims[axis] {
            let x = *iv
                .get((in0 + i as isize * view.strides[axis]) as usize)
                .ok_or_else(oob)?;
            let v = match (acc, op) {
                (None, _) => x,
                (Some(a), ScanOp::Sum) => a.add(x),
                (Some(a), ScanOp::Prod) => a.mul(x),
            };
            acc = Some(v);
            *ov.get_mut((out0 + i as isize * out_strides[axis]) as usize)
                .ok_or_else(oob)? = v;
        }
    }
    Ok(())
}
