import XCTest
import TestSupport
import FaceGeometry
import WingNN
@testable import WingTrain

final class HeadPoseFitTests: XCTestCase {
    /// Shapes turned by a known amount (the mean shape deformed along a fixed left–right asymmetric
    /// direction, plus noise, placed anywhere with any roll) with yaw = 60° × the turn: the fit
    /// recovers the yaw of new shapes to within the noise, and mirrors exactly.
    func testRecoversAKnownLinearYaw() throws {
        var rng = SeededGenerator(seed: 5)
        func uniform(_ r: ClosedRange<Float>) -> Float { Float.random(in: r, using: &rng) }
        let mean = Landmarks68.meanShape
        let direction = mean.enumerated().map { i, p in Point((27...67).contains(i) ? 0.2 : -0.1 * p.x, 0.05 * p.x * p.y) }
        func sample(_ t: Float) -> [Point] {
            let s = zip(mean, direction).map { $0 + $1 * t + Point(uniform(-0.004...0.004), uniform(-0.004...0.004)) }
            return SimilarityTransform(scale: uniform(50...200), angle: uniform(-0.5...0.5), tx: uniform(0...640), ty: uniform(0...360)).apply(s)
        }
        var rows = HeadPoseFit.Rows()
        for k in 0..<400 {
            let t = uniform(-1...1)
            rows.append(sample(t), yaw: 60 * t, subject: "s\(k % 40)")
        }
        let (pose, outcome) = try XCTUnwrap(HeadPoseFit.fit(rows))
        XCTAssertGreaterThan(outcome.heldOutRows, 0)
        XCTAssertLessThan(outcome.chosenHeldOutMAE, 2)
        var errors: [Float] = []
        for _ in 0..<50 {
            let t = uniform(-1...1), s = sample(t)
            errors.append(abs(pose.yaw(s) - 60 * t))
            XCTAssertEqual(pose.yaw(HeadPose.mirrored(s)), -pose.yaw(s), accuracy: 0.01)
        }
        XCTAssertLessThan(errors.reduce(0, +) / Float(errors.count), 2, "mean yaw error on new shapes")
    }

    /// Without held-out subjects (or without others) there is nothing to choose the strength on.
    func testNeedsHeldOutAndOtherSubjects() {
        var rows = HeadPoseFit.Rows()
        let held = (0..<200).map { "s\($0)" }.first { HeadRefit.isHeldOut(subject: $0) }!
        for _ in 0..<10 { rows.append(Landmarks68.meanShape, yaw: 0, subject: held) }
        XCTAssertNil(HeadPoseFit.fit(rows))
    }
}
