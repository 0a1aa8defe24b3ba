// Host stand-ins for the CUDA built-ins the generated code uses, so a translation unit of
// generated kernels compiles with a host C++ compiler and runs as one block of one thread
// (the grid-stride loops then cover the whole space; block reductions reduce one partial).
// Test-only: it checks the generated code's semantics (ops, casts, addressing, epilogues)
// against the reference interpreter on a machine without a GPU.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>
#define __device__
#define __global__
#define __forceinline__ inline
#define __launch_bounds__(x)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
struct kiln_dim3 {
  unsigned x;
};
static const kiln_dim3 threadIdx{0}, blockIdx{0}, blockDim{1}, gridDim{1};
static inline void __syncthreads() {}
template <class T> static inline T __shfl_down_sync(unsigned, T v, int) { return v; }
static inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
static inline float __int_as_float(int u) { float f; memcpy(&f, &u, 4); return f; }
static inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
static inline double __longlong_as_double(long long u) { double f; memcpy(&f, &u, 8); return f; }
static inline long long __double_as_longlong(double f) { long long u; memcpy(&u, &f, 8); return u; }
using std::isfinite;
using std::isinf;
using std::isnan;
using std::signbit;
