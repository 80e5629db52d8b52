internal import CKernels

/// Buffers of a layer's Winograd passes, kept between calls.
struct WinogradBuffers {
    /// The kernels transformed, `[16][O][C]`, for `weightVersion`.
    var kernels: [Float] = []
    var weightVersion = -1
    /// Input planes `[16][C][tiles]` of one group of images (in backward, then their gradients).
    var inputs: [Float] = []
    /// Product planes `[16][O][tiles]` (in backward, the output gradient's).
    var products: [Float] = []
    /// The weight gradient in transformed form, `[16][O][C]`, summed over a backward pass's groups.
    var kernelGradient: [Float] = []
    /// The transforms' own rows (`wt_winograd_scratch`); `scratch2` for the second half of a batch-1
    /// pass, on another thread.
    var scratch: [Float] = []
    var scratch2: [Float] = []
}

/// Training's 3×3, stride-1, pad-1 convolutions at batch > 1 (and the large ones of f32 inference at
/// batch 1) by Winograd's F(2×2, 3×3): each 2×2
/// block of outputs takes 16 multiplications per input channel instead of 36, so the products are
/// 16 SGEMMs `[O, C] · [C, tiles]`, 2.25× fewer operations than im2col's `[O, 9C] · [9C, H·W]`
/// (transforms: `CKernels/winograd.h`). Backward is the exact adjoint of the same computation:
/// the weight gradient by 16 SGEMMs `[O, tiles] · [tiles, C]`, the input gradient by 16
/// `[C, O] · [O, tiles]`. The result equals the convolution's up to float rounding (the transforms
/// add a few roundings; `LayerAgreementTests` bounds them).
extension Conv2D {
    /// Whether batch > 1 passes take the Winograd route: 3×3, stride 1, padding 1, and enough input
    /// channels that the products' inner size is worth it (the RGB first layer unfolds).
    var takesWinograd: Bool {
        Conv2D.winogradEnabled && kernel == 3 && stride == 1 && padding == 1 && inChannels >= Conv2D.winogradMinChannels
    }

    /// Takes the layer's buffers out (so that their fields can be used at once) with the kernels
    /// transformed for the current weights, sized for a group of images: as many of the `batch` as
    /// keep one group's planes within `winogradBudget` floats. Also returns the tiles per image. The
    /// caller puts the buffers back.
    private func takeWinogradBuffers(_ g: ConvGeometry, batch: Int) -> (buffers: WinogradBuffers, group: Int, tiles: Int) {
        var b = winograd
        winograd = WinogradBuffers()
        let tiles = ((g.height + 1) / 2) * ((g.width + 1) / 2)
        let group = max(1, min(batch, Conv2D.winogradBudget / max(1, 16 * (inChannels + outChannels) * tiles)))
        Conv2D.grow(&b.scratch, wt_winograd_scratch(Int32(g.height), Int32(g.width)))
        Conv2D.grow(&b.inputs, 16 * inChannels * group * tiles)
        Conv2D.grow(&b.products, 16 * outChannels * group * tiles)
        let (O, C) = (outChannels, inChannels)
        if b.weightVersion != weight.version || b.kernels.count < 16 * O * C {
            Conv2D.grow(&b.kernels, 16 * O * C)
            weight.value.withUnsafeBufferPointer { w in
                b.kernels.withUnsafeMutableBufferPointer { wt_winograd_kernels(w.baseAddress!, Int32(O * C), $0.baseAddress!) }
            }
            b.weightVersion = weight.version
        }
        return (b, group, tiles)
    }

    /// The input planes of images `n0 ..< n0 + count` of `x`, `[16][C][count·tiles]`.
    private func transformInputs(_ x: UnsafePointer<Float>, _ g: ConvGeometry, from n0: Int, count: Int, tiles: Int,
                                 into v: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let (C, H, W) = (inChannels, g.height, g.width)
        let nt = count * tiles
        for i in 0..<count {
            wt_winograd_input(x + (n0 + i) * C * H * W, Int32(C), Int32(H), Int32(W),
                              v + i * tiles, C * nt, nt, scratch)
        }
    }

    /// The layer's output for `x` `[N, C, H, W]` (N > 1), into `output`.
    func forwardWinograd(_ x: Tensor, _ g: ConvGeometry) -> Tensor {
        let (N, C, O, H, W) = (x.batch, inChannels, outChannels, g.height, g.width)
        var (b, group, tiles) = takeWinogradBuffers(g, batch: N)
        defer { winograd = b }
        output.reuse(as: [N, O, H, W])
        let relu: Int32 = self.relu ? 1 : 0
        x.data.withUnsafeBufferPointer { xp in
        bias.value.withUnsafeBufferPointer { bp in
        b.kernels.withUnsafeBufferPointer { up in
        b.inputs.withUnsafeMutableBufferPointer { vp in
        b.products.withUnsafeMutableBufferPointer { mp in
        b.scratch.withUnsafeMutableBufferPointer { sp in
        output.data.withUnsafeMutableBufferPointer { yp in
            var n0 = 0
            while n0 < N {
                let cnt = min(group, N - n0), nt = cnt * tiles
                transformInputs(xp.baseAddress!, g, from: n0, count: cnt, tiles: tiles, into: vp.baseAddress!, scratch: sp.baseAddress!)
                for xi in 0..<16 {
                    BLAS.sgemm(m: O, n: nt, k: C, a: up.baseAddress! + xi * O * C, lda: C,
                               b: vp.baseAddress! + xi * C * nt, ldb: nt, c: mp.baseAddress! + xi * O * nt, ldc: nt)
                }
                for i in 0..<cnt {
                    wt_winograd_output(mp.baseAddress! + i * tiles, O * nt, nt, Int32(O), Int32(H), Int32(W),
                                       bp.baseAddress!, relu, yp.baseAddress! + (n0 + i) * O * H * W, sp.baseAddress!)
                }
                n0 += cnt
            }
        }}}}}}}
        return output
    }

    /// Whether a batch-1 pass (f32) takes the Winograd route: the layers whose output is at least
    /// `winogradBatchOneMinSide` wide and high, where the products bound the time. On the small
    /// late layers the weights do, and the transformed kernels are 16/9 as many (docs/performance.md).
    func usesWinogradBatchOne(_ g: ConvGeometry) -> Bool {
        takesWinograd && min(g.outHeight, g.outWidth) >= Conv2D.winogradBatchOneMinSide
    }

    /// Batch 1 by Winograd: the input transformed once, then each half of the output channels (on
    /// `split`'s threads) by its rows of the 16 SGEMMs and the output transform. The raw sums go to
    /// `out` (bias, ReLU, pooling). The cut is at `outChannels / 2` whatever `split`, so one thread or
    /// two give the same bits.
    func winogradBatchOne(_ x: Tensor, _ g: ConvGeometry, _ out: BatchOneEmitter) {
        let (C, O, H, W) = (inChannels, outChannels, g.height, g.width)
        var (b, _, tiles) = takeWinogradBuffers(g, batch: 1)
        defer { winograd = b }
        Conv2D.grow(&b.scratch2, wt_winograd_scratch(Int32(H), Int32(W)))
        Conv2D.grow(&sums, O * H * W)
        x.data.withUnsafeBufferPointer { xp in
        b.kernels.withUnsafeBufferPointer { up in
        b.inputs.withUnsafeMutableBufferPointer { vp in
        b.products.withUnsafeMutableBufferPointer { mp in
        b.scratch.withUnsafeMutableBufferPointer { sp in
        b.scratch2.withUnsafeMutableBufferPointer { s2p in
        sums.withUnsafeMutableBufferPointer { yp in
            let (u, v, m, y) = (up.baseAddress!, vp.baseAddress!, mp.baseAddress!, yp.baseAddress!)
            wt_winograd_input(xp.baseAddress!, Int32(C), Int32(H), Int32(W), v, C * tiles, tiles, sp.baseAddress!)
            func half(_ os: Range<Int>, scratch: UnsafeMutablePointer<Float>) {
                guard !os.isEmpty else { return }
                let o0 = os.lowerBound
                for xi in 0..<16 {
                    BLAS.sgemm(m: os.count, n: tiles, k: C, a: u + xi * O * C + o0 * C, lda: C,
                               b: v + xi * C * tiles, ldb: tiles, c: m + xi * O * tiles + o0 * tiles, ldc: tiles)
                }
                wt_winograd_output(m + o0 * tiles, O * tiles, tiles, Int32(os.count), Int32(H), Int32(W),
                                   nil, 0, y + o0 * H * W, scratch)
                out.emit(os, 0..<H, sums: y + o0 * H * W, channelStride: H * W, rowStride: W)
            }
            split.run({ half(0..<(O / 2), scratch: sp.baseAddress!) }, { half((O / 2)..<O, scratch: s2p.baseAddress!) })
        }}}}}}}
    }

    /// Backward of `forwardWinograd` (any forward of this layer: it recomputes what it needs from
    /// `input` and `output`). Adds the parameter gradients; with `needInputGradient`, writes dInput
    /// into `inputGradient`.
    func backwardWinograd(_ dOut: Tensor, _ g: ConvGeometry, needInputGradient: Bool, into inputGradient: inout Tensor) {
        let (N, C, O, H, W) = (input.batch, inChannels, outChannels, g.height, g.width)
        let P = H * W
        var (b, group, tiles) = takeWinogradBuffers(g, batch: N)
        defer { winograd = b }
        Conv2D.grow(&b.kernelGradient, 16 * O * C)
        b.kernelGradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        if needInputGradient { inputGradient.reuse(as: input.shape) }
        let relu = self.relu
        input.data.withUnsafeBufferPointer { xp in
        output.data.withUnsafeBufferPointer { yp in
        dOut.data.withUnsafeBufferPointer { dop in
        bias.grad.withUnsafeMutableBufferPointer { dbp in
        b.kernels.withUnsafeBufferPointer { up in
        b.inputs.withUnsafeMutableBufferPointer { vp in
        b.products.withUnsafeMutableBufferPointer { mp in
        b.kernelGradient.withUnsafeMutableBufferPointer { dup in
        b.scratch.withUnsafeMutableBufferPointer { sp in
        inputGradient.data.withUnsafeMutableBufferPointer { dxp in
            var n0 = 0
            while n0 < N {
                let cnt = min(group, N - n0), nt = cnt * tiles
                // dY through the fused ReLU (and the bias gradient), then dM = A dY Aᵀ per tile.
                for i in 0..<cnt {
                    let at = (n0 + i) * O * P
                    wt_winograd_output_adjoint(dop.baseAddress! + at, relu ? yp.baseAddress! + at : nil, Int32(O), Int32(H), Int32(W),
                                               mp.baseAddress! + i * tiles, O * nt, nt, dbp.baseAddress!, sp.baseAddress!)
                }
                transformInputs(xp.baseAddress!, g, from: n0, count: cnt, tiles: tiles, into: vp.baseAddress!, scratch: sp.baseAddress!)
                // dU[ξ] += dM[ξ] · V[ξ]ᵀ
                for xi in 0..<16 {
                    Conv2D.addProductWithTransposed(m: O, n: C, k: nt, a: mp.baseAddress! + xi * O * nt, lda: nt,
                                                    b: vp.baseAddress! + xi * C * nt, ldb: nt, c: dup.baseAddress! + xi * O * C, ldc: C)
                }
                if needInputGradient {
                    // dV[ξ] = U[ξ]ᵀ · dM[ξ] (into the input planes, done with), then dx = B dV Bᵀ per tile.
                    for xi in 0..<16 {
                        BLAS.sgemm(transA: true, m: C, n: nt, k: O, a: up.baseAddress! + xi * O * C, lda: C,
                                   b: mp.baseAddress! + xi * O * nt, ldb: nt, c: vp.baseAddress! + xi * C * nt, ldc: nt)
                    }
                    for i in 0..<cnt {
                        wt_winograd_input_adjoint(vp.baseAddress! + i * tiles, C * nt, nt, Int32(C), Int32(H), Int32(W),
                                                  dxp.baseAddress! + (n0 + i) * C * H * W, sp.baseAddress!)
                    }
                }
                n0 += cnt
            }
        }}}}}}}}}}
        weight.grad.withUnsafeMutableBufferPointer { dw in
            b.kernelGradient.withUnsafeBufferPointer { wt_winograd_kernels_adjoint($0.baseAddress!, Int32(O * C), dw.baseAddress!) }
        }
    }
}
