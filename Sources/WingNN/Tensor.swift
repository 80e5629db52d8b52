/// A dense float32 tensor in row-major order. Image batches are NCHW: `[N, C, H, W]`.
///
/// A value type: copies share storage until one of them writes (copy-on-write).
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    /// Zero-filled tensor of the given shape.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// A tensor whose values the caller must all overwrite before reading (skips zero-filling).
    public init(uninitialized shape: [Int]) {
        self.shape = shape
        self.data = [Float](unsafeUninitializedCapacity: shape.reduce(1, *)) { _, n in n = shape.reduce(1, *) }
    }

    /// Makes `self` a tensor of `shape`, reusing its storage when the size matches (contents then
    /// undefined). Layers keep their big buffers this way across steps: fresh 100 MB allocations
    /// cost more in page faults than the arithmetic that fills them.
    public mutating func reuse(as shape: [Int]) {
        if data.count == shape.reduce(1, *) { self.shape = shape } else { self = Tensor(uninitialized: shape) }
    }

    /// Wraps `data`; its count must equal the product of `shape`.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "Tensor: shape \(shape) needs \(shape.reduce(1, *)) values, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    public var count: Int { data.count }
    /// The leading (batch) dimension.
    public var batch: Int { shape[0] }
    /// Values per batch item.
    public var itemCount: Int { shape.dropFirst().reduce(1, *) }

    /// The same values with another shape of equal size.
    public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, data: data) }

    /// Batch items `range`, copied.
    public func rows(_ range: Range<Int>) -> Tensor {
        var shape = self.shape
        shape[0] = range.count
        return Tensor(shape: shape, data: Array(data[(range.lowerBound * itemCount)..<(range.upperBound * itemCount)]))
    }
}
