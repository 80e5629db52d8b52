/// One differentiable step of a network.
///
/// `forward` keeps what `backward` needs; `backward(dOut)` returns the gradient with respect to the
/// last `forward`'s input and *adds* parameter gradients into `parameters[i].grad`.
public protocol Layer: AnyObject {
    /// Name prefix of this layer's parameters in model files.
    var name: String { get }
    var parameters: [Parameter] { get }
    /// Output shape for an input shape (batch first).
    func outputShape(for input: [Int]) -> [Int]
    func forward(_ x: Tensor) -> Tensor
    /// - Parameter needInputGradient: false for a first layer, whose input gradient nobody reads
    ///   (saves the most expensive part of its backward); the returned tensor is then empty.
    func backward(_ dOut: Tensor, needInputGradient: Bool) -> Tensor
}

extension Layer {
    public var parameters: [Parameter] { [] }
    public func backward(_ dOut: Tensor) -> Tensor { backward(dOut, needInputGradient: true) }
}
