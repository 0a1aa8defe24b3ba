//! Loop skeletons: a counted loop, and a loop over a flat row-major range of a multi-dimensional
//! space that hands out whole rows of the innermost dimension.
//!
//! Invariant: `range_loop` calls `row` with `n >= 1` and a multi-index whose innermost entry
//! plus `n` never exceeds that dimension's extent, so a row is contiguous in index space; the
//! flat indices of all rows together are exactly `[lo, hi)`.

use super::emit::{Emitter, R};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, Value, types};

/// The per-row callback of `range_loop`: (emitter, row start index, row length, flat index).
pub type RowFn<'c, E> = dyn FnMut(&mut E, &[Value], Value, Value) -> R<()> + 'c;

impl Emitter<'_, '_> {
    /// `for j in (start..end).step_by(step) { body(j) }`.
    pub fn counted_loop(
        &mut self,
        start: Value,
        end: Value,
        step: i64,
        body: &mut dyn FnMut(&mut Self, Value) -> R<()>,
    ) -> R<()> {
        let j = self.var(types::I64, start);
        let header = self.b.create_block();
        let block = self.b.create_block();
        let exit = self.b.create_block();
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(header);
        let cur = self.b.use_var(j);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, cur, end);
        self.b.ins().brif(more, block, &[], exit, &[]);
        self.b.switch_to_block(block);
        body(self, cur)?;
        let next = self.b.ins().iadd_imm_s(cur, step);
        self.b.def_var(j, next);
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(exit);
        Ok(())
    }

    /// `if cond { body() }`.
    pub fn if_then(&mut self, cond: Value, body: &mut dyn FnMut(&mut Self) -> R<()>) -> R<()> {
        let then = self.b.create_block();
        let exit = self.b.create_block();
        self.b.ins().brif(cond, then, &[], exit, &[]);
        self.b.switch_to_block(then);
        body(self)?;
        self.b.ins().jump(exit, &[]);
        self.b.switch_to_block(exit);
        Ok(())
    }

    /// The multi-index of a flat row-major index (`flat` < product of `dims`).
    pub fn unflatten(&mut self, flat: Value, dims: &[Value]) -> Vec<Value> {
        let mut idx = vec![flat; dims.len()];
        let mut rem = flat;
        for d in (0..dims.len()).rev() {
            if d == 0 {
                idx[0] = rem;
            } else {
                idx[d] = self.b.ins().urem(rem, dims[d]);
                rem = self.b.ins().udiv(rem, dims[d]);
            }
        }
        idx
    }

    /// Visits the flat range `[lo, hi)` of the space `dims` row by row:
    /// `row(index of the row's first point, row length n, flat index of the first point)`.
    pub fn range_loop(
        &mut self,
        dims: &[Value],
        lo: Value,
        hi: Value,
        row: &mut RowFn<'_, Self>,
    ) -> R<()> {
        if dims.is_empty() {
            let nonempty = self.b.ins().icmp(IntCC::SignedLessThan, lo, hi);
            let one = self.i64c(1);
            return self.if_then(nonempty, &mut |e| row(e, &[], one, lo));
        }
        let flat = self.var(types::I64, lo);
        let header = self.b.create_block();
        let block = self.b.create_block();
        let exit = self.b.create_block();
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(header);
        let f = self.b.use_var(flat);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, f, hi);
        self.b.ins().brif(more, block, &[], exit, &[]);
        self.b.switch_to_block(block);
        let idx = self.unflatten(f, dims);
        let last = dims.len() - 1;
        let room = self.b.ins().isub(dims[last], idx[last]);
        let left = self.b.ins().isub(hi, f);
        let n = self.b.ins().smin(room, left);
        row(self, &idx, n, f)?;
        let next = self.b.ins().iadd(f, n);
        self.b.def_var(flat, next);
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(exit);
        Ok(())
    }
}
