import XCTest
import TestSupport
@testable import WingNN

/// `RidgeProblem` against the definition of its answer, computed naively from the raw rows.
final class RidgeTests: XCTestCase {
    /// Random rows of `k` features (some zeros, like ReLU outputs) and targets = x·A + c + noise.
    func rows(n: Int, k: Int, m: Int, noise: Float, seed: UInt64) -> (x: [Float], r: [Float], a: [Float], c: [Float]) {
        var rng = SeededGenerator(seed: seed)
        let x = (0..<(n * k)).map { _ in max(0, Float.random(in: -0.5...2, using: &rng)) }
        let a = (0..<(k * m)).map { _ in Float.random(in: -1...1, using: &rng) }
        let c = (0..<m).map { _ in Float.random(in: -5...5, using: &rng) }
        var r = [Float](repeating: 0, count: n * m)
        for row in 0..<n { for t in 0..<m {
            var v = c[t] + noise * Float.random(in: -1...1, using: &rng)
            for i in 0..<k { v += x[row * k + i] * a[i * m + t] }
            r[row * m + t] = v
        } }
        return (x, r, a, c)
    }

    /// At the solution the objective Σ‖r − x·W − b‖² + λ‖W‖² has zero gradient in W and in b.
    func testSolutionZeroesTheObjectivesGradient() throws {
        let (n, k, m) = (57, 13, 5)
        let d = rows(n: n, k: k, m: m, noise: 0.5, seed: 3)
        let lambda = 2.5
        let s = try XCTUnwrap(RidgeProblem(x: d.x, r: d.r, rows: n, features: k, targets: m).solve(lambda: lambda))
        var gW = [Double](repeating: 0, count: k * m), gb = [Double](repeating: 0, count: m)
        for row in 0..<n { for t in 0..<m {
            var e = Double(d.r[row * m + t]) - s.offset[t]
            for i in 0..<k { e -= Double(d.x[row * k + i]) * s.weights[i * m + t] }
            gb[t] -= 2 * e
            for i in 0..<k { gW[i * m + t] -= 2 * e * Double(d.x[row * k + i]) }
        } }
        for j in gW.indices { gW[j] += 2 * lambda * s.weights[j] }
        XCTAssertLessThan(gW.map(abs).max()!, 1e-8)
        XCTAssertLessThan(gb.map(abs).max()!, 1e-8)
        // And λ matters: a stronger one shrinks the weights.
        let strong = try XCTUnwrap(RidgeProblem(x: d.x, r: d.r, rows: n, features: k, targets: m).solve(lambda: 1000))
        XCTAssertLessThan(strong.weights.map { $0 * $0 }.reduce(0, +), s.weights.map { $0 * $0 }.reduce(0, +))
    }

    /// Noise-free linear targets and a vanishing λ give back the true map; `predict` reproduces the targets.
    func testRecoversAnExactLinearMap() throws {
        let (n, k, m) = (80, 9, 4)
        let d = rows(n: n, k: k, m: m, noise: 0, seed: 8)
        let s = try XCTUnwrap(RidgeProblem(x: d.x, r: d.r, rows: n, features: k, targets: m).solve(lambda: 1e-9))
        for j in d.a.indices { XCTAssertEqual(s.weights[j], Double(d.a[j]), accuracy: 1e-4) }
        for t in 0..<m { XCTAssertEqual(s.offset[t], Double(d.c[t]), accuracy: 1e-4) }
        let p = s.predict(d.x, rows: n)
        for j in p.indices { XCTAssertEqual(p[j], Double(d.r[j]), accuracy: 1e-3) }
    }

    /// Offset only (λ = nil) is the targets' mean; a singular system (fewer rows than features, λ = 0)
    /// is refused, not answered with garbage.
    func testOffsetOnlyAndSingularSystems() throws {
        let (n, k, m) = (6, 10, 3)
        let d = rows(n: n, k: k, m: m, noise: 1, seed: 5)
        let problem = RidgeProblem(x: d.x, r: d.r, rows: n, features: k, targets: m)
        let offset = try XCTUnwrap(problem.solve(lambda: nil))
        XCTAssertTrue(offset.weights.allSatisfy { $0 == 0 })
        for t in 0..<m {
            let mean = (0..<n).map { Double(d.r[$0 * m + t]) }.reduce(0, +) / Double(n)
            XCTAssertEqual(offset.offset[t], mean, accuracy: 1e-9)
        }
        XCTAssertNil(problem.solve(lambda: 0))
        XCTAssertNotNil(problem.solve(lambda: 0.1))
    }
}
