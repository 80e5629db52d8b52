import Foundation
import FaceGeometry
import WingNN

/// Refits one output block of a network (a labelling convention's 2L coordinates; CNN-6 has one) in
/// closed form on what the network sees at inference: ridge regression of the block's residual
/// (truth − output) on the last hidden layer, over rows taken from the two-stage pipeline's own crops
/// of training faces.
/// The ridge strength is chosen on one training subject in five held out (never on val); the
/// candidates include "offset only", so the fit can do no worse than a constant shift there.
/// Why: the block, trained by SGD on augmented crops of few faces (HELEN's 870 for 300-W), keeps a
/// bias and a generalisation gap a regularised linear fit on the pipeline's crops closes
/// (docs/experiments.md, "closed-form refit of the output blocks").
public enum HeadRefit {
    /// Rows of one convention: per row, the hidden layer, the truth and the block's output (crop
    /// pixels, all x then all y), and the face's subject.
    public struct Rows {
        public var hidden: [Float] = [], truth: [Float] = [], output: [Float] = []
        public var subjects: [String] = []
        public let hiddenCount: Int, coordinateCount: Int
        public var count: Int { subjects.count }

        public init(hiddenCount: Int, coordinateCount: Int) {
            self.hiddenCount = hiddenCount; self.coordinateCount = coordinateCount
        }

        public mutating func append(hidden h: [Float], truth t: [Float], output o: [Float], subject: String) {
            precondition(h.count == hiddenCount && t.count == coordinateCount && o.count == coordinateCount)
            hidden += h; truth += t; output += o; subjects.append(subject)
        }

        /// The rows whose subject is (or is not) held out.
        func subset(heldOut: Bool) -> Rows {
            var s = Rows(hiddenCount: hiddenCount, coordinateCount: coordinateCount)
            for i in 0..<count where HeadRefit.isHeldOut(subject: subjects[i]) == heldOut {
                s.append(hidden: Array(hidden[(i * hiddenCount)..<((i + 1) * hiddenCount)]),
                         truth: Array(truth[(i * coordinateCount)..<((i + 1) * coordinateCount)]),
                         output: Array(output[(i * coordinateCount)..<((i + 1) * coordinateCount)]), subject: subjects[i])
            }
            return s
        }

        var residuals: [Float] { zip(truth, output).map { $0 - $1 } }

        /// Inter-ocular NME per row of `predicted` (same layout as `output`) against the truth.
        func nme(_ predicted: [Double]) -> [Double] {
            let L = coordinateCount / 2
            return (0..<count).map { i in
                let base = i * coordinateCount
                let p = (0..<L).map { Point(Float(predicted[base + $0]), Float(predicted[base + L + $0])) }
                let t = (0..<L).map { Point(truth[base + $0], truth[base + L + $0]) }
                return Double(Metrics.nmeInterOcular(p, t))
            }
        }

        /// The block's output moved by `fit`'s correction.
        func corrected(by fit: RidgeProblem.Solution) -> [Double] {
            zip(output, fit.predict(hidden, rows: count)).map { Double($0) + $1 }
        }
    }

    /// How the strength is chosen from the held-out figures.
    public enum StrengthRule: String, Codable, Sendable, CaseIterable {
        /// The lowest held-out mean NME.
        case best
        /// The strongest λ whose held-out mean NME is within one standard error of the lowest (the
        /// usual guard against choosing a weak regularisation by noise; steadier outputs).
        case oneStandardError = "one-se"
    }

    /// What a refit measured and chose.
    public struct Outcome: Codable, Sendable {
        public var convention: String
        public var rows: Int
        public var heldOutRows: Int
        /// The chosen strength (nil: offset only), by `rule`.
        public var lambda: Double?
        public var rule: StrengthRule
        /// The standard error of the lowest held-out mean NME (over held-out rows).
        public var standardError: Double
        /// Held-out mean NME of the block as trained, and with the chosen correction fitted on the other rows.
        public var heldOutBefore: Double, heldOutAfter: Double
        /// Held-out mean NME per candidate ("offset" or the λ value).
        public var candidates: [String: Double]
    }

    /// The strengths tried, strongest first (nil: offset only). The hidden layer holds ReLU outputs of
    /// order 1; the values chosen on faces68 lie between 1e3 and the offset alone (docs/experiments.md).
    public static let lambdas: [Double?] = [nil, 1e6, 3e5, 1e5, 3e4, 1e4, 3e3, 1e3, 3e2]

    /// One subject in five, by a stable hash of its name, is held out to choose the strength.
    public static func isHeldOut(subject: String) -> Bool { ModelFile.fnv1a(Array(subject.utf8)) % 5 == 0 }

    /// Chooses the strength on the held-out subjects by `rule`, then fits on all rows. Nil when either
    /// part has no rows (too few subjects to choose).
    public static func fit(_ rows: Rows, convention: String, rule: StrengthRule = .oneStandardError) -> (RidgeProblem.Solution, Outcome)? {
        let (train, held) = (rows.subset(heldOut: false), rows.subset(heldOut: true))
        guard train.count > 0, held.count > 0 else { return nil }
        let problem = RidgeProblem(x: train.hidden, r: train.residuals, rows: train.count,
                                   features: rows.hiddenCount, targets: rows.coordinateCount)
        // Held-out mean NME per candidate, strongest first.
        var tried: [(lambda: Double?, mean: Double, errors: [Double])] = []
        for lambda in lambdas {
            guard let s = problem.solve(lambda: lambda) else { continue }
            let errors = held.nme(held.corrected(by: s))
            tried.append((lambda, errors.reduce(0, +) / Double(errors.count), errors))
        }
        guard let best = tried.min(by: { $0.mean < $1.mean }) else { return nil }
        let n = Double(best.errors.count)
        let variance = best.errors.reduce(0) { $0 + ($1 - best.mean) * ($1 - best.mean) } / max(1, n - 1)
        let se = (variance / n).squareRoot()
        let chosen = rule == .best ? best : tried.first { $0.mean <= best.mean + se }!
        let all = RidgeProblem(x: rows.hidden, r: rows.residuals, rows: rows.count,
                               features: rows.hiddenCount, targets: rows.coordinateCount)
        guard let solution = all.solve(lambda: chosen.lambda) else { return nil }
        let before = held.nme(held.output.map(Double.init)).reduce(0, +) / n
        let candidates = Dictionary(uniqueKeysWithValues: tried.map { ($0.lambda.map { String(format: "%g", $0) } ?? "offset", $0.mean) })
        return (solution, Outcome(convention: convention, rows: rows.count, heldOutRows: held.count, lambda: chosen.lambda,
                                  rule: rule, standardError: se, heldOutBefore: before, heldOutAfter: chosen.mean, candidates: candidates))
    }

    /// What fitting a block's mirror offset measured (`mirrorOffset`).
    public struct MirrorOutcome: Codable, Sendable {
        public var convention: String
        public var rows: Int
        public var heldOutRows: Int
        /// Held-out mean NME of the flip-averaged answer without the offset, and with the offset fitted
        /// on the other rows.
        public var heldOutBefore: Double, heldOutAfter: Double
        /// Whether the offset is kept (it lowered the held-out NME); if not, the block's offset is zero.
        public var kept: Bool
    }

    /// The offset that flip-averaging adds to a block's mirrored answer (`ModelHeader.mirrorOffsets`):
    /// the mean of truth − mirrored answer over the rows, kept only when, fitted on the other subjects,
    /// it lowers the held-out subjects' flip-averaged NME (else zeros). `plain` holds the block's
    /// answers for the crops, `mirrored` (same truth and subjects, row for row) its answers for the
    /// mirrored crops, mirrored back. Nil when either part has no rows.
    /// Why: the refitted block corrects the labelling style's asymmetric bias for the crop; mirrored, that
    /// correction lands on the wrong side, and the average inherits half of it (docs/experiments.md).
    public static func mirrorOffset(plain: Rows, mirrored: Rows, convention: String) -> ([Float], MirrorOutcome)? {
        precondition(plain.count == mirrored.count && plain.truth == mirrored.truth && plain.subjects == mirrored.subjects,
                     "HeadRefit.mirrorOffset: the rows must be the same faces")
        let m = plain.coordinateCount
        func meanResidual(_ r: Rows) -> [Double] {
            var sum = [Double](repeating: 0, count: m)
            for (j, v) in r.residuals.enumerated() { sum[j % m] += Double(v) }
            return sum.map { $0 / Double(max(1, r.count)) }
        }
        func averaged(_ p: Rows, _ q: Rows, offset: [Double]) -> [Double] {
            (0..<(p.count * m)).map { (Double(p.output[$0]) + Double(q.output[$0]) + offset[$0 % m]) / 2 }
        }
        let (heldPlain, heldMirrored) = (plain.subset(heldOut: true), mirrored.subset(heldOut: true))
        let trainMirrored = mirrored.subset(heldOut: false)
        guard heldPlain.count > 0, trainMirrored.count > 0 else { return nil }
        let mean = { (e: [Double]) in e.reduce(0, +) / Double(e.count) }
        let before = mean(heldPlain.nme(averaged(heldPlain, heldMirrored, offset: [Double](repeating: 0, count: m))))
        let after = mean(heldPlain.nme(averaged(heldPlain, heldMirrored, offset: meanResidual(trainMirrored))))
        let kept = after < before
        let offset = kept ? meanResidual(mirrored).map(Float.init) : [Float](repeating: 0, count: m)
        return (offset, MirrorOutcome(convention: convention, rows: plain.count, heldOutRows: heldPlain.count,
                                      heldOutBefore: before, heldOutAfter: after, kept: kept))
    }

    /// Adds `fit`'s correction to output block `block` of `layer` (outputs block·m ..< (block+1)·m,
    /// m = the fit's targets): W[o, ·] += Wfit[·, o], b[o] += bfit[o]. Other outputs are untouched.
    public static func apply(_ fit: RidgeProblem.Solution, to layer: Dense, block: Int) {
        let m = fit.offset.count, k = layer.inFeatures
        precondition(fit.weights.count == k * m && (block + 1) * m <= layer.outFeatures, "HeadRefit: fit does not match \(layer.name)")
        for o in 0..<m {
            let row = (block * m + o) * k
            for i in 0..<k { layer.weight.value[row + i] += Float(fit.weights[i * m + o]) }
            layer.bias.value[block * m + o] += Float(fit.offset[o])
        }
    }
}
