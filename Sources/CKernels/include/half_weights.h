// Part of CKernels, wingtrack's own numeric kernels behind the C wall (only WingNN imports them).
// Products with a weight matrix kept as IEEE half floats: A[rows × K] (f16) times B[K × n] (f32,
// row-major) into C (f32), every product and sum in f32. Meant for batch-1 inference, where the
// small-spatial convolutions and the dense layers are bound by streaming their weights.
#ifndef WINGTRACK_HALF_WEIGHTS_H
#define WINGTRACK_HALF_WEIGHTS_H

#include <stdint.h>

/// Rows per packed block: the packed matrix is [ceil(rows/16)][K][16] halves, the last block's
/// missing rows zero.
#define WT_HALF_BLOCK 16

/// Packs the row-major f32 matrix `a` [rows × k] into `packed` (wt_half_packed_count(rows, k)
/// halves). Returns 1 when every value converted exactly (the product then uses A's own values),
/// else 0 (`packed` is then unusable).
/// Needs F16C (every CPU with AVX2 or AVX-512 that wingtrack runs its own kernels on).
int wt_half_pack(const float *a, int rows, int k, uint16_t *packed);

/// Halves `wt_half_pack` writes for a [rows × k] matrix.
long wt_half_packed_count(int rows, int k);

/// C[r, j] = Σ_i A[r, i] · B[i, j] for r in [row0, row1) and j in [0, n), C row r at c + r·ldc.
/// Each output sums its K products in i order (n > 1) or in four interleaved partial sums added at
/// the end (n = 1), the same whatever the row range, so cutting the rows across threads changes
/// no bit. Requires AVX-512F and F16C (`OwnKernels.supported == .avx512`).
void wt_half_gemm_avx512(const uint16_t *packed, int rows, int k, int row0, int row1,
                         const float *b, int n, float *c, int ldc);

/// `wt_half_gemm_avx512` on AVX2 + FMA + F16C, with the same bits: every output takes the same
/// operations in the same order.
void wt_half_gemm_avx2(const uint16_t *packed, int rows, int k, int row0, int row1,
                       const float *b, int n, float *c, int ldc);

#endif
