#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Landmark regression losses of the paper's study, applied per coordinate to x = prediction − target
/// (pixels of the network input), **summed over the 2L coordinates and averaged over the positive
/// samples of the batch**.
public enum LandmarkLoss: Codable, Equatable, Sendable, CustomStringConvertible {
    /// ½x²
    case l2
    /// |x|
    case l1
    /// ½x² for |x| < 1, else |x| − ½ (PyTorch's smooth L1 with β = 1).
    case smoothL1
    /// w·ln(1 + |x|/ε) for |x| < w, else |x| − C, C = w − w·ln(1 + w/ε) (Feng et al., CVPR 2018).
    case wing(w: Float, epsilon: Float)
    /// 0 for |x| < r; w·ln(1 + (|x| − r)/ε) for r ≤ |x| < w; else |x| − C, C = w − w·ln(1 + (w − r)/ε)
    /// (Rectified Wing, Feng et al., IJCV 2019).
    case rectifiedWing(w: Float, epsilon: Float, r: Float)

    public var description: String {
        switch self {
        case .l2: "l2"
        case .l1: "l1"
        case .smoothL1: "smooth-l1"
        case let .wing(w, e): "wing(w=\(w), eps=\(e))"
        case let .rectifiedWing(w, e, r): "rwing(w=\(w), eps=\(e), r=\(r))"
        }
    }

    /// Loss of one coordinate difference and its derivative d/dx.
    @inline(__always)
    public func valueAndSlope(_ x: Float) -> (Float, Float) {
        let a = abs(x), sign: Float = x < 0 ? -1 : (x > 0 ? 1 : 0)
        switch self {
        case .l2:
            return (0.5 * x * x, x)
        case .l1:
            return (a, sign)
        case .smoothL1:
            return a < 1 ? (0.5 * x * x, x) : (a - 0.5, sign)
        case let .wing(w, e):
            if a < w { return (w * log1p(a / e), sign * w / (e + a)) }
            return (a - (w - w * log1p(w / e)), sign)
        case let .rectifiedWing(w, e, r):
            if a < r { return (0, 0) }
            if a < w { return (w * log1p((a - r) / e), sign * w / (e + a - r)) }
            return (a - (w - w * log1p((w - r) / e)), sign)
        }
    }
}

/// Value and gradient of a training objective on network outputs.
public struct LossResult {
    public var landmarkLoss: Float
    public var faceLoss: Float
    /// Gradient w.r.t. the outputs `[N, outputs]`.
    public var gradient: Tensor
    public var total: Float { landmarkLoss + faceLoss }
}

/// The training objective of a landmark network with a face logit.
///
/// - landmark term: `loss` over sample n's block of 2L outputs (block `head[n]`, at outputs
///   head[n]·2L ..< (head[n]+1)·2L; block 0 without `head`), summed over coordinates, averaged over
///   the samples with `positive[n] == true` (negatives and the other blocks contribute nothing);
/// - face term: `faceWeight` × binary cross-entropy with logits on the last output (when the count
///   is odd) against `positive`, averaged over all N samples.
/// `targets` holds 2L values per sample.
public func landmarkObjective(outputs: Tensor, targets: [Float], positive: [Bool], head: [Int]? = nil, loss: LandmarkLoss,
                              faceWeight: Float) -> LossResult {
    let N = outputs.batch, D = outputs.itemCount
    let hasLogit = D % 2 == 1
    let C = targets.count / max(1, N)
    let logitIndex = D - 1
    precondition(targets.count == N * C && positive.count == N && C > 0, "landmarkObjective: targets/positive sizes")
    precondition((D - (hasLogit ? 1 : 0)) % C == 0, "landmarkObjective: \(D) outputs are not whole blocks of \(C)")
    precondition(head == nil || (head!.count == N && head!.allSatisfy { $0 >= 0 && ($0 + 1) * C <= D - (hasLogit ? 1 : 0) }),
                 "landmarkObjective: head index out of range")
    var grad = Tensor(zeros: outputs.shape)
    let positives = max(1, positive.lazy.filter { $0 }.count)
    var lm: Double = 0, face: Double = 0
    outputs.data.withUnsafeBufferPointer { o in
    grad.data.withUnsafeMutableBufferPointer { g in
        for n in 0..<N {
            if positive[n] {
                let base = n * D + (head?[n] ?? 0) * C
                for j in 0..<C {
                    let (v, s) = loss.valueAndSlope(o[base + j] - targets[n * C + j])
                    lm += Double(v)
                    g[base + j] = s / Float(positives)
                }
            }
            if hasLogit, faceWeight > 0 {
                let z = o[n * D + logitIndex], y: Float = positive[n] ? 1 : 0
                // BCE with logits, numerically stable: max(z,0) − z·y + ln(1 + e^−|z|).
                face += Double(max(z, 0) - z * y + log1p(exp(-abs(z))))
                g[n * D + logitIndex] = faceWeight * (1 / (1 + exp(-z)) - y) / Float(N)
            }
        }
    }}
    return LossResult(landmarkLoss: Float(lm / Double(positives)), faceLoss: faceWeight * Float(face / Double(N)), gradient: grad)
}
