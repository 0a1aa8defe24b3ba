//! Discrete Fourier transforms along one axis (`LibOp::Fft`), served by rustfft: f32 for
//! complex64/float32, f64 for complex128/float64.
//!
//! The lines along the axis are cut into blocks of consecutive lines; rayon runs the blocks in
//! parallel. A block gathers its lines (cropped or zero-padded to `n`) into a contiguous scratch,
//! rustfft transforms them in one call, and the block scatters its results into the output. For a
//! line along the last axis the reads and writes are contiguous; along another axis, a block's
//! lines are neighbours in memory, so each gathered row is a short contiguous run. Real transforms
//! run realfft's real-to-complex or complex-to-real transform of length `n` on each gathered line
//! (about half the work of a complex transform of length `n`; the imaginary parts of the zero and
//! Nyquist entries of a `C2r` input are ignored, as NumPy's Hermitian extension ignores them).
//! Complex-to-complex lines along the last axis skip the scratch: a block gathers its lines
//! straight into its stretch of the output and transforms them there.
//!
//! The transform's rolls (see `kiln_ir::fftop`) only move indices: line entry `j` is gathered
//! from operand entry `(j - roll_in) mod m` (two runs per line), and transformed entry `i` is
//! stored at `(i + roll_out) mod out_extent` (the in-place path rotates each line in cache).
//!
//! Plans are cached by rustfft's `FftPlanner` and realfft's `RealFftPlanner`, one of each per
//! precision behind a lock, so a length is planned once per process.
//!
//! Invariant: every output element is written exactly once, by the block that owns its line;
//! blocks own disjoint lines, so their writes never overlap (the one `unsafe` write relies on
//! this and on a bounds check). Operands are read through their verified views with checked
//! accesses.

use crate::error::CpuError;
use crate::libops::Arg;
use kiln_ir::{DType, Element, FftKind, FftOp, Storage};
use rayon::prelude::*;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftDirection, FftNum, FftPlanner};
use std::sync::{Arc, Mutex, OnceLock};

/// Complex elements a block aims to hold, so its scratch stays in the L2 cache.
const BLOCK_ELEMENTS: usize = 1 << 15;
/// The most lines one block gathers.
const MAX_BLOCK_LINES: usize = 64;

/// A float precision rustfft serves, with its process-wide planners.
trait Precision: FftNum + Element {
    fn planner() -> &'static Mutex<FftPlanner<Self>>;
    fn real_planner() -> &'static Mutex<RealFftPlanner<Self>>;
}

macro_rules! precision {
    ($t:ty) => {
        impl Precision for $t {
            fn planner() -> &'static Mutex<FftPlanner<$t>> {
                static PLANNER: OnceLock<Mutex<FftPlanner<$t>>> = OnceLock::new();
                PLANNER.get_or_init(|| Mutex::new(FftPlanner::new()))
            }
            fn real_planner() -> &'static Mutex<RealFftPlanner<$t>> {
                static PLANNER: OnceLock<Mutex<RealFftPlanner<$t>>> = OnceLock::new();
                PLANNER.get_or_init(|| Mutex::new(RealFftPlanner::new()))
            }
        }
    };
}
precision!(f32);
precision!(f64);

/// The transform of one line of length `n`, as planned for the op's kind.
#[derive(Clone)]
enum LinePlan<T: Precision> {
    Complex(Arc<dyn Fft<T>>),
    RealForward(Arc<dyn RealToComplex<T>>),
    RealInverse(Arc<dyn ComplexToReal<T>>),
}

impl<T: Precision> LinePlan<T> {
    /// The cached plan of `kind` for length `n` (a poisoned lock still holds a valid planner).
    fn new(kind: FftKind, n: usize) -> LinePlan<T> {
        let complex = |direction| {
            let mut planner = T::planner().lock().unwrap_or_else(|e| e.into_inner());
            LinePlan::Complex(planner.plan_fft(n, direction))
        };
        let real = || T::real_planner().lock().unwrap_or_else(|e| e.into_inner());
        match kind {
            FftKind::Forward => complex(FftDirection::Forward),
            FftKind::Inverse => complex(FftDirection::Inverse),
            FftKind::RealForward => LinePlan::RealForward(real().plan_fft_forward(n)),
            FftKind::RealInverse => LinePlan::RealInverse(real().plan_fft_inverse(n)),
        }
    }

    fn scratch_len(&self) -> usize {
        match self {
            LinePlan::Complex(f) => f.get_inplace_scratch_len(),
            LinePlan::RealForward(f) => f.get_scratch_len(),
            LinePlan::RealInverse(f) => f.get_scratch_len(),
        }
    }

    /// Transforms each length-`n` line of `buffer` in place: a real forward transform reads the
    /// real parts and leaves the `n/2 + 1` frequencies at the start of the line; a real inverse
    /// reads the first `n/2 + 1` entries and leaves the real samples (imaginary parts zero).
    fn process(
        &self,
        buffer: &mut [Complex<T>],
        n: usize,
        scratch: &mut [Complex<T>],
        reals: &mut Vec<T>,
        half: &mut Vec<Complex<T>>,
    ) -> Result<(), CpuError> {
        let zero = Complex::new(T::zero(), T::zero());
        match self {
            LinePlan::Complex(f) => f.process_with_scratch(buffer, scratch),
            LinePlan::RealForward(f) => {
                reals.resize(n, T::zero());
                half.resize(n / 2 + 1, zero);
                for line in buffer.chunks_exact_mut(n) {
                    for (r, c) in reals.iter_mut().zip(line.iter()) {
                        *r = c.re;
                    }
                    f.process_with_scratch(reals, half, scratch)
                        .map_err(|e| internal(&e.to_string()))?;
                    line[..half.len()].copy_from_slice(half);
                }
            }
            LinePlan::RealInverse(f) => {
                reals.resize(n, T::zero());
                half.resize(n / 2 + 1, zero);
                for line in buffer.chunks_exact_mut(n) {
                    half.copy_from_slice(&line[..n / 2 + 1]);
                    match f.process_with_scratch(half, reals, scratch) {
                        // Non-zero imaginary parts at zero or Nyquist: realfft treats them as
                        // zero, which is what the Hermitian extension does to the real output.
                        Ok(()) | Err(realfft::FftError::InputValues(..)) => {}
                        Err(e) => return Err(internal(&e.to_string())),
                    }
                    for (c, &r) in line.iter_mut().zip(reals.iter()) {
                        *c = Complex::new(r, T::zero());
                    }
                }
            }
        }
        Ok(())
    }
}

/// An operand element read as a complex number.
trait Load<T>: Element {
    fn load(self) -> Complex<T>;
}

impl<T: Precision> Load<T> for T {
    fn load(self) -> Complex<T> {
        Complex::new(self, T::zero())
    }
}

impl<T: Precision> Load<T> for Complex<T>
where
    Complex<T>: Element,
{
    fn load(self) -> Complex<T> {
        self
    }
}

/// An output element made from a transformed complex entry.
trait StoreAs<T>: Element {
    fn store(c: Complex<T>) -> Self;
    /// The output as complex entries, when it is complex (for in-place transforms).
    fn as_complex(out: &mut [Self]) -> Option<&mut [Complex<T>]>;
    /// The output as real entries, when it is real (complex-to-real lines written in place).
    fn as_real(out: &mut [Self]) -> Option<&mut [T]>;
}

impl<T: Precision> StoreAs<T> for T {
    fn store(c: Complex<T>) -> T {
        c.re
    }
    fn as_complex(_: &mut [T]) -> Option<&mut [Complex<T>]> {
        None
    }
    fn as_real(out: &mut [T]) -> Option<&mut [T]> {
        Some(out)
    }
}

impl<T: Precision> StoreAs<T> for Complex<T>
where
    Complex<T>: Element,
{
    fn store(c: Complex<T>) -> Complex<T> {
        c
    }
    fn as_complex(out: &mut [Complex<T>]) -> Option<&mut [Complex<T>]> {
        Some(out)
    }
    fn as_real(_: &mut [Complex<T>]) -> Option<&mut [T]> {
        None
    }
}

/// Runs the transform `op` of `x` into the fresh contiguous `out` (shape checked by the caller).
pub(crate) fn run(op: FftOp, x: Arg<'_>, out: &mut Storage) -> Result<(), CpuError> {
    type C32 = Complex<f32>;
    type C64 = Complex<f64>;
    let dtype = x.0.dtype();
    match (op.kind, dtype) {
        (FftKind::Forward | FftKind::Inverse, DType::C64) => transform::<f32, C32, C32>(op, x, out),
        (FftKind::Forward | FftKind::Inverse, DType::C128) => {
            transform::<f64, C64, C64>(op, x, out)
        }
        (FftKind::RealForward, DType::F32) => transform::<f32, f32, C32>(op, x, out),
        (FftKind::RealForward, DType::F64) => transform::<f64, f64, C64>(op, x, out),
        (FftKind::RealInverse, DType::C64) => transform::<f32, C32, f32>(op, x, out),
        (FftKind::RealInverse, DType::C128) => transform::<f64, C64, f64>(op, x, out),
        _ => Err(CpuError::UnsupportedDType { op: "fft", dtype }),
    }
}

/// Where the lines of one transform live: operand and output geometry.
struct Lines {
    /// Extents of the operand's dims other than the axis, and their element strides.
    outer_dims: Vec<usize>,
    outer_strides: Vec<isize>,
    /// Operand offset of element 0 and stride along the axis.
    offset: isize,
    axis_stride: isize,
    /// Output elements per step along the axis (the extents after it), and the output extent.
    inner: usize,
    out_extent: usize,
}

impl Lines {
    /// Operand offset of the first element of line `l` (row-major over the other dims).
    fn input_base(&self, mut l: usize) -> isize {
        let mut base = self.offset;
        for (&d, &s) in self.outer_dims.iter().zip(&self.outer_strides).rev() {
            base += (l % d) as isize * s;
            l /= d;
        }
        base
    }

    /// Output offset of the first element of line `l`; its entries are `inner` apart.
    fn output_base(&self, l: usize) -> usize {
        (l / self.inner) * self.out_extent * self.inner + l % self.inner
    }
}

/// The output storage shared by the blocks, each of which writes only its own lines.
struct SharedOut<O> {
    ptr: *mut O,
    len: usize,
}

// SAFETY: blocks write disjoint elements (module invariant), and only through `write`.
unsafe impl<O: Send> Sync for SharedOut<O> {}

impl<O> SharedOut<O> {
    fn write(&self, i: usize, value: O) -> Result<(), CpuError> {
        if i >= self.len {
            return Err(CpuError::Internal("fft writes past its output".into()));
        }
        // SAFETY: `i` is in bounds of the exclusively borrowed output slice this was made from,
        // and no other block writes element `i` (each element belongs to one line, each line
        // to one block), so no write races another access.
        unsafe { self.ptr.add(i).write(value) };
        Ok(())
    }

    /// Writes `values` to elements `start..start + values.len()`, checking the bound once.
    fn write_run(
        &self,
        start: usize,
        values: impl ExactSizeIterator<Item = O>,
    ) -> Result<(), CpuError> {
        if start.saturating_add(values.len()) > self.len {
            return Err(CpuError::Internal("fft writes past its output".into()));
        }
        for (k, value) in values.enumerate() {
            // SAFETY: `start + k < start + values.len() <= len` (checked above), and the run
            // belongs to lines of this block only, as for `write`.
            unsafe { self.ptr.add(start + k).write(value) };
        }
        Ok(())
    }
}

/// How a line's entries sit in the operand: `extent` entries `axis_stride` apart, and line entry
/// `j` (rolled) is operand entry `(first + j) mod extent`.
struct RolledLine {
    extent: usize,
    first: usize,
    axis_stride: isize,
}

/// Writes `f` of line entries `0..head.len()` (at most `extent`) of the operand line starting at
/// `base` into `head`: two contiguous runs (from `first` to the end, then from the start) when
/// the line is contiguous, else one checked read per entry.
fn gather_line<I: Copy, D>(
    data: &[I],
    base: isize,
    line: &RolledLine,
    head: &mut [D],
    f: impl Fn(I) -> D,
) -> Result<(), CpuError> {
    if head.is_empty() {
        return Ok(());
    }
    let outside = || internal("fft operand view leaves its storage");
    if line.axis_stride == 1 {
        let src = usize::try_from(base)
            .ok()
            .and_then(|b| data.get(b..b + line.extent))
            .ok_or_else(outside)?;
        let (wrapped, straight) = src.split_at(line.first);
        for (slot, &v) in head.iter_mut().zip(straight.iter().chain(wrapped)) {
            *slot = f(v);
        }
        return Ok(());
    }
    for (j, slot) in head.iter_mut().enumerate() {
        let at = (line.first + j) % line.extent;
        let i = base + at as isize * line.axis_stride;
        let v = usize::try_from(i)
            .ok()
            .and_then(|i| data.get(i))
            .ok_or_else(outside)?;
        *slot = f(*v);
    }
    Ok(())
}

fn transform<T: Precision, I: Load<T>, O: StoreAs<T>>(
    op: FftOp,
    (storage, operand): Arg<'_>,
    out: &mut Storage,
) -> Result<(), CpuError> {
    let data = storage.as_slice::<I>().ok_or_else(missing)?;
    let view = &operand.view;
    let dims = view.shape.dims();
    let axis = op.axis;
    let extent = *dims
        .get(axis)
        .ok_or_else(|| internal("axis out of range"))?;
    let used = op.used_input(extent);
    let n = op.n;
    // The operand index (along the axis) of line entry `j`, for `j < used <= extent`.
    let roll_in = if extent == 0 { 0 } else { op.roll_in % extent };
    let source = |j: usize| {
        if j < roll_in {
            j + extent - roll_in
        } else {
            j - roll_in
        }
    };
    let roll_out = op.roll_out % op.out_extent();
    let rolled = RolledLine {
        extent,
        first: source(0),
        axis_stride: view.strides[axis],
    };
    let lines = Lines {
        outer_dims: (0..dims.len())
            .filter(|&d| d != axis)
            .map(|d| dims[d])
            .collect(),
        outer_strides: (0..dims.len())
            .filter(|&d| d != axis)
            .map(|d| view.strides[d])
            .collect(),
        offset: view.offset as isize,
        axis_stride: view.strides[axis],
        inner: dims[axis + 1..].iter().product::<usize>().max(1),
        out_extent: op.out_extent(),
    };
    let line_count: usize = lines.outer_dims.iter().product();
    let o = out.as_mut_slice::<O>().ok_or_else(missing)?;
    if o.len() != line_count * lines.out_extent {
        return Err(internal("output size"));
    }
    if line_count == 0 {
        return Ok(());
    }
    let line_plan = LinePlan::<T>::new(op.kind, n);
    let per_block = (BLOCK_ELEMENTS / n).clamp(1, MAX_BLOCK_LINES);
    // At least a few blocks per thread when there are enough lines, for balance.
    let per_block = per_block
        .min(line_count.div_ceil(4 * rayon::current_num_threads()))
        .max(1);
    let blocks = line_count.div_ceil(per_block);
    let read = |i: isize| -> Result<Complex<T>, CpuError> {
        usize::try_from(i)
            .ok()
            .and_then(|i| data.get(i))
            .map(|&v| v.load())
            .ok_or_else(|| internal("fft operand view leaves its storage"))
    };
    let zero = Complex::new(T::zero(), T::zero());
    // Lines along the last axis whose output is the transformed line itself (complex to
    // complex): each block transforms its stretch of the output in place, with no scratch.
    if lines.inner == 1
        && lines.out_extent == n
        && let LinePlan::Complex(fft) = &line_plan
        && let Some(o) = O::as_complex(o)
    {
        return o
            .par_chunks_mut(per_block * n)
            .enumerate()
            .try_for_each_init(
                || vec![zero; fft.get_inplace_scratch_len()],
                |scratch, (block, chunk)| -> Result<(), CpuError> {
                    for (b, line) in chunk.chunks_exact_mut(n).enumerate() {
                        let base = lines.input_base(block * per_block + b);
                        let (head, tail) = line.split_at_mut(used);
                        gather_line(data, base, &rolled, head, |v| v.load())?;
                        tail.fill(zero);
                    }
                    fft.process_with_scratch(chunk, scratch);
                    if roll_out != 0 {
                        for line in chunk.chunks_exact_mut(n) {
                            line.rotate_right(roll_out);
                        }
                    }
                    Ok(())
                },
            );
    }
    // Real lines along the last axis whose spectrum is the output line (no roll): each line is
    // gathered into a real scratch and transformed straight into its stretch of the output.
    if lines.inner == 1
        && roll_out == 0
        && let LinePlan::RealForward(fft) = &line_plan
        && let Some(o) = O::as_complex(o)
    {
        let out_extent = lines.out_extent;
        return o
            .par_chunks_mut(per_block * out_extent)
            .enumerate()
            .try_for_each_init(
                || (vec![T::zero(); n], vec![zero; fft.get_scratch_len()]),
                |(reals, scratch), (block, chunk)| -> Result<(), CpuError> {
                    for (b, spectrum) in chunk.chunks_exact_mut(out_extent).enumerate() {
                        let base = lines.input_base(block * per_block + b);
                        let (head, tail) = reals.split_at_mut(used);
                        gather_line(data, base, &rolled, head, |v| v.load().re)?;
                        tail.fill(T::zero());
                        fft.process_with_scratch(reals, spectrum, scratch)
                            .map_err(|e| internal(&e.to_string()))?;
                    }
                    Ok(())
                },
            );
    }
    // Hermitian lines along the last axis whose real signal is the output line (no roll): each
    // line's `n/2 + 1` entries are gathered and transformed straight into the output.
    if lines.inner == 1
        && roll_out == 0
        && let LinePlan::RealInverse(fft) = &line_plan
        && let Some(o) = O::as_real(o)
    {
        return o
            .par_chunks_mut(per_block * n)
            .enumerate()
            .try_for_each_init(
                || (vec![zero; n / 2 + 1], vec![zero; fft.get_scratch_len()]),
                |(half, scratch), (block, chunk)| -> Result<(), CpuError> {
                    for (b, signal) in chunk.chunks_exact_mut(n).enumerate() {
                        let base = lines.input_base(block * per_block + b);
                        let (head, tail) = half.split_at_mut(used);
                        gather_line(data, base, &rolled, head, |v| v.load())?;
                        tail.fill(zero);
                        match fft.process_with_scratch(half, signal, scratch) {
                            // Imaginary parts at zero or Nyquist are ignored (module doc).
                            Ok(()) | Err(realfft::FftError::InputValues(..)) => {}
                            Err(e) => return Err(internal(&e.to_string())),
                        }
                    }
                    Ok(())
                },
            );
    }
    let shared = SharedOut {
        ptr: o.as_mut_ptr(),
        len: o.len(),
    };
    (0..blocks).into_par_iter().try_for_each_init(
        || {
            (
                Vec::<Complex<T>>::new(),
                vec![zero; line_plan.scratch_len()],
                (Vec::<T>::new(), Vec::<Complex<T>>::new()),
            )
        },
        |(buffer, scratch, (reals, half)), block| -> Result<(), CpuError> {
            let first = block * per_block;
            let count = per_block.min(line_count - first);
            buffer.clear();
            buffer.resize(count * n, Complex::new(T::zero(), T::zero()));
            let bases: Vec<isize> = (first..first + count)
                .map(|l| lines.input_base(l))
                .collect();
            // Gather (row by row when lines are neighbours in memory).
            if lines.inner == 1 {
                for (b, &base) in bases.iter().enumerate() {
                    for j in 0..used {
                        buffer[b * n + j] = read(base + source(j) as isize * lines.axis_stride)?;
                    }
                }
            } else if bases.windows(2).all(|w| w[1] == w[0] + 1) {
                // The block's lines are adjacent in memory: one contiguous run per entry.
                for j in 0..used {
                    let start = usize::try_from(bases[0] + source(j) as isize * lines.axis_stride)
                        .map_err(|_| internal("fft operand view leaves its storage"))?;
                    let run = data
                        .get(start..start + count)
                        .ok_or_else(|| internal("fft operand view leaves its storage"))?;
                    for (b, &v) in run.iter().enumerate() {
                        buffer[b * n + j] = v.load();
                    }
                }
            } else {
                for j in 0..used {
                    let step = source(j) as isize * lines.axis_stride;
                    for (b, &base) in bases.iter().enumerate() {
                        buffer[b * n + j] = read(base + step)?;
                    }
                }
            }
            line_plan.process(buffer, n, scratch, reals, half)?;
            // Scatter.
            let out_extent = lines.out_extent;
            let inner = lines.inner;
            if inner == 1 {
                for b in 0..count {
                    let base = lines.output_base(first + b);
                    for i in 0..out_extent {
                        let at = (i + roll_out) % out_extent;
                        shared.write(base + at, O::store(buffer[b * n + i]))?;
                    }
                }
            } else {
                let out_bases: Vec<usize> = (first..first + count)
                    .map(|l| lines.output_base(l))
                    .collect();
                let adjacent = out_bases.windows(2).all(|w| w[1] == w[0] + 1);
                for i in 0..out_extent {
                    let at = (i + roll_out) % out_extent * inner;
                    if adjacent {
                        // One contiguous run of the output per entry.
                        let values = (0..count).map(|b| O::store(buffer[b * n + i]));
                        shared.write_run(out_bases[0] + at, values)?;
                        continue;
                    }
                    for (b, &base) in out_bases.iter().enumerate() {
                        shared.write(base + at, O::store(buffer[b * n + i]))?;
                    }
                }
            }
            Ok(())
        },
    )
}

fn missing() -> CpuError {
    internal("fft operand or output storage has another dtype")
}

fn internal(what: &str) -> CpuError {
    CpuError::Internal(format!("fft: {what}"))
}
