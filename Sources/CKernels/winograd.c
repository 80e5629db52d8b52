#include "winograd.h"

#include <string.h>

// Each transform is built for AVX-512, AVX2 and plain x86-64, the best picked at load time (the
// package itself targets plain x86-64).
#if defined(__x86_64__) && defined(__clang__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

// Every loop below runs along a tile row (tx) or an image row, so that it vectorises; the plane
// values of one tile row are consecutive in each of the 16 planes.

// Columns of one row r of a tile row: (r B)[tx] into the four planes v0..v3 (input transform).
static inline __attribute__((always_inline)) void input_columns(const float *restrict r, int tw, float *restrict v0, float *restrict v1,
                          float *restrict v2, float *restrict v3) {
    for (int tx = 0; tx < tw; tx++) {
        const float *q = r + 2 * tx;
        v0[tx] = q[0] - q[2];
        v1[tx] = q[1] + q[2];
        v2[tx] = q[2] - q[1];
        v3[tx] = q[1] - q[3];
    }
}

// Columns of one row of M: (m A)[tx], the tile's two outputs, interleaved into r (output transform).
static inline __attribute__((always_inline)) void output_columns(const float *restrict m0, const float *restrict m1, const float *restrict m2,
                           const float *restrict m3, int tw, float *restrict r) {
    for (int tx = 0; tx < tw; tx++) {
        r[2 * tx] = m0[tx] + m1[tx] + m2[tx];
        r[2 * tx + 1] = m1[tx] - m2[tx] - m3[tx];
    }
}

// Columns of one row s of A dy: (s Aᵀ) into the four planes m0..m3 (output adjoint).
static inline __attribute__((always_inline)) void output_adjoint_columns(const float *restrict s, int tw, float *restrict m0, float *restrict m1,
                                   float *restrict m2, float *restrict m3) {
    for (int tx = 0; tx < tw; tx++) {
        float e = s[2 * tx], o = s[2 * tx + 1];
        m0[tx] = e;
        m1[tx] = e + o;
        m2[tx] = e - o;
        m3[tx] = -o;
    }
}

CLONES void wt_winograd_input(const float *image, int channels, int height, int width,
                       float *planes, long plane_stride, long channel_stride, float *scratch) {
    const int th = (height + 1) / 2, tw = (width + 1) / 2;
    const int ph = 2 * th + 2, pw = 2 * tw + 2;
    float *padded = scratch, *t = scratch + (long)ph * pw;
    // padded[r][s] = image[r − 1][s − 1]; the zero border is never overwritten.
    memset(padded, 0, sizeof(float) * ph * pw);
    for (int c = 0; c < channels; c++) {
        const float *src = image + (long)c * height * width;
        for (int y = 0; y < height; y++) memcpy(padded + (long)(y + 1) * pw + 1, src + (long)y * width, sizeof(float) * width);
        float *out = planes + c * channel_stride;
        for (int ty = 0; ty < th; ty++) {
            const float *d0 = padded + (long)(2 * ty) * pw, *d1 = d0 + pw, *d2 = d1 + pw, *d3 = d2 + pw;
            float *t0 = t, *t1 = t + pw, *t2 = t + 2 * pw, *t3 = t + 3 * pw;
            for (int s = 0; s < pw; s++) {   // Bᵀ d: the rows
                t0[s] = d0[s] - d2[s];
                t1[s] = d1[s] + d2[s];
                t2[s] = d2[s] - d1[s];
                t3[s] = d1[s] - d3[s];
            }
            for (int a = 0; a < 4; a++) {      // (Bᵀ d) B: the columns
                float *v0 = out + (4 * a) * plane_stride + ty * tw;
                input_columns(t + a * pw, tw, v0, v0 + plane_stride, v0 + 2 * plane_stride, v0 + 3 * plane_stride);
            }
        }
    }
}

CLONES void wt_winograd_input_adjoint(const float *planes, long plane_stride, long channel_stride,
                               int channels, int height, int width, float *dx, float *scratch) {
    const int th = (height + 1) / 2, tw = (width + 1) / 2;
    const int ph = 2 * th + 2, pw = 2 * tw + 2;
    float *padded = scratch, *q = scratch + (long)ph * pw;
    for (int c = 0; c < channels; c++) {
        memset(padded, 0, sizeof(float) * ph * pw);
        const float *in = planes + c * channel_stride;
        for (int ty = 0; ty < th; ty++) {
            // q_a = dV_a Bᵀ spread over the tile row's input columns (tiles overlap by two).
            memset(q, 0, sizeof(float) * 4 * pw);
            for (int a = 0; a < 4; a++) {
                const float *v0 = in + (4 * a) * plane_stride + ty * tw, *v1 = v0 + plane_stride;
                const float *v2 = v1 + plane_stride, *v3 = v2 + plane_stride;
                float *r = q + a * pw;
                // Even and odd tiles apart: within each pass no two tiles touch the same column.
                for (int parity = 0; parity < 2; parity++) {
                    for (int tx = parity; tx < tw; tx += 2) {
                        float *o = r + 2 * tx;
                        o[0] += v0[tx];
                        o[1] += v1[tx] - v2[tx] + v3[tx];
                        o[2] += v1[tx] + v2[tx] - v0[tx];
                        o[3] -= v3[tx];
                    }
                }
            }
            // B (q): the rows, added onto the tile row's four input rows.
            float *p0 = padded + (long)(2 * ty) * pw, *p1 = p0 + pw, *p2 = p1 + pw, *p3 = p2 + pw;
            const float *q0 = q, *q1 = q + pw, *q2 = q + 2 * pw, *q3 = q + 3 * pw;
            for (int s = 0; s < pw; s++) {
                p0[s] += q0[s];
                p1[s] += q1[s] - q2[s] + q3[s];
                p2[s] += q1[s] + q2[s] - q0[s];
                p3[s] -= q3[s];
            }
        }
        float *dst = dx + (long)c * height * width;
        for (int y = 0; y < height; y++) memcpy(dst + (long)y * width, padded + (long)(y + 1) * pw + 1, sizeof(float) * width);
    }
}

long wt_winograd_scratch(int height, int width) {
    const long th = (height + 1) / 2, tw = (width + 1) / 2;
    return (2 * th + 2) * (2 * tw + 2) + 4 * (2 * tw + 2);
}

CLONES void wt_winograd_output(const float *planes, long plane_stride, long channel_stride,
                        int channels, int height, int width, const float *bias, int relu, float *y,
                        float *scratch) {
    const int th = (height + 1) / 2, tw = (width + 1) / 2, sw = 2 * tw;
    float *r = scratch;   // the four rows of M B-columns of one tile row, then the two output rows
    for (int o = 0; o < channels; o++) {
        const float *in = planes + o * channel_stride;
        float *dst = y + (long)o * height * width;
        const float b = bias ? bias[o] : 0.0f;
        for (int ty = 0; ty < th; ty++) {
            for (int a = 0; a < 4; a++) {
                const float *m0 = in + (4 * a) * plane_stride + ty * tw;
                output_columns(m0, m0 + plane_stride, m0 + 2 * plane_stride, m0 + 3 * plane_stride, tw, r + a * sw);
            }
            // Aᵀ (·): output row 0 = r0 + r1 + r2, row 1 = r1 − r2 − r3; plus the bias, ReLU, clipped.
            const float *r0 = r, *r1 = r + sw, *r2 = r + 2 * sw, *r3 = r + 3 * sw;
            for (int k = 0; k < 2 && 2 * ty + k < height; k++) {
                float *row = dst + (long)(2 * ty + k) * width;
                if (k == 0) {
                    if (relu) for (int x = 0; x < width; x++) { float v = r0[x] + r1[x] + r2[x] + b; row[x] = v > 0 ? v : 0; }
                    else for (int x = 0; x < width; x++) row[x] = r0[x] + r1[x] + r2[x] + b;
                } else {
                    if (relu) for (int x = 0; x < width; x++) { float v = r1[x] - r2[x] - r3[x] + b; row[x] = v > 0 ? v : 0; }
                    else for (int x = 0; x < width; x++) row[x] = r1[x] - r2[x] - r3[x] + b;
                }
            }
        }
    }
}

// out[x] = g[x], or 0 where y[x] ≤ 0 when y is given, zero-filled to `padded_width`; returns the
// sum of what it wrote (in 16 partial sums, so that it vectorises).
static inline __attribute__((always_inline)) float masked_row(const float *restrict g, const float *restrict y,
                                                              int width, int padded_width, float *restrict out) {
    float acc[16] = {0};
    int x = 0;
    if (y) {
        for (; x + 16 <= width; x += 16)
            for (int l = 0; l < 16; l++) {
                float v = y[x + l] > 0 ? g[x + l] : 0;
                out[x + l] = v;
                acc[l] += v;
            }
    } else {
        for (; x + 16 <= width; x += 16)
            for (int l = 0; l < 16; l++) {
                out[x + l] = g[x + l];
                acc[l] += g[x + l];
            }
    }
    float sum = 0;
    for (int l = 0; l < 16; l++) sum += acc[l];
    for (; x < width; x++) {
        float v = y && !(y[x] > 0) ? 0 : g[x];
        out[x] = v;
        sum += v;
    }
    for (; x < padded_width; x++) out[x] = 0;
    return sum;
}

CLONES void wt_winograd_output_adjoint(const float *dy, const float *y, int channels, int height, int width,
                                       float *planes, long plane_stride, long channel_stride, float *bias_grad,
                                       float *scratch) {
    const int th = (height + 1) / 2, tw = (width + 1) / 2, sw = 2 * tw;
    float *s = scratch;                                   // the four rows of A dy of one tile row
    float *g0 = scratch + 4 * sw, *g1 = scratch + 5 * sw;   // its two rows of dy, masked
    for (int o = 0; o < channels; o++) {
        const long at = (long)o * height * width;
        float *out = planes + o * channel_stride;
        float sum = 0;
        for (int ty = 0; ty < th; ty++) {
            const long row = at + (long)(2 * ty) * width;
            sum += masked_row(dy + row, y ? y + row : NULL, width, sw, g0);
            if (2 * ty + 1 < height) sum += masked_row(dy + row + width, y ? y + row + width : NULL, width, sw, g1);
            else memset(g1, 0, sizeof(float) * sw);
            // A dy: s0 = dy0, s1 = dy0 + dy1, s2 = dy0 − dy1, s3 = −dy1.
            float *s0 = s, *s1 = s + sw, *s2 = s + 2 * sw, *s3 = s + 3 * sw;
            for (int x = 0; x < sw; x++) {
                float a = g0[x], c = g1[x];
                s0[x] = a; s1[x] = a + c; s2[x] = a - c; s3[x] = -c;
            }
            for (int a = 0; a < 4; a++) {
                float *m0 = out + (4 * a) * plane_stride + ty * tw;
                output_adjoint_columns(s + a * sw, tw, m0, m0 + plane_stride, m0 + 2 * plane_stride, m0 + 3 * plane_stride);
            }
        }
        if (bias_grad) bias_grad[o] += sum;
    }
}

// Kernels are transformed in blocks of KB, lanes side by side, so that the arithmetic vectorises
// across kernels; the planes are then written (read) KB consecutive floats at a time.
#define KB 16

CLONES void wt_winograd_kernels(const float *g, int count, float *u) {
    for (int i0 = 0; i0 < count; i0 += KB) {
        const int n = count - i0 < KB ? count - i0 : KB;
        float k[9][KB] = {{0}};
        for (int l = 0; l < n; l++)
            for (int j = 0; j < 9; j++) k[j][l] = g[9L * (i0 + l) + j];
        float h[4][3][KB], out[16][KB];
        for (int j = 0; j < 3; j++)   // G g
            for (int l = 0; l < KB; l++) {
                h[0][j][l] = k[j][l];
                h[1][j][l] = 0.5f * (k[j][l] + k[3 + j][l] + k[6 + j][l]);
                h[2][j][l] = 0.5f * (k[j][l] - k[3 + j][l] + k[6 + j][l]);
                h[3][j][l] = k[6 + j][l];
            }
        for (int a = 0; a < 4; a++)   // (G g) Gᵀ
            for (int l = 0; l < KB; l++) {
                out[4 * a][l] = h[a][0][l];
                out[4 * a + 1][l] = 0.5f * (h[a][0][l] + h[a][1][l] + h[a][2][l]);
                out[4 * a + 2][l] = 0.5f * (h[a][0][l] - h[a][1][l] + h[a][2][l]);
                out[4 * a + 3][l] = h[a][2][l];
            }
        for (int x = 0; x < 16; x++) memcpy(u + (long)x * count + i0, out[x], sizeof(float) * n);
    }
}

CLONES void wt_winograd_kernels_adjoint(const float *du, int count, float *dg) {
    for (int i0 = 0; i0 < count; i0 += KB) {
        const int n = count - i0 < KB ? count - i0 : KB;
        float d[16][KB] = {{0}};
        for (int x = 0; x < 16; x++) memcpy(d[x], du + (long)x * count + i0, sizeof(float) * n);
        float h[3][4][KB], k[9][KB];
        for (int b = 0; b < 4; b++)   // Gᵀ dU
            for (int l = 0; l < KB; l++) {
                h[0][b][l] = d[b][l] + 0.5f * (d[4 + b][l] + d[8 + b][l]);
                h[1][b][l] = 0.5f * (d[4 + b][l] - d[8 + b][l]);
                h[2][b][l] = 0.5f * (d[4 + b][l] + d[8 + b][l]) + d[12 + b][l];
            }
        for (int r = 0; r < 3; r++)   // (Gᵀ dU) G
            for (int l = 0; l < KB; l++) {
                k[3 * r][l] = h[r][0][l] + 0.5f * (h[r][1][l] + h[r][2][l]);
                k[3 * r + 1][l] = 0.5f * (h[r][1][l] - h[r][2][l]);
                k[3 * r + 2][l] = 0.5f * (h[r][1][l] + h[r][2][l]) + h[r][3][l];
            }
        for (int l = 0; l < n; l++)
            for (int j = 0; j < 9; j++) dg[9L * (i0 + l) + j] += k[j][l];
    }
}
