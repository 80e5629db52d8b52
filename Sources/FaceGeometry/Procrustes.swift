/// Similarity (Procrustes) alignment of point sets.
public enum Procrustes {
    /// The similarity transform T minimising Σ |T(source_i) − target_i|² (least squares, closed form).
    public static func fit(from source: [Point], to target: [Point]) -> SimilarityTransform {
        precondition(source.count == target.count && !source.isEmpty, "Procrustes.fit: point counts differ")
        let cs = centroid(source), ct = centroid(target)
        var sxx: Float = 0, num_a: Float = 0, num_b: Float = 0
        for (s, t) in zip(source, target) {
            let p = s - cs, q = t - ct
            sxx += p.x * p.x + p.y * p.y
            num_a += p.x * q.x + p.y * q.y
            num_b += p.x * q.y - p.y * q.x
        }
        let a = num_a / max(sxx, .leastNormalMagnitude), b = num_b / max(sxx, .leastNormalMagnitude)
        return SimilarityTransform(a: a, b: b, tx: ct.x - (a * cs.x - b * cs.y), ty: ct.y - (b * cs.x + a * cs.y))
    }

    /// Generalised Procrustes analysis: aligns all shapes to their iteratively refined mean.
    /// Returns the aligned shapes and the mean (centred at the origin, unit RMS radius).
    public static func alignAll(_ shapes: [[Point]], iterations: Int = 5) -> (aligned: [[Point]], mean: [Point]) {
        func normalised(_ s: [Point]) -> [Point] {
            let c = centroid(s)
            let r = (s.reduce(Float(0)) { $0 + ($1 - c).length * ($1 - c).length } / Float(s.count)).squareRoot()
            return s.map { ($0 - c) * (1 / max(r, .leastNormalMagnitude)) }
        }
        var mean = normalised(shapes[0])
        var aligned = shapes
        for _ in 0..<iterations {
            aligned = shapes.map { fit(from: $0, to: mean).apply($0) }
            var acc = [Point](repeating: Point(0, 0), count: mean.count)
            for s in aligned { for i in s.indices { acc[i] = acc[i] + s[i] } }
            let newMean = normalised(acc.map { $0 * (1 / Float(aligned.count)) })
            // Keep the mean's orientation fixed to the previous one.
            mean = fit(from: newMean, to: mean).apply(newMean)
        }
        return (aligned, mean)
    }
}
