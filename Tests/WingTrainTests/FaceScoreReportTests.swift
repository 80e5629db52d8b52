import XCTest
import FaceGeometry
@testable import WingTrain

/// `FaceScoreReport` against a localiser whose answers are known by construction: it scores a box
/// by its overlap with the face and puts the landmarks on the face only when the box overlaps it.
final class FaceScoreReportTests: XCTestCase {
    func testSharesCountScoresAndWhereTheLandmarksLanded() {
        let truth = (0..<68).map { k in Point(100 + 40 * cos(Float(k) / 68 * 2 * .pi), 120 + 50 * sin(Float(k) / 68 * 2 * .pi)) }
        let face = Box(center: Point(100, 120), side: 100)
        var seen: [String: [Float]] = [:]
        let report = FaceScoreReport(faces: 40, faceBox: { _ in face }, truth: { _ in truth }, localize: { _, box in
            let iou = box.iou(face)
            let ratio = box.width / face.width
            let kind = iou > 0.99 ? "face" : ratio > 2 ? "too large" : ratio < 0.5 ? "part" : "beside"
            seen[kind, default: []].append(ratio)
            switch kind {
            case "face": return (0.95, truth)                                            // found, sure
            case "too large": return (0.6, truth)                                        // recovers the face, not sure
            case "part": return (ratio < 0.3 ? 0.7 : 0.2, truth.map { Point($0.x * 0.2, $0.y * 0.2) })   // small parts fool it
            default: return (0.92, truth.map { Point($0.x + 200, $0.y) })                // background, sure: false accept
            }
        }, seed: 3, threshold: 0.5, sure: 0.9)
        XCTAssertEqual(report.rows.map(\.kind), ["face", "beside", "part 0.15–0.3", "part 0.3–0.45", "too large"])
        XCTAssertEqual(report.rows.map(\.boxes), [40, 40, 40, 40, 40])
        // The negative boxes are of their kind's size.
        XCTAssertEqual(seen["part"]?.count, 80)
        XCTAssertEqual(seen["part"]!.filter { $0 < 0.3 }.count, 40)
        XCTAssertTrue(seen["part"]!.allSatisfy { $0 >= 0.15 - 1e-4 && $0 <= 0.45 + 1e-4 })
        XCTAssertTrue(seen["too large"]!.allSatisfy { $0 >= 2.2 - 1e-4 && $0 <= 3.2 + 1e-4 })
        func row(_ k: String) -> FaceScoreReport.Row { report.rows.first { $0.kind == k }! }
        XCTAssertEqual([row("face").acceptedOnFace, row("face").acceptedOffFace, row("face").sureOnFace], [1, 0, 1])
        XCTAssertEqual([row("beside").acceptedOnFace, row("beside").acceptedOffFace, row("beside").sureOffFace], [0, 1, 1])
        XCTAssertEqual([row("part 0.15–0.3").acceptedOffFace, row("part 0.15–0.3").sureOffFace], [1, 0])
        XCTAssertEqual(row("part 0.3–0.45").acceptedOffFace, 0)
        XCTAssertEqual([row("too large").acceptedOnFace, row("too large").acceptedOffFace, row("too large").sureOnFace], [1, 0, 0])
        XCTAssertEqual(row("too large").medianScore, 0.6)
        XCTAssertTrue(report.markdown()[2].hasPrefix("| face | 40 | 100.0 % | 0.0 % | 100.0 % | 0.0 % | 0.950 |"))
    }
}
