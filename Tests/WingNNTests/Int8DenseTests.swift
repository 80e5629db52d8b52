import XCTest
import TestSupport
@testable import WingNN

/// The batch-1 8-bit dense product (`wt_int8_dense` through `Dense.predict`) against exact integer
/// sums of the same quantisation computed here with plain loops, and against f32.
final class Int8DenseTests: Int8TestCase {
    func layer(_ k: Int, _ o: Int, seed: UInt64, relu: Bool) -> Dense {
        var rng = SeededGenerator(seed: seed)
        let d = Dense(name: "fc", inFeatures: k, outFeatures: o, relu: relu, rng: &rng)
        d.bias.value = (0..<o).map { Float($0 % 5) * 0.1 - 0.2 }
        if o > 3 { d.weight.value.replaceSubrange((2 * k)..<(3 * k), with: repeatElement(0, count: k)) }   // an all-zero row
        return d
    }

    func input(_ k: Int, seed: UInt64, signed: Bool) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: [1, k], data: (0..<k).map { _ in signed ? Float.random(in: -1.5...2, using: &rng) : max(0, Float.random(in: -0.3...4, using: &rng)) })
    }

    /// The quantised layer by plain loops, as the header states it: exact integer sums with the
    /// input's zero point subtracted, scaled, + bias, ReLU.
    func reference(_ d: Dense, _ x: Tensor) -> [Float] {
        let (hi, lo) = (max(0, x.data.max()!), min(0, x.data.min()!))
        let inputScale = hi > lo ? (hi - lo) / 255 : 1, inverse = 1 / inputScale
        let zero = Int((-lo / inputScale).rounded(.toNearestOrEven))
        let qx = x.data.map { min(255, max(0, Int(($0 * inverse).rounded(.toNearestOrEven)) + zero)) - zero }
        let k = d.inFeatures
        return (0..<d.outFeatures).map { o in
            let row = d.weight.value[(o * k)..<((o + 1) * k)]
            let m = row.map(abs).max()!
            let s = m > 0 ? m / 127 : 1
            var acc = 0
            for (i, w) in row.enumerated() { acc += Int((w / s).rounded(.toNearestOrEven)) * qx[i] }
            let v = Float(Double(acc) * Double(inputScale) * Double(s)) + d.bias.value[o]
            return d.relu ? max(0, v) : v
        }
    }

    /// Input sizes that are and are not multiples of four (and of the kernel's unrolling), output rows
    /// of one part-full block to several blocks, halves that end inside a block; inputs after a ReLU
    /// and of both signs; with and without the ReLU; on one thread and two (the same bits).
    func testOutputsAreTheExactIntegerSumsOfTheQuantisedLayer() {
        let cases = [(2048, 1024), (1024, 409), (13, 7), (64, 16), (1027, 33), (5, 48), (300, 137)]
        for (i, (k, o)) in cases.enumerated() {
            let d = layer(k, o, seed: UInt64(i), relu: i % 3 != 1)
            let x = input(k, seed: UInt64(40 + i), signed: i % 2 == 1)
            let y = d.predict(x).data
            assertClose(y, reference(d, x), rtol: 1e-5, atol: 1e-5, "case \(i): \(k)→\(o)")
            d.split = ForwardSplit(helperThread: true)
            XCTAssertEqual(d.predict(x).data, y, "case \(i) on two threads")
        }
    }

    /// Close to f32, not equal to it (so the int8 path ran); a non-finite input, or the switch off,
    /// gives `forward`'s bits; `forward` (training) is f32 whatever the switch.
    func testCloseToF32AndFallsBack() {
        let d = layer(2048, 256, seed: 9, relu: false)
        var x = input(2048, seed: 10, signed: false)
        let int8 = d.predict(x).data
        let f32 = d.forward(x).data
        let scale = f32.map(abs).max()!
        let worst = zip(int8, f32).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 0.02 * scale)
        XCTAssertGreaterThan(worst, 0, "int8 and f32 should not agree to the bit: is the int8 path running?")
        x.data[100] = .nan
        XCTAssertEqual(d.predict(x).data.map(\.bitPattern), d.forward(x).data.map(\.bitPattern), "a NaN input must keep f32")
        x.data[100] = .infinity
        XCTAssertEqual(d.predict(x).data.map(\.bitPattern), d.forward(x).data.map(\.bitPattern), "an infinite input must keep f32")
        x.data[100] = 1
        Int8Arithmetic.enabled = false
        XCTAssertEqual(d.predict(x).data, d.forward(x).data, "switched off, predict is forward")
    }
}
