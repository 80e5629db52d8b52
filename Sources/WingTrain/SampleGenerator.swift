import Foundation
import FaceGeometry
import WingNN

/// How training crops are cut for one stage of the two-stage localiser.
public struct CropPolicy: Codable, Equatable, Sendable {
    /// Network input side in pixels (64 for CNN-6, 128 for CNN-7).
    public var inputSize: Int
    /// Crop side ÷ the side of the landmarks' bounding square.
    public var boxScale: Float
    /// Rotate the face upright (by its eye-line roll) before boxing: stage 2.
    public var upright: Bool
    /// Perturbation ranges: uniform in ±rotation (degrees), ±scale (fraction), ±shift (fraction of the side).
    public var rotationDegrees: Float
    public var scaleJitter: Float
    public var shiftJitter: Float

    public init(inputSize: Int, boxScale: Float, upright: Bool, rotationDegrees: Float, scaleJitter: Float, shiftJitter: Float) {
        self.inputSize = inputSize; self.boxScale = boxScale; self.upright = upright
        self.rotationDegrees = rotationDegrees; self.scaleJitter = scaleJitter; self.shiftJitter = shiftJitter
    }

    /// Stage 1: a detector-like or previous-frame box, rotation ±30°, scale ±10 %, shift ±10 %.
    public static let stage1 = CropPolicy(inputSize: 64, boxScale: 1.2, upright: false, rotationDegrees: 30, scaleJitter: 0.10, shiftJitter: 0.10)
    /// Stage 2: upright from stage-1 landmarks; perturbation covering CNN-6's measured residual error
    /// on val (p90: shift 0.052 of the side, scale 7 %, roll 3.8°; docs/experiments.md).
    public static let stage2 = CropPolicy(inputSize: 128, boxScale: 1.2, upright: true, rotationDegrees: 8, scaleJitter: 0.08, shiftJitter: 0.05)

    /// The crop (centre, side, angle) for a shape, before perturbation.
    public func nominalCrop(for shape: [Point]) -> (center: Point, side: Float, angle: Float) {
        FaceCrop.around(shape, boxScale: boxScale, upright: upright)
    }
}

/// One network input with its target.
public struct TrainingSample {
    /// `[3, S, S]` normalised pixels.
    public var input: [Float]
    /// 2L values: all x then all y, in input pixels (zeros for negatives).
    public var target: [Float]
    public var positive: Bool
}

/// Photometric augmentation settings (probabilities for greyscale, blur, noise and JPEG).
public struct Photometric: Codable, Equatable, Sendable {
    public var enabled = true
    public var brightness: Float = 25, contrast: Float = 0.3, channelGain: Float = 0.1
    public var greyscale: Float = 0.1, blur: Float = 0.15, noise: Float = 0.2
    /// Probability of JPEG-like degradation (`JPEGLike`, quality 10…60), applied last.
    public var jpeg: Float = 0.1
    /// Probability of one occluding rectangle over the crop (`Augment.occlude`), before the JPEG step;
    /// the targets stay the true points, so the network learns to place hidden ones.
    public var occlusion: Float = 0
    /// Probability of drawn glasses over a face crop's eyes (`Augment.glasses`: clear or dark lenses),
    /// after the flip and before the other photometry; never on negatives.
    public var glasses: Float = 0
    public init() {}
    public static let none: Photometric = { var p = Photometric(); p.enabled = false; return p }()

    enum CodingKeys: String, CodingKey { case enabled, brightness, contrast, channelGain, greyscale, blur, noise, jpeg, occlusion, glasses }

    /// Keys missing from older checkpoints' configs keep their defaults (older runs had no `jpeg`:
    /// they decode with 0, as they were trained).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? enabled
        brightness = try c.decodeIfPresent(Float.self, forKey: .brightness) ?? brightness
        contrast = try c.decodeIfPresent(Float.self, forKey: .contrast) ?? contrast
        channelGain = try c.decodeIfPresent(Float.self, forKey: .channelGain) ?? channelGain
        greyscale = try c.decodeIfPresent(Float.self, forKey: .greyscale) ?? greyscale
        blur = try c.decodeIfPresent(Float.self, forKey: .blur) ?? blur
        noise = try c.decodeIfPresent(Float.self, forKey: .noise) ?? noise
        jpeg = try c.decodeIfPresent(Float.self, forKey: .jpeg) ?? 0
        occlusion = try c.decodeIfPresent(Float.self, forKey: .occlusion) ?? 0
        glasses = try c.decodeIfPresent(Float.self, forKey: .glasses) ?? 0
    }
}

/// Cuts perturbed, augmented crops from a `FaceDataset` — the same geometry the tracker uses.
public struct SampleGenerator: @unchecked Sendable {
    public let dataset: FaceDataset
    public let policy: CropPolicy
    public let normalization: InputNormalization
    public var flip = true
    public var photometric = Photometric()
    /// Fraction of negatives (background or badly misaligned crops) among generated samples.
    public var negativeFraction: Float = 0.1
    /// Smallest side of the "part of the face" negatives, as a fraction of the face box's side
    /// (their largest is 0.45). Detector finds on an ear or the hair are 0.15–0.3 of the face.
    public var smallestPartNegative = SampleGenerator.defaultSmallestPartNegative
    /// What every run before the twenty-second session had.
    public static let defaultSmallestPartNegative: Float = 0.3

    public init(dataset: FaceDataset, policy: CropPolicy, normalization: InputNormalization = .centeredUnit) {
        self.dataset = dataset; self.policy = policy; self.normalization = normalization
    }

    /// A sample of face `index`. With `augment` false: the nominal crop, no flip, no photometry
    /// (`rng` still drives the box perturbation unless `perturb` is false too).
    /// `flip` forces (or forbids) the mirror; nil lets `rng` decide when augmenting.
    public func sample(_ index: Int, rng: inout SeededGenerator, augment: Bool = true, perturb: Bool = true,
                       negative: Bool = false, flip forcedFlip: Bool? = nil) -> TrainingSample {
        let S = policy.inputSize
        let shape = dataset.records[index].landmarks
        var (center, side, angle) = policy.nominalCrop(for: shape)
        if perturb {
            let u = { (r: inout SeededGenerator) in Float.random(in: -1...1, using: &r) }
            angle += u(&rng) * policy.rotationDegrees * .pi / 180
            side *= 1 + u(&rng) * policy.scaleJitter
            center = center + Point(u(&rng), u(&rng)) * (policy.shiftJitter * side)
        }
        let trueBox = Box(center: center, side: side)
        if negative {
            let box = SampleGenerator.negativeBox(around: trueBox, smallestPart: smallestPartNegative, rng: &rng)
            center = box.center; side = box.width
        }
        let (W, H) = dataset.sizes[index]
        let useHalf = side / Float(S) >= 1.8
        let k: Float = useHalf ? 0.5 : 1
        let t = SimilarityTransform.crop(center: center * k, side: side * k, angle: angle, outputSize: S)
        var input = [Float](repeating: 0, count: 3 * S * S)
        let pixels = useHalf ? dataset.halfImages[index] : dataset.images[index]
        let (w, h) = useHalf ? (W / 2, H / 2) : (W, H)
        pixels.withUnsafeBufferPointer { p in
            input.withUnsafeMutableBufferPointer { d in
                Warp.crop(PixelView(base: p.baseAddress!, width: w, height: h, channels: 3, rowBytes: w * 3),
                          imageToCrop: t, size: S, into: d.baseAddress!)
            }
        }
        var pts = shape.map { t.apply($0 * k) }
        let mirrored = forcedFlip ?? (augment && flip && Bool.random(using: &rng))
        if mirrored {
            Augment.flipPlanes(&input, size: S)
            pts = Landmarks68.flipped(pts, width: Float(S))
        }
        // Drawn only when enabled, so configs without glasses keep their random streams.
        if augment, photometric.enabled, photometric.glasses > 0, !negative,
           Float.random(in: 0..<1, using: &rng) < photometric.glasses {
            Augment.glasses(&input, size: S, shape: pts, rng: &rng)
        }
        if augment, photometric.enabled { Augment.photometric(&input, size: S, settings: photometric, rng: &rng) }
        let (sc, off) = (normalization.scale, normalization.offset)
        input.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = $0[i] * sc + off } }
        let target = negative ? [Float](repeating: 0, count: 136) : pts.map(\.x) + pts.map(\.y)
        return TrainingSample(input: input, target: target, positive: !negative)
    }
}

/// The kinds of non-face boxes the face logit learns to reject (and `FaceScoreReport` measures).
public enum NegativeKind: String, CaseIterable, Sendable {
    /// Background beside the face: centre 0.75–1.2 of the face's side away, the same size.
    case beside
    /// Part of the face (an eye, an ear, the hair): a square of a given fraction of the face's side
    /// within ±0.35 of it from the face's centre.
    case part
    /// A box far too large: 2.2–3.2 times the face's side, centre within ±0.5 of it.
    case tooLarge
}

extension SampleGenerator {
    /// A square that overlaps `face` (a square) with IoU below 0.3, of one of the three kinds drawn
    /// at random; parts have sides `smallestPart`…0.45 of the face's. Falls back to `face` itself
    /// only if 20 draws all overlap too much (none do in practice).
    public static func negativeBox(around face: Box, smallestPart: Float, rng: inout SeededGenerator) -> Box {
        firstMissing(face, rng: &rng) { r in
            candidate(NegativeKind.allCases[Int.random(in: 0..<3, using: &r)], around: face, partSides: smallestPart...0.45, rng: &r)
        } ?? face
    }

    /// A square of `kind` that overlaps `face` with IoU below 0.3, or nil if 20 draws all overlap more.
    public static func negativeBox(_ kind: NegativeKind, around face: Box, partSides: ClosedRange<Float>,
                                   rng: inout SeededGenerator) -> Box? {
        firstMissing(face, rng: &rng) { r in candidate(kind, around: face, partSides: partSides, rng: &r) }
    }

    /// The first of up to 20 draws that overlaps `face` with IoU below 0.3 (a negative), or nil.
    private static func firstMissing(_ face: Box, rng: inout SeededGenerator, _ draw: (inout SeededGenerator) -> Box) -> Box? {
        for _ in 0..<20 {
            let box = draw(&rng)
            if box.iou(face) < 0.3 { return box }
        }
        return nil
    }

    private static func candidate(_ kind: NegativeKind, around face: Box, partSides: ClosedRange<Float>,
                                  rng: inout SeededGenerator) -> Box {
        let center = face.center, side = face.width
        switch kind {
        case .beside:
            let a = Float.random(in: 0..<(2 * .pi), using: &rng)
            return Box(center: center + Point(cos(a), sin(a)) * (side * Float.random(in: 0.75...1.2, using: &rng)), side: side)
        case .part:
            let s = side * Float.random(in: partSides, using: &rng)
            let c = center + Point(Float.random(in: -0.35...0.35, using: &rng), Float.random(in: -0.35...0.35, using: &rng)) * side
            return Box(center: c, side: s)
        case .tooLarge:
            let s = side * Float.random(in: 2.2...3.2, using: &rng)
            let c = center + Point(Float.random(in: -0.5...0.5, using: &rng), Float.random(in: -0.5...0.5, using: &rng)) * side
            return Box(center: c, side: s)
        }
    }
}

/// Image-space augmentations on planar float crops `[3, S, S]` with values 0…255.
public enum Augment {
    /// Mirrors each plane left–right.
    public static func flipPlanes(_ x: inout [Float], size S: Int) {
        x.withUnsafeMutableBufferPointer { p in
            for row in 0..<(3 * S) {
                let r = p.baseAddress! + row * S
                var i = 0, j = S - 1
                while i < j { let t = r[i]; r[i] = r[j]; r[j] = t; i += 1; j -= 1 }
            }
        }
    }

    public static func photometric(_ x: inout [Float], size S: Int, settings s: Photometric, rng: inout SeededGenerator) {
        let plane = S * S
        let contrast = 1 + Float.random(in: -s.contrast...s.contrast, using: &rng)
        let bright = Float.random(in: -s.brightness...s.brightness, using: &rng)
        let gains = (0..<3).map { _ in 1 + Float.random(in: -s.channelGain...s.channelGain, using: &rng) }
        let grey = Float.random(in: 0..<1, using: &rng) < s.greyscale
        let blur = Float.random(in: 0..<1, using: &rng) < s.blur
        let noiseSigma: Float = Float.random(in: 0..<1, using: &rng) < s.noise ? Float.random(in: 2...8, using: &rng) : 0
        // Drawn only when enabled, so configs without JPEG keep their random streams.
        let jpegQuality: Int? = s.jpeg > 0 && Float.random(in: 0..<1, using: &rng) < s.jpeg ? Int.random(in: 10...60, using: &rng) : nil
        let occluded = s.occlusion > 0 && Float.random(in: 0..<1, using: &rng) < s.occlusion
        x.withUnsafeMutableBufferPointer { p in
            let b = p.baseAddress!
            if grey {
                for i in 0..<plane {
                    let g = 0.299 * b[i] + 0.587 * b[plane + i] + 0.114 * b[2 * plane + i]
                    b[i] = g; b[plane + i] = g; b[2 * plane + i] = g
                }
            }
            if blur {
                var tmp = [Float](repeating: 0, count: plane)
                for c in 0..<3 {
                    let q = b + c * plane
                    for y in 0..<S { for xx in 0..<S {
                        var acc: Float = 0, n: Float = 0
                        for dy in -1...1 { for dx in -1...1 {
                            let yy = y + dy, xq = xx + dx
                            if yy >= 0, yy < S, xq >= 0, xq < S { acc += q[yy * S + xq]; n += 1 }
                        }}
                        tmp[y * S + xx] = acc / n
                    }}
                    for i in 0..<plane { q[i] = tmp[i] }
                }
            }
            for c in 0..<3 {
                let q = b + c * plane, g = gains[c] * contrast
                for i in 0..<plane {
                    var v = (q[i] - 128) * g + 128 + bright
                    if noiseSigma > 0 { v += noiseSigma * rng.normal() }
                    q[i] = min(255, max(0, v))
                }
            }
        }
        if occluded { occlude(&x, size: S, rng: &rng) }
        if let q = jpegQuality { JPEGLike.degrade(&x, size: S, quality: q) }
    }

    /// Covers one random rectangle of the crop (each side 15–45 % of it, its centre in the middle
    /// 70 %, where the face is) with a random flat colour or, half the time, random noise; returns
    /// the rectangle (columns, rows). Everything else is left as it was.
    @discardableResult
    public static func occlude(_ x: inout [Float], size S: Int, rng: inout SeededGenerator) -> (x: Range<Int>, y: Range<Int>) {
        let side = Float(S)
        let w = Int(side * Float.random(in: 0.15...0.45, using: &rng)), h = Int(side * Float.random(in: 0.15...0.45, using: &rng))
        let cx = Int(side * Float.random(in: 0.15...0.85, using: &rng)), cy = Int(side * Float.random(in: 0.15...0.85, using: &rng))
        let xs = max(0, cx - w / 2)..<min(S, cx - w / 2 + max(1, w)), ys = max(0, cy - h / 2)..<min(S, cy - h / 2 + max(1, h))
        let noisy = Bool.random(using: &rng)
        let colour = (0..<3).map { _ in Float.random(in: 0...255, using: &rng) }
        let plane = S * S
        for c in 0..<3 { for y in ys { for xx in xs {
            x[c * plane + y * S + xx] = noisy ? Float.random(in: 0...255, using: &rng) : colour[c]
        }}}
        return (xs, ys)
    }
}
