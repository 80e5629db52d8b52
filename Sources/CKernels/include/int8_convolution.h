// Part of CKernels, wingtrack's own numeric kernels behind the C wall (only WingNN imports them).
// A 3×3, stride-1, zero-padded convolution in 8-bit integers for batch-1 inference: the input
// quantised to unsigned bytes with one scale and zero point per image (the zero point is 0 for a
// non-negative input, e.g. after a ReLU), the weights to signed bytes with one scale per output
// channel, products summed exactly in 32-bit integers by AVX-512 VNNI (`vpdpbusd`, four byte
// products per lane and instruction: four times the multiply-adds of f32 FMA per instruction),
// then scaled back to f32.
//
// Layout of the quantised input, without unfolding: per group of four channels a plane of
// (H + 2) rows of W + 1 dwords (the row, then one padding dword, which is also the next row's
// left padding) after one leading padding dword, then slack; dword byte i is channel
// 4·group + i (channels past the last hold the zero point, and their weights are 0). The padding
// holds the zero point, i.e. the value 0. Output j = y·(W + 1) + x then reads tap (ky, kx) at plane
// dword j + ky·(W + 1) + kx, and 16 outputs are one 64-byte load (the shifted-product layout of
// Conv2D, in bytes).
#ifndef WINGTRACK_INT8_CONVOLUTION_H
#define WINGTRACK_INT8_CONVOLUTION_H

#include <stdint.h>

/// Whether this CPU and OS run the kernels: AVX-512 F/BW/VL/DQ with VNNI and the zmm state.
int wt_int8_supported(void);

/// Dwords per channel-group plane of the quantised input of an H × W image (leading zero, the
/// padded rows, slack for the last 64-byte loads), a multiple of 16.
long wt_int8_plane_dwords(int height, int width);

/// Channel groups (of four, the last one padded) of `channels` inputs.
int wt_int8_groups(int channels);

/// Quantises `x` [channels][height][width] into `q` (wt_int8_groups planes of
/// wt_int8_plane_dwords; the slack is read only for outputs that are dropped): with
/// lo = min(0, min x), hi = max(0, max x), scale = (hi − lo) / 255 (1 when both are 0) and
/// zero = round(−lo / scale), q = clamp(round(x / scale) + zero, 0, 255); the padding is set to
/// `zero`. Writes *scale and *zero. Returns 0, writing nothing, when some value is not finite
/// (the caller then uses f32).
int wt_int8_quantise(const float *x, int channels, int height, int width, uint32_t *q, float *scale, int *zero);

/// Bytes `wt_int8_pack_weights` writes for `rows` outputs (a multiple of 8) of `channels` inputs.
long wt_int8_packed_bytes(int rows, int channels);

/// Packs f32 weights [rows][channels][3][3] (rows a multiple of 8, channels at most 4,096 so that
/// the 32-bit sums cannot overflow) as signed bytes, dword (tap
/// t = 3·ky + kx, group g, row r) at [((r / 8)·9·groups + t·groups + g)·8 + r mod 8] (each block
/// of eight rows one sequential stream), byte i channel 4g + i (0 past the last channel),
/// w8 = round(w / scales[r]) with scales[r] = max_i |w[r, i]| / 127 (1 for an all-zero row), and
/// weight_sums[r] = Σ_i w8[r, i] (for the zero point).
void wt_int8_pack_weights(const float *w, int rows, int channels, int8_t *packed, float *scales, int32_t *weight_sums);

/// The same bytes, scales and sums for `wt_int8_conv3x3_lanes` (rows a multiple of 16): dword
/// (tap t, group g, row r) at [((r / 16)·9·groups + t·groups + g)·16 + r mod 16], so that one
/// 64-byte load holds a group's four channels for 16 output rows.
void wt_int8_pack_weights_lanes(const float *w, int rows, int channels, int8_t *packed, float *scales, int32_t *weight_sums);

/// Raw sums (no bias) for output channels [r0, r1) (multiples of 8) and outputs j in [j0, j1)
/// (within [0, n), n = (H − 1)·(W + 1) + W):
///   sums[(r − r0)·channel_stride + j − j0]
///     = input_scale · scales[r] · (Σ_{t, c} w8[r, c, t] · q(c, j + off_t) − zero · weight_sums[r])
/// with off_t = ky·row_length + kx, row_length = W + 1. The integer sums
/// are exact, so any cut of the rows across threads gives the same bits. Requires
/// `wt_int8_supported`.
void wt_int8_conv3x3(const uint32_t *q, int channel_groups, long plane_dwords, int row_length,
                     const int8_t *packed, const float *scales, const int32_t *weight_sums, int rows,
                     float input_scale, int zero, int r0, int r1, long j0, long j1, float *sums, long channel_stride);

/// The sums of `wt_int8_conv3x3` for narrow inputs (W < 16, where a 16-output vector along a row
/// would hold mostly padding), with the lanes along output channels instead: weights packed by
/// `wt_int8_pack_weights_lanes`, output channels [r0, r1) (multiples of 16), image rows [y0, y1):
///   sums[(r − r0)·channel_stride + (y − y0)·(W + 1) + x] = the sum of output (r, y, x) as above.
/// Requires `wt_int8_supported`.
void wt_int8_conv3x3_lanes(const uint32_t *q, int channel_groups, long plane_dwords, int width,
                           const int8_t *packed, const float *scales, const int32_t *weight_sums,
                           float input_scale, int zero, int r0, int r1, int y0, int y1, float *sums, long channel_stride);

/// The same sums, 2×2 max-pooled, with the bias and (with `relu`) the ReLU, written as the layer's
/// output: for output channels [r0, r1) (multiples of 8) and pooled rows [py0, py1),
///   y[(r·⌊H/2⌋ + py)·⌊W/2⌋ + px] = act(bias[r] + input_scale · scales[r] ·
///       (max_{dy, dx ∈ {0, 1}} Σ_{t, c} w8[r, c, t] · q(c, (2py + dy)·(W + 1) + 2px + dx + off_t) − zero · weight_sums[r]))
/// (the maximum is taken on the integer sums: the scale is positive). No sums buffer and no second
/// pass: for wide inputs (W ≥ 16), where those cost most. Requires `wt_int8_supported`.
void wt_int8_conv3x3_pooled(const uint32_t *q, int channel_groups, long plane_dwords, int height, int width,
                            const int8_t *packed, const float *scales, const int32_t *weight_sums, const float *bias,
                            int relu, float input_scale, int zero, int r0, int r1, int py0, int py1, float *y);

#endif
