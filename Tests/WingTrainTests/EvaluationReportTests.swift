import Foundation
import XCTest
import TestSupport
import FaceGeometry
@testable import WingTrain

/// `EvaluationReport` against errors known by construction: every prediction is the truth moved
/// sideways by a chosen distance, so each face's NME is that distance ÷ the inter-ocular distance.
final class EvaluationReportTests: XCTestCase {
    func testSourcesAndYawBinsSummariseTheFacesTheyHold() throws {
        let dir = try temporaryDirectory(self)
        let (shape, _) = try makeBlobDataset(dir)
        // Five faces of the same image: no yaw, and |yaw| on and between the bin edges.
        let csv = dir.appendingPathComponent("landmarks.csv")
        let lines = try String(contentsOf: csv, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
        let yaws = ["", "10", "-30", "45.5", "-75"]
        let rows = yaws.enumerated().map { k, yaw in
            lines[1].replacingOccurrences(of: "train,synthetic,blob,,", with: "val,\(yaw.isEmpty ? "afw" : "aflw2000"),f\(k),\(yaw),")
        }
        try ([lines[0]] + rows).joined(separator: "\n").appending("\n").write(to: csv, atomically: true, encoding: .utf8)
        let ds = try FaceDataset(directory: dir, splits: ["val"])
        XCTAssertEqual(ds.count, 5)

        let shifts: [Float] = [1, 2, 3, 4, 8]
        let iod = shape[36].distance(to: shape[45])
        let report = EvaluationReport(method: "m", dataset: ds) { i in ds.records[i].landmarks.map { Point($0.x + shifts[i], $0.y) } }
        let nme = shifts.map { $0 / iod }
        XCTAssertEqual(report.overall.count, 5)
        XCTAssertEqual(report.overall.nme_io_mean, nme.reduce(0, +) / 5, accuracy: 1e-5)
        XCTAssertEqual(report.sources["afw"]?.count, 1)
        XCTAssertEqual(report.sources["aflw2000"]?.nme_io_mean ?? 0, (nme[1] + nme[2] + nme[3] + nme[4]) / 4, accuracy: 1e-5)
        XCTAssertEqual(Set(report.yaw.keys), ["0-30", "30-60", "60-90"])
        XCTAssertEqual(report.yaw["0-30"]?.count, 2, "10° and the edge at −30° (the face without yaw is in no bin)")
        XCTAssertEqual(report.yaw["0-30"]?.nme_io_mean ?? 0, (nme[1] + nme[2]) / 2, accuracy: 1e-5)
        XCTAssertEqual(report.yaw["30-60"]?.nme_io_mean ?? 0, nme[3], accuracy: 1e-5)
        XCTAssertEqual(report.yaw["60-90"]?.nme_io_mean ?? 0, nme[4], accuracy: 1e-5)
        // By the truth's box: the same shifts ÷ √(w·h) of the 68 points' bounding box.
        let (xs, ys) = (shape.map(\.x), shape.map(\.y))
        let side = ((xs.max()! - xs.min()!) * (ys.max()! - ys.min()!)).squareRoot()
        XCTAssertEqual(report.overall.nme_box_mean ?? 0, shifts.reduce(0, +) / 5 / side, accuracy: 1e-5)
        XCTAssertEqual(report.yaw["60-90"]?.nme_box_mean ?? 0, shifts[4] / side, accuracy: 1e-5)

        // The JSON carries the bins, the table lists them after the sources in bin order, and old JSON
        // without them still decodes.
        let json = try JSONEncoder().encode(report)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: Any])
        XCTAssertEqual((object["yaw"] as? [String: Any])?.count, 3)
        XCTAssertEqual(report.markdownRows().map { $0.split(separator: "|")[1].trimmingCharacters(in: .whitespaces) },
                       ["all", "aflw2000", "afw", "yaw ±0-30°", "yaw ±30-60°", "yaw ±60-90°"])
        var old = object; old.removeValue(forKey: "yaw"); old.removeValue(forKey: "nme_box_mean")
        let decoded = try JSONDecoder().decode(EvaluationReport.self, from: JSONSerialization.data(withJSONObject: old))
        XCTAssertTrue(decoded.yaw.isEmpty)
        XCTAssertNil(decoded.overall.nme_box_mean)
        XCTAssertEqual(decoded.overall.nme_io_mean, report.overall.nme_io_mean)
    }
}
