/// Fully connected layer, `[N, in]` → `[N, out]`: y = act(x·Wᵀ + b) with W `[out, in]` (He-normal), b zero,
/// act = ReLU when `relu`, else identity.
public final class Dense: Layer {
    public let name: String
    public let inFeatures: Int, outFeatures: Int
    /// Whether max(0, ·) is applied to the output (fused).
    public let relu: Bool
    public let weight: Parameter
    public let bias: Parameter
    public var parameters: [Parameter] { [weight, bias] }
    private var input = Tensor(zeros: [0])
    private var output = Tensor(zeros: [0])
    /// Who runs the two halves (output units) of a batch-1 forward pass.
    public var split: ForwardSplit = .serial
    /// Batch-1 inference in 8-bit integers (true), f32 (false), or as `Int8Arithmetic.enabled` says (nil).
    public var integerArithmetic: Bool?
    /// The weights in half floats for batch-1 products (`HalfWeightMatrix`).
    private var halfWeights = HalfWeightCache()
    /// The weights as signed bytes, and the input quantised to bytes, for the batch-1 int8 path (`predict`).
    var int8Weights = Int8WeightCache()
    var int8Input: [UInt32] = []

    /// He-initialised weights from `rng`, zero biases.
    public convenience init(name: String, inFeatures: Int, outFeatures: Int, relu: Bool = false, rng: inout SeededGenerator) {
        self.init(name: name, inFeatures: inFeatures, outFeatures: outFeatures, relu: relu,
                  weights: heNormal(count: outFeatures * inFeatures, fanIn: inFeatures, rng: &rng))
    }

    /// `weights` [out, in] (nil: zeros, e.g. to be filled from a model file), zero biases.
    public init(name: String, inFeatures: Int, outFeatures: Int, relu: Bool = false, weights: [Float]?) {
        self.relu = relu
        self.name = name; self.inFeatures = inFeatures; self.outFeatures = outFeatures
        precondition(weights == nil || weights!.count == outFeatures * inFeatures, "\(name): wrong weight count")
        weight = Parameter(name: "\(name).weight", shape: [outFeatures, inFeatures],
                           value: weights ?? [Float](repeating: 0, count: outFeatures * inFeatures), decays: true)
        bias = Parameter(name: "\(name).bias", shape: [outFeatures],
                         value: [Float](repeating: 0, count: outFeatures), decays: false)
    }

    public func outputShape(for input: [Int]) -> [Int] { [input[0], outFeatures] }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 2 && x.shape[1] == inFeatures, "\(name): expected [N, \(inFeatures)], got \(x.shape)")
        input = x
        let N = x.batch
        var y = Tensor(zeros: [N, outFeatures])
        let halfMatrix = N == 1 ? halfWeights.matrix(of: weight, rows: outFeatures, columns: inFeatures) : nil
        x.data.withUnsafeBufferPointer { xp in
        weight.value.withUnsafeBufferPointer { wp in
        y.data.withUnsafeMutableBufferPointer { yp in
            if N == 1 {
                // Two halves of the output units (see `ForwardSplit`).
                let (a, xs, ys, K, mid) = (wp.baseAddress!, xp.baseAddress!, yp.baseAddress!, inFeatures, outFeatures / 2)
                func half(_ os: Range<Int>) {
                    guard !os.isEmpty else { return }
                    if let halfMatrix { halfMatrix.multiply(rows: os, b: xs, n: 1, c: ys, ldc: 1); return }
                    BLAS.sgemv(m: os.count, n: K, a: a + os.lowerBound * K, lda: K, x: xs, y: ys + os.lowerBound)
                }
                split.run({ half(0..<mid) }, { half(mid..<outFeatures) })
            } else {
                BLAS.sgemm(transB: true, m: N, n: outFeatures, k: inFeatures, a: xp.baseAddress!, lda: inFeatures,
                           b: wp.baseAddress!, ldb: inFeatures, c: yp.baseAddress!, ldc: outFeatures)
            }
            addBiasAndActivation(yp, batch: N)
        }}}
        output = y
        return y
    }

    /// y[n, o] = act(y[n, o] + b[o]) for the `batch` rows of the products in `y`.
    func addBiasAndActivation(_ y: UnsafeMutableBufferPointer<Float>, batch N: Int) {
        for n in 0..<N { for o in 0..<outFeatures {
            let v = y[n * outFeatures + o] + bias.value[o]
            y[n * outFeatures + o] = relu && v < 0 ? 0 : v
        } }
    }

    /// dW += dYᵀ·x, db += Σ_n dY, dx = dY·W.
    public func backward(_ dOut: Tensor, needInputGradient: Bool) -> Tensor {
        let N = input.batch
        precondition(dOut.shape == [N, outFeatures], "\(name): dOut shape \(dOut.shape)")
        var dx = needInputGradient ? Tensor(zeros: input.shape) : Tensor(zeros: [0])
        var dOut = dOut
        if relu {
            dOut.data.withUnsafeMutableBufferPointer { g in
                output.data.withUnsafeBufferPointer { y in for i in g.indices where y[i] <= 0 { g[i] = 0 } }
            }
        }
        input.data.withUnsafeBufferPointer { xp in
        dOut.data.withUnsafeBufferPointer { gp in
        weight.value.withUnsafeBufferPointer { wp in
        weight.grad.withUnsafeMutableBufferPointer { dwp in
        dx.data.withUnsafeMutableBufferPointer { dxp in
            BLAS.sgemm(transA: true, m: outFeatures, n: inFeatures, k: N, a: gp.baseAddress!, lda: outFeatures,
                       b: xp.baseAddress!, ldb: inFeatures, beta: 1, c: dwp.baseAddress!, ldc: inFeatures)
            if needInputGradient {
                BLAS.sgemm(m: N, n: inFeatures, k: outFeatures, a: gp.baseAddress!, lda: outFeatures,
                           b: wp.baseAddress!, ldb: inFeatures, c: dxp.baseAddress!, ldc: inFeatures)
            }
            for n in 0..<N { for o in 0..<outFeatures { bias.grad[o] += gp[n * outFeatures + o] } }
        }}}}}
        return dx
    }
}
