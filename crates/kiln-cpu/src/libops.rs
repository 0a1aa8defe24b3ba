//! Data-movement library steps (`LibOp`): concatenation, gathers, sorts and sorted search, as
//! typed host loops (rayon over independent lines for sorts, over blocks of the output for
//! concatenation and element gathers).
//!
//! Invariant: operands are read only through their verified views (borrowed in place when
//! contiguous), with bounds-checked slice accesses (no `unsafe`); gather indices are normalised
//! and checked before any element moves, so an index outside `-n..n` is an
//! `IrError::IndexOutOfBounds` and the output is never published. An empty gather reads no index
//! and checks none (NumPy's `take` and the reference interpreter agree).
//! Sorts follow `kiln_ir::sort_order` (NaN last, `-0.0 == 0.0`, stable), descending by the
//! reverse-sort-reverse rule the reference uses.

use crate::error::CpuError;
use kiln_ir::{
    C64, C128, DType, Element, IndexIter, LibOp, Operand, Shape, Storage, complex_order,
    float_order, normalise_index,
};
use rayon::prelude::*;
use std::borrow::Cow;
use std::cmp::Ordering;

/// An operand's storage and view.
pub(crate) type Arg<'a> = (&'a Storage, &'a Operand);

/// Element types with kiln's sort order.
trait Sortable: Element {
    fn order(&self, other: &Self) -> Ordering;
}

macro_rules! int_sortable {
    ($($t:ty),*) => {$(
        impl Sortable for $t {
            fn order(&self, other: &Self) -> Ordering { self.cmp(other) }
        }
    )*};
}
int_sortable!(bool, i8, i16, i32, i64, u8, u16, u32, u64);

impl Sortable for f32 {
    fn order(&self, other: &Self) -> Ordering {
        float_order(*self as f64, *other as f64)
    }
}
impl Sortable for f64 {
    fn order(&self, other: &Self) -> Ordering {
        float_order(*self, *other)
    }
}

impl Sortable for C64 {
    fn order(&self, other: &Self) -> Ordering {
        complex_order(
            (self.re as f64, self.im as f64),
            (other.re as f64, other.im as f64),
        )
    }
}
impl Sortable for C128 {
    fn order(&self, other: &Self) -> Ordering {
        complex_order((self.re, self.im), (other.re, other.im))
    }
}

/// Calls `$f::<T>($args)` with `T` the Rust type of `$dtype`.
macro_rules! by_dtype {
    ($dtype:expr, $f:ident($($args:expr),*)) => {
        match $dtype {
            DType::Bool => $f::<bool>($($args),*),
            DType::I8 => $f::<i8>($($args),*),
            DType::I16 => $f::<i16>($($args),*),
            DType::I32 => $f::<i32>($($args),*),
            DType::I64 => $f::<i64>($($args),*),
            DType::U8 => $f::<u8>($($args),*),
            DType::U16 => $f::<u16>($($args),*),
            DType::U32 => $f::<u32>($($args),*),
            DType::U64 => $f::<u64>($($args),*),
            DType::F32 => $f::<f32>($($args),*),
            DType::F64 => $f::<f64>($($args),*),
            DType::C64 => $f::<C64>($($args),*),
            DType::C128 => $f::<C128>($($args),*),
        }
    };
}

/// Runs `op` over `args` into the fresh contiguous `out`.
pub(crate) fn run(op: LibOp, args: &[Arg<'_>], out: &mut Storage) -> Result<(), CpuError> {
    let types: Vec<(DType, &Shape)> = args
        .iter()
        .map(|(s, o)| (s.dtype(), &o.view.shape))
        .collect();
    let info = kiln_ir::infer(&kiln_ir::Op::Lib(op), &types)?;
    if info.dtype != out.dtype() || info.shape.numel() != out.len() {
        return Err(CpuError::Internal(format!(
            "{op} writes {} elements of {} into {} of {}",
            info.shape.numel(),
            info.dtype,
            out.len(),
            out.dtype()
        )));
    }
    let dtype = args[0].0.dtype();
    if info.shape.numel() == 0 && matches!(op, LibOp::Take { .. } | LibOp::TakeAlongAxis { .. }) {
        // An empty gather reads nothing, so no index is out of bounds (as NumPy's `take` and
        // the reference interpreter, which check the indices they read).
        return Ok(());
    }
    match op {
        LibOp::Fft(fft) => crate::fft::run(fft, args[0], out),
        LibOp::Concat { axis, .. } => by_dtype!(dtype, concat(args, axis, &info.shape, out)),
        LibOp::Take { axis } => {
            let n = args[0].1.view.shape.dims()[axis];
            let indices = read_indices(args[1], axis, n)?;
            by_dtype!(dtype, take(args[0], &indices, axis, &info.shape, out))
        }
        LibOp::TakeAlongAxis { axis } => {
            let n = args[0].1.view.shape.dims()[axis];
            let indices = read_indices(args[1], axis, n)?;
            by_dtype!(dtype, take_along(args[0], &indices, axis, &info.shape, out))
        }
        LibOp::Sort { axis, descending } => {
            by_dtype!(dtype, sort(args[0], axis, descending, false, out))
        }
        LibOp::ArgSort { axis, descending } => {
            by_dtype!(dtype, sort(args[0], axis, descending, true, out))
        }
        LibOp::Linalg(l) => Err(CpuError::Internal(format!(
            "{l} is served by the linalg module, not libops"
        ))),
        LibOp::SearchSorted { right } => {
            by_dtype!(dtype, search_sorted(args[0], args[1], right, out))
        }
    }
}

fn missing() -> CpuError {
    CpuError::Internal("library operand storage has another dtype".into())
}

fn oob() -> CpuError {
    CpuError::Internal("library operand view leaves its storage".into())
}

/// The elements of an operand in row-major order of its view.
fn gather_view<T: Element>((storage, operand): Arg<'_>) -> Result<Vec<T>, CpuError> {
    let data = storage.as_slice::<T>().ok_or_else(missing)?;
    let view = &operand.view;
    let dims = view.shape.dims();
    let mut values = Vec::with_capacity(view.shape.numel());
    if view.shape.numel() == 0 {
        return Ok(values);
    }
    let Some((&inner, outer)) = dims.split_last() else {
        values.push(*data.get(view.offset).ok_or_else(oob)?);
        return Ok(values);
    };
    let step = *view.strides.last().ok_or_else(oob)?;
    for ix in IndexIter::new(&Shape::from(outer)) {
        let mut at = view.offset as isize
            + ix.iter()
                .zip(&view.strides)
                .map(|(&i, &s)| i as isize * s)
                .sum::<isize>();
        if step == 1 {
            let start = usize::try_from(at).map_err(|_| oob())?;
            values.extend_from_slice(data.get(start..start + inner).ok_or_else(oob)?);
            continue;
        }
        for _ in 0..inner {
            values.push(
                *data
                    .get(usize::try_from(at).map_err(|_| oob())?)
                    .ok_or_else(oob)?,
            );
            at += step;
        }
    }
    Ok(values)
}

/// An operand's elements in row-major order: borrowed when its view is contiguous, else
/// gathered (so a gather of a few rows never copies the whole source).
fn row_major<'a, T: Element>(arg: Arg<'a>) -> Result<Cow<'a, [T]>, CpuError> {
    let (storage, operand) = arg;
    let view = &operand.view;
    let numel = view.shape.numel();
    let contiguous = view.shape.contiguous_strides();
    let dense = view
        .shape
        .dims()
        .iter()
        .zip(view.strides.iter().zip(&contiguous))
        .all(|(&d, (&s, &c))| d <= 1 || s == c);
    if dense {
        let data = storage.as_slice::<T>().ok_or_else(missing)?;
        let part = data.get(view.offset..view.offset + numel).ok_or_else(oob)?;
        return Ok(Cow::Borrowed(part));
    }
    gather_view(arg).map(Cow::Owned)
}

/// Index operand values (any integer dtype), normalised into `0..n`.
fn read_indices(arg: Arg<'_>, axis: usize, n: usize) -> Result<Vec<usize>, CpuError> {
    fn normalised<T: Element + Into<i128>>(
        arg: Arg<'_>,
        axis: usize,
        n: usize,
    ) -> Result<Vec<usize>, CpuError> {
        let values = row_major::<T>(arg)?;
        let mut out = Vec::with_capacity(values.len());
        for &v in values.iter() {
            out.push(normalise_index(v.into(), axis, n)?);
        }
        Ok(out)
    }
    match arg.0.dtype() {
        DType::I8 => normalised::<i8>(arg, axis, n),
        DType::I16 => normalised::<i16>(arg, axis, n),
        DType::I32 => normalised::<i32>(arg, axis, n),
        DType::I64 => normalised::<i64>(arg, axis, n),
        DType::U8 => normalised::<u8>(arg, axis, n),
        DType::U16 => normalised::<u16>(arg, axis, n),
        DType::U32 => normalised::<u32>(arg, axis, n),
        DType::U64 => normalised::<u64>(arg, axis, n),
        dtype => Err(CpuError::UnsupportedDType {
            op: "gather indices",
            dtype,
        }),
    }
}

/// `(outer, extent, inner)` of a shape split around `axis`.
fn split(shape: &Shape, axis: usize) -> (usize, usize, usize) {
    let d = shape.dims();
    (
        d[..axis].iter().product(),
        d[axis],
        d[axis + 1..].iter().product(),
    )
}

/// Elements per rayon task of the copy and gather loops: large enough to amortise a task,
/// small enough that both cores share a 1e6-element operand.
const BLOCK: usize = 1 << 15;

/// `dst.copy_from_slice(src)`, split over rayon tasks when long.
fn par_copy<T: Element>(dst: &mut [T], src: &[T]) -> Result<(), CpuError> {
    if dst.len() != src.len() {
        return Err(oob());
    }
    if dst.len() < 2 * BLOCK {
        dst.copy_from_slice(src);
    } else {
        dst.par_chunks_mut(BLOCK)
            .zip(src.par_chunks(BLOCK))
            .for_each(|(d, s)| d.copy_from_slice(s));
    }
    Ok(())
}

fn concat<T: Element>(
    args: &[Arg<'_>],
    axis: usize,
    shape: &Shape,
    out: &mut Storage,
) -> Result<(), CpuError> {
    let o = out.as_mut_slice::<T>().ok_or_else(missing)?;
    if o.is_empty() {
        return Ok(());
    }
    let (outer, total, inner) = split(shape, axis);
    let mut at = 0;
    for &arg in args {
        let ext = arg.1.view.shape.dims()[axis];
        let run = ext * inner;
        if let Some((data, starts)) = dense_rows::<T>(arg, axis)? {
            // Read in place: each row of the operand is one contiguous run of its storage.
            copy_rows(o, data, &starts, total * inner, at * inner, run)?;
        } else {
            let part = row_major::<T>(arg)?;
            let starts: Vec<usize> = (0..outer).map(|r| r * run).collect();
            copy_rows(o, &part, &starts, total * inner, at * inner, run)?;
        }
        at += ext;
    }
    Ok(())
}

/// An operand's storage and the offset where each of its rows starts.
type DenseRows<'a, T> = (&'a [T], Vec<usize>);

/// The operand's storage and the start of each of its `outer` rows (the product of the
/// dimensions before `axis`) when every row is one contiguous run of storage (the dimensions
/// from `axis` on are dense, as in a slice of a row-major array); `None` otherwise.
fn dense_rows<'a, T: Element>(
    arg: Arg<'a>,
    axis: usize,
) -> Result<Option<DenseRows<'a, T>>, CpuError> {
    let (storage, operand) = arg;
    let view = &operand.view;
    let dims = view.shape.dims();
    let mut expect: isize = 1;
    for d in (axis..dims.len()).rev() {
        if dims[d] > 1 && view.strides[d] != expect {
            return Ok(None);
        }
        expect *= dims[d] as isize;
    }
    let outer: usize = dims[..axis].iter().product();
    let mut starts = Vec::with_capacity(outer);
    let mut index = vec![0usize; axis];
    for _ in 0..outer {
        let offset = view.offset as isize
            + index
                .iter()
                .zip(&view.strides)
                .map(|(&i, &s)| i as isize * s)
                .sum::<isize>();
        starts.push(usize::try_from(offset).map_err(|_| oob())?);
        for d in (0..axis).rev() {
            index[d] += 1;
            if index[d] < dims[d] {
                break;
            }
            index[d] = 0;
        }
    }
    let data = storage.as_slice::<T>().ok_or_else(missing)?;
    Ok(Some((data, starts)))
}

/// Copies run `r` of `src` (`run` elements from `starts[r]`) to offset `at` of output row `r`
/// (rows of `row_len` elements), over rayon tasks of about `BLOCK` elements.
fn copy_rows<T: Element>(
    o: &mut [T],
    src: &[T],
    starts: &[usize],
    row_len: usize,
    at: usize,
    run: usize,
) -> Result<(), CpuError> {
    if run == 0 {
        return Ok(());
    }
    if let [start] = starts {
        let dst = o.get_mut(at..at + run).ok_or_else(oob)?;
        return par_copy(dst, src.get(*start..*start + run).ok_or_else(oob)?);
    }
    let rows_per_task = (BLOCK / run).max(1);
    o.par_chunks_mut(row_len * rows_per_task)
        .zip(starts.par_chunks(rows_per_task))
        .try_for_each(|(rows, task_starts)| -> Result<(), CpuError> {
            for (row, &start) in rows.chunks_mut(row_len).zip(task_starts) {
                row.get_mut(at..at + run)
                    .ok_or_else(oob)?
                    .copy_from_slice(src.get(start..start + run).ok_or_else(oob)?);
            }
            Ok(())
        })
}

fn take<T: Element>(
    x: Arg<'_>,
    indices: &[usize],
    axis: usize,
    shape: &Shape,
    out: &mut Storage,
) -> Result<(), CpuError> {
    let values = row_major::<T>(x)?;
    let o = out.as_mut_slice::<T>().ok_or_else(missing)?;
    let (outer, n, inner) = split(&x.1.view.shape, axis);
    let m = shape.dims()[axis];
    if inner == 1 {
        // Element gathers: one bounds-checked read per output element, blocks of a row in
        // parallel.
        for (row, dst) in o.chunks_exact_mut(m.max(1)).take(outer).enumerate() {
            let src = values.get(row * n..(row + 1) * n).ok_or_else(oob)?;
            dst.par_chunks_mut(BLOCK)
                .zip(indices.par_chunks(BLOCK))
                .try_for_each(|(d, idx)| -> Result<(), CpuError> {
                    for (slot, &i) in d.iter_mut().zip(idx) {
                        *slot = *src.get(i).ok_or_else(oob)?;
                    }
                    Ok(())
                })?;
        }
        return Ok(());
    }
    for r in 0..outer {
        for (j, &i) in indices.iter().enumerate() {
            let src = (r * n + i) * inner;
            let dst = (r * m + j) * inner;
            o.get_mut(dst..dst + inner)
                .ok_or_else(oob)?
                .copy_from_slice(values.get(src..src + inner).ok_or_else(oob)?);
        }
    }
    Ok(())
}

fn take_along<T: Element>(
    x: Arg<'_>,
    indices: &[usize],
    axis: usize,
    shape: &Shape,
    out: &mut Storage,
) -> Result<(), CpuError> {
    let values = row_major::<T>(x)?;
    let o = out.as_mut_slice::<T>().ok_or_else(missing)?;
    let (_, n, inner) = split(&x.1.view.shape, axis);
    let m = shape.dims()[axis];
    for (k, (slot, &i)) in o.iter_mut().zip(indices).enumerate() {
        // Output position k = (r, j, c) in [outer, m, inner]; the source is (r, i, c).
        let (r, c) = (k / (m * inner), k % inner);
        *slot = *values.get((r * n + i) * inner + c).ok_or_else(oob)?;
    }
    Ok(())
}

/// The line positions in sorted order (stable; descending keeps equal elements in order).
fn sorted_positions<T: Sortable>(line: &[T], descending: bool) -> Vec<usize> {
    let mut pos: Vec<usize> = (0..line.len()).collect();
    if descending {
        pos.reverse();
        pos.sort_by(|&a, &b| line[a].order(&line[b]));
        pos.reverse();
    } else {
        pos.sort_by(|&a, &b| line[a].order(&line[b]));
    }
    pos
}

fn sort<T: Sortable>(
    x: Arg<'_>,
    axis: usize,
    descending: bool,
    arg: bool,
    out: &mut Storage,
) -> Result<(), CpuError> {
    let values = row_major::<T>(x)?;
    let (outer, n, inner) = split(&x.1.view.shape, axis);
    if !arg && inner == 1 {
        // Contiguous lines sorted by value in place (no index indirection); the reverse-sort-
        // reverse rule keeps the stable descending order.
        let o = out.as_mut_slice::<T>().ok_or_else(missing)?;
        o.get_mut(..values.len())
            .ok_or_else(oob)?
            .copy_from_slice(&values);
        o.par_chunks_mut(n.max(1)).for_each(|line| {
            if descending {
                line.reverse();
                line.sort_by(T::order);
                line.reverse();
            } else {
                line.sort_by(T::order);
            }
        });
        return Ok(());
    }
    // One line per (r, c): elements (r, 0..n, c) of the row-major values.
    let line_of = |l: usize| -> Vec<T> {
        let (r, c) = (l / inner.max(1), l % inner.max(1));
        (0..n).map(|i| values[(r * n + i) * inner + c]).collect()
    };
    let lines: Vec<Vec<usize>> = (0..outer * inner)
        .into_par_iter()
        .map(|l| sorted_positions(&line_of(l), descending))
        .collect();
    let place = |l: usize, i: usize| {
        let (r, c) = (l / inner.max(1), l % inner.max(1));
        (r * n + i) * inner + c
    };
    if arg {
        let o = out.as_mut_slice::<i64>().ok_or_else(missing)?;
        for (l, pos) in lines.iter().enumerate() {
            for (i, &p) in pos.iter().enumerate() {
                *o.get_mut(place(l, i)).ok_or_else(oob)? = p as i64;
            }
        }
    } else {
        let o = out.as_mut_slice::<T>().ok_or_else(missing)?;
        for (l, pos) in lines.iter().enumerate() {
            for (i, &p) in pos.iter().enumerate() {
                *o.get_mut(place(l, i)).ok_or_else(oob)? = values[place(l, p)];
            }
        }
    }
    Ok(())
}

fn search_sorted<T: Sortable>(
    sorted: Arg<'_>,
    values: Arg<'_>,
    right: bool,
    out: &mut Storage,
) -> Result<(), CpuError> {
    let sorted = row_major::<T>(sorted)?;
    let values = row_major::<T>(values)?;
    let o = out.as_mut_slice::<i64>().ok_or_else(missing)?;
    for (slot, v) in o.iter_mut().zip(values.iter()) {
        let point = if right {
            sorted.partition_point(|s| s.order(v) != Ordering::Greater)
        } else {
            sorted.partition_point(|s| s.order(v) == Ordering::Less)
        };
        *slot = point as i64;
    }
    Ok(())
}
