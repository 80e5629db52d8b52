/// y = max(0, x), element-wise. Any shape.
public final class ReLU: Layer {
    public let name: String
    private var output = Tensor(zeros: [0])

    public init(name: String = "relu") { self.name = name }

    public func outputShape(for input: [Int]) -> [Int] { input }

    public func forward(_ x: Tensor) -> Tensor {
        var y = x
        y.data.withUnsafeMutableBufferPointer { p in
            for i in p.indices where p[i] < 0 { p[i] = 0 }
        }
        output = y
        return y
    }

    /// dx = dOut where y > 0, else 0.
    public func backward(_ dOut: Tensor, needInputGradient: Bool) -> Tensor {
        var dx = dOut
        dx.data.withUnsafeMutableBufferPointer { d in
            output.data.withUnsafeBufferPointer { y in
                for i in d.indices where y[i] <= 0 { d[i] = 0 }
            }
        }
        return dx
    }
}
