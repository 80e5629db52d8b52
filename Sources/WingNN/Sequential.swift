/// Layers applied in order. `backward` runs them in reverse and skips the first layer's input gradient.
public final class Sequential {
    public let layers: [Layer]

    public init(_ layers: [Layer]) { self.layers = layers }

    /// Every trainable tensor, in layer order.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    public func forward(_ x: Tensor) -> Tensor {
        var h = x
        for layer in layers { h = layer.forward(h) }
        return h
    }

    /// Inference: the values of `forward`, bit for bit, with each convolution and the 2×2 stride-2
    /// max-pool after it fused at batch 1 (`Conv2D.forwardPooled`); with `Int8Arithmetic.enabled`
    /// the fused convolutions that qualify and the dense layers (`Dense.predict`) compute in 8-bit
    /// integers instead (close to, not equal to, `forward`). Keeps nothing for `backward`.
    /// `afterStep`, if given, is called after each step with its first layer (a fused convolution
    /// and pooling are one step), e.g. to time them.
    public func predict(_ x: Tensor, afterStep: ((Layer) -> Void)? = nil) -> Tensor {
        var h = x
        var i = 0
        while i < layers.count {
            let first = layers[i]
            if h.batch == 1, let conv = first as? Conv2D, i + 1 < layers.count,
               let pool = layers[i + 1] as? MaxPool2D, pool.kernel == 2, pool.stride == 2 {
                h = conv.forwardPooled(h)
                i += 2
            } else if h.batch == 1, let dense = first as? Dense {
                h = dense.predict(h)
                i += 1
            } else {
                h = first.forward(h)
                i += 1
            }
            afterStep?(first)
        }
        return h
    }

    /// Back-propagates `dOut` (gradient of the loss w.r.t. the last output) and accumulates parameter gradients.
    public func backward(_ dOut: Tensor) {
        var g = dOut
        for (i, layer) in layers.enumerated().reversed() {
            g = layer.backward(g, needInputGradient: i > 0)
        }
    }

    /// Hands `split` to every layer that cuts its batch-1 work in two (convolutions, dense layers).
    public func use(_ split: ForwardSplit) {
        for layer in layers {
            if let c = layer as? Conv2D { c.split = split }
            if let d = layer as? Dense { d.split = split }
        }
    }

    /// Sets every convolution's and dense layer's `integerArithmetic`: 8-bit integer inference (true),
    /// f32 (false), or whatever `Int8Arithmetic.enabled` says (nil). E.g. a teacher network answering
    /// in the product's arithmetic while training keeps f32.
    public func useIntegerArithmetic(_ integer: Bool?) {
        for layer in layers {
            if let c = layer as? Conv2D { c.integerArithmetic = integer }
            if let d = layer as? Dense { d.integerArithmetic = integer }
        }
    }

    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Output shape for an input shape, layer by layer.
    public func outputShape(for input: [Int]) -> [Int] {
        layers.reduce(input) { $1.outputShape(for: $0) }
    }
}
