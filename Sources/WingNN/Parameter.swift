/// A trainable tensor and the gradient accumulated for it by `backward`.
///
/// A reference type: the layer that owns it, the optimiser and the model file all see the same storage.
public final class Parameter {
    /// Stable name used by model files, e.g. `conv1.weight`.
    public let name: String
    public let shape: [Int]
    /// Every change, in place or whole, bumps `version` (layers keep derived copies keyed by it).
    public var value: [Float] { didSet { version &+= 1 } }
    /// Counts changes of `value`; a layer's repacked copy of it is stale when this moved.
    public private(set) var version = 0
    /// Sum of gradients since the last `zeroGrad()`.
    public var grad: [Float]
    /// Whether weight decay applies (weights yes, biases no).
    public let decays: Bool

    public init(name: String, shape: [Int], value: [Float], decays: Bool) {
        precondition(shape.reduce(1, *) == value.count, "Parameter \(name): shape \(shape) vs \(value.count) values")
        self.name = name
        self.shape = shape
        self.value = value
        self.grad = [Float](repeating: 0, count: value.count)
        self.decays = decays
    }

    public var count: Int { value.count }

    public func zeroGrad() {
        grad.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}
