import XCTest
import FaceGeometry
import WingNN
@testable import WingTracker

/// `Localizer.flipAverage`: CNN-7 on the crop and on its mirror, averaged. Checked by symmetry: the
/// averaged answer on a mirrored image must be the mirror of the answer on the image, which the
/// plain network (random weights here) is far from. A wrong renumbering or a wrong x' = S − x fails it.
final class LocalizerTests: XCTestCase {
    /// A small random CNN-7-shaped network (128×128 input, 68 points and a face logit) through a model file.
    private func randomStage2(mirrorOffsets: [[Float]]? = nil) throws -> ModelFile.Loaded {
        let spec = NetworkSpec(name: "cnn7", inputSize: 128, convChannels: [4, 4, 8, 8, 8, 8], hiddenUnits: 16)
        let net = spec.build(seed: 3)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("localizer-test-\(getpid()).wtm")
        defer { try? FileManager.default.removeItem(at: url) }
        let header = ModelHeader(spec: spec, input: .centeredUnit, meanShape: [Float](repeating: 0, count: 136), provenance: [:],
                                 mirrorOffsets: mirrorOffsets)
        try ModelFile.save(net, header: header, halfPrecision: false, to: url)
        return try ModelFile.load(url)
    }

    /// The model's mirror offsets move the flip-averaged answer by half the offset, point by point (in
    /// the final numbering), mapped from crop pixels to the image; the plain answer does not move.
    func testMirrorOffsetsMoveTheFlipAveragedAnswerByHalf() throws {
        let saved = Int8Arithmetic.enabled
        defer { Int8Arithmetic.enabled = saved }
        Int8Arithmetic.enabled = false
        let (W, H) = (200, 160)
        var rng = SeededGenerator(seed: 9)
        let image = (0..<(W * H * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let offsets = [(0..<136).map { _ in Float.random(in: -4...4, using: &rng) }]
        let without = Localizer(stage1: try randomStage2(), stage2: try randomStage2())
        let with = Localizer(stage1: try randomStage2(), stage2: try randomStage2(mirrorOffsets: offsets))
        // Crop pixels = 0.8 · rotated image pixels + shift: an image step is a crop step ÷ 0.8, turned back.
        let toCrop = SimilarityTransform(scale: 0.8, angle: 0.3, tx: -20, ty: 12)
        func answer(_ l: Localizer) -> [Point] {
            image.withUnsafeBufferPointer { l.run(l.stage2!, on: PixelView(base: $0.baseAddress!, width: W, height: H, channels: 3, rowBytes: W * 3), imageToCrop: toCrop).0 }
        }
        XCTAssertEqual(answer(with), answer(without), "without flip-averaging the offsets are not used")
        without.flipAverage = true; with.flipAverage = true
        let (a, b) = (answer(with), answer(without))
        let back = toCrop.inverse
        for i in 0..<68 {
            let step = back.apply(Point(offsets[0][i] / 2, offsets[0][68 + i] / 2)) - back.apply(Point(0, 0))
            XCTAssertEqual(a[i].x - b[i].x, step.x, accuracy: 1e-3, "point \(i)")
            XCTAssertEqual(a[i].y - b[i].y, step.y, accuracy: 1e-3, "point \(i)")
        }
    }

    /// In f32 the symmetry is exact up to float rounding: this checks the renumbering and x' = S − x.
    func testFlipAverageIsMirrorSymmetric() throws {
        let saved = Int8Arithmetic.enabled
        defer { Int8Arithmetic.enabled = saved }
        Int8Arithmetic.enabled = false
        for seed in UInt64(1)...3 { try checkFlipAverage(seed: seed, tolerance: 1e-3, scoreTolerance: 1e-5) }
    }

    /// In 8-bit integers the crop of the mirrored image and the mirror of the crop differ by float
    /// rounding, which can move a quantised value by one step: the symmetry holds to a small fraction
    /// of a pixel instead of exactly (at most 0.002 px and 2·10⁻⁴ of face score over 30 seeds; the
    /// bounds are ten times that).
    func testFlipAverageIsNearlyMirrorSymmetricInInt8() throws {
        try XCTSkipUnless(Int8Arithmetic.supported, "this CPU has no AVX-512 VNNI: inference is f32, checked above")
        let saved = Int8Arithmetic.enabled
        defer { Int8Arithmetic.enabled = saved }
        Int8Arithmetic.enabled = true
        for seed in UInt64(1)...3 { try checkFlipAverage(seed: seed, tolerance: 0.02, scoreTolerance: 5e-3) }
    }

    /// The flip-averaged answer on a mirrored random image against the mirror of the answer on the
    /// image (`tolerance` in pixels), with a random network far from symmetric by itself; a helper thread
    /// gives the same bits; the average lies between the plain answer and its mirror's.
    private func checkFlipAverage(seed: UInt64, tolerance: Float, scoreTolerance: Float) throws {
        let (W, H) = (200, 160)
        var rng = SeededGenerator(seed: seed)
        var image = [UInt8](repeating: 0, count: W * H * 3)
        for i in image.indices { image[i] = UInt8.random(in: 0...255, using: &rng) }
        var mirror = image
        for y in 0..<H { for x in 0..<W { for c in 0..<3 { mirror[(y * W + W - 1 - x) * 3 + c] = image[(y * W + x) * 3 + c] } } }
        // A rolled face shape around the middle, and its mirror.
        let roll = SimilarityTransform(scale: 55, angle: 0.2, tx: 95, ty: 82)
        let shape = Landmarks68.meanShape.map { roll.apply($0) }
        let mirroredShape = Landmarks68.flipped(shape, width: Float(W))

        let localizer = Localizer(stage1: try randomStage2(), stage2: try randomStage2())
        func answers() -> (Localizer.Result, Localizer.Result) {
            let a = image.withUnsafeBufferPointer { localizer.refine(PixelView(base: $0.baseAddress!, width: W, height: H, channels: 3, rowBytes: W * 3), from: shape) }
            let b = mirror.withUnsafeBufferPointer { localizer.refine(PixelView(base: $0.baseAddress!, width: W, height: H, channels: 3, rowBytes: W * 3), from: mirroredShape) }
            return (a, b)
        }
        func asymmetry(_ a: Localizer.Result, _ b: Localizer.Result) -> Float {
            zip(a.landmarks, Landmarks68.flipped(b.landmarks, width: Float(W))).map { $0.distance(to: $1) }.max()!
        }

        let (plainA, plainB) = answers()
        let plain = asymmetry(plainA, plainB)
        XCTAssertGreaterThan(plain, 0.5, "the random network should not be mirror-symmetric by itself")

        localizer.flipAverage = true
        let (a, b) = answers()
        XCTAssertLessThan(asymmetry(a, b), tolerance, "seed \(seed): flip-averaged landmarks (plain network: \(plain) px apart)")
        XCTAssertEqual(a.faceScore, b.faceScore, accuracy: scoreTolerance, "seed \(seed)")
        // With a helper thread the two passes run at once: the same answer to the bit.
        localizer.use(ForwardSplit(helperThread: true))
        let (a2, b2) = answers()
        XCTAssertEqual(a2.landmarks, a.landmarks)
        XCTAssertEqual(b2.landmarks, b.landmarks)
        XCTAssertEqual(a2.faceScore, a.faceScore)
        // The average of the two passes, so it lies between the plain answer and its mirror's.
        for i in 0..<68 {
            let m = Landmarks68.flipped(plainB.landmarks, width: Float(W))[i]
            XCTAssertEqual(a.landmarks[i].x, (plainA.landmarks[i].x + m.x) / 2, accuracy: tolerance)
            XCTAssertEqual(a.landmarks[i].y, (plainA.landmarks[i].y + m.y) / 2, accuracy: tolerance)
        }
    }
}
