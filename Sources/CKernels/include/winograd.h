// Part of CKernels, wingtrack's own numeric kernels behind the C wall (only WingNN imports them).
// The transforms of Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, 2016) for training's
// 3×3, stride-1, pad-1 convolutions: a 4×4 input tile d and a 3×3 kernel g give the 2×2 outputs
// Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, 16 products where direct convolution needs 36. Over channels the
// elementwise products become 16 matrix products (done with SGEMM by the caller); these functions
// move data between images and the 16 transform planes, forward and back.
//
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
//   Aᵀ = [1 1 1 0; 0 1 −1 −1]
//
// Tiles: an H×W image has th = ⌈H/2⌉ × tw = ⌈W/2⌉ output tiles; tile (ty, tx) covers outputs
// (2ty..2ty+1, 2tx..2tx+1) and reads inputs (2ty−1..2ty+2, 2tx−1..2tx+2), zero outside the image.
// Plane layout: value ξ = 4a + b of tile t of channel c is at planes[ξ·plane_stride + c·channel_stride
// + t], t = ty·tw + tx (the caller offsets `planes` to place an image's tiles among others').
#ifndef WINGTRACK_WINOGRAD_H
#define WINGTRACK_WINOGRAD_H

/// Floats of scratch memory each function below needs for an image of this size.
long wt_winograd_scratch(int height, int width);

/// V = Bᵀ d B of every tile of every channel of one [channels, height, width] image.
/// `scratch` holds wt_winograd_scratch(height, width) floats.
void wt_winograd_input(const float *image, int channels, int height, int width,
                       float *planes, long plane_stride, long channel_stride, float *scratch);

/// The adjoint of wt_winograd_input: dx = Σ over tiles of B dV Bᵀ placed at the tile's inputs
/// (clipped to the image). Writes (not adds) the whole [channels, height, width] image `dx`.
/// `scratch` holds wt_winograd_scratch(height, width) floats.
void wt_winograd_input_adjoint(const float *planes, long plane_stride, long channel_stride,
                               int channels, int height, int width, float *dx, float *scratch);

/// y = Aᵀ M A + bias (then max(0, ·) when `relu`) of every tile of every channel, written into the
/// [channels, height, width] image `y` (outputs past the image's edge dropped). `bias` NULL: none.
/// `scratch` holds wt_winograd_scratch(height, width) floats.
void wt_winograd_output(const float *planes, long plane_stride, long channel_stride,
                        int channels, int height, int width, const float *bias, int relu, float *y,
                        float *scratch);

/// The adjoint of wt_winograd_output's linear part, with its ReLU and bias: dy, set to 0 where the
/// output `y` is not positive when `y` is given (the fused ReLU; NULL: none), is summed per channel
/// into bias_grad[o] (when not NULL), and dM = A dy Aᵀ of every 2×2 tile (zero past the image's
/// edge) is written to the planes. `dy` and `y` are [channels, height, width].
/// `scratch` holds wt_winograd_scratch(height, width) floats.
void wt_winograd_output_adjoint(const float *dy, const float *y, int channels, int height, int width,
                                float *planes, long plane_stride, long channel_stride, float *bias_grad,
                                float *scratch);

/// U = G g Gᵀ of `count` 3×3 kernels g (9 consecutive floats each) into u[ξ·count + i].
void wt_winograd_kernels(const float *g, int count, float *u);

/// The adjoint of wt_winograd_kernels: dg[i] += Gᵀ dU G, dU = du[ξ·count + i].
void wt_winograd_kernels_adjoint(const float *du, int count, float *dg);

#endif
