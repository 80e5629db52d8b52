internal import CKernels

/// The batch-1 forward pass of `Conv2D` (tracking's hot path), plain or fused with the 2×2 max-pool
/// that follows it.
///
/// The work is cut into two halves that `split` may run on two threads: by output rows when there
/// are more positions than channels, else by output channels (always by channels on the Winograd
/// route, `Conv2D+Winograd.swift`). The cut depends on the shape alone, never on `split`, so one
/// thread or two give the same bits. A row cut is even (pooling pairs rows).
extension Conv2D {
    /// Batch 1, inference only: this convolution and a 2×2 stride-2 max-pool after it in one pass, each
    /// slice of output rows pooled while it is still in cache. Bit for bit what `forward` and then
    /// `MaxPool2D(kernel: 2, stride: 2).forward` give: adding the bias and the ReLU are monotone, so
    /// they commute with the maximum. Keeps nothing for `backward`. With `integerArithmetic` (by default
    /// `Int8Arithmetic.enabled`), layers that qualify (`usesInt8`) compute in 8-bit integers instead
    /// (inference only: `forward` stays f32 for training and the gradient checks).
    public func forwardPooled(_ x: Tensor) -> Tensor {
        precondition(x.batch == 1, "\(name): forwardPooled takes one image, got \(x.shape)")
        input = Tensor(zeros: [0])
        let g = geometry(x.shape)
        var y = pooledOutputs.next([1, outChannels, g.outHeight / 2, g.outWidth / 2])
        y.data.withUnsafeMutableBufferPointer { forwardBatchOne(x, g, into: $0.baseAddress!, pooled: true, integer: integerArithmetic ?? Int8Arithmetic.enabled) }
        pooledOutputs.keep(y)
        return y
    }

    /// Writes the output of the single image `x` into `y` (`[Cout, outH, outW]`, or with `pooled`
    /// `[Cout, ⌊outH/2⌋, ⌊outW/2⌋]`); with `integer`, in 8-bit integers when the layer qualifies.
    func forwardBatchOne(_ x: Tensor, _ g: ConvGeometry, into y: UnsafeMutablePointer<Float>, pooled: Bool, integer: Bool = false) {
        let (H, O) = (g.outHeight, outChannels)
        let byRows = g.positions > O && H >= 4
        let rowCut = 2 * (H / 4), channelCut = O / 2
        bias.value.withUnsafeBufferPointer { bp in
            let out = BatchOneEmitter(y: y, bias: bp.baseAddress!, relu: relu, pooled: pooled, height: H, width: g.outWidth)
            let halves: ((Range<Int>, Range<Int>) -> Void) -> Void = { part in
                if byRows {
                    self.split.run({ part(0..<O, 0..<rowCut) }, { part(0..<O, rowCut..<H) })
                } else {
                    self.split.run({ part(0..<channelCut, 0..<H) }, { part(channelCut..<O, 0..<H) })
                }
            }
            if integer, usesInt8(g), int8(x, g, out) {
                return
            } else if usesWinogradBatchOne(g) {
                winogradBatchOne(x, g, out)
            } else if usesShiftedProducts(g) {
                shiftedProducts(x, g, out, halves)
            } else if usesDirectKernel(g) {
                direct(x, g, out, halves)
            } else {
                unfolded(x, g, out, byRows: byRows, rowCut: rowCut, halves)
            }
        }
    }

    /// Stride 1, "same" padding, an odd kernel, enough input channels to make a product per tap
    /// worthwhile, and an input at least `shiftedProductMinWidth` wide.
    func usesShiftedProducts(_ g: ConvGeometry) -> Bool {
        stride == 1 && kernel > 1 && kernel % 2 == 1 && 2 * padding == kernel - 1 && inChannels >= 16
            && g.width >= Conv2D.shiftedProductMinWidth
    }

    /// 3×3, stride 1, padding 1 on an input of at most `directKernelMaxChannels` channels (the RGB
    /// first layer, whose unfolding has only 27 rows), on a CPU that runs `wt_conv3x3_direct`.
    func usesDirectKernel(_ g: ConvGeometry) -> Bool {
        Conv2D.directKernelEnabled && kernel == 3 && stride == 1 && padding == 1 && inChannels <= Conv2D.directKernelMaxChannels
    }

    /// Without unfolding or SGEMM: `wt_conv3x3_direct` on the padded input (the layout of the shifted
    /// products), each half in row slices whose sums stay in cache.
    private func direct(_ x: Tensor, _ g: ConvGeometry, _ out: BatchOneEmitter,
                        _ halves: ((Range<Int>, Range<Int>) -> Void) -> Void) {
        let (C, W, O, H) = (inChannels, g.width, outChannels, g.outHeight)
        let (rowLength, plane) = fillPadded(x, g)
        let slice = max(2, min(H, Conv2D.sliceFloats / (O * W) / 2 * 2))
        Conv2D.grow(&sums, O * slice * W); Conv2D.grow(&sums2, O * slice * W)
        padded.withUnsafeBufferPointer { pp in
        weight.value.withUnsafeBufferPointer { wp in
        sums.withUnsafeMutableBufferPointer { sp in
        sums2.withUnsafeMutableBufferPointer { s2p in
            let origin = pp.baseAddress! + 1 + rowLength   // (c 0, y 0, x 0)
            halves { os, rows in
                guard !os.isEmpty, !rows.isEmpty else { return }
                let buffer = os.lowerBound == 0 && rows.lowerBound == 0 ? sp.baseAddress! : s2p.baseAddress!
                for r0 in Swift.stride(from: rows.lowerBound, to: rows.upperBound, by: slice) {
                    let part = r0..<min(rows.upperBound, r0 + slice)
                    wt_conv3x3_direct(origin, Int32(C), Int32(W), Int32(rowLength), plane, wp.baseAddress!,
                                      Int32(os.lowerBound), Int32(os.upperBound), Int32(part.lowerBound), Int32(part.upperBound),
                                      buffer, part.count * W, W)
                    out.emit(os, part, sums: buffer, channelStride: part.count * W, rowStride: W)
                }
            }
        }}}}
    }

    /// im2col + SGEMM. By rows, each half unfolds and multiplies its rows in slices whose unfolding
    /// and sums stay in a core's cache (L2); by channels (the small-spatial layers, bound by reading
    /// their weights), one unfolding serves both halves, multiplied by the half-float weights when
    /// they are exact (`HalfWeightMatrix`).
    private func unfolded(_ x: Tensor, _ g: ConvGeometry, _ out: BatchOneEmitter, byRows: Bool, rowCut: Int,
                          _ halves: ((Range<Int>, Range<Int>) -> Void) -> Void) {
        let (P, K, O, oW, H) = (g.positions, g.patchSize, outChannels, g.outWidth, g.outHeight)
        let half = byRows ? nil : halfWeights.matrix(of: weight, rows: O, columns: K)
        let slice = max(2, Conv2D.sliceFloats / ((K + O) * oW) / 2 * 2)
        if byRows {
            let rows = min(slice, max(rowCut, H - rowCut))
            Conv2D.grow(&col, K * rows * oW); Conv2D.grow(&col2, K * rows * oW)
            Conv2D.grow(&sums, O * rows * oW); Conv2D.grow(&sums2, O * rows * oW)
        } else {
            Conv2D.grow(&col, K * P); Conv2D.grow(&sums, O * P)
        }
        x.data.withUnsafeBufferPointer { xp in
        weight.value.withUnsafeBufferPointer { wp in
        col.withUnsafeMutableBufferPointer { cp in
        col2.withUnsafeMutableBufferPointer { c2p in
        sums.withUnsafeMutableBufferPointer { sp in
        sums2.withUnsafeMutableBufferPointer { s2p in
            let (xs, ws) = (xp.baseAddress!, wp.baseAddress!)
            if byRows {
                halves { _, rows in
                    let first = rows.lowerBound == 0
                    let (colBuffer, sumBuffer) = first ? (cp.baseAddress!, sp.baseAddress!) : (c2p.baseAddress!, s2p.baseAddress!)
                    for r0 in Swift.stride(from: rows.lowerBound, to: rows.upperBound, by: slice) {
                        let part = r0..<min(rows.upperBound, r0 + slice)
                        let n = part.count * oW
                        im2col(g, images: xs, count: 1, outputRows: part, col: colBuffer)
                        BLAS.sgemm(m: O, n: n, k: K, a: ws, lda: K, b: colBuffer, ldb: n, c: sumBuffer, ldc: n)
                        out.emit(0..<O, part, sums: sumBuffer, channelStride: n, rowStride: oW)
                    }
                }
            } else {
                im2col(g, images: xs, count: 1, col: cp.baseAddress!)
                halves { os, rows in
                    guard !os.isEmpty else { return }
                    let dst = sp.baseAddress! + os.lowerBound * P
                    if let half {
                        half.multiply(rows: os, b: cp.baseAddress!, n: P, c: sp.baseAddress!, ldc: P)
                    } else {
                        BLAS.sgemm(m: os.count, n: P, k: K, a: ws + os.lowerBound * K, lda: K, b: cp.baseAddress!, ldb: P, c: dst, ldc: P)
                    }
                    out.emit(os, rows, sums: dst, channelStride: P, rowStride: oW)
                }
            }
        }}}}}}
    }

    /// Without unfolding. The input is laid out as `[Cin, Hp, Wp]` with Hp = H + 2p rows (p zero rows
    /// above and below) of Wp = W + p values (the row, then p zeros), after p leading zeros: a row's
    /// trailing zeros are also the next row's left padding. Output position (y, x) then reads column
    /// y·Wp + x of tap (ky, kx)'s view, the buffer from ky·Wp + kx on. So the sums are Σ_taps
    /// W_tap[Cout, Cin] · shifted input, one SGEMM per tap accumulating into `sums`
    /// (`[Cout, (H−1)·Wp + W]`); the p columns per row that fall in the padding are computed and dropped.
    private func shiftedProducts(_ x: Tensor, _ g: ConvGeometry, _ out: BatchOneEmitter,
                                 _ halves: ((Range<Int>, Range<Int>) -> Void) -> Void) {
        let (C, H, W, O, k) = (inChannels, g.height, g.width, outChannels, kernel)
        let (Wp, plane) = fillPadded(x, g)
        let N = (H - 1) * Wp + W
        if tapWeightsVersion != weight.version || tapWeights.count != O * C * k * k { repackTapWeights() }
        Conv2D.grow(&sums, O * N)
        padded.withUnsafeBufferPointer { pp in
        tapWeights.withUnsafeBufferPointer { twp in
        sums.withUnsafeMutableBufferPointer { sp in
            let (pad, tw, all) = (pp.baseAddress!, twp.baseAddress!, sp.baseAddress!)
            halves { os, rows in
                guard !os.isEmpty, !rows.isEmpty else { return }
                let j0 = rows.lowerBound * Wp, n = (rows.count - 1) * Wp + W
                let dst = all + os.lowerBound * N + j0
                for t in 0..<(k * k) {
                    BLAS.sgemm(m: os.count, n: n, k: C, a: tw + (t * O + os.lowerBound) * C, lda: C,
                               b: pad + (t / k) * Wp + t % k + j0, ldb: plane, beta: t == 0 ? 0 : 1, c: dst, ldc: N)
                }
                out.emit(os, rows, sums: dst, channelStride: N, rowStride: Wp)
            }
        }}}
    }

    /// Copies the single image `x` into `padded`, laid out as `shiftedProducts` describes; returns the
    /// padded row length W + p and the channel plane (H + 2p)·(W + p).
    private func fillPadded(_ x: Tensor, _ g: ConvGeometry) -> (rowLength: Int, plane: Int) {
        let (C, H, W, p) = (inChannels, g.height, g.width, padding)
        let (Hp, Wp) = (H + 2 * p, W + p)
        let plane = Hp * Wp
        if paddedGeometry != g {
            padded = [Float](repeating: 0, count: p + C * plane)   // the padding stays zero from here on
            paddedGeometry = g
        }
        x.data.withUnsafeBufferPointer { xp in
        padded.withUnsafeMutableBufferPointer { pp in
            for c in 0..<C {
                for y in 0..<H {
                    (pp.baseAddress! + p + c * plane + (y + p) * Wp).update(from: xp.baseAddress! + (c * H + y) * W, count: W)
                }
            }
        }}
        return (Wp, plane)
    }

    /// tapWeights[t, o, c] = W[o, c, t] for the k·k taps t = ky·k + kx.
    private func repackTapWeights() {
        let (O, C, T) = (outChannels, inChannels, kernel * kernel)
        if tapWeights.count != O * C * T { tapWeights = [Float](repeating: 0, count: O * C * T) }
        weight.value.withUnsafeBufferPointer { wp in
        tapWeights.withUnsafeMutableBufferPointer { tp in
            for o in 0..<O { for c in 0..<C { for t in 0..<T { tp[(t * O + o) * C + c] = wp[(o * C + c) * T + t] } } }
        }}
        tapWeightsVersion = weight.version
    }
}

/// Turns a batch-1 convolution's raw sums into its output: + bias, the ReLU, and with `pooled` the
/// maximum of each 2×2 window (a trailing odd row or column is dropped, as `MaxPool2D` does).
struct BatchOneEmitter {
    let y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>
    let relu: Bool, pooled: Bool
    /// The convolution's output size (before pooling).
    let height: Int, width: Int

    /// Channels `os` of output rows `rows` (with `pooled`, `rows` starts on an even row); the sum of
    /// (o, r, x) is at `sums` + (o − os.lowerBound)·channelStride + (r − rows.lowerBound)·rowStride + x.
    func emit(_ os: Range<Int>, _ rows: Range<Int>, sums: UnsafePointer<Float>, channelStride: Int, rowStride: Int) {
        let relu = self.relu
        if !pooled {
            for o in os {
                let b = bias[o]
                for r in rows {
                    let src = sums + (o - os.lowerBound) * channelStride + (r - rows.lowerBound) * rowStride
                    let dst = y + (o * height + r) * width
                    if relu { for i in 0..<width { dst[i] = max(0, src[i] + b) } } else { for i in 0..<width { dst[i] = src[i] + b } }
                }
            }
            return
        }
        let (pH, pW) = (height / 2, width / 2)
        for o in os {
            let b = bias[o]
            for r in Swift.stride(from: rows.lowerBound, to: min(rows.upperBound - 1, 2 * pH), by: 2) {
                let s0 = sums + (o - os.lowerBound) * channelStride + (r - rows.lowerBound) * rowStride, s1 = s0 + rowStride
                let dst = y + (o * pH + r / 2) * pW
                for i in 0..<pW {
                    // The comparisons of MaxPool2D, so that ties pick the same value.
                    let (a, bb, c, d) = (s0[2 * i], s0[2 * i + 1], s1[2 * i], s1[2 * i + 1])
                    let top = bb > a ? bb : a, bottom = d > c ? d : c
                    let m = (bottom > top ? bottom : top) + b
                    dst[i] = relu ? max(0, m) : m
                }
            }
        }
    }
}
