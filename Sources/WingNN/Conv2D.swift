import Foundation

/// 2-D convolution, `[N, Cin, H, W]` → `[N, Cout, outH, outW]`, square kernel, zero padding, with an
/// optional fused ReLU.
///
/// y[n, o, oy, ox] = act(b[o] + Σ_{c,ky,kx} W[o, c, ky, kx] · x[n, c, oy·s − p + ky, ox·s − p + kx]).
/// Computed as im2col + one SGEMM per group of images (groups keep the column buffer within
/// `columnBudget`), or for 3×3 stride-1 layers with 16+ input channels by Winograd's F(2×2, 3×3)
/// (`Conv2D+Winograd.swift`: training's layers); at batch 1 by the paths of `Conv2D+BatchOne.swift`, in two halves that `split`
/// may run on two threads (see `ForwardSplit`).
/// Weights `[Cout, Cin, k, k]` are He-normal, biases zero. Buffers are kept between calls; the
/// returned tensors share them until the next call.
public final class Conv2D: Layer {
    public let name: String
    public let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int
    /// Whether max(0, ·) is applied to the output (fused: saves a pass and a buffer).
    public let relu: Bool
    public let weight: Parameter
    public let bias: Parameter
    public var parameters: [Parameter] { [weight, bias] }

    var input = Tensor(zeros: [0])
    var output = Tensor(zeros: [0])
    private var inputGradient = Tensor(zeros: [0])
    var col: [Float] = []
    /// The second half's column buffer at batch 1.
    var col2: [Float] = []
    /// Who runs the two halves of a batch-1 forward pass.
    public var split: ForwardSplit = .serial
    /// Batch-1 inference in 8-bit integers (true), f32 (false), or as `Int8Arithmetic.enabled` says (nil).
    public var integerArithmetic: Bool?
    private var gemmOut: [Float] = []
    private var dCol: [Float] = []
    /// Upper bound on floats in the im2col buffer of one group (2 MB: one image per GEMM on the wide
    /// layers, whose columns then stay in a core's cache; training runs BLAS on one thread per shard).
    public var columnBudget = 1 << 19
    /// The input zero-padded for the batch-1 shifted products (layout: `shiftedProducts`).
    var padded: [Float] = []
    var paddedGeometry: ConvGeometry?
    /// The weights as one `[Cout, Cin]` matrix per kernel tap, repacked when `weight.version` moves.
    var tapWeights: [Float] = []
    var tapWeightsVersion = -1
    /// The weights `[Cout, Cin·k·k]` in half floats for the batch-1 products by output channels.
    var halfWeights = HalfWeightCache()
    /// The weights as signed bytes, and the input quantised to bytes, for the batch-1 int8 path.
    var int8Weights = Int8WeightCache()
    var int8Input: [UInt32] = []
    /// Raw sums of a batch-1 forward pass before bias and ReLU (shifted products; im2col row slices).
    var sums: [Float] = []
    var sums2: [Float] = []
    /// `forwardPooled`'s outputs.
    var pooledOutputs = AlternatingOutputs()
    /// Narrowest input that takes the shifted-product path at batch 1 (below it, im2col's unfolding is
    /// small and the padding columns the shifted products also compute cost more than they save).
    public static var shiftedProductMinWidth = 16
    /// Most input channels for which a batch-1 3×3 convolution runs `wt_conv3x3_direct`.
    public static var directKernelMaxChannels = 4
    /// Whether batch-1 RGB layers run `wt_conv3x3_direct` (AVX-512, `OwnKernels`); off, they unfold.
    /// (An AVX2 version measured no faster than im2col + SGEMM on a Zen AVX2 CPU: docs/performance.md.)
    nonisolated(unsafe) public static var directKernelEnabled = OwnKernels.instructionSet == .avx512
    /// Unfolded columns plus outputs of one batch-1 row slice, in floats.
    static var sliceFloats = 128 << 10
    /// Inner-dimension slice of the weight-gradient GEMM.
    static let innerSlice = 4096

    /// C[m×n] += A[m×k] · B[n×k]ᵀ (row-major, leading dimensions `lda`, `ldb`, `ldc`), in slices of
    /// `innerSlice` along k: OpenBLAS is slow on very long, thin products. The weight gradients.
    static func addProductWithTransposed(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                         b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        var j0 = 0
        while j0 < k {
            let len = min(innerSlice, k - j0)
            BLAS.sgemm(transB: true, m: m, n: n, k: len, a: a + j0, lda: lda, b: b + j0, ldb: ldb, beta: 1, c: c, ldc: ldc)
            j0 += len
        }
    }
    /// Whether batch > 1 passes of 3×3 stride-1 pad-1 layers run Winograd's F(2×2, 3×3)
    /// (`Conv2D+Winograd.swift`); off, they unfold like every other layer. The environment variable
    /// `WINGTRACK_WINOGRAD=0` turns it off (to compare: docs/performance.md).
    nonisolated(unsafe) static var winogradEnabled = ProcessInfo.processInfo.environment["WINGTRACK_WINOGRAD"] != "0"
    /// Fewest input channels for the Winograd route (the products' inner size).
    nonisolated(unsafe) static var winogradMinChannels = 16
    /// Smallest output height and width for which a batch-1 f32 pass takes the Winograd route.
    nonisolated(unsafe) static var winogradBatchOneMinSide = 16
    /// Upper bound on floats in one group's Winograd planes.
    nonisolated(unsafe) static var winogradBudget = 1 << 20
    /// The Winograd passes' buffers.
    var winograd = WinogradBuffers()

    /// He-initialised weights from `rng`, zero biases.
    public convenience init(name: String, inChannels: Int, outChannels: Int, kernel: Int = 3, stride: Int = 1, padding: Int = 1,
                            relu: Bool = false, rng: inout SeededGenerator) {
        let fanIn = inChannels * kernel * kernel
        self.init(name: name, inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride, padding: padding,
                  relu: relu, weights: heNormal(count: outChannels * fanIn, fanIn: fanIn, rng: &rng))
    }

    /// `weights` [out, in, k, k] (nil: zeros, e.g. to be filled from a model file), zero biases.
    public init(name: String, inChannels: Int, outChannels: Int, kernel: Int = 3, stride: Int = 1, padding: Int = 1,
                relu: Bool = false, weights: [Float]?) {
        self.name = name
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernel = kernel; self.stride = stride; self.padding = padding; self.relu = relu
        let count = outChannels * inChannels * kernel * kernel
        precondition(weights == nil || weights!.count == count, "\(name): \(weights!.count) weights, expected \(count)")
        weight = Parameter(name: "\(name).weight", shape: [outChannels, inChannels, kernel, kernel],
                           value: weights ?? [Float](repeating: 0, count: count), decays: true)
        bias = Parameter(name: "\(name).bias", shape: [outChannels],
                         value: [Float](repeating: 0, count: outChannels), decays: false)
    }

    func geometry(_ shape: [Int]) -> ConvGeometry {
        precondition(shape.count == 4 && shape[1] == inChannels, "\(name): expected [N, \(inChannels), H, W], got \(shape)")
        return ConvGeometry(channels: inChannels, height: shape[2], width: shape[3],
                            kernel: kernel, stride: stride, padding: padding)
    }

    public func outputShape(for input: [Int]) -> [Int] {
        let g = geometry(input)
        return [input[0], outChannels, g.outHeight, g.outWidth]
    }

    /// Images per GEMM so that the column buffer stays within `columnBudget`.
    private func groupSize(_ g: ConvGeometry, batch: Int) -> Int {
        max(1, min(batch, columnBudget / max(1, g.patchSize * g.positions)))
    }

    static func grow(_ a: inout [Float], _ n: Int) {
        if a.count < n { a = [Float](repeating: 0, count: n) }
    }

    public func forward(_ x: Tensor) -> Tensor {
        input = x
        let g = geometry(x.shape)
        if x.batch == 1 {
            output.reuse(as: [1, outChannels, g.outHeight, g.outWidth])
            output.data.withUnsafeMutableBufferPointer { forwardBatchOne(x, g, into: $0.baseAddress!, pooled: false) }
            return output
        }
        if takesWinograd { return forwardWinograd(x, g) }
        let (N, P, K, O) = (x.batch, g.positions, g.patchSize, outChannels)
        let group = groupSize(g, batch: N)
        output.reuse(as: [N, O, g.outHeight, g.outWidth])
        Conv2D.grow(&col, K * group * P)
        if group > 1 { Conv2D.grow(&gemmOut, O * group * P) }
        let relu = self.relu
        x.data.withUnsafeBufferPointer { xp in
        weight.value.withUnsafeBufferPointer { wp in
        bias.value.withUnsafeBufferPointer { bp in
        col.withUnsafeMutableBufferPointer { cp in
        gemmOut.withUnsafeMutableBufferPointer { gp in
        output.data.withUnsafeMutableBufferPointer { yp in
            var n0 = 0
            while n0 < N {
                let cnt = min(group, N - n0)
                im2col(g, images: xp.baseAddress! + n0 * inChannels * g.height * g.width, count: cnt, col: cp.baseAddress!)
                let yOut = yp.baseAddress! + n0 * O * P
                // With one image [O, P] is already NCHW; otherwise GEMM into [O, cnt·P] and permute.
                let gemmDst = cnt == 1 ? yOut : gp.baseAddress!
                BLAS.sgemm(m: O, n: cnt * P, k: K, a: wp.baseAddress!, lda: K, b: cp.baseAddress!, ldb: cnt * P,
                           c: gemmDst, ldc: cnt * P)
                for o in 0..<O {
                    let b = bp[o]
                    for i in 0..<cnt {
                        let src = gemmDst + o * cnt * P + i * P
                        let dst = yOut + (i * O + o) * P
                        if relu { for p in 0..<P { dst[p] = max(0, src[p] + b) } }
                        else { for p in 0..<P { dst[p] = src[p] + b } }
                    }
                }
                n0 += cnt
            }
        }}}}}}
        return output
    }

    public func backward(_ dOut: Tensor, needInputGradient: Bool) -> Tensor {
        let g = geometry(input.shape)
        let (N, P, K, O) = (input.batch, g.positions, g.patchSize, outChannels)
        precondition(dOut.shape == [N, O, g.outHeight, g.outWidth], "\(name): dOut shape \(dOut.shape)")
        if takesWinograd {
            backwardWinograd(dOut, g, needInputGradient: needInputGradient, into: &inputGradient)
            input = Tensor(zeros: [0])
            return needInputGradient ? inputGradient : Tensor(zeros: [0])
        }
        let group = groupSize(g, batch: N)
        let imageSize = inChannels * g.height * g.width
        if needInputGradient {
            inputGradient.reuse(as: input.shape)
            inputGradient.data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            Conv2D.grow(&dCol, K * group * P)
        }
        Conv2D.grow(&gemmOut, O * group * P)
        Conv2D.grow(&col, K * group * P)
        let relu = self.relu
        input.data.withUnsafeBufferPointer { xp in
        output.data.withUnsafeBufferPointer { yp in
        dOut.data.withUnsafeBufferPointer { dop in
        weight.value.withUnsafeBufferPointer { wp in
        weight.grad.withUnsafeMutableBufferPointer { dwp in
        bias.grad.withUnsafeMutableBufferPointer { dbp in
        col.withUnsafeMutableBufferPointer { cp in
        gemmOut.withUnsafeMutableBufferPointer { dyp in
        dCol.withUnsafeMutableBufferPointer { dcp in
        inputGradient.data.withUnsafeMutableBufferPointer { dxp in
            var n0 = 0
            while n0 < N {
                let cnt = min(group, N - n0)
                // dY as [O, cnt·P], masked by the fused ReLU.
                for o in 0..<O {
                    var s: Float = 0
                    for i in 0..<cnt {
                        let at = ((n0 + i) * O + o) * P
                        let src = dop.baseAddress! + at, y = yp.baseAddress! + at
                        let dst = dyp.baseAddress! + o * cnt * P + i * P
                        s += gradientThroughReLU(src, outputs: y, into: dst, count: P, relu: relu)
                    }
                    dbp[o] += s
                }
                im2col(g, images: xp.baseAddress! + n0 * imageSize, count: cnt, col: cp.baseAddress!)
                // dW[O, K] += dY[O, cnt·P] · colᵀ
                Conv2D.addProductWithTransposed(m: O, n: K, k: cnt * P, a: dyp.baseAddress!, lda: cnt * P,
                                                b: cp.baseAddress!, ldb: cnt * P, c: dwp.baseAddress!, ldc: K)
                if needInputGradient {
                    // dCol[K, cnt·P] = Wᵀ · dY
                    BLAS.sgemm(transA: true, m: K, n: cnt * P, k: O, a: wp.baseAddress!, lda: K,
                               b: dyp.baseAddress!, ldb: cnt * P, c: dcp.baseAddress!, ldc: cnt * P)
                    col2im(g, col: dcp.baseAddress!, count: cnt, images: dxp.baseAddress! + n0 * imageSize)
                }
                n0 += cnt
            }
        }}}}}}}}}}
        input = Tensor(zeros: [0])   // let the producer of x reuse its buffer
        return needInputGradient ? inputGradient : Tensor(zeros: [0])
    }
}

/// dst[i] = src[i] where the layer's output y[i] > 0 (everywhere without `relu`), else 0, for
/// i < `count`; returns the sum of what it wrote (in eight interleaved partial sums, so that it
/// vectorises: this is the bias gradient).
@inline(__always)
func gradientThroughReLU(_ src: UnsafePointer<Float>, outputs y: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                         count n: Int, relu: Bool) -> Float {
    let (rs, ry, rd) = (UnsafeRawPointer(src), UnsafeRawPointer(y), UnsafeMutableRawPointer(dst))
    var acc = SIMD8<Float>.zero
    var i = 0
    while i + 8 <= n {
        var v = rs.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
        if relu { v.replace(with: 0, where: .!(ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) .> 0)) }
        rd.storeBytes(of: v, toByteOffset: 4 * i, as: SIMD8<Float>.self)
        acc += v
        i += 8
    }
    var s = acc.sum()
    while i < n {
        let v = relu && !(y[i] > 0) ? 0 : src[i]
        dst[i] = v; s += v
        i += 1
    }
    return s
}
