import Foundation

/// The One-Euro filter (Casiez, Roussel & Vogel, CHI 2012) on one scalar signal: a low-pass filter
/// whose cut-off rises with the signal's speed, so that slow jitter is smoothed and fast motion
/// is followed with little lag.
public struct OneEuroFilter: Sendable {
    /// Cut-off at rest (Hz), speed coefficient, cut-off of the derivative (Hz).
    public var minCutoff: Double, beta: Double, derivativeCutoff: Double
    private var last: (t: Double, x: Double, dx: Double)?

    public init(minCutoff: Double = 1.0, beta: Double = 0.05, derivativeCutoff: Double = 1.0) {
        self.minCutoff = minCutoff; self.beta = beta; self.derivativeCutoff = derivativeCutoff
    }

    static func alpha(cutoff: Double, dt: Double) -> Double {
        let tau = 1 / (2 * Double.pi * cutoff)
        return 1 / (1 + tau / dt)
    }

    /// Filters `x` observed at time `t` (seconds, increasing).
    public mutating func filter(_ x: Double, at t: Double) -> Double {
        guard let p = last, t > p.t else { last = (t, x, 0); return x }
        let dt = t - p.t
        let dx = (x - p.x) / dt
        let ad = OneEuroFilter.alpha(cutoff: derivativeCutoff, dt: dt)
        let dxHat = ad * dx + (1 - ad) * p.dx
        let a = OneEuroFilter.alpha(cutoff: minCutoff + beta * abs(dxHat), dt: dt)
        let xHat = a * x + (1 - a) * p.x
        last = (t, xHat, dxHat)
        return xHat
    }

    /// Forgets the history (after a re-acquisition).
    public mutating func reset() { last = nil }
}
