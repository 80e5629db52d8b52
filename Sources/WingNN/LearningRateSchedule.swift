#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Learning rate as a function of the step, with an optional linear warm-up from 0.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public enum Shape: Codable, Equatable, Sendable {
        case constant
        /// Multiplied by `gamma` at each milestone step.
        case step(milestones: [Int], gamma: Float)
        /// Cosine from base to `minimum` over `totalSteps`.
        case cosine(totalSteps: Int, minimum: Float)
    }

    public var base: Float
    public var shape: Shape
    public var warmupSteps: Int

    public init(base: Float, shape: Shape, warmupSteps: Int = 0) {
        self.base = base; self.shape = shape; self.warmupSteps = warmupSteps
    }

    public func rate(at step: Int) -> Float {
        var lr: Float
        switch shape {
        case .constant: lr = base
        case let .step(milestones, gamma):
            lr = base * pow(gamma, Float(milestones.filter { step >= $0 }.count))
        case let .cosine(total, minimum):
            let t = min(1, Float(step) / Float(max(1, total)))
            lr = minimum + (base - minimum) * 0.5 * (1 + cos(Float.pi * t))
        }
        if step < warmupSteps { lr *= Float(step + 1) / Float(warmupSteps) }
        return lr
    }
}
