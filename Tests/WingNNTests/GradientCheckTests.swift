import XCTest
import TestSupport
@testable import WingNN

/// Finite-difference checks of every layer's backward on awkward sizes (odd spatial sizes, batch 3).
///
/// The loss is L = Σ y·R for a fixed random R (so dL/dy = R), accumulated in Double; central
/// differences with h = 1e-3 (small enough that ReLU and max-pool kinks are rarely crossed). Float32 tolerance: |analytic − numeric| ≤ 1e-2·max(|analytic|, |numeric|) + 2e-3.
final class GradientCheckTests: XCTestCase {
    func random(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in Float.random(in: -scale...scale, using: &rng) }
    }

    /// Checks dL/dx and dL/dθ of `net` at input `x`.
    func check(_ net: Sequential, input shape: [Int], file: StaticString = #filePath, line: UInt = #line) {
        let x = Tensor(shape: shape, data: random(shape.reduce(1, *), seed: 11))
        let outShape = net.outputShape(for: shape)
        let R = random(outShape.reduce(1, *), seed: 12)
        func loss(_ input: Tensor) -> Double {
            let y = net.forward(input)
            return zip(y.data, R).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        net.zeroGrad()
        _ = net.forward(x)
        // Gradient w.r.t. the input: run backward through every layer by hand (Sequential skips layer 0's).
        var g = Tensor(shape: outShape, data: R)
        for layer in net.layers.reversed() { g = layer.backward(g, needInputGradient: true) }
        let analyticX = g.data
        let analyticParams = net.parameters.map(\.grad)
        let h: Float = 1e-3
        func compare(_ a: Float, _ n: Float, _ what: String) {
            let tol = 1e-2 * max(abs(a), abs(n)) + 2e-3
            if abs(a - n) > tol { XCTFail("\(what): analytic \(a) vs numeric \(n)", file: file, line: line) }
        }
        for i in stride(from: 0, to: x.count, by: max(1, x.count / 40)) {
            var xp = x, xm = x
            xp.data[i] += h; xm.data[i] -= h
            compare(analyticX[i], Float((loss(xp) - loss(xm)) / Double(2 * h)), "dL/dx[\(i)]")
        }
        for (pi, p) in net.parameters.enumerated() {
            for i in stride(from: 0, to: p.count, by: max(1, p.count / 25)) {
                let saved = p.value[i]
                p.value[i] = saved + h; let lp = loss(x)
                p.value[i] = saved - h; let lm = loss(x)
                p.value[i] = saved
                compare(analyticParams[pi][i], Float((lp - lm) / Double(2 * h)), "dL/d\(p.name)[\(i)]")
            }
        }
    }

    func testConvGradients() {
        var rng = SeededGenerator(seed: 1)
        check(Sequential([Conv2D(name: "c", inChannels: 2, outChannels: 3, kernel: 3, stride: 1, padding: 1, rng: &rng)]), input: [3, 2, 7, 5])
        check(Sequential([Conv2D(name: "c", inChannels: 2, outChannels: 3, kernel: 3, stride: 2, padding: 1, rng: &rng)]), input: [3, 2, 7, 5])
        check(Sequential([Conv2D(name: "c", inChannels: 3, outChannels: 2, kernel: 5, stride: 2, padding: 2, rng: &rng)]), input: [3, 3, 9, 6])
    }

    /// 16+ input channels at batch 3: the Winograd route (`Conv2D+Winograd.swift`), odd sizes. (Without
    /// the fused ReLU: with 16 channels some outputs lie within h of its kink; `LayerAgreementTests`
    /// checks the masked route against the unfolded one.)
    func testWinogradConvGradients() {
        var rng = SeededGenerator(seed: 5)
        let conv = Conv2D(name: "w", inChannels: 16, outChannels: 3, rng: &rng)
        XCTAssertTrue(conv.takesWinograd)
        check(Sequential([conv]), input: [3, 16, 5, 3])
    }

    func testConvWithFusedReLUGradients() {
        var rng = SeededGenerator(seed: 2)
        check(Sequential([Conv2D(name: "c", inChannels: 2, outChannels: 4, relu: true, rng: &rng)]), input: [3, 2, 5, 7])
    }

    func testMaxPoolReLUFlattenDenseGradients() {
        var rng = SeededGenerator(seed: 3)
        check(Sequential([ReLU(), MaxPool2D(kernel: 2, stride: 2), Flatten(),
                          Dense(name: "fc", inFeatures: 2 * 3 * 2, outFeatures: 5, relu: true, rng: &rng),
                          Dense(name: "fc2", inFeatures: 5, outFeatures: 3, rng: &rng)]),
              input: [3, 2, 7, 5])
    }

    func testSmallWholeNetworkGradients() {
        let spec = NetworkSpec(name: "tiny", inputSize: 9, convChannels: [3, 4], hiddenUnits: 6, landmarkCount: 2)
        check(spec.build(seed: 5), input: [3, 3, 9, 9])
    }
}
