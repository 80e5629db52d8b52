/// Principal components of row vectors, by power iteration with deflation (enough for a few
/// components of a 136-dimensional shape space).
public struct PCA {
    public let mean: [Double]
    /// Unit-length components, strongest first.
    public let components: [[Double]]
    /// Variance along each component.
    public let variances: [Double]

    public init(_ rows: [[Float]], components k: Int, iterations: Int = 200) {
        let d = rows[0].count, n = rows.count
        var mean = [Double](repeating: 0, count: d)
        for r in rows { for j in 0..<d { mean[j] += Double(r[j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        var cov = [Double](repeating: 0, count: d * d)
        for r in rows {
            let c = (0..<d).map { Double(r[$0]) - mean[$0] }
            for i in 0..<d { let ci = c[i]; for j in i..<d { cov[i * d + j] += ci * c[j] } }
        }
        for i in 0..<d { for j in i..<d { cov[i * d + j] /= Double(max(1, n - 1)); cov[j * d + i] = cov[i * d + j] } }
        var comps: [[Double]] = [], vars: [Double] = []
        for c in 0..<k {
            var v = (0..<d).map { Double((($0 * 7919 + c * 104729) % 1000)) / 1000 - 0.5 }
            var lambda = 0.0
            for _ in 0..<iterations {
                var w = [Double](repeating: 0, count: d)
                for i in 0..<d { var s = 0.0; for j in 0..<d { s += cov[i * d + j] * v[j] }; w[i] = s }
                let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if norm == 0 { break }
                lambda = norm
                v = w.map { $0 / norm }
            }
            comps.append(v); vars.append(lambda)
            for i in 0..<d { for j in 0..<d { cov[i * d + j] -= lambda * v[i] * v[j] } }
        }
        self.mean = mean; components = comps; variances = vars
    }

    /// Coordinate of `row` along component `index`.
    public func project(_ row: [Float], onto index: Int) -> Double {
        var s = 0.0
        for j in 0..<mean.count { s += (Double(row[j]) - mean[j]) * components[index][j] }
        return s
    }
}
