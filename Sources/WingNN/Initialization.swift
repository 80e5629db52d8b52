/// A small deterministic random generator (SplitMix64) so that runs repeat exactly for a seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal sample (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = Float.random(in: Float.ulpOfOne..<1, using: &self)
        let u2 = Float.random(in: 0..<1, using: &self)
        return (-2 * log(u1)).squareRoot() * cos(2 * Float.pi * u2)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// He (Kaiming) normal initialisation: N(0, 2 / fanIn), suited to ReLU networks.
func heNormal(count: Int, fanIn: Int, rng: inout SeededGenerator) -> [Float] {
    let std = (2 / Float(fanIn)).squareRoot()
    return (0..<count).map { _ in rng.normal() * std }
}
