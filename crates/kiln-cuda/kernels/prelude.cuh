// kiln CUDA prelude: element types and the scalar semantics of every elementwise op on real
// dtypes. Generated kernels call `kiln_<op>_<dtype>(...)`; the definitions follow kiln-interp's
// `scalar_ops` (the reference): integer arithmetic wraps (computed on the unsigned type), integer
// division and remainder by zero give 0, `MIN // -1` wraps to `MIN`, shifts outside `0..bits`
// give 0 or -1, `//` and `%` on floats follow NumPy's npy_divmod, maximum/minimum propagate NaN
// and order -0.0 < +0.0, `round` is half to even, float-to-integer casts saturate (NaN -> 0).
// Compiled with --fmad=false, so `a*b+c` rounds twice like the reference.
// Self-contained: NVRTC needs no include path and no standard headers.

typedef signed char i8;
typedef short i16;
typedef int i32;
typedef long long i64;
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef float f32;
typedef double f64;

#define KILN_FN static __device__ __forceinline__
// Threads per block of every kiln kernel (kiln-cuda's codegen::BLOCK).
#define KILN_BLOCK 256

// Elements per thread of the vectorised path of elementwise kernels (codegen::VEC), and the
// vector those elements travel in: one aligned load or store of sizeof(T) * N bytes.
#define KILN_VEC 4
template <typename T, int N> struct alignas(sizeof(T) * N) kiln_vec {
  T v[N];
};
KILN_FN bool kiln_aligned(const void* p, u64 bytes) { return ((u64)p % bytes) == 0; }

// `n / d` (returned) and `n % d` (in *rem) for 0 <= n and 0 < d: index arithmetic of the
// generated loops, in 32 bits whenever both fit, which is the usual case.
KILN_FN i64 kiln_divmod(i64 n, i64 d, i64* rem) {
  if ((((u64)n | (u64)d) >> 32) == 0) {
    const u32 q = (u32)n / (u32)d;
    *rem = (i64)((u32)n - q * (u32)d);
    return (i64)q;
  }
  const i64 q = n / d;
  *rem = n - q * d;
  return q;
}

// ---- signed integers: arithmetic on the unsigned type of the same width (wrap-around) ----
#define KILN_SIGNED(T, U, BITS, MIN)                                                           \
  KILN_FN T kiln_add_##T(T a, T b) { return (T)(U)((U)a + (U)b); }                               \
  KILN_FN T kiln_sub_##T(T a, T b) { return (T)(U)((U)a - (U)b); }                               \
  KILN_FN T kiln_mul_##T(T a, T b) { return (T)(U)((U)a * (U)b); }                               \
  KILN_FN T kiln_neg_##T(T a) { return (T)(U)((U)0 - (U)a); }                                    \
  KILN_FN T kiln_abs_##T(T a) { return a < 0 ? kiln_neg_##T(a) : a; }                            \
  KILN_FN T kiln_sign_##T(T a) { return (T)((a > 0) - (a < 0)); }                                \
  KILN_FN T kiln_maximum_##T(T a, T b) { return a > b ? a : b; }                                 \
  KILN_FN T kiln_minimum_##T(T a, T b) { return a < b ? a : b; }                                 \
  KILN_FN T kiln_floordiv_##T(T a, T b) {                                                        \
    if (b == 0) return 0;                                                                        \
    if (b == -1) return kiln_neg_##T(a);                                                         \
    T q = (T)(a / b);                                                                            \
    return (a % b != 0 && ((a < 0) != (b < 0))) ? (T)(q - 1) : q;                                \
  }                                                                                              \
  KILN_FN T kiln_rem_##T(T a, T b) {                                                             \
    if (b == 0 || b == -1) return 0;                                                             \
    T r = (T)(a % b);                                                                            \
    return (r != 0 && ((r < 0) != (b < 0))) ? (T)(r + b) : r;                                    \
  }                                                                                              \
  KILN_FN T kiln_pow_##T(T base, T e) {                                                          \
    if (e < 0) return base == 1 ? (T)1 : (base == -1 ? (T)((e & 1) ? -1 : 1) : (T)0);            \
    U r = 1, s = (U)base;                                                                        \
    for (U k = (U)e; k != 0; k >>= 1) {                                                          \
      if (k & 1) r = (U)(r * s);                                                                 \
      s = (U)(s * s);                                                                            \
    }                                                                                            \
    return (T)r;                                                                                 \
  }                                                                                              \
  KILN_FN T kiln_shl_##T(T a, T b) { return (b >= 0 && b < BITS) ? (T)(U)((U)a << b) : (T)0; }  \
  KILN_FN T kiln_shr_##T(T a, T b) {                                                             \
    return (b >= 0 && b < BITS) ? (T)(a >> b) : (T)(a < 0 ? -1 : 0);                             \
  }                                                                                              \
  KILN_FN T kiln_min_value_##T() { return (T)(MIN); }

// ---- unsigned integers ----
#define KILN_UNSIGNED(T, BITS)                                                                   \
  KILN_FN T kiln_add_##T(T a, T b) { return (T)(a + b); }                                        \
  KILN_FN T kiln_sub_##T(T a, T b) { return (T)(a - b); }                                        \
  KILN_FN T kiln_mul_##T(T a, T b) { return (T)(a * b); }                                        \
  KILN_FN T kiln_neg_##T(T a) { return (T)(0 - a); }                                             \
  KILN_FN T kiln_abs_##T(T a) { return a; }                                                      \
  KILN_FN T kiln_sign_##T(T a) { return (T)(a > 0); }                                            \
  KILN_FN T kiln_maximum_##T(T a, T b) { return a > b ? a : b; }                                 \
  KILN_FN T kiln_minimum_##T(T a, T b) { return a < b ? a : b; }                                 \
  KILN_FN T kiln_floordiv_##T(T a, T b) { return b == 0 ? (T)0 : (T)(a / b); }                   \
  KILN_FN T kiln_rem_##T(T a, T b) { return b == 0 ? (T)0 : (T)(a % b); }                        \
  KILN_FN T kiln_pow_##T(T base, T e) {                                                          \
    T r = 1, s = base;                                                                           \
    for (T k = e; k != 0; k >>= 1) {                                                             \
      if (k & 1) r = (T)(r * s);                                                                 \
      s = (T)(s * s);                                                                            \
    }                                                                                            \
    return r;                                                                                    \
  }                                                                                              \
  KILN_FN T kiln_shl_##T(T a, T b) { return b < BITS ? (T)(a << b) : (T)0; }                     \
  KILN_FN T kiln_shr_##T(T a, T b) { return b < BITS ? (T)(a >> b) : (T)0; }                     \
  KILN_FN T kiln_min_value_##T() { return (T)0; }

KILN_SIGNED(i8, u8, 8, -128)
KILN_SIGNED(i16, u16, 16, -32768)
KILN_SIGNED(i32, u32, 32, -2147483647 - 1)
KILN_SIGNED(i64, u64, 64, -9223372036854775807LL - 1)
KILN_UNSIGNED(u8, 8)
KILN_UNSIGNED(u16, 16)
KILN_UNSIGNED(u32, 32)
KILN_UNSIGNED(u64, 64)

KILN_FN i8 kiln_max_value_i8() { return 127; }
KILN_FN i16 kiln_max_value_i16() { return 32767; }
KILN_FN i32 kiln_max_value_i32() { return 2147483647; }
KILN_FN i64 kiln_max_value_i64() { return 9223372036854775807LL; }
KILN_FN u8 kiln_max_value_u8() { return 255; }
KILN_FN u16 kiln_max_value_u16() { return 65535; }
KILN_FN u32 kiln_max_value_u32() { return 4294967295u; }
KILN_FN u64 kiln_max_value_u64() { return 18446744073709551615ull; }

// ---- real floats (S: the C math suffix, `f` for float and empty for double) ----
#define KILN_FLOAT(T, S, UBITS, AS_BITS, FROM_BITS)                                              \
  KILN_FN T kiln_sign_##T(T x) { return x != x ? x : (x > 0 ? (T)1 : (x < 0 ? (T)-1 : (T)0)); }  \
  KILN_FN T kiln_maximum_##T(T a, T b) {                                                         \
    if (a != a) return a;                                                                        \
    if (b != b) return b;                                                                        \
    return (a > b || (a == b && !signbit(a))) ? a : b;                                           \
  }                                                                                              \
  KILN_FN T kiln_minimum_##T(T a, T b) {                                                         \
    if (a != a) return a;                                                                        \
    if (b != b) return b;                                                                        \
    return (a < b || (a == b && signbit(a))) ? a : b;                                            \
  }                                                                                              \
  KILN_FN T kiln_logaddexp_##T(T a, T b) {                                                       \
    if (a == b) return a + (T)0.693147180559945309417232121458176568;                            \
    T d = a - b;                                                                                 \
    if (d > 0) return a + log1p##S(exp##S(-d));                                                  \
    if (d <= 0) return b + log1p##S(exp##S(d));                                                  \
    return d;                                                                                    \
  }                                                                                              \
  /* NumPy's npy_divmod in the operands' precision: (floor quotient, remainder). */              \
  KILN_FN T kiln_divmod_##T(T a, T b, T* rem_out) {                                              \
    T rem = fmod##S(a, b);                                                                       \
    if (b == 0) {                                                                                \
      *rem_out = rem;                                                                            \
      return a / b;                                                                              \
    }                                                                                            \
    T div = (a - rem) / b;                                                                       \
    if (rem != 0) {                                                                              \
      if ((b < 0) != (rem < 0)) {                                                                \
        rem += b;                                                                                \
        div -= 1;                                                                                \
      }                                                                                          \
    } else {                                                                                     \
      rem = copysign##S((T)0, b);                                                                \
    }                                                                                            \
    *rem_out = rem;                                                                              \
    if (div != 0) {                                                                              \
      T f = floor##S(div);                                                                       \
      return (div - f > (T)0.5) ? f + 1 : f;                                                     \
    }                                                                                            \
    return copysign##S((T)0, a / b);                                                             \
  }                                                                                              \
  KILN_FN T kiln_floordiv_##T(T a, T b) {                                                        \
    if (isinf(a) || isinf(b)) return floor##S(a / b);                                            \
    T r;                                                                                         \
    return kiln_divmod_##T(a, b, &r);                                                            \
  }                                                                                              \
  KILN_FN T kiln_rem_##T(T a, T b) {                                                             \
    T r;                                                                                         \
    kiln_divmod_##T(a, b, &r);                                                                   \
    return r;                                                                                    \
  }                                                                                              \
  KILN_FN T kiln_nextafter_##T(T a, T b) {                                                       \
    if (a != a || b != b) return a + b;                                                          \
    if (a == b) return b;                                                                        \
    if (a == 0) return copysign##S(FROM_BITS(1), b);                                             \
    UBITS bits = (UBITS)AS_BITS(a);                                                              \
    bool away = (b > a) == (a > 0);                                                              \
    return FROM_BITS(away ? bits + 1 : bits - 1);                                                \
  }

KILN_FLOAT(f32, f, unsigned int, __float_as_uint, __uint_as_float)
KILN_FLOAT(f64, , unsigned long long, __double_as_longlong, __longlong_as_double)

// Float -> integer: saturate, NaN -> 0 (Rust `as`, the reference's rule). `v` is the value as
// double (exact for f32 sources).
#define KILN_F2I(T, LO, HI)                                                                      \
  KILN_FN T kiln_f2i_##T(f64 v) {                                                                \
    if (v != v) return (T)0;                                                                     \
    if (v <= (f64)(LO)) return (T)(LO);                                                          \
    if (v >= (f64)(HI)) return (T)(HI);                                                          \
    return (T)v;                                                                                 \
  }
KILN_F2I(i8, -128, 127)
KILN_F2I(i16, -32768, 32767)
KILN_F2I(i32, -2147483647 - 1, 2147483647)
KILN_F2I(u8, 0, 255)
KILN_F2I(u16, 0, 65535)
KILN_F2I(u32, 0, 4294967295u)
KILN_FN i64 kiln_f2i_i64(f64 v) {
  if (v != v) return 0;
  if (v <= -9223372036854775808.0) return (i64)(-9223372036854775807LL - 1);
  if (v >= 9223372036854775808.0) return 9223372036854775807LL;
  return (i64)v;
}
KILN_FN u64 kiln_f2i_u64(f64 v) {
  if (v != v || v <= 0.0) return 0;
  if (v >= 18446744073709551616.0) return 18446744073709551615ull;
  return (u64)v;
}
