import Foundation
import XCTest
import TestSupport
import FaceGeometry
import MediaIO
import WingNN
@testable import WingTrain

/// Builds a one-face faces68-format folder: a 224×224 dark PNG with soft bright blobs at four landmarks.
func makeBlobDataset(_ dir: URL) throws -> (shape: [Point], marked: [Int]) {
    // A plausible face-like layout: 68 points inside a 110 px box, eyes level.
    var shape: [Point] = (0..<68).map { (i: Int) -> Point in
        let col = Float(i % 9), row = Float(i / 9)
        let x: Float = 60 + col * 13 + row
        let y: Float = 60 + row * 14
        return Point(x, y)
    }
    shape[36] = Point(80, 90); shape[45] = Point(144, 92)
    for i in 37...41 { shape[i] = Point(82 + Float(i - 37) * 3, 95) }
    for i in 42...44 { shape[i] = Point(130 + Float(i - 42) * 3, 95) }
    for i in 46...47 { shape[i] = Point(135 + Float(i - 46) * 3, 97) }
    let marked = [0, 16, 36, 57]
    var img = PixelBuffer(width: 224, height: 224)
    for y in 0..<224 { for x in 0..<224 {
        var v: Float = 10
        for m in marked {
            let dx = Float(x) + 0.5 - shape[m].x, dy = Float(y) + 0.5 - shape[m].y
            let d2: Float = dx * dx + dy * dy
            v += 240 * Float(exp(Double(-d2 / 32)))
        }
        for c in 0..<3 { img.data[(y * 224 + x) * 3 + c] = UInt8(min(255, v)) }
    }}
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
    try ImageIO.writePNG(img, to: dir.appendingPathComponent("images/blob.png"))
    var header = "image,split,source,subject,yaw_deg"
    for i in 0..<68 { header += ",x\(i),y\(i)" }
    let row = "images/blob.png,train,synthetic,blob,," + shape.map { String(format: "%.3f,%.3f", $0.x, $0.y) }.joined(separator: ",")
    try (header + "\r\n" + row + "\r\n").write(to: dir.appendingPathComponent("landmarks.csv"), atomically: true, encoding: .utf8)
    return (shape, marked)
}

final class AugmentationTests: XCTestCase {
    /// Intensity centroid of plane 0 in a window around `p` (crop pixels).
    func centroid(_ input: [Float], size S: Int, near p: Point, radius: Int, offset: Float, scale: Float) -> Point {
        var sx: Float = 0, sy: Float = 0, sw: Float = 0
        let (cx, cy) = (Int(p.x), Int(p.y))
        for y in max(0, cy - radius)...min(S - 1, cy + radius) { for x in max(0, cx - radius)...min(S - 1, cx + radius) {
            let v = max(0, (input[y * S + x] - offset) / scale - 20)
            sx += v * (Float(x) + 0.5); sy += v * (Float(y) + 0.5); sw += v
        }}
        return Point(sx / sw, sy / sw)
    }

    func testTargetsLandOnTheMarksForBothStagesWithAndWithoutFlip() throws {
        let dir = try temporaryDirectory(self)
        let (_, marked) = try makeBlobDataset(dir)
        let ds = try FaceDataset(directory: dir)
        XCTAssertEqual(ds.count, 1)
        var checked = 0
        for policy in [CropPolicy.stage1, .stage2] {
            var gen = SampleGenerator(dataset: ds, policy: policy)
            gen.photometric = .none
            let S = policy.inputSize
            for seed in 0..<6 {
                for flip in [false, true] {
                    var rng = SeededGenerator(seed: UInt64(seed))
                    let s = gen.sample(0, rng: &rng, flip: flip)
                    let pts = Evaluator.points(s.target)
                    // After a flip, target j holds old point flip[j].
                    let targets = flip ? (0..<68).filter { marked.contains(Landmarks68.flip[$0]) } : marked
                    let radius = S == 64 ? 4 : 8
                    let inside = { (p: Point) in p.x > Float(radius + 1) && p.y > Float(radius + 1) && p.x < Float(S - radius - 1) && p.y < Float(S - radius - 1) }
                    // (a blob cut by the crop's edge has a shifted centroid: check whole ones)
                    for j in targets where inside(pts[j]) {
                        checked += 1
                        let c = centroid(s.input, size: S, near: pts[j], radius: radius, offset: gen.normalization.offset, scale: gen.normalization.scale)
                        XCTAssertEqual(c.x, pts[j].x, accuracy: 0.3, "\(policy.inputSize) seed \(seed) flip \(flip) point \(j)")
                        XCTAssertEqual(c.y, pts[j].y, accuracy: 0.3, "\(policy.inputSize) seed \(seed) flip \(flip) point \(j)")
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 60, "too few marks inside the crops to test anything")
    }

    func testStage2CropsAreUpright() throws {
        let dir = try temporaryDirectory(self)
        _ = try makeBlobDataset(dir)
        let ds = try FaceDataset(directory: dir)
        let gen = SampleGenerator(dataset: ds, policy: .stage2)
        var rng = SeededGenerator(seed: 1)
        let s = gen.sample(0, rng: &rng, augment: false, perturb: false)
        XCTAssertEqual(Landmarks68.roll(Evaluator.points(s.target)), 0, accuracy: 1e-4)
    }

    func testNegativesOverlapTheFaceBoxLittle() throws {
        let dir = try temporaryDirectory(self)
        _ = try makeBlobDataset(dir)
        let gen = SampleGenerator(dataset: try FaceDataset(directory: dir), policy: .stage1)
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<20 {
            let s = gen.sample(0, rng: &rng, negative: true)
            XCTAssertFalse(s.positive)
            XCTAssertEqual(s.target, [Float](repeating: 0, count: 136))
        }
    }

    func testNegativeBoxesMissTheFaceAndReachSmallParts() {
        let face = Box(center: Point(100, 80), side: 150)
        var rng = SeededGenerator(seed: 5)
        var partSides: [Float] = []
        for _ in 0..<3000 {
            let box = SampleGenerator.negativeBox(around: face, smallestPart: 0.15, rng: &rng)
            XCTAssertLessThan(box.iou(face), 0.3)
            XCTAssertEqual(box.width, box.height, accuracy: 1e-3)
            if box.width < 0.9 * face.width { partSides.append(box.width / face.width) }
        }
        // About a third of the draws are parts of the face, spread over 0.15…0.45 of its side.
        XCTAssertGreaterThan(partSides.count, 800)
        XCTAssertGreaterThanOrEqual(partSides.min()!, 0.15 - 1e-4)
        XCTAssertLessThanOrEqual(partSides.max()!, 0.45 + 1e-4)
        XCTAssertGreaterThan(partSides.filter { $0 < 0.3 }.count, partSides.count / 3)
        // The old range, still the default, has none below 0.3.
        for _ in 0..<1000 {
            let box = SampleGenerator.negativeBox(around: face, smallestPart: 0.3, rng: &rng)
            XCTAssertLessThan(box.iou(face), 0.3)
            XCTAssertGreaterThanOrEqual(box.width / face.width, 0.3 - 1e-4)
        }
    }
}

final class DatasetTests: XCTestCase {
    func testCSVErrorsNameTheLineAndCause() {
        var header = "image,split,source,subject,yaw_deg"
        for i in 0..<68 { header += ",x\(i),y\(i)" }
        let good = "a.jpg,train,afw,a,," + (0..<136).map { _ in "1.0" }.joined(separator: ",")
        XCTAssertEqual(try FaceDataset.parseCSV(header + "\n" + good + "\n", path: "l.csv").count, 1)
        func message(_ text: String) -> String {
            do { _ = try FaceDataset.parseCSV(text, path: "l.csv"); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("image,x\n").contains("l.csv line 1: header"))
        XCTAssertTrue(message(header + "\n" + good + "\na.jpg,train\n").contains("l.csv line 3: 2 fields"))
        let badNumber = good.replacingOccurrences(of: ",,1.0", with: ",,abc")
        XCTAssertTrue(message(header + "\n" + badNumber + "\n").contains("l.csv line 2: landmark 0 is not a number"))
        let badYaw = good.replacingOccurrences(of: "a,,1.0", with: "a,north,1.0")
        XCTAssertTrue(message(header + "\n" + badYaw + "\n").contains("yaw_deg 'north'"))
    }

    func testMissingFolderAndBrokenImageAreNamed() throws {
        let dir = try temporaryDirectory(self)
        XCTAssertThrowsError(try FaceDataset(directory: dir.appendingPathComponent("nope"))) {
            XCTAssertTrue("\($0)".contains("nope/landmarks.csv: cannot read"))
        }
        _ = try makeBlobDataset(dir)
        try Data("junk".utf8).write(to: dir.appendingPathComponent("images/blob.png"))
        XCTAssertThrowsError(try FaceDataset(directory: dir)) { XCTAssertTrue("\($0)".contains("images/blob.png")) }
    }
}

final class PoseBalancingTests: XCTestCase {
    func testHistogramCountsEdgesOnceAndBalancingIsFlat() {
        // Known histogram over 4 bins of [0, 4]: values on inner edges go to the upper bin, the max to the last.
        let values: [Double] = [0, 0.5, 1, 1, 1.5, 2, 3.2, 4, 4, 4, 4]
        let (bins, counts) = PoseBalancing.histogram(values, bins: 4)
        XCTAssertEqual(counts, [2, 3, 1, 5])
        XCTAssertEqual(counts.reduce(0, +), values.count)
        XCTAssertEqual(bins[2], 1)
        let idx = PoseBalancing.balancedIndices(bins: bins, counts: counts)
        var balanced = [Int](repeating: 0, count: 4)
        for i in idx { balanced[bins[i]] += 1 }
        XCTAssertEqual(balanced, [5, 5, 5, 5])
        // Every original sample appears; repeats are spread evenly (within one).
        XCTAssertEqual(Set(idx), Set(values.indices))
    }

    func testRepeatedSourcesMultiplyOnlyTheirFacesAndTyposAreRefused() throws {
        let sources = ["a", "b", "a", "c"]
        let balanced = [0, 1, 1, 2, 3]          // face 1 already duplicated by pose balancing
        XCTAssertEqual(try Trainer.repeated(balanced, sources: sources, repeats: [:]), balanced)
        let out = try Trainer.repeated(balanced, sources: sources, repeats: ["b": 3, "c": 2])
        XCTAssertEqual(out, [0, 1, 1, 1, 1, 1, 1, 2, 3, 3])
        XCTAssertThrowsError(try Trainer.repeated(balanced, sources: sources, repeats: ["helen": 2])) { e in
            XCTAssertTrue("\(e)".contains("'helen'"), "\(e)")
        }
        XCTAssertThrowsError(try Trainer.repeated(balanced, sources: sources, repeats: ["a": 0]))
    }

    func testEmptyBinsStayEmptyWithoutDividingByZero() {
        let values: [Double] = [0, 0.1, 0.2, 9.9, 10]
        let (bins, counts) = PoseBalancing.histogram(values, bins: 5)
        XCTAssertEqual(counts, [3, 0, 0, 0, 2])
        let idx = PoseBalancing.balancedIndices(bins: bins, counts: counts)
        XCTAssertEqual(idx.count, 6)
        XCTAssertEqual(idx.filter { bins[$0] == 4 }.count, 3)
        XCTAssertEqual(PoseBalancing.histogram([2, 2, 2], bins: 3).counts, [3, 0, 0])
    }

    func testPoseComponentFollowsYawOnRealData() throws {
        let data = try requireSharedData()
        let ds = try FaceDataset(directory: data.appendingPathComponent("faces68"), splits: ["train"], sources: ["aflw2000"], limit: 600)
        let pdb = PoseBalancing(shapes: ds.records.map(\.landmarks), yaw: ds.records.map(\.yawDegrees))
        XCTAssertGreaterThan(abs(pdb.yawCorrelation ?? 0), 0.85)
    }

    /// The roll that uprights stage-2 crops: on frontal faces it agrees with the eye line; in profile
    /// the eye line swings wildly (the two eyes' annotated centres nearly coincide) and it does not.
    func testRollAgreesWithTheEyeLineOnFrontalFacesAndStaysSaneInProfile() throws {
        let data = try requireSharedData()
        let ds = try FaceDataset(directory: data.appendingPathComponent("faces68"), splits: ["train", "val"], sources: ["aflw2000"])
        func degrees(_ a: Float) -> Float { abs(a * 180 / .pi) }
        func p90(_ v: [Float]) -> Float { v.sorted()[Int(0.9 * Float(v.count - 1))] }
        var frontalDifference: [Float] = [], profileRoll: [Float] = [], profileEyeLine: [Float] = []
        for r in ds.records {
            guard let yaw = r.yawDegrees else { continue }
            let roll = Landmarks68.roll(r.landmarks), eye = Landmarks68.eyeLineRoll(r.landmarks)
            if abs(yaw) < 30 {
                var d = roll - eye
                d -= 2 * .pi * (d / (2 * .pi)).rounded()
                frontalDifference.append(degrees(d))
            } else if abs(yaw) >= 60 {
                profileRoll.append(degrees(roll)); profileEyeLine.append(degrees(eye))
            }
        }
        XCTAssertGreaterThan(frontalDifference.count, 200); XCTAssertGreaterThan(profileRoll.count, 100)
        XCTAssertLessThan(p90(frontalDifference), 5, "frontal: roll vs eye line")
        XCTAssertLessThan(p90(profileRoll), 30, "profile: |roll| p90")
        XCTAssertGreaterThan(p90(profileEyeLine), 45, "profile: |eye line| p90 (why roll is not the eye line)")
    }
}
