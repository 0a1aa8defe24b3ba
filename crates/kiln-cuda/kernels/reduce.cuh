// kiln CUDA block reductions: warp shuffles, then one partial per warp through shared memory,
// then a shuffle reduction in warp 0. Every thread of the block must call `kiln_block_reduce`
// (it synchronises); the result is valid in thread 0 only. Combination order is fixed by the
// block shape, so results are deterministic; arg reductions carry their index and break ties by
// the smaller index, so their result does not depend on the order at all.

KILN_FN int kiln_shfl(int v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
KILN_FN u32 kiln_shfl(u32 v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
KILN_FN i64 kiln_shfl(i64 v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
KILN_FN u64 kiln_shfl(u64 v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
KILN_FN f32 kiln_shfl(f32 v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
KILN_FN f64 kiln_shfl(f64 v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
KILN_FN bool kiln_shfl(bool v, int o) { return kiln_shfl((int)v, o) != 0; }
KILN_FN i8 kiln_shfl(i8 v, int o) { return (i8)kiln_shfl((int)v, o); }
KILN_FN i16 kiln_shfl(i16 v, int o) { return (i16)kiln_shfl((int)v, o); }
KILN_FN u8 kiln_shfl(u8 v, int o) { return (u8)kiln_shfl((u32)v, o); }
KILN_FN u16 kiln_shfl(u16 v, int o) { return (u16)kiln_shfl((u32)v, o); }
#ifdef KILN_COMPLEX
KILN_FN c64 kiln_shfl(c64 v, int o) { return c64{kiln_shfl(v.re, o), kiln_shfl(v.im, o)}; }
KILN_FN c128 kiln_shfl(c128 v, int o) { return c128{kiln_shfl(v.re, o), kiln_shfl(v.im, o)}; }
#endif

// Accumulator of argmax/argmin: a value and its index along the reduced axis (-1: empty).
template <class T> struct kiln_arg {
  T v;
  i64 i;
};
template <class T> KILN_FN kiln_arg<T> kiln_shfl(kiln_arg<T> a, int o) {
  return kiln_arg<T>{kiln_shfl(a.v, o), kiln_shfl(a.i, o)};
}
template <class T> KILN_FN bool kiln_isnan_any(T v) { return v != v; }

// First NaN wins, else the first maximum (`MAX`) or minimum; ties keep the smaller index.
template <bool MAX, class T> KILN_FN kiln_arg<T> kiln_arg_combine(kiln_arg<T> a, kiln_arg<T> b) {
  if (a.i < 0) return b;
  if (b.i < 0) return a;
  bool an = kiln_isnan_any(a.v), bn = kiln_isnan_any(b.v);
  if (an || bn) {
    if (an && bn) return a.i < b.i ? a : b;
    return an ? a : b;
  }
  bool a_better = MAX ? a.v > b.v : a.v < b.v;
  bool b_better = MAX ? b.v > a.v : b.v < a.v;
  if (a_better) return a;
  if (b_better) return b;
  return a.i < b.i ? a : b;
}

template <class T, class F> __device__ T kiln_block_reduce(T v, F combine) {
  __shared__ T partials[KILN_BLOCK / 32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  // Lanes of this warp that exist (a block need not be a multiple of 32 threads).
  const int rest = (int)blockDim.x - warp * 32, width = rest < 32 ? rest : 32;
  for (int o = 16; o > 0; o >>= 1) {
    T other = kiln_shfl(v, o);
    if (lane + o < width) v = combine(v, other);
  }
  if (lane == 0) partials[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) >> 5;
  if (warp == 0) {
    v = partials[lane < warps ? lane : 0];
    for (int o = 16; o > 0; o >>= 1) {
      T other = kiln_shfl(v, o);
      if (lane + o < warps) v = combine(v, other);
    }
  }
  // The partials are reused by the next row: nobody writes them before warp 0 has read them.
  __syncthreads();
  return v;
}
