#include "int8_convolution.h"
#include "int8_rules.h"
#include <math.h>
#include <string.h>

long wt_int8_plane_dwords(int height, int width) {
    long used = 1 + (long)(height + 2) * (width + 1) + 32;   // leading zero, padded rows, over-read slack
    return (used + 15) / 16 * 16;
}

int wt_int8_groups(int channels) { return (channels + 3) / 4; }

long wt_int8_packed_bytes(int rows, int channels) { return 36L * wt_int8_groups(channels) * rows; }

/// Both packings: dword (row r, tap t, group g) at [((r / block)·9·groups + t·groups + g)·block + r mod block].
static void pack_weights(const float *w, int rows, int channels, int block, int8_t *packed, float *scales, int32_t *weight_sums) {
    int groups = wt_int8_groups(channels);
    long taps = 9L * channels;
    memset(packed, 0, (size_t)wt_int8_packed_bytes(rows, channels));
    for (int r = 0; r < rows; r++) {
        float s = wt_int8_row_scale(w + r * taps, taps);
        scales[r] = s;
        int32_t sum = 0;
        for (int c = 0; c < channels; c++)
            for (int t = 0; t < 9; t++) {
                int8_t b = wt_int8_weight(w[r * taps + c * 9 + t], s);
                packed[((((long)(r / block) * 9 + t) * groups + c / 4) * block + r % block) * 4 + c % 4] = b;
                sum += b;
            }
        weight_sums[r] = sum;
    }
}

void wt_int8_pack_weights(const float *w, int rows, int channels, int8_t *packed, float *scales, int32_t *weight_sums) {
    pack_weights(w, rows, channels, 8, packed, scales, weight_sums);
}

void wt_int8_pack_weights_lanes(const float *w, int rows, int channels, int8_t *packed, float *scales, int32_t *weight_sums) {
    pack_weights(w, rows, channels, 16, packed, scales, weight_sums);
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

int wt_int8_supported(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 27) & 1)) return 0;   // OSXSAVE
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6) != 0xe6) return 0;                                    // zmm state enabled
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1, vnni = (c >> 11) & 1;
    return f && dq && bw && vl && vnni;
}

TARGET int wt_int8_quantise(const float *x, int channels, int height, int width, uint32_t *q, float *scale, int *zero) {
    long count = (long)channels * height * width;
    __m512 mx = _mm512_setzero_ps(), mn = _mm512_setzero_ps();
    __mmask16 bad = 0;
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        bad |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        mx = _mm512_max_ps(mx, v); mn = _mm512_min_ps(mn, v);
    }
    float top = _mm512_reduce_max_ps(mx), bottom = _mm512_reduce_min_ps(mn);
    for (; i < count; i++) {
        if (isnan(x[i])) bad = 1;
        top = fmaxf(top, x[i]); bottom = fminf(bottom, x[i]);
    }
    if (bad || !(top <= 3.0e38f) || !(bottom >= -3.0e38f)) return 0;
    float s;
    int z;
    wt_int8_input_range(bottom, top, &s, &z);
    *scale = s; *zero = z;
    __m512 inv = _mm512_set1_ps(1 / s);
    __m512i zv = _mm512_set1_epi32(z), lowest = _mm512_setzero_si512(), highest = _mm512_set1_epi32(255);
    uint32_t pad = (uint32_t)z * 0x01010101u;
    int rowLength = width + 1;
    long plane = wt_int8_plane_dwords(height, width), cs = (long)height * width;
    for (int g = 0; g < wt_int8_groups(channels); g++) {
        uint32_t *p = q + g * plane;
        // The padding: the leading dword, the rows above and below, each row's trailing dword.
        p[0] = pad;
        for (int i = 0; i < rowLength; i++) { p[1 + i] = pad; p[1 + (long)(height + 1) * rowLength + i] = pad; }
        for (int y = 0; y < height; y++) p[1 + (long)(y + 1) * rowLength + width] = pad;
        for (int y = 0; y < height; y++) {
            uint32_t *dst = p + 1 + (long)(y + 1) * rowLength;
            for (int x0 = 0; x0 < width; x0 += 16) {
                __mmask16 m = width - x0 >= 16 ? 0xffff : (__mmask16)((1u << (width - x0)) - 1);
                __m512i packed = _mm512_setzero_si512();
                for (int i = 0; i < 4; i++) {
                    int c = 4 * g + i;
                    __m512i b = zv;
                    if (c < channels) {
                        __m512 v = _mm512_maskz_loadu_ps(m, x + c * cs + (long)y * width + x0);
                        b = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v, inv)), zv);
                        b = _mm512_min_epi32(_mm512_max_epi32(b, lowest), highest);
                    }
                    packed = _mm512_or_si512(packed, _mm512_slli_epi32(b, 8 * i));
                }
                _mm512_mask_storeu_epi32(dst + x0, m, packed);
            }
        }
    }
    return 1;
}

/// An 8-row × NR-vector tile (NR·16 outputs from j0; the last vector's stores masked by `last`).
static inline __attribute__((always_inline)) TARGET
void tile(int NR, const uint32_t *q, int groups, long plane, int rowLength, const int32_t *w,
          long j0, __mmask16 last, const float *rowScales, const int32_t *weightSums, int zero, float inputScale,
          float *sums, long stride) {
    __m512i acc[8][3];
    for (int r = 0; r < 8; r++) for (int v = 0; v < NR; v++) acc[r][v] = _mm512_setzero_si512();
    for (int t = 0; t < 9; t++) {
        long off = j0 + (t / 3) * rowLength + t % 3;
        const int32_t *wt = w + (long)t * groups * 8;
        for (int g = 0; g < groups; g++) {
            const uint32_t *src = q + g * plane + off;
            const int32_t *wg = wt + (long)g * 8;
            __m512i x[3];
            for (int v = 0; v < NR; v++) x[v] = _mm512_loadu_si512(src + 16 * v);
            for (int r = 0; r < 8; r++) {
                __m512i b = _mm512_set1_epi32(wg[r]);
                for (int v = 0; v < NR; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], x[v], b);
            }
        }
    }
    for (int r = 0; r < 8; r++) {
        __m512 s = _mm512_set1_ps(inputScale * rowScales[r]);
        __m512i offset = _mm512_set1_epi32(zero * weightSums[r]);
        for (int v = 0; v < NR; v++) {
            __m512 o = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][v], offset)), s);
            float *dst = sums + r * stride + j0 + 16 * v;
            if (v == NR - 1) _mm512_mask_storeu_ps(dst, last, o); else _mm512_storeu_ps(dst, o);
        }
    }
}

TARGET void wt_int8_conv3x3(const uint32_t *q, int channel_groups, long plane_dwords, int row_length,
                            const int8_t *packed, const float *scales, const int32_t *weight_sums, int rows,
                            float input_scale, int zero, int r0, int r1, long j_begin, long j_end, float *sums, long channel_stride) {
    const int32_t *w = (const int32_t *)packed;
    if (r1 > rows) r1 = rows;
    for (int r = r0; r < r1; r += 8) {
        float *out = sums + (long)(r - r0) * channel_stride - j_begin;
        const int32_t *wr = w + (long)r * 9 * channel_groups;
        for (long j0 = j_begin; j0 < j_end; j0 += 48) {
            long left = j_end - j0;
            int vectors = left >= 48 ? 3 : (int)((left + 15) / 16);
            long tail = left - 16L * (vectors - 1);
            __mmask16 last = tail >= 16 ? 0xffff : (__mmask16)((1u << tail) - 1);
#define WT_TILE(NR) tile(NR, q, channel_groups, plane_dwords, row_length, wr, j0, last, scales + r, weight_sums + r, zero, input_scale, out, channel_stride)
            if (vectors == 3) WT_TILE(3); else if (vectors == 2) WT_TILE(2); else WT_TILE(1);
#undef WT_TILE
        }
    }
}

/// 8 output channels × rows 2py and 2py + 1 × 16 columns from x0, pooled into `count` (≤ 8) outputs.
static inline __attribute__((always_inline)) TARGET
void pooled_tile(const uint32_t *q, int groups, long plane, int rowLength, const int32_t *w, long j0, int count,
                 const float *rowScales, const int32_t *weightSums, const float *bias, int relu, int zero, float inputScale,
                 float *out, long stride) {
    __m512i a[8][2];
    for (int r = 0; r < 8; r++) { a[r][0] = _mm512_setzero_si512(); a[r][1] = a[r][0]; }
    for (int t = 0; t < 9; t++) {
        long off = j0 + (t / 3) * rowLength + t % 3;
        const int32_t *wt = w + (long)t * groups * 8;
        for (int g = 0; g < groups; g++) {
            const uint32_t *src = q + g * plane + off;
            __m512i x0 = _mm512_loadu_si512(src), x1 = _mm512_loadu_si512(src + rowLength);
            const int32_t *wg = wt + (long)g * 8;
            for (int r = 0; r < 8; r++) {
                __m512i b = _mm512_set1_epi32(wg[r]);
                a[r][0] = _mm512_dpbusd_epi32(a[r][0], x0, b);
                a[r][1] = _mm512_dpbusd_epi32(a[r][1], x1, b);
            }
        }
    }
    __mmask8 store = (__mmask8)((1u << count) - 1);
    for (int r = 0; r < 8; r++) {
        __m512i m = _mm512_max_epi32(a[r][0], a[r][1]);
        m = _mm512_max_epi32(m, _mm512_alignr_epi32(m, m, 1));          // lane i: max of columns i, i + 1
        __m256i even = _mm512_castsi512_si256(_mm512_maskz_compress_epi32(0x5555, m));
        __m256 f = _mm256_cvtepi32_ps(_mm256_sub_epi32(even, _mm256_set1_epi32(zero * weightSums[r])));
        f = _mm256_fmadd_ps(f, _mm256_set1_ps(inputScale * rowScales[r]), _mm256_set1_ps(bias[r]));
        if (relu) f = _mm256_max_ps(f, _mm256_setzero_ps());
        _mm256_mask_storeu_ps(out + r * stride, store, f);
    }
}

TARGET void wt_int8_conv3x3_pooled(const uint32_t *q, int channel_groups, long plane_dwords, int height, int width,
                                   const int8_t *packed, const float *scales, const int32_t *weight_sums, const float *bias,
                                   int relu, float input_scale, int zero, int r0, int r1, int py0, int py1, float *y) {
    const int32_t *w = (const int32_t *)packed;
    int pH = height / 2, pW = width / 2, rowLength = width + 1;
    long stride = (long)pH * pW;
    if (py1 > pH) py1 = pH;
    for (int r = r0; r < r1; r += 8) {
        const int32_t *wr = w + (long)r * 9 * channel_groups;
        for (int py = py0; py < py1; py++) {
            float *out = y + (long)r * stride + (long)py * pW;
            for (int x0 = 0; x0 < 2 * pW; x0 += 16) {
                int count = pW - x0 / 2 < 8 ? pW - x0 / 2 : 8;
                pooled_tile(q, channel_groups, plane_dwords, rowLength, wr, (long)2 * py * rowLength + x0, count,
                            scales + r, weight_sums + r, bias + r, relu, zero, input_scale, out + x0 / 2, stride);
            }
        }
    }
}

/// CV vectors of 16 output channels × 8 outputs at plane dwords `j` (dword sums of `groups`
/// channel groups over the 9 taps; weights `w` of the first block, the next CV − 1 blocks
/// `blockDwords` apart), scaled and scattered to sums + (channel − first)·stride + pos[k] for the
/// first `count` outputs.
static inline __attribute__((always_inline)) TARGET
void lanes_tile(int CV, const uint32_t *q, int groups, long plane, int rowLength, const int32_t *w, long blockDwords,
                const long *j, const long *pos, int count, const float *rowScales, const int32_t *weightSums, int zero,
                float inputScale, float *sums, long stride) {
    __m512i acc[2][8];
    for (int v = 0; v < CV; v++) for (int k = 0; k < 8; k++) acc[v][k] = _mm512_setzero_si512();
    for (int t = 0; t < 9; t++) {
        long off = (t / 3) * rowLength + t % 3;
        for (int g = 0; g < groups; g++) {
            const uint32_t *src = q + g * plane + off;
            const int32_t *wg = w + ((long)t * groups + g) * 16;
            __m512i wv[2];
            for (int v = 0; v < CV; v++) wv[v] = _mm512_loadu_si512(wg + v * blockDwords);
            for (int k = 0; k < 8; k++) {
                __m512i b = _mm512_set1_epi32((int)src[j[k]]);
                for (int v = 0; v < CV; v++) acc[v][k] = _mm512_dpbusd_epi32(acc[v][k], b, wv[v]);
            }
        }
    }
    __m512i lanes = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32((int)stride));
    for (int v = 0; v < CV; v++) {
        __m512 s = _mm512_mul_ps(_mm512_loadu_ps(rowScales + 16 * v), _mm512_set1_ps(inputScale));
        __m512i offset = _mm512_mullo_epi32(_mm512_loadu_si512(weightSums + 16 * v), _mm512_set1_epi32(zero));
        float *base = sums + 16 * v * stride;
        for (int k = 0; k < count; k++) {
            __m512 o = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[v][k], offset)), s);
            _mm512_i32scatter_ps(base + pos[k], lanes, o, 4);
        }
    }
}

TARGET void wt_int8_conv3x3_lanes(const uint32_t *q, int channel_groups, long plane_dwords, int width,
                                  const int8_t *packed, const float *scales, const int32_t *weight_sums,
                                  float input_scale, int zero, int r0, int r1, int y0, int y1, float *sums, long channel_stride) {
    const int32_t *w = (const int32_t *)packed;
    int rowLength = width + 1;
    long blockDwords = 9L * channel_groups * 16, n = (long)(y1 - y0) * width;
    for (long p0 = 0; p0 < n; p0 += 8) {
        int count = n - p0 < 8 ? (int)(n - p0) : 8;
        long j[8], pos[8];
        for (int k = 0; k < 8; k++) {
            long p = p0 + (k < count ? k : count - 1);   // a short tile repeats its last output
            long y = p / width, x = p % width;
            j[k] = (y0 + y) * rowLength + x;
            pos[k] = y * rowLength + x;
        }
        for (int r = r0; r < r1;) {
            const int32_t *wr = w + (long)(r / 16) * blockDwords;
            float *out = sums + (long)(r - r0) * channel_stride;
            if (r1 - r >= 32) {
                lanes_tile(2, q, channel_groups, plane_dwords, rowLength, wr, blockDwords, j, pos, count, scales + r, weight_sums + r,
                           zero, input_scale, out, channel_stride);
                r += 32;
            } else {
                lanes_tile(1, q, channel_groups, plane_dwords, rowLength, wr, blockDwords, j, pos, count, scales + r, weight_sums + r,
                           zero, input_scale, out, channel_stride);
                r += 16;
            }
        }
    }
}

#else

int wt_int8_supported(void) { return 0; }
int wt_int8_quantise(const float *x, int channels, int height, int width, uint32_t *q, float *scale, int *zero) {
    (void)x; (void)channels; (void)height; (void)width; (void)q; (void)scale; (void)zero; return 0;
}
void wt_int8_conv3x3(const uint32_t *q, int channel_groups, long plane_dwords, int row_length,
                     const int8_t *packed, const float *scales, const int32_t *weight_sums, int rows,
                     float input_scale, int zero, int r0, int r1, long j_begin, long j_end, float *sums, long channel_stride) {
    (void)q; (void)channel_groups; (void)plane_dwords; (void)row_length; (void)packed; (void)scales; (void)weight_sums;
    (void)rows; (void)input_scale; (void)zero; (void)r0; (void)r1; (void)j_begin; (void)j_end; (void)sums; (void)channel_stride;
}
void wt_int8_conv3x3_pooled(const uint32_t *q, int channel_groups, long plane_dwords, int height, int width,
                            const int8_t *packed, const float *scales, const int32_t *weight_sums, const float *bias,
                            int relu, float input_scale, int zero, int r0, int r1, int py0, int py1, float *y) {
    (void)q; (void)channel_groups; (void)plane_dwords; (void)height; (void)width; (void)packed; (void)scales; (void)weight_sums;
    (void)bias; (void)relu; (void)input_scale; (void)zero; (void)r0; (void)r1; (void)py0; (void)py1; (void)y;
}
void wt_int8_conv3x3_lanes(const uint32_t *q, int channel_groups, long plane_dwords, int width,
                           const int8_t *packed, const float *scales, const int32_t *weight_sums,
                           float input_scale, int zero, int r0, int r1, int y0, int y1, float *sums, long channel_stride) {
    (void)q; (void)channel_groups; (void)plane_dwords; (void)width; (void)packed; (void)scales; (void)weight_sums;
    (void)input_scale; (void)zero; (void)r0; (void)r1; (void)y0; (void)y1; (void)sums; (void)channel_stride;
}

#endif
