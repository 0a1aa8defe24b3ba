//! Random library steps for the CUDA backend's tests: one matrix product or one FFT on random
//! shapes, dtypes and operand layouts (transposed, permuted, strided, reversed, broadcast,
//! offset), as a one-step schedule with its inputs and the reference interpreter's result.

use kiln_interp::run_schedule;
use kiln_ir::{
    BufferDecl, BufferRef, C128, DType, FftKind, FftOp, LibOp, LibraryStep, Operand, Realized,
    Scalar, Schedule, Shape, Step, Storage, View,
};
use std::sync::Arc;

/// A small deterministic generator (proptest draws the seed, so a failure names it).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// A random layout of `shape` in a fresh buffer: returns the buffer length and the view. With
/// `plain`, the view is contiguous in some dim order (a transpose) that keeps the dims before
/// `inner` outside those from `inner` on; otherwise dims may be in any order, stepped, reversed,
/// padded and (where `broadcastable[d]`) broadcast.
pub fn layout(
    rng: &mut Rng,
    shape: &[usize],
    broadcastable: &[bool],
    plain: bool,
    inner: usize,
) -> (usize, View) {
    let rank = shape.len();
    let mut order: Vec<usize> = (0..rank).collect();
    // Dims are shuffled within each block: [0, inner) and [inner, rank), or all together.
    let split = if plain { inner } else { 0 };
    for block in [0..split, split..rank] {
        for i in block.clone().skip(1).rev() {
            order.swap(i, block.start + rng.below(i - block.start + 1));
        }
    }
    let steps: Vec<usize> = (0..rank)
        .map(|_| if !plain && rng.chance(25) { 2 } else { 1 })
        .collect();
    let pads: Vec<usize> = (0..rank)
        .map(|_| if !plain && rng.chance(25) { 1 } else { 0 })
        .collect();
    let phys: Vec<usize> = (0..rank)
        .map(|d| shape[d].saturating_sub(1) * steps[d] + usize::from(shape[d] > 0) + pads[d])
        .collect();
    // Physical strides: `order` lists dims outermost first.
    let mut phys_stride = vec![0isize; rank];
    let mut step = 1isize;
    for &d in order.iter().rev() {
        phys_stride[d] = step;
        step *= phys[d].max(1) as isize;
    }
    let base = if plain { 0 } else { rng.below(3) };
    let mut offset = base as isize;
    let mut strides = vec![0isize; rank];
    for d in 0..rank {
        let s = phys_stride[d] * steps[d] as isize;
        if !plain && broadcastable[d] && rng.chance(20) {
            strides[d] = 0;
        } else if !plain && shape[d] > 1 && rng.chance(15) {
            strides[d] = -s;
            offset += (shape[d] as isize - 1) * s;
        } else {
            strides[d] = s;
        }
    }
    let len = base + step as usize;
    let view = View {
        shape: Shape::from(shape),
        strides,
        offset: offset as usize,
    };
    (len, view)
}

pub fn random_storage(rng: &mut Rng, dtype: DType, len: usize) -> Storage {
    let mut s = Storage::zeroed(dtype, len).expect("storage");
    for i in 0..len {
        let mut v = || (rng.below(2001) as f64 - 1000.0) / 250.0;
        let value = Scalar::C128(C128::new(v(), v())).cast(dtype);
        s.set(i, value).expect("set");
    }
    s
}

pub fn values(s: &Storage) -> Vec<C128> {
    (0..s.len())
        .map(|i| s.get(i).expect("element").to_c128())
        .collect()
}

/// The elements of `r`'s view, in row-major order.
pub fn view_values(r: &Realized) -> Vec<C128> {
    r.scalars().iter().map(Scalar::to_c128).collect()
}

pub fn tolerance(dtype: DType) -> f64 {
    if matches!(dtype, DType::F32 | DType::C64) {
        2e-5
    } else {
        1e-12
    }
}

pub fn close(expected: &[C128], got: &[C128], scale: f64, tol: f64) -> Result<(), String> {
    if expected.len() != got.len() {
        return Err(format!("{} vs {} elements", expected.len(), got.len()));
    }
    for (i, (e, g)) in expected.iter().zip(got).enumerate() {
        if (e - g).norm() > tol * (1.0 + scale) {
            return Err(format!("element {i}: expected {e}, got {g}"));
        }
    }
    Ok(())
}

pub const FLOATS: [DType; 4] = [DType::F32, DType::F64, DType::C64, DType::C128];

/// A one-step schedule on random inputs, with what the interpreter makes of it.
pub struct Case {
    pub schedule: Schedule,
    pub step: LibraryStep,
    /// The inputs' whole buffers (the step reads them through its operands' views).
    pub buffers: Vec<Arc<Storage>>,
    pub inputs: Vec<Realized>,
    pub out_len: usize,
    pub expected: Vec<C128>,
    /// Error allowed per element: `tol * (1 + scale)`.
    pub scale: f64,
    pub tol: f64,
}

fn case(
    step: LibraryStep,
    buffers: Vec<Arc<Storage>>,
    views: Vec<View>,
    out: Shape,
    dtype: DType,
    scale: f64,
    precision: DType,
) -> Case {
    let out_len = out.numel();
    let schedule = Schedule {
        buffers: vec![BufferDecl {
            dtype,
            len: out_len,
        }],
        steps: vec![Step::Library(step.clone())],
        outputs: vec![Operand {
            buffer: BufferRef::Temp(0),
            view: View::contiguous(out),
        }],
    };
    let inputs: Vec<Realized> = buffers
        .iter()
        .zip(views)
        .map(|(b, v)| Realized::with_view(b.clone(), v).expect("view"))
        .collect();
    let r = run_schedule(&schedule, &inputs).expect("interpreter");
    let expected = view_values(&r[0]);
    Case {
        schedule,
        step,
        buffers,
        inputs,
        out_len,
        expected,
        scale,
        tol: tolerance(precision),
    }
}

/// A random product. With `plain`, both operands are contiguous or transposed (batch dims
/// outside the matrix dims, in any order), so cuBLAS must be able to read them as they lie.
pub fn gemm_case(seed: u64, plain: bool) -> Case {
    let mut rng = Rng(seed | 1);
    let dtype = FLOATS[rng.below(4)];
    let batch: Vec<usize> = (0..rng.below(3)).map(|_| rng.below(3) + 1).collect();
    let (m, k, n) = (rng.below(5), rng.below(5), rng.below(5));
    let mut sa = batch.clone();
    sa.extend([m, k]);
    let mut sb = batch.clone();
    sb.extend([k, n]);
    let mut bcast = vec![true; batch.len()];
    bcast.extend([false, false]);
    let (la, va) = layout(&mut rng, &sa, &bcast, plain, batch.len());
    let (lb, vb) = layout(&mut rng, &sb, &bcast, plain, batch.len());
    let xa = Arc::new(random_storage(&mut rng, dtype, la));
    let xb = Arc::new(random_storage(&mut rng, dtype, lb));
    let a = Operand {
        buffer: BufferRef::Input(0),
        view: va.clone(),
    };
    let b = Operand {
        buffer: BufferRef::Input(1),
        view: vb.clone(),
    };
    let mut out_shape = batch.clone();
    out_shape.extend([m, n]);
    let step = LibraryStep::MatMul {
        a,
        b,
        out: 0,
        dtype,
    };
    case(
        step,
        vec![xa, xb],
        vec![va, vb],
        Shape::from(out_shape.as_slice()),
        dtype,
        16.0 * k as f64,
        dtype,
    )
}

/// A random one-axis transform. With `plain`, the operand is contiguous in some dim order and
/// the transform crops or keeps its line (no zero padding), so cuFFT must be able to read it.
pub fn fft_case(seed: u64, plain: bool) -> Case {
    let mut rng = Rng(seed | 1);
    let rank = rng.below(3) + 1;
    let mut shape: Vec<usize> = (0..rank).map(|_| rng.below(5)).collect();
    let axis = rng.below(rank);
    let kind = [
        FftKind::Forward,
        FftKind::Inverse,
        FftKind::RealForward,
        FftKind::RealInverse,
    ][rng.below(4)];
    let double = rng.chance(50);
    let (complex, real) = if double {
        (DType::C128, DType::F64)
    } else {
        (DType::C64, DType::F32)
    };
    let (in_dtype, out_dtype) = match kind {
        FftKind::RealForward => (real, complex),
        FftKind::RealInverse => (complex, real),
        _ => (complex, complex),
    };
    let n = if plain {
        shape[axis] = shape[axis].max(1);
        match kind {
            FftKind::RealInverse => rng.below(2 * shape[axis] - 1) + 1,
            _ => rng.below(shape[axis]) + 1,
        }
    } else {
        rng.below(7) + 1
    };
    let op = FftOp::new(kind, axis, n);
    let bcast: Vec<bool> = (0..rank).map(|d| d != axis).collect();
    let (len, view) = layout(&mut rng, &shape, &bcast, plain, 0);
    let x = Arc::new(random_storage(&mut rng, in_dtype, len));
    let input = Operand {
        buffer: BufferRef::Input(0),
        view: view.clone(),
    };
    let mut out_shape = shape.clone();
    out_shape[axis] = op.out_extent();
    let step = LibraryStep::Lib {
        op: LibOp::Fft(op),
        inputs: vec![input],
        out: 0,
        dtype: out_dtype,
    };
    case(
        step,
        vec![x],
        vec![view],
        Shape::from(out_shape.as_slice()),
        out_dtype,
        8.0 * n as f64,
        in_dtype,
    )
}
