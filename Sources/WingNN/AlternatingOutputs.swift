/// Two output tensors that a layer writes in turn. The layer after it may still hold the previous
/// output (a convolution keeps its input for backward), and writing into a shared buffer would copy
/// it; a fresh tensor each call would cost fresh pages instead.
struct AlternatingOutputs {
    private var buffers = [Tensor(zeros: [0]), Tensor(zeros: [0])]
    private var turn = 0

    /// The next buffer, shaped `shape` (contents undefined) and held by the caller alone while it
    /// writes; hand it back with `keep` before returning it.
    mutating func next(_ shape: [Int]) -> Tensor {
        turn ^= 1
        var t = buffers[turn]
        buffers[turn] = Tensor(zeros: [0])
        t.reuse(as: shape)
        return t
    }

    /// Stores the written buffer for its next turn.
    mutating func keep(_ t: Tensor) { buffers[turn] = t }
}
