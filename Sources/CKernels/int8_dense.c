#include "int8_dense.h"
#include "int8_rules.h"
#include <math.h>
#include <string.h>

int wt_int8_dense_input_dwords(int k) { return (k + 3) / 4; }

long wt_int8_dense_packed_bytes(int rows, int k) { return (long)((rows + 15) / 16) * wt_int8_dense_input_dwords(k) * 64; }

void wt_int8_dense_pack(const float *w, int rows, int k, int8_t *packed, float *scales, int32_t *weight_sums) {
    long dwords = wt_int8_dense_input_dwords(k);
    memset(packed, 0, (size_t)wt_int8_dense_packed_bytes(rows, k));
    for (int r = 0; r < rows; r++) {
        const float *row = w + (long)r * k;
        float s = wt_int8_row_scale(row, k);
        scales[r] = s;
        int32_t sum = 0;
        for (int i = 0; i < k; i++) {
            int8_t b = wt_int8_weight(row[i], s);
            packed[((r / 16) * dwords + i / 4) * 64 + (r % 16) * 4 + i % 4] = b;
            sum += b;
        }
        weight_sums[r] = sum;
    }
}

int wt_int8_dense_quantise(const float *x, int k, uint32_t *q, float *scale, int *zero) {
    float top = 0, bottom = 0;
    for (int i = 0; i < k; i++) {
        if (!isfinite(x[i])) return 0;
        top = fmaxf(top, x[i]); bottom = fminf(bottom, x[i]);
    }
    float s;
    int z;
    wt_int8_input_range(bottom, top, &s, &z);
    *scale = s; *zero = z;
    uint8_t *bytes = (uint8_t *)q;
    float inv = 1 / s;
    for (int i = 0; i < k; i++) {
        long v = lrintf(x[i] * inv) + z;
        bytes[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    for (int i = k; i < 4 * wt_int8_dense_input_dwords(k); i++) bytes[i] = (uint8_t)z;
    return 1;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

TARGET void wt_int8_dense(const uint32_t *q, int k, const int8_t *packed, const float *scales, const int32_t *weight_sums,
                          int rows, float input_scale, int zero, int r0, int r1, float *y) {
    const int dwords = wt_int8_dense_input_dwords(k);
    if (r1 > rows) r1 = rows;
    for (int r = r0; r < r1; r += 16) {
        const int8_t *block = packed + (long)(r / 16) * dwords * 64;
        // Four accumulators, so that consecutive vpdpbusd do not wait on each other.
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        int j = 0;
        for (; j + 4 <= dwords; j += 4) {
            a0 = _mm512_dpbusd_epi32(a0, _mm512_set1_epi32((int)q[j]), _mm512_loadu_si512(block + (long)j * 64));
            a1 = _mm512_dpbusd_epi32(a1, _mm512_set1_epi32((int)q[j + 1]), _mm512_loadu_si512(block + (long)(j + 1) * 64));
            a2 = _mm512_dpbusd_epi32(a2, _mm512_set1_epi32((int)q[j + 2]), _mm512_loadu_si512(block + (long)(j + 2) * 64));
            a3 = _mm512_dpbusd_epi32(a3, _mm512_set1_epi32((int)q[j + 3]), _mm512_loadu_si512(block + (long)(j + 3) * 64));
        }
        for (; j < dwords; j++)
            a0 = _mm512_dpbusd_epi32(a0, _mm512_set1_epi32((int)q[j]), _mm512_loadu_si512(block + (long)j * 64));
        __m512i sum = _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3));
        int n = r1 - r < 16 ? r1 - r : 16;
        __mmask16 m = (__mmask16)((1u << n) - 1);
        __m512i ws = _mm512_maskz_loadu_epi32(m, weight_sums + r);
        sum = _mm512_sub_epi32(sum, _mm512_mullo_epi32(ws, _mm512_set1_epi32(zero)));
        __m512 sc = _mm512_mul_ps(_mm512_set1_ps(input_scale), _mm512_maskz_loadu_ps(m, scales + r));
        _mm512_mask_storeu_ps(y + r, m, _mm512_mul_ps(sc, _mm512_cvtepi32_ps(sum)));
    }
}

#else

void wt_int8_dense(const uint32_t *q, int k, const int8_t *packed, const float *scales, const int32_t *weight_sums,
                   int rows, float input_scale, int zero, int r0, int r1, float *y) {
    (void)q; (void)k; (void)packed; (void)scales; (void)weight_sums; (void)rows; (void)input_scale; (void)zero;
    (void)r0; (void)r1; (void)y;
}

#endif
