/// Fast fixed-point text for the CSV: the characters `String(format: "%.Nf", x)` writes for a
/// float, without Foundation's formatter (136 coordinates per row made it a tenth of a 1280×720
/// frame's tracking time).
enum FixedDecimal {
    private static let powers: [Double] = [1, 10, 100, 1_000, 10_000]

    /// Appends `x` with `decimals` (0…4) digits after the point, exactly as `%.Nf` does: the exact
    /// binary value (a float times 10⁴ is exact in a double) rounded half to even, a "-" for every
    /// negative value, also when it rounds to zero. Values that are not finite or too large for the
    /// integer route go through `String(format:)`.
    static func append(_ x: Float, decimals: Int, to s: inout String) {
        precondition((0...4).contains(decimals))
        let scaled = (Double(x) * powers[decimals]).rounded(.toNearestOrEven)
        guard x.isFinite, abs(scaled) < 1e15 else { s += String(format: "%.\(decimals)f", x); return }
        if x.sign == .minus { s += "-" }
        let v = Int(abs(scaled)), unit = Int(powers[decimals])
        s += String(v / unit)
        guard decimals > 0 else { return }
        s += "."
        let fraction = String(v % unit)
        if fraction.count < decimals { s += String(repeating: "0", count: decimals - fraction.count) }
        s += fraction
    }
}
