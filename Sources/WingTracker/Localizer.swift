import Foundation
import FaceGeometry
import WingNN

/// The paper's two-stage localiser.
///
/// From a face box (a detector's, calibrated to the landmarks' bounding square, or the previous
/// frame's landmarks): a similarity crop 64×64 → CNN-6 → coarse landmarks; their roll (Procrustes
/// against the mean shape, `Landmarks68.roll`) and upright box → a rotation-corrected crop 128×128
/// → CNN-7 → 68 landmarks in image coordinates,
/// plus the face score (sigmoid of CNN-7's face logit). Not thread-safe (networks keep buffers):
/// one localiser per thread.
public final class Localizer {
    public struct Result: Sendable {
        /// 68 points in image coordinates.
        public var landmarks: [Point]
        /// Probability that the final crop shows a face (0…1).
        public var faceScore: Float
        /// CNN-6's landmarks (image coordinates).
        public var coarse: [Point]
        public var coarseFaceScore: Float
    }

    public let stage1: ModelFile.Loaded
    public let stage2: ModelFile.Loaded?
    /// Crop side ÷ the landmarks' bounding-square side, per stage (as trained).
    public var boxScale1: Float = 1.2
    public var boxScale2: Float = 1.2
    /// Also run CNN-7 on its crop mirrored left–right and average the two answers (on val 6.40 →
    /// 6.21 % mean NME, docs/experiments.md). With a helper thread the two passes run at once, each
    /// on one thread; alone, it doubles CNN-7's time.
    public var flipAverage = false { didSet { configureThreads() } }
    /// The labelling convention to answer in (a name from a network's `spec.conventions`); a network
    /// without it answers with its first (or only) block.
    public var convention: String?
    /// Who runs work on a second thread (`use(_:layerHalves:)`).
    private var split = ForwardSplit.serial
    /// Whether the networks cut each layer in two halves on `split` (else only flip-average's two
    /// passes use it).
    private var layerHalves = true
    /// CNN-7 again, sharing its weights: it takes the mirrored crop while CNN-7 takes the crop.
    private lazy var mirrorNetwork: Sequential? = stage2?.twin().network

    /// - Parameter stage2: nil runs CNN-6 alone (its landmarks are then the result).
    public init(stage1: ModelFile.Loaded, stage2: ModelFile.Loaded?) {
        self.stage1 = stage1
        self.stage2 = stage2
        if let p = Localizer.policy(of: stage1) { boxScale1 = p.boxScale }
        if let s2 = stage2, let p = Localizer.policy(of: s2) { boxScale2 = p.boxScale }
    }

    /// Loads `cnn6.wtm` and `cnn7.wtm` from a folder (CNN-7 optional when `requireStage2` is false).
    public convenience init(modelsDirectory dir: URL, requireStage2: Bool = true) throws {
        let s1 = try ModelFile.load(dir.appendingPathComponent("cnn6.wtm"))
        let url2 = dir.appendingPathComponent("cnn7.wtm")
        let s2 = (requireStage2 || FileManager.default.fileExists(atPath: url2.path)) ? try ModelFile.load(url2) : nil
        self.init(stage1: s1, stage2: s2)
    }

    /// A localiser with the same weights (shared, not copied) and settings and buffers of its own,
    /// without a helper thread: for running faces on a second thread (`MultiFaceTracker`).
    public func twin() -> Localizer {
        let t = Localizer(stage1: stage1.twin(), stage2: stage2?.twin())
        t.boxScale1 = boxScale1; t.boxScale2 = boxScale2
        t.flipAverage = flipAverage; t.convention = convention
        return t
    }

    /// Lets the networks use `split`'s helper thread when a core is free: with `layerHalves` CNN-6
    /// and CNN-7 run each layer's two halves at once; with `flipAverage` CNN-7's two passes run at
    /// once. The results are bit-identical either way.
    public func use(_ split: ForwardSplit, layerHalves: Bool = true) {
        self.split = split
        self.layerHalves = layerHalves
        configureThreads()
    }

    private func configureThreads() {
        let halves = layerHalves ? split : .serial
        stage1.network.use(halves)
        stage2?.network.use(flipAverage ? .serial : halves)
        if flipAverage { mirrorNetwork?.use(.serial) }
    }

    static func policy(of m: ModelFile.Loaded) -> CropPolicyRecord? {
        guard let json = m.header.provenance["policy"], let d = json.data(using: .utf8) else { return nil }
        return try? JSONDecoder().decode(CropPolicyRecord.self, from: d)
    }

    /// The part of a stored crop policy the localiser needs.
    struct CropPolicyRecord: Decodable { var boxScale: Float }

    /// Runs one network on the crop of `image` given by `imageToCrop`; returns its landmarks mapped
    /// back to the image and its face probability.
    /// With `flipAverage`, CNN-7's twin also sees the crop mirrored left–right, and the two answers
    /// are averaged (points mirrored back, renumbered and moved by the model's mirror offsets; scores
    /// averaged).
    public func run(_ model: ModelFile.Loaded, on image: PixelView, imageToCrop: SimilarityTransform) -> ([Point], Float) {
        let spec = model.header.spec
        let S = spec.inputSize
        let input = networkInput(model, image, imageToCrop)
        let L = spec.landmarkCount
        let b = 2 * L * block(in: spec)
        let logit = { (out: [Float]) -> Float in spec.faceLogit ? 1 / (1 + exp(-out[out.count - 1])) : 1 }
        var pts: [Point], score: Float
        if flipAverage, L == Landmarks68.count, model.network === stage2?.network, let twin = mirrorNetwork {
            let flipped = Localizer.mirrored(input, side: S)
            var out = [Float](), outM = [Float]()
            split.run({ out = model.network.predict(input).data }, { outM = twin.predict(flipped).data })
            var m = Localizer.mirroredBack(outM, block: b, landmarkCount: L, inputSize: S)
            if let d = model.header.mirrorOffsets?[block(in: spec)] { for i in 0..<L { m[i] = m[i] + Point(d[i], d[L + i]) } }
            pts = (0..<L).map { (Point(out[b + $0], out[b + L + $0]) + m[$0]) * 0.5 }
            score = (logit(out) + logit(outM)) / 2
        } else {
            let out = model.network.predict(input).data
            pts = (0..<L).map { Point(out[b + $0], out[b + L + $0]) }
            score = logit(out)
        }
        let back = imageToCrop.inverse
        return (pts.map { back.apply($0) }, score)
    }

    /// The 68 points of the output block starting at `b` of a network that saw its crop mirrored
    /// left–right, mirrored back into the crop (x → S − x, renumbered by `Landmarks68.flipped`).
    static func mirroredBack(_ out: [Float], block b: Int, landmarkCount L: Int, inputSize S: Int) -> [Point] {
        Landmarks68.flipped((0..<L).map { Point(out[b + $0], out[b + L + $0]) }, width: Float(S))
    }

    /// `input` mirrored left–right (each row of each channel reversed).
    private static func mirrored(_ input: Tensor, side S: Int) -> Tensor {
        var flipped = input
        flipped.data.withUnsafeMutableBufferPointer { x in
            for row in 0..<(x.count / S) { x[(row * S)..<(row * S + S)].reverse() }
        }
        return flipped
    }

    /// The crop of `image` given by `imageToCrop` at `model`'s input size, normalised as it was trained.
    private func networkInput(_ model: ModelFile.Loaded, _ image: PixelView, _ imageToCrop: SimilarityTransform) -> Tensor {
        let S = model.header.spec.inputSize
        var input = Tensor(zeros: [1, 3, S, S])
        input.data.withUnsafeMutableBufferPointer { Warp.cropPrefiltered(image, imageToCrop: imageToCrop, size: S, into: $0.baseAddress!) }
        let (sc, off) = (model.header.input.scale, model.header.input.offset)
        input.data.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = $0[i] * sc + off } }
        return input
    }

    /// The output block a network of `spec` answers in: `convention`'s, else the first (or only) one.
    func block(in spec: NetworkSpec) -> Int { convention.flatMap { spec.conventions.firstIndex(of: $0) } ?? 0 }

    /// The labelling conventions CNN-7 can answer in (empty: one block, its sources' mixed styles).
    public var conventions: [String] { stage2?.header.spec.conventions ?? [] }

    /// The networks that make the landmarks: "cnn6" (CNN-6 alone) or "cnn6+cnn7" (two-stage).
    public var networks: String { stage2 == nil ? "cnn6" : "cnn6+cnn7" }

    /// The convention the landmarks come in: "mixed" for a one-block CNN-7 (or none).
    public var answerConvention: String {
        guard let spec = stage2?.header.spec, !spec.conventions.isEmpty else { return "mixed" }
        return spec.conventions[block(in: spec)]
    }

    /// The upright crop around `shape` that CNN-7 sees.
    private func stage2Crop(around shape: [Point], outputSize: Int) -> SimilarityTransform {
        let (center, side, angle) = FaceCrop.around(shape, boxScale: boxScale2, upright: true)
        return .crop(center: center, side: side, angle: angle, outputSize: outputSize)
    }

    /// A network's view of one crop, for analysis and `wingtrack refit`: its last hidden layer (the
    /// output layer's input), its outputs in `convention`'s block (crop pixels, all x then all y)
    /// followed by the face logit, and the crop transform. With `mirroredOutput`, the same block's
    /// answer for the crop mirrored left–right, mirrored back (as flip-averaging sees it before the
    /// mirror offsets).
    public struct Features {
        public var hidden: [Float], output: [Float]
        public var imageToCrop: SimilarityTransform
        public var mirroredOutput: [Float]?
    }

    /// CNN-6 on the crop `coarse(_:box:roll:)` makes.
    public func stage1Features(_ image: PixelView, box: Box, roll: Float = 0) -> Features {
        features(stage1, image, stage1Crop(box, roll: roll))
    }

    /// CNN-7 on the upright crop around `shape` (as `refine` makes it), and with `mirrored` also on
    /// that crop mirrored. Nil without CNN-7.
    public func stage2Features(_ image: PixelView, from shape: [Point], mirrored: Bool = false) -> Features? {
        stage2.map { features($0, image, stage2Crop(around: shape, outputSize: $0.header.spec.inputSize), mirrored: mirrored) }
    }

    private func features(_ model: ModelFile.Loaded, _ image: PixelView, _ t: SimilarityTransform, mirrored: Bool = false) -> Features {
        let spec = model.header.spec
        let (S, L) = (spec.inputSize, spec.landmarkCount)
        let input = networkInput(model, image, t)
        var x = input
        for layer in model.network.layers.dropLast() { x = layer.forward(x) }
        let out = model.network.layers.last!.forward(x).data
        let b = 2 * L * block(in: spec)
        var f = Features(hidden: x.data, output: Array(out[b..<(b + 2 * L)]) + (spec.faceLogit ? [out.last!] : []), imageToCrop: t)
        if mirrored {
            let m = Localizer.mirroredBack(model.network.predict(Localizer.mirrored(input, side: S)).data, block: b, landmarkCount: L, inputSize: S)
            f.mirroredOutput = m.map(\.x) + m.map(\.y)
        }
        return f
    }

    /// Localises the face in `box` (square around the face, in the landmarks'-bounding-square
    /// convention), with the face rolled by `roll` radians (0 for a detector box).
    public func localize(_ image: PixelView, box: Box, roll: Float = 0) -> Result {
        let (shape, score1) = coarse(image, box: box, roll: roll)
        return refine(image, from: shape, coarseScore: score1)
    }

    /// Stage 1 alone: the crop of `box` (scaled by `boxScale1`) rolled by `roll` → CNN-6; its landmarks
    /// in image coordinates and its face score.
    public func coarse(_ image: PixelView, box: Box, roll: Float = 0) -> ([Point], Float) {
        run(stage1, on: image, imageToCrop: stage1Crop(box, roll: roll))
    }

    /// Stage 1 from a previous shape: its upright crop → CNN-6.
    public func coarse(_ image: PixelView, around shape: [Point]) -> ([Point], Float) {
        let (center, side, angle) = FaceCrop.around(shape, boxScale: boxScale1, upright: true)
        return coarse(image, center: center, side: side, angle: angle)
    }

    private func coarse(_ image: PixelView, center: Point, side: Float, angle: Float) -> ([Point], Float) {
        run(stage1, on: image, imageToCrop: stage1Crop(center: center, side: side, angle: angle))
    }

    /// CNN-6's crop of `box`: its square scaled by `boxScale1`, turned by `roll`.
    private func stage1Crop(_ box: Box, roll: Float) -> SimilarityTransform {
        stage1Crop(center: box.center, side: box.squareSide * boxScale1, angle: roll)
    }

    /// CNN-6's crop: side `side` around `center`, turned by `angle`.
    private func stage1Crop(center: Point, side: Float, angle: Float) -> SimilarityTransform {
        .crop(center: center, side: side, angle: angle, outputSize: stage1.header.spec.inputSize)
    }

    /// Stage 2 alone: the upright crop around `shape` → CNN-7.
    public func refine(_ image: PixelView, from shape: [Point], coarseScore: Float = 1) -> Result {
        guard let stage2 else { return Result(landmarks: shape, faceScore: coarseScore, coarse: shape, coarseFaceScore: coarseScore) }
        let (pts, score) = run(stage2, on: image, imageToCrop: stage2Crop(around: shape, outputSize: stage2.header.spec.inputSize))
        return Result(landmarks: pts, faceScore: score, coarse: shape, coarseFaceScore: coarseScore)
    }
}
