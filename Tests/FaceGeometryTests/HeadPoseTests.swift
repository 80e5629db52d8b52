import Foundation
import XCTest
import TestSupport
@testable import FaceGeometry

final class HeadPoseTests: XCTestCase {
    /// A deformation that turns the mean shape: the nose and mouth slide sideways, the far half of the
    /// jaw narrows (not a similarity, so the alignment keeps it).
    static func turned(_ t: Float) -> [Point] {
        Landmarks68.meanShape.enumerated().map { i, p in
            var q = p
            if (27...35).contains(i) || (48...67).contains(i) { q.x += 0.2 * t }
            if p.x > 0 { q.x -= 0.3 * t * p.x }
            return q
        }
    }

    /// Roll is the rotation between the mean shape and the points, in degrees, whatever their
    /// position and size: the mean shape has none, and rotating any shape by θ adds exactly θ. (An
    /// asymmetric shape, as a face turned in depth, has a little of its own: least squares over all
    /// points.)
    func testRollIsTheInPlaneRotationInDegrees() {
        XCTAssertEqual(HeadPose.roll(Landmarks68.meanShape), 0, accuracy: 1e-4)
        for shape in [Landmarks68.meanShape, Self.turned(0.4)] {
            let base = HeadPose.roll(shape)
            XCTAssertLessThan(abs(base), 3)
            for degrees: Float in [-40, -10, 5, 30] {
                let t = SimilarityTransform(scale: 120, angle: degrees * .pi / 180, tx: 300, ty: 200)
                XCTAssertEqual(HeadPose.roll(t.apply(shape)) - base, degrees, accuracy: 0.01)
            }
        }
    }

    /// A pose model with weights along the turn: yaw ignores position, size and roll, is exactly
    /// opposite for the mirrored face when the weights are antisymmetric, and is clamped to ±90°.
    func testYawIgnoresSimilaritiesAndMirrorsExactly() throws {
        let ref = HeadPose.symmetrised(Landmarks68.meanShape)
        // Antisymmetric weights: w · mirror(x) = −w · x (the mirror flips x and renumbers).
        let a = HeadPose.aligned(Self.turned(0.5), to: ref), m = HeadPose.aligned(HeadPose.mirrored(Self.turned(0.5)), to: ref)
        let w = zip(a, m).map { ($0 - $1) * 10 }
        let pose = HeadPose(reference: ref, yawWeights: w, yawOffset: 0, provenance: [:])
        for t: Float in [0.1, 0.3] {
            let s = Self.turned(t), yaw = pose.yaw(s)
            XCTAssertGreaterThan(abs(yaw), 0.5)
            XCTAssertEqual(pose.yaw(HeadPose.mirrored(s)), -yaw, accuracy: 1e-3)
            let moved = SimilarityTransform(scale: 80, angle: 0.4, tx: 500, ty: 90).apply(s)
            XCTAssertEqual(pose.yaw(moved), yaw, accuracy: 1e-2)
        }
        XCTAssertEqual(pose.yaw(Self.turned(0)), 0, accuracy: 1e-3, "the symmetric mean face looks straight ahead")
        let strong = HeadPose(reference: ref, yawWeights: w.map { $0 * 1e4 }, yawOffset: 0, provenance: [:])
        XCTAssertEqual(abs(strong.yaw(Self.turned(0.3))), 90)
    }

    /// The file round-trips; a wrong count, a non-finite value or a bad format is an error naming the file.
    func testFileRoundTripAndBadFiles() throws {
        let dir = try temporaryDirectory(self)
        let ref = HeadPose.symmetrised(Landmarks68.meanShape)
        let pose = HeadPose(reference: ref, yawWeights: (0..<136).map { Float($0) / 100 }, yawOffset: 1.5, provenance: ["faces": "3"])
        let url = dir.appendingPathComponent("head_pose.json")
        try pose.save(url)
        let back = try HeadPose.load(url)
        XCTAssertEqual(back.yawWeights, pose.yawWeights); XCTAssertEqual(back.reference, pose.reference)
        XCTAssertEqual(back.yawOffset, 1.5); XCTAssertEqual(back.provenance, ["faces": "3"])
        let text = try String(contentsOf: url, encoding: .utf8)
        let bad: [(String, String)] = [
            (text.replacingOccurrences(of: "\"yawOffset\" : 1.5", with: "\"yawOffset\" : 1e999"), "not a head-pose file"),
            (text.replacingOccurrences(of: "wingtrack-head-pose 1", with: "wingtrack-head-pose 9"), "format"),
            ("{}", "not a head-pose file"),
            (String(text.prefix(200)), "not a head-pose file"),
        ]
        for (k, (contents, cause)) in bad.enumerated() {
            let f = dir.appendingPathComponent("bad\(k).json")
            try contents.write(to: f, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try HeadPose.load(f), "case \(k)") { e in
                XCTAssertTrue("\(e)".contains(f.path) && "\(e)".contains(cause), "case \(k): \(e)")
            }
        }
        var short = pose; short.yawWeights.removeLast()
        let f = dir.appendingPathComponent("short.json")
        try short.save(f)
        XCTAssertThrowsError(try HeadPose.load(f)) { XCTAssertTrue("\($0)".contains("136"), "\($0)") }
        XCTAssertThrowsError(try HeadPose.load(dir.appendingPathComponent("missing.json"))) { XCTAssertTrue("\($0)".contains("cannot read"), "\($0)") }
    }
}
