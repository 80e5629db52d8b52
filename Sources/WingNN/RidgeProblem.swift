import Foundation

/// Ridge regression with an unpenalised offset, in float64: for rows x (k values) and targets r
/// (m values) it finds W [k×m] and b [m] minimising
///
///     Σ_rows ‖r − x·W − b‖² + λ‖W‖²
///
/// (b makes the fit exact on the means: b = mean(r) − mean(x)·W). The centred Gram matrix XcᵀXc and
/// XcᵀRc are formed once with OpenBLAS, so each λ tried costs one Cholesky factorisation. Used to
/// refit a network's linear output layer in closed form (`HeadRefit`).
public struct RidgeProblem: Sendable {
    public let features: Int, targets: Int, rows: Int
    /// mean(x) [k] and mean(r) [m].
    public let featureMean: [Double], targetMean: [Double]
    /// XcᵀXc [k×k] and XcᵀRc [k×m], row-major.
    let gram: [Double], cross: [Double]

    /// The fit's answer: predict r as x·weights + offset.
    public struct Solution: Sendable {
        /// W, [features × targets] row-major.
        public var weights: [Double]
        /// b, [targets].
        public var offset: [Double]
        public init(weights: [Double], offset: [Double]) { self.weights = weights; self.offset = offset }
    }

    /// `x` holds `rows` rows of `features` values, `r` the same rows of `targets` values.
    public init(x: [Float], r: [Float], rows n: Int, features k: Int, targets m: Int) {
        precondition(n > 0 && x.count == n * k && r.count == n * m, "RidgeProblem: \(x.count) and \(r.count) values for \(n) rows of \(k) and \(m)")
        features = k; targets = m; rows = n
        func centred(_ v: [Float], _ width: Int) -> (mean: [Double], data: [Double]) {
            var mean = [Double](repeating: 0, count: width)
            for row in 0..<n { for j in 0..<width { mean[j] += Double(v[row * width + j]) } }
            for j in 0..<width { mean[j] /= Double(n) }
            var d = [Double](repeating: 0, count: n * width)
            for row in 0..<n { for j in 0..<width { d[row * width + j] = Double(v[row * width + j]) - mean[j] } }
            return (mean, d)
        }
        let (mx, xc) = centred(x, k), (mr, rc) = centred(r, m)
        featureMean = mx; targetMean = mr
        var g = [Double](repeating: 0, count: k * k), c = [Double](repeating: 0, count: k * m)
        BLAS.dgemm(transA: true, m: k, n: k, k: n, a: xc, lda: k, b: xc, ldb: k, c: &g, ldc: k)
        BLAS.dgemm(transA: true, m: k, n: m, k: n, a: xc, lda: k, b: rc, ldb: m, c: &c, ldc: m)
        gram = g; cross = c
    }

    /// The mean of XcᵀXc's diagonal (the features' summed variance per feature): a scale for λ.
    public var diagonalMean: Double { (0..<features).reduce(0) { $0 + gram[$1 * features + $1] } / Double(features) }

    /// W = (XcᵀXc + λI)⁻¹ XcᵀRc by Cholesky; `lambda` nil keeps the offset alone (W = 0, b = mean(r)).
    /// Nil when XcᵀXc + λI is not positive definite (λ ≤ 0 on rank-deficient rows).
    public func solve(lambda: Double?) -> Solution? {
        let (k, m) = (features, targets)
        guard let lambda else { return Solution(weights: [Double](repeating: 0, count: k * m), offset: targetMean) }
        var a = gram
        for i in 0..<k { a[i * k + i] += lambda }
        guard RidgeProblem.choleskyInPlace(&a, k) else { return nil }
        var w = cross
        a.withUnsafeBufferPointer { L in
        w.withUnsafeMutableBufferPointer { y in
            // L·Y = C, then Lᵀ·W = Y (row i of W/Y is m contiguous values).
            for i in 0..<k {
                for j in 0..<i where L[i * k + j] != 0 {
                    let f = L[i * k + j]
                    for t in 0..<m { y[i * m + t] -= f * y[j * m + t] }
                }
                let d = L[i * k + i]
                for t in 0..<m { y[i * m + t] /= d }
            }
            for i in stride(from: k - 1, through: 0, by: -1) {
                for j in (i + 1)..<max(i + 1, k) where L[j * k + i] != 0 {
                    let f = L[j * k + i]
                    for t in 0..<m { y[i * m + t] -= f * y[j * m + t] }
                }
                let d = L[i * k + i]
                for t in 0..<m { y[i * m + t] /= d }
            }
        }}
        var b = targetMean
        for i in 0..<k { for t in 0..<m { b[t] -= featureMean[i] * w[i * m + t] } }
        return Solution(weights: w, offset: b)
    }

    /// The lower Cholesky factor L (A = L·Lᵀ) of the symmetric [n×n] `a`, written over its lower
    /// triangle; false when a pivot is not positive (to within rounding: A is singular).
    static func choleskyInPlace(_ a: inout [Double], _ n: Int) -> Bool {
        a.withUnsafeMutableBufferPointer { p in
            for j in 0..<n {
                var s = p[j * n + j]
                let diagonal = s
                for t in 0..<j { s -= p[j * n + t] * p[j * n + t] }
                // A pivot lost to rounding (relative to its diagonal) means singular, not a tiny value.
                guard s > 1e-10 * diagonal, s > 0 else { return false }
                let d = s.squareRoot()
                p[j * n + j] = d
                for i in (j + 1)..<max(j + 1, n) {
                    var v = p[i * n + j]
                    for t in 0..<j { v -= p[i * n + t] * p[j * n + t] }
                    p[i * n + j] = v / d
                }
            }
            return true
        }
    }
}

extension RidgeProblem.Solution {
    /// x·W + b for `rows` rows of x.
    public func predict(_ x: [Float], rows n: Int) -> [Double] {
        let m = offset.count, k = weights.count / max(1, m)
        var out = [Double](repeating: 0, count: n * m)
        for row in 0..<n {
            for t in 0..<m { out[row * m + t] = offset[t] }
            for i in 0..<k {
                let v = Double(x[row * k + i])
                if v == 0 { continue }
                for t in 0..<m { out[row * m + t] += v * weights[i * m + t] }
            }
        }
        return out
    }
}
