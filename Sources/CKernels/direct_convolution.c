#include "direct_convolution.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f")))

/// Eight output channels (from `w`, `taps` weights each) at 16 positions of one row, `mask` of them
/// real; `src` is in(0, r − 1, x0 − 1).
TARGET static void eight_channels(const float *src, int channels, int input_row, long plane, const float *w, int taps,
                                  __mmask16 mask, float *out, long channel_stride) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int c = 0; c < channels; c++) {
        for (int ky = 0; ky < 3; ky++) {
            const float *row = src + c * plane + (long)ky * input_row;
            for (int kx = 0; kx < 3; kx++) {
                int t = (c * 3 + ky) * 3 + kx;
                __m512 v = _mm512_maskz_loadu_ps(mask, row + kx);
                a0 = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), v, a0);
                a1 = _mm512_fmadd_ps(_mm512_set1_ps(w[taps + t]), v, a1);
                a2 = _mm512_fmadd_ps(_mm512_set1_ps(w[2 * taps + t]), v, a2);
                a3 = _mm512_fmadd_ps(_mm512_set1_ps(w[3 * taps + t]), v, a3);
                a4 = _mm512_fmadd_ps(_mm512_set1_ps(w[4 * taps + t]), v, a4);
                a5 = _mm512_fmadd_ps(_mm512_set1_ps(w[5 * taps + t]), v, a5);
                a6 = _mm512_fmadd_ps(_mm512_set1_ps(w[6 * taps + t]), v, a6);
                a7 = _mm512_fmadd_ps(_mm512_set1_ps(w[7 * taps + t]), v, a7);
            }
        }
    }
    _mm512_mask_storeu_ps(out, mask, a0);
    _mm512_mask_storeu_ps(out + channel_stride, mask, a1);
    _mm512_mask_storeu_ps(out + 2 * channel_stride, mask, a2);
    _mm512_mask_storeu_ps(out + 3 * channel_stride, mask, a3);
    _mm512_mask_storeu_ps(out + 4 * channel_stride, mask, a4);
    _mm512_mask_storeu_ps(out + 5 * channel_stride, mask, a5);
    _mm512_mask_storeu_ps(out + 6 * channel_stride, mask, a6);
    _mm512_mask_storeu_ps(out + 7 * channel_stride, mask, a7);
}

/// One output channel (the last channels when fewer than eight remain).
TARGET static void one_channel(const float *src, int channels, int input_row, long plane, const float *w,
                               __mmask16 mask, float *out) {
    __m512 a = _mm512_setzero_ps();
    for (int c = 0; c < channels; c++)
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
                a = _mm512_fmadd_ps(_mm512_set1_ps(w[(c * 3 + ky) * 3 + kx]),
                                    _mm512_maskz_loadu_ps(mask, src + c * plane + (long)ky * input_row + kx), a);
    _mm512_mask_storeu_ps(out, mask, a);
}

TARGET void wt_conv3x3_direct(const float *input, int channels, int width, int input_row, long plane,
                              const float *weights, int o0, int o1, int r0, int r1,
                              float *sums, long channel_stride, long row_stride) {
    int taps = 9 * channels;
    for (int r = r0; r < r1; r++) {
        for (int x0 = 0; x0 < width; x0 += 16) {
            int n = width - x0 < 16 ? width - x0 : 16;
            __mmask16 mask = (__mmask16)((1u << n) - 1);
            const float *src = input + (long)(r - 1) * input_row + x0 - 1;
            float *out = sums + (long)(r - r0) * row_stride + x0;
            int o = o0;
            for (; o + 8 <= o1; o += 8)
                eight_channels(src, channels, input_row, plane, weights + (long)o * taps, taps, mask,
                               out + (long)(o - o0) * channel_stride, channel_stride);
            for (; o < o1; o++)
                one_channel(src, channels, input_row, plane, weights + (long)o * taps, mask, out + (long)(o - o0) * channel_stride);
        }
    }
}

#else

void wt_conv3x3_direct(const float *input, int channels, int width, int input_row, long plane,
                       const float *weights, int o0, int o1, int r0, int r1,
                       float *sums, long channel_stride, long row_stride) {
    (void)input; (void)channels; (void)width; (void)input_row; (void)plane; (void)weights;
    (void)o0; (void)o1; (void)r0; (void)r1; (void)sums; (void)channel_stride; (void)row_stride;
}

#endif
