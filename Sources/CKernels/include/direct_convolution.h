// Part of CKernels, wingtrack's own numeric kernels behind the C wall (only WingNN imports them).
// A 3×3 convolution computed directly, without unfolding: for inputs with few channels (the RGB
// input of the first layer), where im2col + SGEMM has an inner size of only 27 and runs far
// below the machine's speed.
#ifndef WINGTRACK_DIRECT_CONVOLUTION_H
#define WINGTRACK_DIRECT_CONVOLUTION_H

/// Raw sums (no bias) of a 3×3, stride-1, zero-padded convolution, for output channels
/// [o0, o1) and output rows [r0, r1) of a `width`-wide input:
///   sums[(o − o0)·channel_stride + (r − r0)·row_stride + x]
///     = Σ_{c, ky, kx} weights[((o·channels + c)·3 + ky)·3 + kx] · in(c, r + ky − 1, x + kx − 1).
/// in(c, y, x) is input[c·plane + y·input_row + x] (`input` points at c = 0, y = 0, x = 0), and the
/// layout must hold zeros at x = −1 and x = width, at rows −1 and `height` (it is the shifted-product
/// layout of Conv2D, with input_row ≥ width + 1). Each output sums its 9·channels products in
/// (c, ky, kx) order whatever the ranges, so cutting rows or channels across threads changes no bit.
/// Requires AVX-512F (`OwnKernels.supported == .avx512`).
void wt_conv3x3_direct(const float *input, int channels, int width, int input_row, long plane,
                       const float *weights, int o0, int o1, int r0, int r1,
                       float *sums, long channel_stride, long row_stride);

#endif
