import XCTest
import TestSupport
import FaceGeometry
import WingNN
@testable import WingTrain

/// `HeadRefit`: the block update is exactly the fitted correction, and the strength chosen on held-out
/// subjects finds a real linear bias and leaves pure noise alone.
final class HeadRefitTests: XCTestCase {
    /// A mean-shape-like truth per row (eyes apart, so NME is defined), crop pixels, all x then all y.
    func truth(_ rng: inout SeededGenerator) -> [Float] {
        let base = Landmarks68.meanShape.map { Point($0.x * 40 + 64, $0.y * 40 + 64) }
        let p = base.map { $0 + Point(Float.random(in: -2...2, using: &rng), Float.random(in: -2...2, using: &rng)) }
        return p.map(\.x) + p.map(\.y)
    }

    /// Rows whose output misses the truth by hidden·A (+ noise); `biasScale` 0 leaves noise only.
    func rows(subjects: Int, perSubject: Int, hidden k: Int, biasScale: Float, seed: UInt64) -> HeadRefit.Rows {
        var rng = SeededGenerator(seed: seed)
        let m = 2 * Landmarks68.count
        let a = (0..<(k * m)).map { _ in biasScale * Float.random(in: -1...1, using: &rng) }
        var rows = HeadRefit.Rows(hiddenCount: k, coordinateCount: m)
        for s in 0..<subjects { for _ in 0..<perSubject {
            let h = (0..<k).map { _ in max(0, Float.random(in: -10...10, using: &rng)) }   // ReLU outputs
            let t = truth(&rng)
            let o = (0..<m).map { j in t[j] - (0..<k).reduce(0) { $0 + h[$1] * a[$1 * m + j] } + Float.random(in: -1...1, using: &rng) }
            rows.append(hidden: h, truth: t, output: o, subject: "subject\(s)")
        } }
        return rows
    }

    func testFindsALinearBiasOnHeldOutSubjects() throws {
        let rows = rows(subjects: 60, perSubject: 10, hidden: 16, biasScale: 0.2, seed: 1)
        let (_, outcome) = try XCTUnwrap(HeadRefit.fit(rows, convention: "c"))
        XCTAssertGreaterThan(outcome.heldOutRows, 40)
        XCTAssertLessThan(outcome.heldOutRows, 250, "about one subject in five is held out")
        XCTAssertNotNil(outcome.lambda, "a real linear bias needs the linear part, not the offset alone")
        XCTAssertLessThan(outcome.heldOutAfter, 0.5 * outcome.heldOutBefore)
    }

    /// "one-se" takes the strongest strength within one standard error of the best held-out figure.
    func testOneStandardErrorRuleTakesTheStrongestCloseCandidate() throws {
        let rows = rows(subjects: 60, perSubject: 10, hidden: 16, biasScale: 0.2, seed: 1)
        let (_, best) = try XCTUnwrap(HeadRefit.fit(rows, convention: "c", rule: .best))
        let (_, se) = try XCTUnwrap(HeadRefit.fit(rows, convention: "c", rule: .oneStandardError))
        let lowest = best.candidates.values.min()!
        XCTAssertEqual(best.heldOutAfter, lowest)
        XCTAssertLessThanOrEqual(se.heldOutAfter, lowest + se.standardError)
        XCTAssertGreaterThan(se.standardError, 0)
        let key = { (l: Double?) in l.map { String(format: "%g", $0) } ?? "offset" }
        for lambda in HeadRefit.lambdas {
            if lambda == se.lambda { break }
            XCTAssertGreaterThan(se.candidates[key(lambda)]!, lowest + se.standardError, "a stronger λ within one SE was passed over")
        }
    }

    func testLeavesPureNoiseAlmostAlone() throws {
        let rows = rows(subjects: 60, perSubject: 10, hidden: 16, biasScale: 0, seed: 2)
        let (solution, outcome) = try XCTUnwrap(HeadRefit.fit(rows, convention: "c"))
        XCTAssertLessThanOrEqual(outcome.heldOutAfter, outcome.heldOutBefore * 1.01)
        XCTAssertLessThan(solution.weights.map(abs).max()!, 0.01, "noise is not fitted (a bias of 0.2 per unit is what the other test finds)")
    }

    func testNoHeldOutSubjectsMeansNoFit() {
        // One subject: either all rows are held out or none are.
        var rows = rows(subjects: 1, perSubject: 5, hidden: 4, biasScale: 1, seed: 3)
        rows.subjects = rows.subjects.map { _ in "only" }
        XCTAssertNil(HeadRefit.fit(rows, convention: "c"))
    }

    /// Mirrored answers that miss the truth by a constant vector: the offset is minus that vector (to
    /// the noise), and it lowers the held-out flip-averaged NME, so it is kept.
    func testMirrorOffsetRemovesTheMirroredPassBias() throws {
        var rng = SeededGenerator(seed: 5)
        let m = 2 * Landmarks68.count
        let bias = (0..<m).map { _ in Float.random(in: -3...3, using: &rng) }
        var plain = HeadRefit.Rows(hiddenCount: 0, coordinateCount: m), mirrored = plain
        for s in 0..<50 { for _ in 0..<4 {
            let t = truth(&rng)
            plain.append(hidden: [], truth: t, output: t.map { $0 + Float.random(in: -1...1, using: &rng) }, subject: "subject\(s)")
            mirrored.append(hidden: [], truth: t, output: zip(t, bias).map { $0 + $1 + Float.random(in: -1...1, using: &rng) }, subject: "subject\(s)")
        } }
        let (offset, outcome) = try XCTUnwrap(HeadRefit.mirrorOffset(plain: plain, mirrored: mirrored, convention: "c"))
        XCTAssertTrue(outcome.kept)
        XCTAssertLessThan(outcome.heldOutAfter, 0.6 * outcome.heldOutBefore)
        for j in 0..<m { XCTAssertEqual(offset[j], -bias[j], accuracy: 0.15, "coordinate \(j)") }
    }

    /// When the held-out subjects' mirrored answers lean the other way from everyone else's, the offset
    /// fitted on the others makes them worse: it is dropped (zeros).
    func testMirrorOffsetThatDoesNotHoldOutIsDropped() throws {
        var rng = SeededGenerator(seed: 6)
        let m = 2 * Landmarks68.count
        var plain = HeadRefit.Rows(hiddenCount: 0, coordinateCount: m), mirrored = plain
        for s in 0..<50 {
            let subject = "subject\(s)"
            let lean: Float = HeadRefit.isHeldOut(subject: subject) ? -2 : 2
            for _ in 0..<4 {
                let t = truth(&rng)
                plain.append(hidden: [], truth: t, output: t, subject: subject)
                mirrored.append(hidden: [], truth: t, output: t.map { $0 + lean }, subject: subject)
            }
        }
        let (offset, outcome) = try XCTUnwrap(HeadRefit.mirrorOffset(plain: plain, mirrored: mirrored, convention: "c"))
        XCTAssertFalse(outcome.kept)
        XCTAssertGreaterThan(outcome.heldOutAfter, outcome.heldOutBefore)
        XCTAssertEqual(offset, [Float](repeating: 0, count: m))
    }

    /// After `apply`, the layer's block outputs are the old ones plus the fit's prediction; the other
    /// blocks and the face logit are bit-identical.
    func testApplyMovesExactlyItsBlock() throws {
        var rng = SeededGenerator(seed: 4)
        let (k, m, blocks) = (12, 2 * Landmarks68.count, 3)
        let layer = Dense(name: "fc2", inFeatures: k, outFeatures: blocks * m + 1, rng: &rng)
        for i in layer.bias.value.indices { layer.bias.value[i] = Float.random(in: -1...1, using: &rng) }
        let x = Tensor(shape: [2, k], data: (0..<(2 * k)).map { _ in Float.random(in: 0...1, using: &rng) })
        let before = layer.forward(x).data
        let fit = RidgeProblem.Solution(weights: (0..<(k * m)).map { _ in Double.random(in: -0.1...0.1, using: &rng) },
                                        offset: (0..<m).map { _ in Double.random(in: -1...1, using: &rng) })
        HeadRefit.apply(fit, to: layer, block: 1)
        let after = layer.forward(x).data
        let correction = fit.predict(x.data, rows: 2)
        let width = blocks * m + 1
        for n in 0..<2 { for o in 0..<width {
            let (b, a) = (before[n * width + o], after[n * width + o])
            if o >= m && o < 2 * m {
                XCTAssertEqual(Double(a), Double(b) + correction[n * m + (o - m)], accuracy: 1e-4)
            } else {
                XCTAssertEqual(a, b, "output \(o) is outside the block and must not move")
            }
        } }
    }
}
