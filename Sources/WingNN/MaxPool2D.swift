/// Max pooling over k×k windows with stride s (no padding; trailing rows/columns that do not fill a
/// window are dropped, as in PyTorch). `[N, C, H, W]` → `[N, C, ⌊(H−k)/s⌋+1, ⌊(W−k)/s⌋+1]`.
public final class MaxPool2D: Layer {
    public let name: String
    public let kernel: Int, stride: Int
    private var inputShape: [Int] = []
    /// For each output value, the flat input index of the maximum (first one on ties).
    private var argmax: [Int32] = []
    private var inputGradient = Tensor(zeros: [0])
    private var outputs = AlternatingOutputs()

    public init(name: String = "pool", kernel: Int = 2, stride: Int = 2) {
        self.name = name; self.kernel = kernel; self.stride = stride
    }

    public func outputShape(for input: [Int]) -> [Int] {
        [input[0], input[1], (input[2] - kernel) / stride + 1, (input[3] - kernel) / stride + 1]
    }

    public func forward(_ x: Tensor) -> Tensor {
        inputShape = x.shape
        let os = outputShape(for: x.shape)
        let (planes, H, W, oH, oW) = (os[0] * os[1], x.shape[2], x.shape[3], os[2], os[3])
        var y = outputs.next(os)
        defer { outputs.keep(y) }
        if argmax.count != y.count { argmax = [Int32](repeating: 0, count: y.count) }
        let (k, s) = (kernel, stride)
        x.data.withUnsafeBufferPointer { xp in
        y.data.withUnsafeMutableBufferPointer { yp in
        argmax.withUnsafeMutableBufferPointer { ap in
            for pl in 0..<planes {
                let inBase = pl * H * W, outBase = pl * oH * oW
                for oy in 0..<oH {
                    let o = outBase + oy * oW
                    if k == 2 && s == 2 {
                        let r0 = inBase + 2 * oy * W, r1 = r0 + W
                        // Selects instead of branches: after a ReLU, ties and zeros make the
                        // comparisons unpredictable.
                        for ox in 0..<oW {
                            let i0 = r0 + 2 * ox, i2 = r1 + 2 * ox
                            let a = xp[i0], b = xp[i0 + 1], c = xp[i2], d = xp[i2 + 1]
                            let top = b > a ? b : a, topAt = b > a ? i0 + 1 : i0
                            let bottom = d > c ? d : c, bottomAt = d > c ? i2 + 1 : i2
                            let fromBottom = bottom > top
                            yp[o + ox] = fromBottom ? bottom : top
                            ap[o + ox] = Int32(truncatingIfNeeded: fromBottom ? bottomAt : topAt)
                        }
                        continue
                    }
                    for ox in 0..<oW {
                        var best = inBase + (oy * s) * W + ox * s
                        var bv = xp[best]
                        for ky in 0..<k {
                            let rowIdx = inBase + (oy * s + ky) * W + ox * s
                            for kx in 0..<k where xp[rowIdx + kx] > bv {
                                bv = xp[rowIdx + kx]; best = rowIdx + kx
                            }
                        }
                        yp[o + ox] = bv; ap[o + ox] = Int32(best)
                    }
                }
            }
        }}}
        return y
    }

    /// The gradient flows to each window's maximum.
    public func backward(_ dOut: Tensor, needInputGradient: Bool) -> Tensor {
        inputGradient.reuse(as: inputShape)
        inputGradient.data.withUnsafeMutableBufferPointer { dp in
        dOut.data.withUnsafeBufferPointer { gp in
        argmax.withUnsafeBufferPointer { ap in
            dp.update(repeating: 0)
            for i in 0..<gp.count { dp[Int(ap[i])] += gp[i] }
        }}}
        return inputGradient
    }
}
