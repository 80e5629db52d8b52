import Foundation
import FaceGeometry
import WingNN

/// Fits `HeadPose`'s yaw: ridge regression of the measured yaw on the shape aligned to the reference
/// (the symmetrised mean shape), over shapes the two-stage pipeline answered for faces with a yaw, each
/// also mirrored with its yaw negated (so the fit is exactly antisymmetric). The ridge strength is
/// the one with the lowest mean absolute error on one training subject in five held out
/// (`HeadRefit.isHeldOut`), never on the split that is reported; the final fit uses every row.
public enum HeadPoseFit {
    /// Shapes (68 points each), their yaw in degrees and their subject.
    public struct Rows: Sendable {
        public var shapes: [[Point]] = [], yaw: [Float] = [], subjects: [String] = []
        public init() {}
        public mutating func append(_ shape: [Point], yaw y: Float, subject: String) {
            shapes.append(shape); yaw.append(y); subjects.append(subject)
        }
        public var count: Int { shapes.count }
    }

    /// What the fit chose and measured.
    public struct Outcome: Codable, Sendable {
        public var rows: Int, heldOutRows: Int
        /// The chosen ridge strength, relative to the mean diagonal of the features' Gram matrix.
        public var relativeLambda: Double
        /// Held-out mean absolute yaw error (degrees) for every strength tried, and for the chosen one.
        public var heldOutMAE: [String: Double]
        public var chosenHeldOutMAE: Double
    }

    public static let relativeLambdas: [Double] = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]

    /// The reference shape every fit aligns to: the training mean shape, made exactly symmetric.
    public static var reference: [Point] { HeadPose.symmetrised(Landmarks68.meanShape) }

    /// Chooses the strength on the held-out subjects, then fits on all rows. Nil when either part
    /// has no rows.
    public static func fit(_ rows: Rows, provenance: [String: String] = [:]) -> (HeadPose, Outcome)? {
        let ref = reference
        let held = rows.subjects.indices.filter { HeadRefit.isHeldOut(subject: rows.subjects[$0]) }
        let kept = rows.subjects.indices.filter { !HeadRefit.isHeldOut(subject: rows.subjects[$0]) }
        guard !held.isEmpty, !kept.isEmpty else { return nil }
        let features = rows.shapes.map { HeadPose.aligned($0, to: ref) }
        let mirrored = rows.shapes.map { HeadPose.aligned(HeadPose.mirrored($0), to: ref) }
        /// The ridge problem over `idx`, each row also mirrored.
        func problem(_ idx: [Int]) -> RidgeProblem {
            var x: [Float] = [], r: [Float] = []
            for i in idx { x += features[i]; r.append(rows.yaw[i]); x += mirrored[i]; r.append(-rows.yaw[i]) }
            return RidgeProblem(x: x, r: r, rows: 2 * idx.count, features: 2 * Landmarks68.count, targets: 1)
        }
        func mae(_ s: RidgeProblem.Solution, _ idx: [Int]) -> Double {
            let p = s.predict(idx.flatMap { features[$0] }, rows: idx.count)
            return zip(p, idx).map { abs(max(-90, min(90, $0)) - Double(rows.yaw[$1])) }.reduce(0, +) / Double(idx.count)
        }
        let train = problem(kept)
        let scale = train.diagonalMean
        var tried: [(Double, Double)] = []
        for t in relativeLambdas {
            guard let s = train.solve(lambda: t * scale) else { continue }
            tried.append((t, mae(s, held)))
        }
        guard let chosen = tried.min(by: { $0.1 < $1.1 }) else { return nil }
        let all = problem(Array(rows.shapes.indices))
        guard let s = all.solve(lambda: chosen.0 * all.diagonalMean) else { return nil }
        let pose = HeadPose(reference: ref, yawWeights: s.weights.map { Float($0) }, yawOffset: Float(s.offset[0]), provenance: provenance)
        let outcome = Outcome(rows: rows.count, heldOutRows: held.count, relativeLambda: chosen.0,
                              heldOutMAE: Dictionary(uniqueKeysWithValues: tried.map { (String(format: "%g", $0.0), $0.1) }),
                              chosenHeldOutMAE: chosen.1)
        return (pose, outcome)
    }
}
