/// `[N, C, H, W]` → `[N, C·H·W]` (no data movement).
public final class Flatten: Layer {
    public let name: String
    private var inputShape: [Int] = []

    public init(name: String = "flatten") { self.name = name }

    public func outputShape(for input: [Int]) -> [Int] { [input[0], input.dropFirst().reduce(1, *)] }

    public func forward(_ x: Tensor) -> Tensor {
        inputShape = x.shape
        return x.reshaped(outputShape(for: x.shape))
    }

    public func backward(_ dOut: Tensor, needInputGradient: Bool) -> Tensor { dOut.reshaped(inputShape) }
}
