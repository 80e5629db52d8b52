/// Landmark error metrics (the project's NME conventions).
public enum Metrics {
    /// Mean point-to-point error over all points ÷ the outer-eye-corner distance (points 36, 45).
    public static func nmeInterOcular(_ pred: [Point], _ truth: [Point]) -> Float {
        meanError(pred, truth) / truth[36].distance(to: truth[45])
    }

    /// Mean point-to-point error ÷ √(w·h) of the truth's bounding box: the normalisation the
    /// AFLW2000-3D literature uses, which unlike the eye distances does not shrink as the head turns.
    public static func nmeBox(_ pred: [Point], _ truth: [Point]) -> Float {
        let box = Box(bounding: truth)
        return meanError(pred, truth) / (box.width * box.height).squareRoot()
    }

    /// Mean point-to-point error ÷ the distance between the eye centres (means of 36–41, 42–47).
    public static func nmeInterPupil(_ pred: [Point], _ truth: [Point]) -> Float {
        let (l, r) = Landmarks68.eyeCentres(truth)
        return meanError(pred, truth) / l.distance(to: r)
    }

    /// Mean Euclidean distance between corresponding points (optionally over a subset).
    public static func meanError(_ pred: [Point], _ truth: [Point], indices: Range<Int>? = nil) -> Float {
        let r = indices ?? 0..<truth.count
        var s: Float = 0
        for i in r { s += pred[i].distance(to: truth[i]) }
        return s / Float(r.count)
    }

    /// Share of errors above `threshold`.
    public static func failureRate(_ errors: [Float], threshold: Float) -> Float {
        guard !errors.isEmpty else { return 0 }
        return Float(errors.filter { $0 > threshold }.count) / Float(errors.count)
    }

    /// Cumulative error distribution: for each of `steps + 1` thresholds in [0, limit], the share of
    /// errors ≤ threshold.
    public static func ced(_ errors: [Float], limit: Float, steps: Int = 100) -> [(threshold: Float, fraction: Float)] {
        let sorted = errors.sorted()
        return (0...steps).map { i in
            let t = limit * Float(i) / Float(steps)
            var lo = 0, hi = sorted.count
            while lo < hi { let m = (lo + hi) / 2; if sorted[m] <= t { lo = m + 1 } else { hi = m } }
            return (t, sorted.isEmpty ? 0 : Float(lo) / Float(sorted.count))
        }
    }

    /// Area under the CED curve up to `limit`, normalised to [0, 1] (trapezoids over `steps`).
    public static func auc(_ errors: [Float], limit: Float, steps: Int = 1000) -> Float {
        let c = ced(errors, limit: limit, steps: steps)
        var a: Float = 0
        for i in 1..<c.count { a += (c[i].fraction + c[i - 1].fraction) / 2 }
        return a / Float(steps)
    }

    public static func mean(_ v: [Float]) -> Float { v.isEmpty ? .nan : v.reduce(0, +) / Float(v.count) }
    public static func median(_ v: [Float]) -> Float {
        guard !v.isEmpty else { return .nan }
        let s = v.sorted(), n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }
}
