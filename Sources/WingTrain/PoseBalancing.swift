import FaceGeometry

/// Pose-based data balancing (Feng et al., CVPR 2018, §4.2): align all shapes to the mean shape
/// (Procrustes), take the principal component that carries yaw, histogram the samples on it in K
/// bins, and repeat the samples of each non-empty bin until every bin holds as many as the fullest.
public struct PoseBalancing {
    /// Projection of each shape on the pose component.
    public let projections: [Double]
    /// Which PCA component was used (the one best correlated with yaw where yaw is known, else 0).
    public let component: Int
    /// Pearson correlation of the projection with the known yaw values (nil when none are known).
    public let yawCorrelation: Double?
    /// Bin of each sample, 0..<K.
    public let bins: [Int]
    public let binCounts: [Int]

    /// - Parameters: `shapes` one 68-point shape per sample; `yaw` the known yaw (or nil) per sample.
    public init(shapes: [[Point]], yaw: [Float?], bins K: Int = 9) {
        let (aligned, _) = Procrustes.alignAll(shapes)
        let rows = aligned.map { s in s.map(\.x) + s.map(\.y) }
        let pca = PCA(rows, components: 3)
        var bestComponent = 0
        var bestCorr: Double? = nil
        let known = yaw.enumerated().compactMap { i, y in y.map { (i, Double($0)) } }
        if known.count >= 3 {
            for c in 0..<3 {
                let r = pearson(known.map { pca.project(rows[$0.0], onto: c) }, known.map(\.1))
                if bestCorr == nil || abs(r) > abs(bestCorr!) { bestCorr = r; bestComponent = c }
            }
        }
        component = bestComponent
        yawCorrelation = bestCorr
        projections = rows.map { pca.project($0, onto: bestComponent) }
        (bins, binCounts) = PoseBalancing.histogram(projections, bins: K)
    }

    /// Assigns each value to exactly one of K equal-width bins over [min, max]; the maximum goes to
    /// the last bin (no value is counted twice).
    public static func histogram(_ values: [Double], bins K: Int) -> (bins: [Int], counts: [Int]) {
        guard let lo = values.min(), let hi = values.max(), K > 0 else { return ([], []) }
        let width = (hi - lo) / Double(K)
        var counts = [Int](repeating: 0, count: K)
        let b = values.map { v -> Int in
            let i = width > 0 ? min(K - 1, Int((v - lo) / width)) : 0
            counts[i] += 1
            return i
        }
        return (b, counts)
    }

    /// Sample indices after balancing: each non-empty bin is filled up to the fullest bin's count by
    /// repeating its samples as evenly as possible (empty bins stay empty).
    public static func balancedIndices(bins: [Int], counts: [Int]) -> [Int] {
        let target = counts.max() ?? 0
        var members = [[Int]](repeating: [], count: counts.count)
        for (i, b) in bins.enumerated() { members[b].append(i) }
        var out: [Int] = []
        for m in members where !m.isEmpty {
            for k in 0..<target { out.append(m[k % m.count]) }
        }
        return out
    }

    public var balancedIndices: [Int] { PoseBalancing.balancedIndices(bins: bins, counts: binCounts) }
}

/// Pearson correlation coefficient.
func pearson(_ a: [Double], _ b: [Double]) -> Double {
    let n = Double(a.count)
    let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in a.indices { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb) }
    return sab / max((saa * sbb).squareRoot(), .leastNormalMagnitude)
}
