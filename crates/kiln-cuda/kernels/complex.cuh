// kiln CUDA complex types and functions. As in the reference (kiln-interp + kiln-cmath), every
// complex64 function is computed in complex128 and rounded per component; products are the
// textbook formula, division is Smith's (NumPy's nc_quot), pow is exp(b * log a) with
// z**0 = 1 and 0**w = 0 (w real positive) or NaN, sign is z/|z| (0 for 0), round rounds both
// parts half to even, and tanh(±inf + yj) = ±1 + 0j (the Array API). The transcendentals use
// the usual closed forms with the main C99 Annex G special cases (signed zeros of real inputs,
// infinite real parts of exp); other special values may differ from glibc in sign or NaN-ness.

#define KILN_COMPLEX

struct __align__(8) c64 {
  f32 re, im;
};
struct __align__(16) c128 {
  f64 re, im;
};

KILN_FN c128 kiln_c(f64 re, f64 im) { return c128{re, im}; }
KILN_FN c128 kiln_widen(c64 z) { return c128{(f64)z.re, (f64)z.im}; }
KILN_FN c64 kiln_narrow(c128 z) { return c64{(f32)z.re, (f32)z.im}; }

KILN_FN c128 kiln_add_c128(c128 a, c128 b) { return kiln_c(a.re + b.re, a.im + b.im); }
KILN_FN c128 kiln_sub_c128(c128 a, c128 b) { return kiln_c(a.re - b.re, a.im - b.im); }
KILN_FN c128 kiln_mul_c128(c128 a, c128 b) {
  return kiln_c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
}
KILN_FN c128 kiln_div_c128(c128 a, c128 b) {
  f64 br = fabs(b.re), bi = fabs(b.im);
  if (br >= bi) {
    if (br == 0 && bi == 0) return kiln_c(a.re / br, a.im / br);
    f64 rat = b.im / b.re, scl = 1.0 / (b.re + b.im * rat);
    return kiln_c((a.re + a.im * rat) * scl, (a.im - a.re * rat) * scl);
  }
  f64 rat = b.re / b.im, scl = 1.0 / (b.im + b.re * rat);
  return kiln_c((a.re * rat + a.im) * scl, (a.im * rat - a.re) * scl);
}
KILN_FN c128 kiln_neg_c128(c128 z) { return kiln_c(-z.re, -z.im); }
KILN_FN c128 kiln_conj_c128(c128 z) { return kiln_c(z.re, -z.im); }
KILN_FN f64 kiln_abs_c128(c128 z) { return hypot(z.re, z.im); }
KILN_FN c128 kiln_scale(c128 z, f64 s) { return kiln_c(z.re * s, z.im * s); }
// Multiplication by i and -i (exact: swaps and sign flips only).
KILN_FN c128 kiln_times_i(c128 z) { return kiln_c(-z.im, z.re); }
KILN_FN c128 kiln_times_minus_i(c128 z) { return kiln_c(z.im, -z.re); }

KILN_FN c128 kiln_exp_c128(c128 z) {
  if (isinf(z.re) && !isfinite(z.im)) {
    return z.re < 0 ? kiln_c(0.0, 0.0) : kiln_c(z.re, z.im - z.im);
  }
  if (z.im == 0) return kiln_c(exp(z.re), z.im);
  f64 e = exp(z.re), s, c;
  sincos(z.im, &s, &c);
  return kiln_c(e * c, e * s);
}
KILN_FN c128 kiln_log_c128(c128 z) { return kiln_c(log(hypot(z.re, z.im)), atan2(z.im, z.re)); }
KILN_FN c128 kiln_log2_c128(c128 z) {
  return kiln_scale(kiln_log_c128(z), 1.0 / 0.693147180559945309417232121458176568);
}
KILN_FN c128 kiln_log10_c128(c128 z) {
  return kiln_scale(kiln_log_c128(z), 1.0 / 2.30258509299404568401799145468436421);
}
KILN_FN c128 kiln_sqrt_c128(c128 z) {
  if (z.re == 0 && z.im == 0) return kiln_c(0.0, z.im);
  if (isinf(z.im)) return kiln_c(fabs(z.im), z.im);
  if (isinf(z.re) && z.re < 0 && !isnan(z.im)) return kiln_c(0.0, copysign(z.re * -1, z.im));
  if (isinf(z.re) && z.re > 0) return kiln_c(z.re, isnan(z.im) ? z.im : copysign(0.0, z.im));
  // Scale to avoid overflow in |z| + |re|.
  f64 t = sqrt(0.5 * (fabs(z.re) + hypot(z.re, z.im)));
  if (z.re >= 0) return kiln_c(t, z.im / (2 * t));
  return kiln_c(fabs(z.im) / (2 * t), copysign(t, z.im));
}
KILN_FN c128 kiln_sinh_c128(c128 z) {
  if (z.im == 0) return kiln_c(sinh(z.re), z.im);
  if (z.re == 0 && !isfinite(z.im)) return kiln_c(z.re, z.im - z.im);
  f64 s, c;
  sincos(z.im, &s, &c);
  return kiln_c(sinh(z.re) * c, cosh(z.re) * s);
}
KILN_FN c128 kiln_cosh_c128(c128 z) {
  if (z.im == 0) return kiln_c(cosh(z.re), z.re == 0 ? 0.0 * z.im : copysign(0.0, z.re) * z.im);
  if (z.re == 0 && !isfinite(z.im)) return kiln_c(z.im - z.im, 0.0);
  f64 s, c;
  sincos(z.im, &s, &c);
  return kiln_c(cosh(z.re) * c, sinh(z.re) * s);
}
KILN_FN c128 kiln_tanh_c128(c128 z) {
  if (isinf(z.re) && isfinite(z.im)) return kiln_c(copysign(1.0, z.re), copysign(0.0, z.im));
  if (z.im == 0) return kiln_c(tanh(z.re), z.im);
  if (z.re == 0 && !isfinite(z.im)) return kiln_c(z.re, z.im - z.im);
  if (!isfinite(z.im)) {
    if (isinf(z.re)) return kiln_c(copysign(1.0, z.re), 0.0);
    return kiln_c(z.im - z.im, z.im - z.im);
  }
  if (fabs(z.re) > 22) {
    f64 e = exp(-2 * fabs(z.re));
    return kiln_c(copysign(1.0, z.re), 4 * sin(z.im) * cos(z.im) * e);
  }
  // Kahan's formula.
  f64 t = tan(z.im), s = sinh(z.re), beta = 1 + t * t, rho = sqrt(1 + s * s);
  f64 den = 1 + beta * s * s;
  return kiln_c(beta * rho * s / den, t / den);
}
KILN_FN c128 kiln_sin_c128(c128 z) { return kiln_times_minus_i(kiln_sinh_c128(kiln_times_i(z))); }
KILN_FN c128 kiln_cos_c128(c128 z) { return kiln_cosh_c128(kiln_times_i(z)); }
KILN_FN c128 kiln_tan_c128(c128 z) { return kiln_times_minus_i(kiln_tanh_c128(kiln_times_i(z))); }
KILN_FN c128 kiln_asinh_c128(c128 z) {
  if (z.im == 0) return kiln_c(asinh(z.re), z.im);
  // asinh is odd: evaluate with a non-negative real part to avoid cancellation.
  bool flip = z.re < 0 || (z.re == 0 && signbit(z.re));
  c128 w = flip ? kiln_neg_c128(z) : z;
  c128 r;
  if (hypot(w.re, w.im) > 1e150) {
    r = kiln_log_c128(w);
    r.re += 0.693147180559945309417232121458176568;
  } else {
    // w*w + 1 adds to the real part only, so the sign of a zero imaginary part (the side of
    // the branch cut) survives.
    c128 ww = kiln_mul_c128(w, w);
    c128 s = kiln_sqrt_c128(kiln_c(ww.re + 1, ww.im));
    r = kiln_log_c128(kiln_add_c128(w, s));
  }
  return flip ? kiln_neg_c128(r) : r;
}
KILN_FN c128 kiln_asin_c128(c128 z) { return kiln_times_minus_i(kiln_asinh_c128(kiln_times_i(z))); }
KILN_FN c128 kiln_acos_c128(c128 z) {
  c128 a = kiln_asin_c128(z);
  return kiln_c(1.57079632679489661923132169163975144 - a.re, -a.im);
}
KILN_FN c128 kiln_acosh_c128(c128 z) {
  // Large or infinite |z|: acosh(z) = log(2z) to double precision (and no inf * 0).
  if (isinf(z.re) || isinf(z.im) || hypot(z.re, z.im) > 1e150) {
    c128 l = kiln_log_c128(z);
    return kiln_c(l.re + 0.693147180559945309417232121458176568, l.im);
  }
  // acosh(z) = log(z + sqrt(z + 1) * sqrt(z - 1)), principal branch.
  c128 a = kiln_sqrt_c128(kiln_c(z.re + 1, z.im));
  c128 b = kiln_sqrt_c128(kiln_c(z.re - 1, z.im));
  return kiln_log_c128(kiln_add_c128(z, kiln_mul_c128(a, b)));
}
KILN_FN c128 kiln_log1p_c128(c128 z) {
  if (!(isfinite(z.re) && isfinite(z.im))) return kiln_log_c128(kiln_c(z.re + 1, z.im));
  return kiln_c(log(hypot(z.re + 1, z.im)), atan2(z.im, z.re + 1));
}
KILN_FN c128 kiln_atanh_c128(c128 z) {
  if (z.im == 0 && fabs(z.re) <= 1) return kiln_c(atanh(z.re), z.im);
  const f64 half_pi = 1.57079632679489661923132169163975144;
  if (isinf(z.im) && !isnan(z.re)) return kiln_c(copysign(0.0, z.re), copysign(half_pi, z.im));
  if (isinf(z.re) && isfinite(z.im)) return kiln_c(copysign(0.0, z.re), copysign(half_pi, z.im));
  if (z.re == 0 && isnan(z.im)) return kiln_c(z.re, z.im);
  c128 a = kiln_log1p_c128(z), b = kiln_log1p_c128(kiln_neg_c128(z));
  return kiln_scale(kiln_sub_c128(a, b), 0.5);
}
KILN_FN c128 kiln_atan_c128(c128 z) { return kiln_times_minus_i(kiln_atanh_c128(kiln_times_i(z))); }
KILN_FN c128 kiln_expm1_c128(c128 z) {
  if (!(isfinite(z.re) && isfinite(z.im))) {
    c128 e = kiln_exp_c128(z);
    return kiln_c(e.re - 1, e.im);
  }
  if (z.im == 0) return kiln_c(expm1(z.re), z.im);
  f64 h = sin(z.im / 2);
  return kiln_c(expm1(z.re) * cos(z.im) - 2 * h * h, exp(z.re) * sin(z.im));
}
KILN_FN c128 kiln_sign_c128(c128 z) {
  if (z.re == 0 && z.im == 0) return kiln_c(0.0, 0.0);
  f64 n = hypot(z.re, z.im);
  return kiln_c(z.re / n, z.im / n);
}
KILN_FN c128 kiln_round_c128(c128 z) { return kiln_c(rint(z.re), rint(z.im)); }
KILN_FN c128 kiln_pow_c128(c128 a, c128 b) {
  if (b.re == 0 && b.im == 0) return kiln_c(1.0, 0.0);
  if (a.re == 0 && a.im == 0) {
    if (b.re > 0 && b.im == 0) return kiln_c(0.0, 0.0);
    f64 nan = __longlong_as_double(0x7ff8000000000000LL);
    return kiln_c(nan, nan);
  }
  return kiln_exp_c128(kiln_mul_c128(b, kiln_log_c128(a)));
}
KILN_FN bool kiln_isnan_c128(c128 z) { return isnan(z.re) || isnan(z.im); }
KILN_FN bool kiln_isinf_c128(c128 z) { return isinf(z.re) || isinf(z.im); }
KILN_FN bool kiln_isfinite_c128(c128 z) { return isfinite(z.re) && isfinite(z.im); }
KILN_FN bool kiln_eq_c128(c128 a, c128 b) { return a.re == b.re && a.im == b.im; }

// complex64: widen, compute in complex128, round per component.
#define KILN_C64_UNARY(NAME)                                                                     \
  KILN_FN c64 kiln_##NAME##_c64(c64 z) { return kiln_narrow(kiln_##NAME##_c128(kiln_widen(z))); }
#define KILN_C64_BINARY(NAME)                                                                    \
  KILN_FN c64 kiln_##NAME##_c64(c64 a, c64 b) {                                                  \
    return kiln_narrow(kiln_##NAME##_c128(kiln_widen(a), kiln_widen(b)));                        \
  }
#define KILN_C64_PRED(NAME)                                                                      \
  KILN_FN bool kiln_##NAME##_c64(c64 z) { return kiln_##NAME##_c128(kiln_widen(z)); }

KILN_C64_UNARY(neg) KILN_C64_UNARY(conj) KILN_C64_UNARY(exp) KILN_C64_UNARY(log)
KILN_C64_UNARY(log2) KILN_C64_UNARY(log10) KILN_C64_UNARY(sqrt) KILN_C64_UNARY(sinh)
KILN_C64_UNARY(cosh) KILN_C64_UNARY(tanh) KILN_C64_UNARY(sin) KILN_C64_UNARY(cos)
KILN_C64_UNARY(tan) KILN_C64_UNARY(asinh) KILN_C64_UNARY(asin) KILN_C64_UNARY(acos)
KILN_C64_UNARY(acosh) KILN_C64_UNARY(atanh) KILN_C64_UNARY(atan) KILN_C64_UNARY(log1p)
KILN_C64_UNARY(expm1) KILN_C64_UNARY(sign) KILN_C64_UNARY(round)
KILN_C64_BINARY(add) KILN_C64_BINARY(sub) KILN_C64_BINARY(mul) KILN_C64_BINARY(div)
KILN_C64_BINARY(pow)
KILN_C64_PRED(isnan) KILN_C64_PRED(isinf) KILN_C64_PRED(isfinite)
KILN_FN f32 kiln_abs_c64(c64 z) { return (f32)kiln_abs_c128(kiln_widen(z)); }
KILN_FN bool kiln_eq_c64(c64 a, c64 b) { return a.re == b.re && a.im == b.im; }
