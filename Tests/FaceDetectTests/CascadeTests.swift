import Foundation
import XCTest
import TestSupport
import FaceGeometry
import MediaIO
@testable import FaceDetect

final class CascadeSemanticsTests: XCTestCase {
    /// A hand-built cascade: one stage, one Haar stump on a 4×4 window comparing the left and right halves.
    func tinyCascade(threshold: Float) -> Cascade {
        let f = Cascade.HaarFeature(rects: [.init(x: 0, y: 0, width: 4, height: 4, weight: -1), .init(x: 2, y: 0, width: 2, height: 4, weight: 2)], tilted: false)
        let node = Cascade.Node(left: 0, right: -1, feature: 0, threshold: threshold, subset: [])
        return Cascade(featureType: .haar, windowWidth: 4, windowHeight: 4,
                       stages: [.init(threshold: 0.5, weak: [.init(nodes: [node], leaves: [0.2, 0.9])])], haarFeatures: [f])
    }

    func testKnownStumpOnKnownImageGivesKnownStageSum() {
        // Window 4×4: left half 0, right half 100. Feature = −Σall + 2·Σright = −800 + 1600 = 800.
        // Inner 2×2 normalisation rect holds 0, 0, 100, 100: area 4, Σ = 200, Σ² = 20000,
        // nf = √(4·20000 − 200²) = 200, so the feature value is 800 / 200 = 4.
        var px = [UInt8](repeating: 0, count: 16)
        for y in 0..<4 { for x in 2..<4 { px[y * 4 + x] = 100 } }
        let ii = IntegralImage(grey: px, width: 4, height: 4)
        for (thr, expected, passes) in [(Float(4.5), Float(0.2), false), (Float(3.5), Float(0.9), true)] {
            var seen: Float = -1
            let failed = CascadeEvaluator(cascade: tinyCascade(threshold: thr), ii: ii).firstFailedStage(x: 0, y: 0) { _, s in seen = s }
            XCTAssertEqual(seen, expected, accuracy: 1e-6)
            XCTAssertEqual(failed == nil, passes)
        }
    }

    func testFlatWindowsAreRejectedByTheVarianceGate() {
        let ii = IntegralImage(grey: [UInt8](repeating: 90, count: 16), width: 4, height: 4)
        XCTAssertEqual(CascadeEvaluator(cascade: tinyCascade(threshold: -100), ii: ii).firstFailedStage(x: 0, y: 0), 0)
    }

    func testLBPCodeBitsFollowOpenCVsOrder() {
        // 3×3 cells of 1 px; only the top-left and middle-left cells are brighter than the centre.
        let px: [UInt8] = [9, 1, 1, 9, 5, 1, 1, 1, 1]
        let c = Cascade(featureType: .lbp, windowWidth: 3, windowHeight: 3, stages: [], lbpFeatures: [.init(x: 0, y: 0, width: 1, height: 1)])
        let e = CascadeEvaluator(cascade: c, ii: IntegralImage(grey: px, width: 3, height: 3))
        XCTAssertEqual(e.lbpCode(c.lbpFeatures[0], x: 0, y: 0), 128 | 1)
    }

    func testGroupingAveragesClustersAndDropsWeakOnes() {
        let a = (0..<5).map { PixelRect(x: 100 + $0, y: 50, width: 40, height: 40) }
        let b = [PixelRect(x: 300, y: 300, width: 40, height: 40)]
        let g = groupRectangles(a + b, minNeighbors: 3)
        XCTAssertEqual(g.count, 1)
        XCTAssertEqual(g[0].rect, PixelRect(x: 102, y: 50, width: 40, height: 40))
        XCTAssertEqual(g[0].neighbors, 5)
    }

    func testBrokenCascadeFilesGiveClearErrors() throws {
        let dir = try temporaryDirectory(self)
        let good = try Data(contentsOf: Bundle.module.bundleURL.deletingLastPathComponent()
            .appendingPathComponent("wingtrack_FaceDetect.resources/Cascades/haarcascade_frontalface_alt2.xml"))
        let truncated = dir.appendingPathComponent("truncated.xml")
        try good.prefix(good.count / 2).write(to: truncated)
        // (libxml may recover a truncated document partially: then an element is missing instead)
        XCTAssertThrowsError(try Cascade(contentsOf: truncated)) {
            let m = "\($0)"
            XCTAssertTrue(m.hasPrefix(truncated.path + ": not well-formed XML") || m.hasPrefix(truncated.path + ": missing <"), m)
        }
        let wrong = dir.appendingPathComponent("wrong.xml")
        try "<?xml version=\"1.0\"?><opencv_storage><thing/></opencv_storage>".write(to: wrong, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Cascade(contentsOf: wrong)) { XCTAssertTrue("\($0)".contains("no <cascade> element"), "\($0)") }
        XCTAssertThrowsError(try Cascade(contentsOf: dir.appendingPathComponent("none.xml"))) { XCTAssertTrue("\($0)".contains("cannot read")) }
    }

    func testFastEvaluatorAgreesWithTheReference() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("samples/grace_hopper_512x512.jpg")
        let img = try ImageIO.read(url)
        let full = img.data.withUnsafeBufferPointer { GreyImage(rgb: $0.baseAddress!, width: img.width, height: img.height, rowBytes: img.rowBytes) }
        for name in ["haarcascade_frontalface_alt2", "lbpcascade_frontalface_improved", "haarcascade_profileface"] {
            let c = try FaceDetector.bundledCascade(name)
            var accepted = 0
            XCTAssertEqual(CompiledCascade(c, integralWidth: 64).twoNodeTrees, name == "haarcascade_frontalface_alt2", name)
            // Two scales: the portrait's face (≈ 225 px) at about 1.3× and 3× the window.
            for side in [Int(512 * 1.3 * Double(c.windowWidth) / 225), Int(512 * 3 * Double(c.windowWidth) / 225)] {
                let g = full.resized(width: side, height: side)
                let ii = IntegralImage(grey: g.pixels, width: g.width, height: g.height)
                let reference = CascadeEvaluator(cascade: c, ii: ii)
                let fast = CompiledCascade(c, integralWidth: g.width)
                ii.sum.withUnsafeBufferPointer { sp in ii.squares.withUnsafeBufferPointer { qp in
                    for y in 0..<(g.height - c.windowHeight) { for x in 0..<(g.width - c.windowWidth) {
                        let a = fast.accepts(sum: sp.baseAddress!, squares: qp.baseAddress!, x: x, y: y, fast.pointers)
                        let failed = reference.firstFailedStage(x: x, y: y)
                        XCTAssertEqual(a, failed == nil, "\(name) at (\(x), \(y)) in \(side) px")
                        // How deep it went (the coarse-to-fine scan depends on it); −1, the contrast
                        // rejection, is stage 0 for the reference.
                        let depth = fast.stagesPassed(sum: sp.baseAddress!, squares: qp.baseAddress!, x: x, y: y, fast.pointers)
                        XCTAssertEqual(max(0, depth), failed ?? c.stages.count, "\(name) at (\(x), \(y)) in \(side) px")
                        if a { accepted += 1 }
                    }}
                }}
            }
            if name != "haarcascade_profileface" { XCTAssertGreaterThan(accepted, 0, "\(name): the face should pass somewhere") }
        }
    }

    func testShippedCascadesLoad() throws {
        for name in ["haarcascade_frontalface_alt2", "haarcascade_profileface", "lbpcascade_frontalface_improved"] {
            let c = try FaceDetector.bundledCascade(name)
            XCTAssertGreaterThan(c.stages.count, 10, name)
        }
    }
}

final class DetectionTests: XCTestCase {
    func grey(_ img: PixelBuffer) -> GreyImage {
        img.data.withUnsafeBufferPointer { GreyImage(rgb: $0.baseAddress!, width: img.width, height: img.height, rowBytes: img.rowBytes) }
    }

    func testFindsTheAnnotatedAFWFaces() throws {
        let dir = try requireSharedData().appendingPathComponent("fixtures/afw")
        let detector = try FaceDetector.standard()
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".pts") }.sorted()
        var found = 0
        var report: [String] = []
        for n in names {
            let truth = try PtsFile.parse(String(contentsOf: dir.appendingPathComponent(n), encoding: .utf8))
            let gt = Box(center: Box(bounding: truth).center, side: Box(bounding: truth).squareSide)
            let img = try ImageIO.read(dir.appendingPathComponent(n.replacingOccurrences(of: ".pts", with: ".jpg")))
            let g = grey(img)
            detector.setSizeRange(min: max(24, min(g.width, g.height) / 16), max: nil)
            detector.threads = 1
            let detections = detector.detect(g)
            let best = detections.map { $0.box.iou(gt) }.max() ?? 0
            if best >= 0.5 { found += 1 }
            // Levels scanned on two threads: the same raw hits in the same order, the same detections.
            let rawHits = detector.frontal.rawHits(g)
            XCTAssertFalse(rawHits.isEmpty, n)
            detector.threads = 2
            XCTAssertEqual(detector.frontal.rawHits(g), rawHits, n)
            XCTAssertEqual(detector.detect(g).map { "\($0.raw) \($0.score) \($0.kind)" }, detections.map { "\($0.raw) \($0.score) \($0.kind)" }, n)
            report.append(String(format: "%@ %.2f", n, best))
        }
        print("AFW detection IoU: " + report.joined(separator: ", "))
        XCTAssertGreaterThanOrEqual(found, 11, "found \(found) of \(names.count): \(report)")
    }

    /// The coarse-to-fine scan tries a subset of OpenCV's grid: with depth 0 every coarse window
    /// refines, so it tries the whole grid and finds exactly the exhaustive hits; with the default
    /// depth its hits are a subset of those, and the face is still found where the exhaustive scan
    /// finds it.
    func testCoarseToFineScanIsASubsetOfTheExhaustiveOne() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("samples/grace_hopper_512x512.jpg")
        let g = grey(try ImageIO.read(url))
        var detector = CascadeDetector(cascade: try FaceDetector.bundledCascade(FaceDetector.defaultFrontal))
        detector.minSize = 32
        detector.refineDepth = nil
        let exhaustive = detector.rawHits(g)
        let exhaustiveFaces = detector.detect(g)
        XCTAssertEqual(exhaustiveFaces.count, 1)
        func key(_ r: PixelRect) -> String { "\(r.x),\(r.y),\(r.width)" }
        detector.refineDepth = 0
        let refinedEverywhere = detector.rawHits(g)
        XCTAssertEqual(Set(refinedEverywhere.map(key)), Set(exhaustive.map(key)))
        XCTAssertEqual(refinedEverywhere.count, exhaustive.count)
        detector.refineDepth = 4
        let coarse = detector.rawHits(g)
        XCTAssertTrue(Set(coarse.map(key)).isSubset(of: Set(exhaustive.map(key))))
        XCTAssertLessThan(coarse.count, exhaustive.count)
        let faces = detector.detect(g)
        XCTAssertEqual(faces.count, 1)
        let box = { (r: PixelRect) in Box(minX: Float(r.x), minY: Float(r.y), maxX: Float(r.x + r.width), maxY: Float(r.y + r.height)) }
        XCTAssertGreaterThan(box(faces[0].rect).iou(box(exhaustiveFaces[0].rect)), 0.8)
    }

    /// A face rolled by 35° (the portrait warped by a known rotation) is found by the −35°… rotated
    /// search, at the place the rotation moved it to and with that roll.
    func testRotatedSearchFindsARolledFaceWhereItIs() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("samples/grace_hopper_512x512.jpg")
        let upright = grey(try ImageIO.read(url))
        let detector = try FaceDetector.standard(profile: false)
        detector.setSizeRange(min: 40, max: nil)
        guard let face = detector.detectFrontal(upright).first else { return XCTFail("no face in the upright portrait") }
        // View → portrait map rotating by +35°: in the view the face is rolled by −35°.
        let angle: Float = 35 * .pi / 180
        let rot = SimilarityTransform(scale: 1, angle: angle, tx: 0, ty: 0)
        let c = Point(256, 256), shift = c - rot.apply(c)
        let viewToPortrait = SimilarityTransform(a: rot.a, b: rot.b, tx: shift.x, ty: shift.y)
        let rolled = upright.warped(side: 512, viewToImage: viewToPortrait)
        let expected = viewToPortrait.inverse.apply(face.box.center)
        let found = detector.detectRotated(rolled, degrees: -35)
        guard let best = found.first else { return XCTFail("the rotated search found nothing") }
        XCTAssertEqual(best.roll, -angle, accuracy: 1e-6)
        XCTAssertLessThan(best.box.center.distance(to: expected), 0.1 * face.box.squareSide, "\(best.box.center) vs \(expected)")
        XCTAssertEqual(best.box.squareSide, face.box.squareSide, accuracy: 0.15 * face.box.squareSide)
    }

    func testFaceFreeImagesGiveNothing() throws {
        let detector = try FaceDetector.standard()
        var rng = SystemRandomNumberGenerator()
        let (w, h) = (320, 240)
        let noise = GreyImage(width: w, height: h, pixels: (0..<(w * h)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let gradient = GreyImage(width: w, height: h, pixels: (0..<(w * h)).map { UInt8(($0 % w) * 255 / w) })
        let stripes = GreyImage(width: w, height: h, pixels: (0..<(w * h)).map { (($0 % w) / 8 + ($0 / w) / 8) % 2 == 0 ? 40 : 200 })
        for (name, img) in [("noise", noise), ("gradient", gradient), ("checkerboard", stripes)] {
            XCTAssertEqual(detector.detect(img).count, 0, name)
        }
    }
}
