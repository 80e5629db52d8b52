import Foundation
import FaceGeometry
import WingNN

/// Refits one output block of CNN-7 (a labelling convention's 2L coordinates) in closed form on what
/// the network sees at inference: ridge regression of the block's residual (truth − output) on the
/// last hidden layer, over rows taken from the two-stage pipeline's own crops of training faces.
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

        /// Mean inter-ocular NME of `predicted` (same layout as `output`) against the truth.
        func meanNME(_ predicted: [Double]) -> Double {
            let L = coordinateCount / 2
            var sum = 0.0
            for i in 0..<count {
                let base = i * coordinateCount
                let p = (0..<L).map { Point(Float(predicted[base + $0]), Float(predicted[base + L + $0])) }
                let t = (0..<L).map { Point(truth[base + $0], truth[base + L + $0]) }
                sum += Double(Metrics.nmeInterOcular(p, t))
            }
            return sum / Double(max(1, count))
        }

        /// The block's output moved by `fit`'s correction.
        func corrected(by fit: RidgeProblem.Solution) -> [Double] {
            zip(output, fit.predict(hidden, rows: count)).map { Double($0) + $1 }
        }
    }

    /// What a refit measured and chose.
    public struct Outcome: Codable, Sendable {
        public var convention: String
        public var rows: Int
        public var heldOutRows: Int
        /// The chosen strength (nil: offset only).
        public var lambda: Double?
        /// Held-out mean NME of the block as trained, and with the chosen correction fitted on the other rows.
        public var heldOutBefore: Double, heldOutAfter: Double
        /// Held-out mean NME per candidate ("offset" or the λ value).
        public var candidates: [String: Double]
    }

    /// The strengths tried, strongest first (nil: offset only). The hidden layer holds ReLU outputs of
    /// order 1; the chosen values on faces68 are 3e3–1e6 (docs/experiments.md).
    public static let lambdas: [Double?] = [nil, 1e6, 3e5, 1e5, 3e4, 1e4, 3e3, 1e3, 3e2]

    /// One subject in five, by a stable hash of its name, is held out to choose the strength.
    public static func isHeldOut(subject: String) -> Bool { ModelFile.fnv1a(Array(subject.utf8)) % 5 == 0 }

    /// Chooses the strength on the held-out subjects, then fits on all rows. Nil when either part
    /// has no rows (too few subjects to choose).
    public static func fit(_ rows: Rows, convention: String) -> (RidgeProblem.Solution, Outcome)? {
        let (train, held) = (rows.subset(heldOut: false), rows.subset(heldOut: true))
        guard train.count > 0, held.count > 0 else { return nil }
        let problem = RidgeProblem(x: train.hidden, r: train.residuals, rows: train.count,
                                   features: rows.hiddenCount, targets: rows.coordinateCount)
        var candidates: [String: Double] = [:]
        var best: (lambda: Double?, nme: Double)?
        for lambda in lambdas {
            guard let s = problem.solve(lambda: lambda) else { continue }
            let nme = held.meanNME(held.corrected(by: s))
            candidates[lambda.map { String(format: "%g", $0) } ?? "offset"] = nme
            if best == nil || nme < best!.nme { best = (lambda, nme) }
        }
        let all = RidgeProblem(x: rows.hidden, r: rows.residuals, rows: rows.count,
                               features: rows.hiddenCount, targets: rows.coordinateCount)
        guard let best, let solution = all.solve(lambda: best.lambda) else { return nil }
        let before = held.meanNME(held.output.map(Double.init))
        return (solution, Outcome(convention: convention, rows: rows.count, heldOutRows: held.count, lambda: best.lambda,
                                  heldOutBefore: before, heldOutAfter: best.nme, candidates: candidates))
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
