import Foundation
import XCTest
import TestSupport
import WingNN
@testable import WingTrain

/// The JPEG-like augmentation against the definitions: DCT by its formula, Annex K table scaling,
/// near-identity at quality 100, and visible 8×8 blocking at low quality.
final class JPEGLikeTests: XCTestCase {
    func testDCTMatchesItsDefinitionAndInvertsExactly() {
        var rng = SeededGenerator(seed: 3)
        let block = (0..<64).map { _ in Float.random(in: -128...127, using: &rng) }
        let f = JPEGLike.forward(block)
        for u in 0..<8 { for v in 0..<8 {
            // F(u, v) = ¼ C(u) C(v) Σ_{x,y} f(x, y) cos((2x+1)uπ/16) cos((2y+1)vπ/16), C(0) = 1/√2.
            var s = 0.0
            for y in 0..<8 { for x in 0..<8 {
                s += Double(block[y * 8 + x]) * cos(Double(2 * y + 1) * Double(u) * .pi / 16) * cos(Double(2 * x + 1) * Double(v) * .pi / 16)
            }}
            let cu = u == 0 ? 1 / 2.0.squareRoot() : 1, cv = v == 0 ? 1 / 2.0.squareRoot() : 1
            XCTAssertEqual(Double(f[u * 8 + v]), 0.25 * cu * cv * s, accuracy: 1e-3, "F(\(u), \(v))")
        }}
        assertClose(JPEGLike.inverse(f), block, rtol: 0, atol: 1e-3, "inverse(forward(b)) = b")
    }

    func testQualityScalesTheAnnexKTablesLikeIJG() {
        XCTAssertEqual(JPEGLike.scaled(JPEGLike.luminanceTable, quality: 50), JPEGLike.luminanceTable)
        XCTAssertEqual(Set(JPEGLike.scaled(JPEGLike.chrominanceTable, quality: 100)), [1])
        let q10 = JPEGLike.scaled(JPEGLike.luminanceTable, quality: 10)   // factor 500 %, capped at 255
        XCTAssertEqual(q10[0], 80); XCTAssertEqual(q10[1], 55); XCTAssertEqual(q10.max(), 255)
    }

    /// A smooth grey pattern, S×S, as three planes (not aligned to the 8×8 grid).
    func ramp(_ S: Int = 64) -> [Float] {
        let g = (0..<(S * S)).map { i in 128 + 60 * sin(Float(i % S) / 5) * cos(Float(i / S) / 7) }
        return g + g + g
    }

    func testQuality100IsNearlyLossless() {
        var x = ramp()
        let original = x
        JPEGLike.degrade(&x, size: 64, quality: 100)
        let err = zip(x, original).map { abs($0 - $1) }
        XCTAssertLessThan(err.max()!, 2)
        XCTAssertLessThan(err.reduce(0, +) / Float(err.count), 0.5)
    }

    /// Mean |horizontal step| across 8×8 block boundaries (columns 7|8, 15|16, …) ÷ inside blocks.
    func blockiness(_ x: [Float], _ S: Int) -> Float {
        var across: [Float] = [], inside: [Float] = []
        for y in 0..<S { for xx in 0..<(S - 1) {
            let d = abs(x[y * S + xx + 1] - x[y * S + xx])
            if xx % 8 == 7 { across.append(d) } else { inside.append(d) }
        }}
        return (across.reduce(0, +) / Float(across.count)) / (inside.reduce(0, +) / Float(inside.count))
    }

    func testLowQualityLeavesBlockEdgesAndErrorFallsWithQuality() {
        let S = 64
        let original = ramp(S)
        let base = blockiness(original, S)   // the pattern's own ratio (0.7)
        func degraded(_ q: Int) -> [Float] { var z = original; JPEGLike.degrade(&z, size: S, quality: q); return z }
        func meanError(_ z: [Float]) -> Float { zip(z, original).map { abs($0 - $1) }.reduce(0, +) / Float(z.count) }
        XCTAssertGreaterThan(blockiness(degraded(10), S), 2 * base)
        XCTAssertEqual(blockiness(degraded(100), S), base, accuracy: 0.05)
        let errors = [10, 30, 60, 90].map { meanError(degraded($0)) }
        XCTAssertEqual(errors, errors.sorted(by: >), "error falls as quality rises: \(errors)")
        XCTAssertLessThan(errors[0], 12)
    }

    func testColourSurvivesAndOddSizesWork() {
        // A flat orange 20×20 crop (edge blocks padded): the colour comes back within a few levels.
        let S = 20
        var x = [Float](repeating: 230, count: S * S) + [Float](repeating: 120, count: S * S) + [Float](repeating: 30, count: S * S)
        JPEGLike.degrade(&x, size: S, quality: 30)
        for (c, v) in [(0, Float(230)), (1, 120), (2, 30)] {
            for i in 0..<(S * S) { XCTAssertEqual(x[c * S * S + i], v, accuracy: 6, "channel \(c) pixel \(i)") }
        }
    }

    func testOlderConfigsWithoutJPEGDecodeAsTrained() throws {
        // A checkpoint written before the JPEG augmentation existed resumes without it.
        let old = #"{"enabled":true,"brightness":25,"contrast":0.3,"channelGain":0.1,"greyscale":0.1,"blur":0.15,"noise":0.2}"#
        let decoded = try JSONDecoder().decode(Photometric.self, from: Data(old.utf8))
        XCTAssertEqual(decoded.jpeg, 0)
        XCTAssertEqual(decoded.blur, 0.15)
        XCTAssertEqual(Photometric().jpeg, 0.1)
        let roundTrip = try JSONDecoder().decode(Photometric.self, from: JSONEncoder().encode(Photometric()))
        XCTAssertEqual(roundTrip, Photometric())
    }

    /// The occluder covers one rectangle of the stated size near the middle, in every channel, with a
    /// flat colour or noise, and nothing else moves; configs from before the option decode with it
    /// off; on, the augmentation applies it.
    func testOcclusionCoversOneRectangleAndOlderConfigsDecodeWithoutIt() throws {
        let S = 64, plane = S * S
        for seed in UInt64(0)..<40 {
            var rng = SeededGenerator(seed: seed)
            let original = (0..<(3 * plane)).map { Float($0 % 251) + 0.5 }   // no occluder colour can equal it
            var x = original
            let (xs, ys) = Augment.occlude(&x, size: S, rng: &rng)
            XCTAssertTrue((9...29).contains(xs.count) && (9...29).contains(ys.count), "seed \(seed): \(xs) × \(ys)")
            XCTAssertTrue(xs.lowerBound >= 0 && xs.upperBound <= S && ys.lowerBound >= 0 && ys.upperBound <= S)
            XCTAssertTrue(xs.lowerBound <= 55 && xs.upperBound >= 9 && ys.lowerBound <= 55 && ys.upperBound >= 9, "near the middle")
            for c in 0..<3 { for y in 0..<S { for xx in 0..<S {
                let i = c * plane + y * S + xx
                if xs.contains(xx) && ys.contains(y) { XCTAssertNotEqual(x[i], original[i], "seed \(seed) covered (\(xx), \(y))") }
                else { XCTAssertEqual(x[i], original[i], "seed \(seed) outside (\(xx), \(y))") }
            }}}
        }
        let old = #"{"enabled":true,"brightness":25,"contrast":0.3,"channelGain":0.1,"greyscale":0.1,"blur":0.15,"noise":0.2,"jpeg":0.1}"#
        XCTAssertEqual(try JSONDecoder().decode(Photometric.self, from: Data(old.utf8)).occlusion, 0)
        var on = Photometric(); on.occlusion = 1
        XCTAssertEqual(try JSONDecoder().decode(Photometric.self, from: JSONEncoder().encode(on)).occlusion, 1)
        // On, the augmentation covers a rectangle: a crop of one flat grey keeps at most the grey
        // outside it (the other steps are off) and differs inside.
        var plain = Photometric(); plain.brightness = 0; plain.contrast = 0; plain.channelGain = 0
        plain.greyscale = 0; plain.blur = 0; plain.noise = 0; plain.jpeg = 0
        var occluding = plain; occluding.occlusion = 1
        let grey = [Float](repeating: 100.25, count: 3 * plane)
        var a = grey, b = grey, r1 = SeededGenerator(seed: 5), r2 = SeededGenerator(seed: 5)
        Augment.photometric(&a, size: S, settings: plain, rng: &r1)
        Augment.photometric(&b, size: S, settings: occluding, rng: &r2)
        XCTAssertEqual(a, grey, "with every step off the crop is unchanged")
        let changed = zip(b, grey).filter { $0 != $1 }.count
        XCTAssertTrue((3 * 81...3 * 29 * 29).contains(changed), "\(changed) values covered")
    }
}
