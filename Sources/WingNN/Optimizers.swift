/// Updates parameters from their accumulated gradients.
public protocol Optimizer: AnyObject {
    var parameters: [Parameter] { get }
    /// One update with learning rate `lr`. Gradients are left as they are (call `zeroGrad` yourself).
    func step(lr: Float)
}

/// SGD with (optionally Nesterov) momentum and L2 weight decay on decaying parameters:
/// g ← ∇ + λ·θ;  v ← μ·v + g;  θ ← θ − lr·(nesterov ? g + μ·v : v)   (PyTorch's formulation).
public final class SGD: Optimizer {
    public let parameters: [Parameter]
    public var momentum: Float, nesterov: Bool, weightDecay: Float
    public private(set) var velocity: [[Float]]

    public init(_ parameters: [Parameter], momentum: Float = 0.9, nesterov: Bool = true, weightDecay: Float = 0) {
        self.parameters = parameters; self.momentum = momentum; self.nesterov = nesterov; self.weightDecay = weightDecay
        velocity = parameters.map { [Float](repeating: 0, count: $0.count) }
    }

    /// Puts back velocities saved from a run with the same parameters.
    public func restore(velocity v: [[Float]]) {
        precondition(v.count == velocity.count && zip(v, velocity).allSatisfy { $0.count == $1.count }, "SGD.restore: shapes differ")
        velocity = v
    }

    public func step(lr: Float) {
        for (i, p) in parameters.enumerated() {
            let wd = p.decays ? weightDecay : 0
            let (mu, nest) = (momentum, nesterov)
            p.value.withUnsafeMutableBufferPointer { w in
            p.grad.withUnsafeBufferPointer { g in
            velocity[i].withUnsafeMutableBufferPointer { v in
                for j in 0..<w.count {
                    let gj = g[j] + wd * w[j]
                    if mu == 0 { w[j] -= lr * gj; continue }
                    v[j] = mu * v[j] + gj
                    w[j] -= lr * (nest ? gj + mu * v[j] : v[j])
                }
            }}}
        }
    }
}

/// Adam, or AdamW when `decoupled` (weight decay applied to θ directly rather than added to ∇).
public final class Adam: Optimizer {
    public let parameters: [Parameter]
    public var beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, decoupled: Bool
    private var m: [[Float]], v: [[Float]]
    private var t = 0

    public init(_ parameters: [Parameter], beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupled: Bool = true) {
        self.parameters = parameters; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.weightDecay = weightDecay; self.decoupled = decoupled
        m = parameters.map { [Float](repeating: 0, count: $0.count) }
        v = m
    }

    public func step(lr: Float) {
        t += 1
        let c1 = 1 - pow(beta1, Float(t)), c2 = 1 - pow(beta2, Float(t))
        for (i, p) in parameters.enumerated() {
            let wd = p.decays ? weightDecay : 0
            let (b1, b2, eps, dec) = (beta1, beta2, epsilon, decoupled)
            p.value.withUnsafeMutableBufferPointer { w in
            p.grad.withUnsafeBufferPointer { g in
            m[i].withUnsafeMutableBufferPointer { mm in
            v[i].withUnsafeMutableBufferPointer { vv in
                for j in 0..<w.count {
                    var gj = g[j]
                    if dec { w[j] -= lr * wd * w[j] } else { gj += wd * w[j] }
                    mm[j] = b1 * mm[j] + (1 - b1) * gj
                    vv[j] = b2 * vv[j] + (1 - b2) * gj * gj
                    w[j] -= lr * (mm[j] / c1) / ((vv[j] / c2).squareRoot() + eps)
                }
            }}}}
        }
    }
}

/// Scales all gradients so that their global L2 norm is at most `maxNorm`; returns the norm before.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    var sq: Double = 0
    for p in parameters { for g in p.grad { sq += Double(g * g) } }
    let norm = Float(sq.squareRoot())
    if norm > maxNorm, norm.isFinite {
        let s = maxNorm / norm
        for p in parameters { p.grad.withUnsafeMutableBufferPointer { for j in $0.indices { $0[j] *= s } } }
    }
    return norm
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
