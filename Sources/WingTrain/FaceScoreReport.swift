import FaceGeometry
import WingNN

/// How well the face score tells a face from what is not one, as the tracker's acquisition meets
/// them: per face of a dataset, the score of a detector-like box on it and of one box of each
/// non-face kind beside it (`NegativeKind`: background beside the face, a small part of the face,
/// a larger part, a box far too large), each localised from its box like a detector find. The
/// two-stage pipeline can find the face from a box that misses it (a box too large holds the whole
/// face), so an accepted box counts as a false accept only when its landmarks are not on the face:
/// their bounding box overlaps the truth's with IoU below 0.5.
public struct FaceScoreReport: Codable, Sendable {
    public struct Row: Codable, Sendable {
        /// "face", "beside", "part 0.15–0.3", "part 0.3–0.45", "too large".
        public var kind: String
        public var boxes: Int
        /// Fraction of the boxes whose score is at least the threshold with landmarks on the face.
        public var acceptedOnFace: Float
        /// Fraction whose score is at least the threshold with landmarks off the face: false accepts.
        public var acceptedOffFace: Float
        /// The same two at `sure`.
        public var sureOnFace: Float
        public var sureOffFace: Float
        public var medianScore: Float
    }

    public var threshold: Float
    public var sure: Float
    public var rows: [Row]

    /// The kinds measured, with the part sizes as fractions of the face box's side.
    public static let kinds: [(name: String, kind: NegativeKind?, partSides: ClosedRange<Float>)] = [
        ("face", nil, 0...0), ("beside", .beside, 0...0), ("part 0.15–0.3", .part, 0.15...0.3),
        ("part 0.3–0.45", .part, 0.3...0.45), ("too large", .tooLarge, 0...0),
    ]

    /// - Parameters:
    ///   - faceBox: face `i`'s detector-like box.
    ///   - truth: face `i`'s true landmarks.
    ///   - localize: face `i`'s image localised from a box: the face score and the landmarks.
    ///   - seed: the negative boxes are drawn from `seed` plus the face's index.
    public init(faces: Int, faceBox: (Int) -> Box, truth: (Int) -> [Point], localize: (Int, Box) -> (score: Float, landmarks: [Point]),
                seed: UInt64, threshold: Float, sure: Float) {
        self.threshold = threshold; self.sure = sure
        var outcomes = [[(score: Float, onFace: Bool)]](repeating: [], count: Self.kinds.count)
        for i in 0..<faces {
            let face = faceBox(i), truthBox = Box(bounding: truth(i))
            func outcome(_ box: Box) -> (Float, Bool) {
                let r = localize(i, box)
                return (r.score, Box(bounding: r.landmarks).iou(truthBox) >= 0.5)
            }
            var rng = SeededGenerator(seed: seed &+ UInt64(i))
            for (k, kind) in Self.kinds.enumerated() {
                guard let negative = kind.kind else { outcomes[k].append(outcome(face)); continue }
                if let box = SampleGenerator.negativeBox(negative, around: face, partSides: kind.partSides, rng: &rng) {
                    outcomes[k].append(outcome(box))
                }
            }
        }
        rows = zip(Self.kinds, outcomes).map { kind, o in
            let n = Float(max(1, o.count))
            func share(_ level: Float, onFace: Bool) -> Float { Float(o.filter { $0.score >= level && $0.onFace == onFace }.count) / n }
            return Row(kind: kind.name, boxes: o.count, acceptedOnFace: share(threshold, onFace: true), acceptedOffFace: share(threshold, onFace: false),
                       sureOnFace: share(sure, onFace: true), sureOffFace: share(sure, onFace: false),
                       medianScore: o.isEmpty ? 0 : o.map(\.score).sorted()[o.count / 2])
        }
    }

    /// A Markdown table: one row per kind.
    public func markdown() -> [String] {
        ["| boxes | count | score ≥ \(threshold): on the face | off it (false accepts) | score ≥ \(sure): on the face | off it | median score |",
         "|---|---:|---:|---:|---:|---:|---:|"]
            + rows.map { r in
                "| \(r.kind) | \(r.boxes) | " + String(format: "%.1f %% | %.1f %% | %.1f %% | %.1f %% | %.3f |", 100 * r.acceptedOnFace,
                                                     100 * r.acceptedOffFace, 100 * r.sureOnFace, 100 * r.sureOffFace, r.medianScore)
            }
    }
}
