// Part of CKernels (private: not in include/). The quantisation rules the 8-bit kernels share, so
// that the convolutions (int8_convolution.c) and the dense layers (int8_dense.c) quantise alike.
#ifndef WINGTRACK_INT8_RULES_H
#define WINGTRACK_INT8_RULES_H

#include <math.h>
#include <stdint.h>

/// An input's scale and zero point from its smallest and largest values: its range including 0 in
/// 255 steps, scale = (hi − lo) / 255 (1 when both are 0), zero = round(−lo / scale) in [0, 255].
static inline void wt_int8_input_range(float bottom, float top, float *scale, int *zero) {
    float hi = fmaxf(top, 0), lo = fminf(bottom, 0);
    float s = hi > lo ? (hi - lo) / 255 : 1;
    int z = (int)lrintf(-lo / s);
    *scale = s;
    *zero = z < 0 ? 0 : z > 255 ? 255 : z;
}

/// A weight row's scale: max |w| / 127 over its `n` values (1 for an all-zero row).
static inline float wt_int8_row_scale(const float *w, long n) {
    float m = 0;
    for (long i = 0; i < n; i++) m = fmaxf(m, fabsf(w[i]));
    return m > 0 ? m / 127 : 1;
}

/// A weight as a signed byte of its row's scale: round(w / scale) clamped to ±127.
static inline int8_t wt_int8_weight(float w, float scale) {
    long v = lrintf(w / scale);
    return (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
}

#endif
