// Part of CKernels, wingtrack's own numeric kernels behind the C wall (only WingNN imports them).
// A dense layer's product for batch-1 inference in 8-bit integers, like the 3×3 convolutions
// (int8_convolution.h): the input vector quantised to unsigned bytes with one scale and zero point,
// the weights to signed bytes with one scale per output row, products summed exactly in 32-bit
// integers by AVX-512 VNNI. At batch 1 a dense layer is bound by streaming its weights; bytes are
// half the memory of the half floats the f32 path reads.
#ifndef WINGTRACK_INT8_DENSE_H
#define WINGTRACK_INT8_DENSE_H

#include <stdint.h>

/// Dwords of a quantised input of k values (four bytes each, the last one padded).
int wt_int8_dense_input_dwords(int k);

/// Bytes `wt_int8_dense_pack` writes for a [rows × k] matrix.
long wt_int8_dense_packed_bytes(int rows, int k);

/// Packs the row-major f32 matrix `w` [rows × k] (k at most 65,536, so that no 32-bit sum can
/// overflow) as signed bytes w8 = round(w / scales[r]), scales[r] = max_i |w[r, i]| / 127 (1 for
/// an all-zero row), in blocks of 16 rows: byte (r, i) at [((r / 16)·D + i / 4)·64 + (r mod 16)·4 + i mod 4]
/// with D = wt_int8_dense_input_dwords(k) (0 for padding), and weight_sums[r] = Σ_i w8[r, i].
void wt_int8_dense_pack(const float *w, int rows, int k, int8_t *packed, float *scales, int32_t *weight_sums);

/// Quantises `x` [k] into `q` (wt_int8_dense_input_dwords(k) dwords, byte i of the vector at byte i):
/// lo = min(0, min x), hi = max(0, max x), scale = (hi − lo) / 255 (1 when both are 0),
/// zero = round(−lo / scale), q = clamp(round(x · (1 / scale)) + zero, 0, 255); padding bytes hold `zero`.
/// Returns 0, writing nothing, when some value is not finite (the caller then uses f32).
int wt_int8_dense_quantise(const float *x, int k, uint32_t *q, float *scale, int *zero);

/// y[r] = input_scale · scales[r] · (Σ_i w8[r, i] · q_i − zero · weight_sums[r]) for r in [r0, r1),
/// r0 a multiple of 16. The integer sums are exact, so any cut of the rows across threads gives the
/// same bits. Requires `wt_int8_supported`.
void wt_int8_dense(const uint32_t *q, int k, const int8_t *packed, const float *scales, const int32_t *weight_sums,
                   int rows, float input_scale, int zero, int r0, int r1, float *y);

#endif
