import Foundation
import XCTest
import TestSupport
@testable import FaceGeometry

final class TransformTests: XCTestCase {
    func testInverseAndCompositionUndoEachOther() {
        let t = SimilarityTransform(scale: 1.7, angle: 0.4, tx: 3, ty: -2)
        let p = Point(5, 7)
        let q = t.inverse.apply(t.apply(p))
        XCTAssertEqual(q.x, p.x, accuracy: 1e-4); XCTAssertEqual(q.y, p.y, accuracy: 1e-4)
        let u = SimilarityTransform(scale: 0.5, angle: -1, tx: 1, ty: 1)
        let a = t.after(u).apply(p), b = t.apply(u.apply(p))
        XCTAssertEqual(a.x, b.x, accuracy: 1e-4); XCTAssertEqual(a.y, b.y, accuracy: 1e-4)
    }

    func testCropMapsTheBoxOntoTheOutputSquareAndUprightsTheRoll() {
        // A square of side 50 at (100, 60), rotated by 30°: its centre goes to the crop centre, its
        // rotated x axis to the crop's x axis, and the scale is 64/50.
        let angle = Float.pi / 6
        let t = SimilarityTransform.crop(center: Point(100, 60), side: 50, angle: angle, outputSize: 64)
        let c = t.apply(Point(100, 60))
        XCTAssertEqual(c.x, 32, accuracy: 1e-4); XCTAssertEqual(c.y, 32, accuracy: 1e-4)
        let e = t.apply(Point(100 + 25 * cos(angle), 60 + 25 * sin(angle)))
        XCTAssertEqual(e.x, 64, accuracy: 1e-3); XCTAssertEqual(e.y, 32, accuracy: 1e-3)
    }

    func testProcrustesRecoversAKnownSimilarity() {
        var rng = SystemRandomNumberGenerator()
        let src = (0..<20).map { _ in Point(Float.random(in: -5...5, using: &rng), Float.random(in: -5...5, using: &rng)) }
        let truth = SimilarityTransform(scale: 2.5, angle: -0.7, tx: 10, ty: 4)
        let fit = Procrustes.fit(from: src, to: truth.apply(src))
        XCTAssertEqual(fit.scale, 2.5, accuracy: 1e-4)
        XCTAssertEqual(fit.angle, -0.7, accuracy: 1e-4)
        XCTAssertEqual(fit.tx, 10, accuracy: 1e-3)
    }

    func testRollIsTheRotationOfTheMeanShapeAndZeroForIt() {
        XCTAssertEqual(Landmarks68.roll(Landmarks68.meanShape), 0, accuracy: 1e-5)
        // The mean shape is left-right symmetric: its mirror image is itself.
        let mirrored = Landmarks68.flipped(Landmarks68.meanShape, width: 0)
        for (a, b) in zip(mirrored, Landmarks68.meanShape) {
            XCTAssertEqual(a.x, b.x, accuracy: 1e-3); XCTAssertEqual(a.y, b.y, accuracy: 1e-3)
        }
        XCTAssertEqual(Landmarks68.eyeLineRoll(Landmarks68.meanShape), 0, accuracy: 1e-4)
        for degrees: Float in [-170, -35, -5, 0, 12, 90, 179] {
            let a = degrees * .pi / 180
            let t = SimilarityTransform(scale: 80, angle: a, tx: 300, ty: -20)
            var roll = Landmarks68.roll(t.apply(Landmarks68.meanShape)) - a
            roll -= 2 * .pi * (roll / (2 * .pi)).rounded()
            XCTAssertEqual(roll, 0, accuracy: 1e-4, "\(degrees)°")
        }
    }

    func testBoxIoU() {
        let a = Box(minX: 0, minY: 0, maxX: 10, maxY: 10), b = Box(minX: 5, minY: 0, maxX: 15, maxY: 10)
        XCTAssertEqual(a.iou(b), 50 / 150, accuracy: 1e-6)
        XCTAssertEqual(a.iou(Box(minX: 20, minY: 20, maxX: 30, maxY: 30)), 0)
    }
}

final class WarpTests: XCTestCase {
    /// A synthetic image with single bright pixels ("marks") at known places.
    func markedImage(width: Int, height: Int, marks: [(Int, Int)]) -> [UInt8] {
        var img = [UInt8](repeating: 0, count: width * height * 3)
        for (x, y) in marks { for c in 0..<3 { img[(y * width + x) * 3 + c] = 255 } }
        return img
    }

    func testWarpSendsMarksToTheirMappedPositions() {
        // An integer-scale similarity (scale 1, rotation 90°) keeps single pixels exact: each mark's
        // centre (x + 0.5, y + 0.5) must land on a pixel centre holding 255.
        let (W, H) = (40, 30)
        let marks = [(5, 7), (20, 15), (33, 2)]
        let img = markedImage(width: W, height: H, marks: marks)
        let t = SimilarityTransform.crop(center: Point(20, 15), side: 48, angle: .pi / 2, outputSize: 48)
        var out = [Float](repeating: 0, count: 3 * 48 * 48)
        img.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                Warp.crop(PixelView(base: p.baseAddress!, width: W, height: H, channels: 3, rowBytes: W * 3), imageToCrop: t, size: 48, into: o.baseAddress!)
            }
        }
        for (x, y) in marks {
            let q = t.apply(Point(Float(x) + 0.5, Float(y) + 0.5))
            let (u, v) = (Int(q.x.rounded(.down)), Int(q.y.rounded(.down)))
            XCTAssertEqual(q.x - Float(u), 0.5, accuracy: 1e-3)
            XCTAssertEqual(out[v * 48 + u], 255, accuracy: 1e-2, "mark (\(x), \(y)) → (\(q.x), \(q.y))")
        }
        XCTAssertEqual(out.reduce(0, +) / 255, Float(3 * marks.count), accuracy: 1e-2)
    }

    func testSubpixelShiftInterpolatesLinearly() {
        // A horizontal ramp: value = 10·x at pixel centres. A pure shift by 0.3 px reads 10·(x − 0.3)…
        let W = 20
        var img = [UInt8](repeating: 0, count: W * 3)
        for x in 0..<W { for c in 0..<3 { img[x * 3 + c] = UInt8(10 * x) } }
        let t = SimilarityTransform(a: 1, b: 0, tx: 0.3, ty: 0)
        var out = [Float](repeating: 0, count: 3 * 8 * 8)
        img.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { o in
            Warp.crop(PixelView(base: p.baseAddress!, width: W, height: 1, channels: 3, rowBytes: W * 3), imageToCrop: t, size: 8, into: o.baseAddress!)
        }}
        for u in 1..<8 { XCTAssertEqual(out[u], 10 * (Float(u) - 0.3), accuracy: 1e-3) }
    }

    func testHalvingMapsPointsByHalf() {
        let (W, H) = (8, 6)
        var img = [UInt8](repeating: 0, count: W * H * 3)
        for y in 4..<6 { for x in 2..<4 { for c in 0..<3 { img[(y * W + x) * 3 + c] = 200 } } }
        let half = img.withUnsafeBufferPointer { Warp.halve(PixelView(base: $0.baseAddress!, width: W, height: H, channels: 3, rowBytes: W * 3)) }
        // The 2×2 block with corners (2, 4)–(4, 6) becomes the pixel with corners (1, 2)–(2, 3).
        XCTAssertEqual(half[(2 * 4 + 1) * 3], 200)
        XCTAssertEqual(half.filter { $0 > 0 }.count, 3)
    }
}

final class LandmarkTests: XCTestCase {
    func shape() -> [Point] { (0..<68).map { Point(Float($0 % 17) * 3 + 10, Float($0 / 17) * 5 + 20) } }

    func testFlipTwiceIsIdentityAndSwapsTheEyes() {
        let s = shape()
        XCTAssertEqual(Landmarks68.flipped(Landmarks68.flipped(s, width: 100), width: 100), s)
        // After flipping, the new left-eye corner 36 is the mirrored old right-eye corner 45.
        let f = Landmarks68.flipped(s, width: 100)
        XCTAssertEqual(f[36], Point(100 - s[45].x, s[45].y))
        XCTAssertEqual(Set(Landmarks68.flip), Set(0..<68))
    }

    func testNMEAndCurveMetricsOnAHandComputedCase() {
        var truth = [Point](repeating: Point(0, 0), count: 68)
        truth[36] = Point(0, 0); truth[45] = Point(10, 0)
        let pred = truth.map { $0 + Point(0, 0.5) }   // every point 0.5 off; inter-ocular 10
        XCTAssertEqual(Metrics.nmeInterOcular(pred, truth), 0.05, accuracy: 1e-6)
        let errors: [Float] = [0.01, 0.02, 0.05, 0.09, 0.2]
        XCTAssertEqual(Metrics.failureRate(errors, threshold: 0.08), 0.4, accuracy: 1e-6)
        XCTAssertEqual(Metrics.median(errors), 0.05)
        // CED at 0.08 reaches 3/5; AUC = ∫ CED / 0.08 over [0, 0.08] = (0.07 + 0.06 + 0.03)·(1/5)/0.08 = 0.4.
        XCTAssertEqual(Metrics.auc(errors, limit: 0.08, steps: 8000), 0.4, accuracy: 2e-3)
    }

    func testPtsParserReadsAllHeaderVariantsAndConvertsToCorners() throws {
        let text = "version: 1.0\nn_points: 3\n{\n1.5 2.5\n10.000000 20.000000\n3 4\n}\n"
        let p = try PtsFile.parse(text)
        XCTAssertEqual(p, [Point(1, 2), Point(9.5, 19.5), Point(2.5, 3.5)])
        XCTAssertThrowsError(try PtsFile.parse("version: 1\nn_points: 2\n{\n1 2\n}\n"))
        XCTAssertThrowsError(try PtsFile.parse("n_points: 1\n{\n1 x\n}\n"))
    }

    func testPtsFixturesParse() throws {
        let data = try requireSharedData()
        let dir = data.appendingPathComponent("fixtures/afw")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".pts") }
        XCTAssertEqual(files.count, 14)
        for f in files {
            let pts = try PtsFile.parse(String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8))
            XCTAssertEqual(pts.count, 68, f)
        }
    }

    func testPCAFindsTheDominantDirection() {
        var rng = SystemRandomNumberGenerator()
        let rows: [[Float]] = (0..<300).map { _ in
            let t = Float.random(in: -3...3, using: &rng)
            return [t, 2 * t + Float.random(in: -0.01...0.01, using: &rng), 0.5]
        }
        let pca = PCA(rows, components: 1)
        let c = pca.components[0]
        XCTAssertEqual(abs(c[1] / c[0]), 2, accuracy: 0.01)
    }
}
