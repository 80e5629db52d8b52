import XCTest
import TestSupport
@testable import WingNN

final class LossTests: XCTestCase {
    let wing = LandmarkLoss.wing(w: 10, epsilon: 2)

    func testWingValuesAndSlopesAtKnownPoints() {
        // w·ln(1 + |x|/ε) inside, |x| − C outside, C = w − w·ln(1 + w/ε).
        XCTAssertEqual(wing.valueAndSlope(0).0, 0)
        XCTAssertEqual(wing.valueAndSlope(1).0, 10 * log(1.5), accuracy: 1e-5)
        XCTAssertEqual(wing.valueAndSlope(1).1, 10 / 3, accuracy: 1e-5)
        XCTAssertEqual(wing.valueAndSlope(-4).0, 10 * log(3), accuracy: 1e-5)
        XCTAssertEqual(wing.valueAndSlope(-4).1, -10 / 6, accuracy: 1e-5)
        let C: Float = 10 - 10 * log(6)
        XCTAssertEqual(wing.valueAndSlope(25).0, 25 - C, accuracy: 1e-4)
        XCTAssertEqual(wing.valueAndSlope(25).1, 1)
    }

    func testWingIsContinuousAtW() {
        for loss in [wing, LandmarkLoss.wing(w: 5, epsilon: 0.5), LandmarkLoss.rectifiedWing(w: 10, epsilon: 2, r: 0.5)] {
            let below = loss.valueAndSlope(10 - 1e-3).0, above = loss.valueAndSlope(10 + 1e-3).0
            if case .wing(let w, _) = loss, w == 5 {
                XCTAssertEqual(loss.valueAndSlope(5 - 1e-3).0, loss.valueAndSlope(5 + 1e-3).0, accuracy: 1e-2)
            } else {
                XCTAssertEqual(below, above, accuracy: 1e-2, "\(loss)")
            }
        }
    }

    func testRectifiedWingIgnoresSmallErrors() {
        let rw = LandmarkLoss.rectifiedWing(w: 10, epsilon: 2, r: 0.5)
        XCTAssertEqual(rw.valueAndSlope(0.4).0, 0)
        XCTAssertEqual(rw.valueAndSlope(0.4).1, 0)
        XCTAssertEqual(rw.valueAndSlope(1.5).0, 10 * log(1.5), accuracy: 1e-5)
    }

    func testOtherLossesMatchTheirFormulas() {
        XCTAssertEqual(LandmarkLoss.l2.valueAndSlope(3).0, 4.5)
        XCTAssertEqual(LandmarkLoss.l2.valueAndSlope(3).1, 3)
        XCTAssertEqual(LandmarkLoss.l1.valueAndSlope(-3).0, 3)
        XCTAssertEqual(LandmarkLoss.l1.valueAndSlope(-3).1, -1)
        XCTAssertEqual(LandmarkLoss.smoothL1.valueAndSlope(0.5).0, 0.125)
        XCTAssertEqual(LandmarkLoss.smoothL1.valueAndSlope(3).0, 2.5)
    }

    func testEveryLossSlopeMatchesFiniteDifferences() {
        let losses: [LandmarkLoss] = [.l2, .l1, .smoothL1, wing, .wing(w: 5, epsilon: 0.5), .rectifiedWing(w: 10, epsilon: 2, r: 0.5)]
        for loss in losses {
            for x in stride(from: Float(-20.3), through: 20.3, by: 0.7) where abs(abs(x) - 10) > 0.1 && abs(x) > 0.1 && abs(abs(x) - 5) > 0.1 {
                let h: Float = 1e-3
                let num = (Double(loss.valueAndSlope(x + h).0) - Double(loss.valueAndSlope(x - h).0)) / Double(2 * h)
                XCTAssertEqual(Double(loss.valueAndSlope(x).1), num, accuracy: 2e-2, "\(loss) at \(x)")
            }
        }
    }

    func testObjectiveAveragesOverPositivesAndMasksNegatives() {
        // Two samples, L = 1 (2 coordinates) + face logit; the second is a negative.
        let out = Tensor(shape: [2, 3], data: [1, 2, 0.5, 7, 7, -1])
        let r = landmarkObjective(outputs: out, targets: [0, 0, 0, 0], positive: [true, false], loss: .l2, faceWeight: 1)
        XCTAssertEqual(r.landmarkLoss, 0.5 * 1 + 0.5 * 4, accuracy: 1e-6)   // one positive
        XCTAssertEqual(Array(r.gradient.data[3...4]), [0, 0])                 // negative: no landmark gradient
        XCTAssertEqual(Array(r.gradient.data[0...1]), [1, 2])
        // BCE with logits, mean over both samples.
        let bce = (log(1 + exp(-0.5)) + log(1 + exp(-1))) / 2
        XCTAssertEqual(r.faceLoss, Float(bce), accuracy: 1e-5)
        XCTAssertEqual(r.gradient.data[2], (1 / (1 + exp(-0.5)) - 1) / 2, accuracy: 1e-6)
        XCTAssertEqual(r.gradient.data[5], (1 / (1 + exp(1))) / 2, accuracy: 1e-6)
    }

    /// Several heads (conventions): each sample's landmark loss uses its own block only, and equals
    /// the one-head objective on that block; the face logit is the last output.
    func testObjectiveUsesEachSamplesHead() {
        // L = 1 (2 coordinates), 3 heads, face logit: 7 outputs per sample.
        let rows: [[Float]] = [[9, 9, 1, 2, 9, 9, 0.5], [3, -1, 9, 9, 9, 9, -2], [9, 9, 9, 9, 4, 0, 1]]
        let out = Tensor(shape: [3, 7], data: rows.flatMap { $0 })
        let targets: [Float] = [0, 1, 1, 0, 2, 2]
        let r = landmarkObjective(outputs: out, targets: targets, positive: [true, true, true], head: [1, 0, 2], loss: .l2, faceWeight: 1)
        // The same samples with their own blocks cut out, through the one-head objective.
        let own = Tensor(shape: [3, 3], data: [1, 2, 0.5, 3, -1, -2, 4, 0, 1])
        let ref = landmarkObjective(outputs: own, targets: targets, positive: [true, true, true], loss: .l2, faceWeight: 1)
        XCTAssertEqual(r.landmarkLoss, ref.landmarkLoss, accuracy: 1e-6)
        XCTAssertEqual(r.faceLoss, ref.faceLoss, accuracy: 1e-6)
        let g = r.gradient.data, gr = ref.gradient.data
        XCTAssertEqual([g[2], g[3], g[6]], [gr[0], gr[1], gr[2]])
        XCTAssertEqual([g[7], g[8], g[13]], [gr[3], gr[4], gr[5]])
        XCTAssertEqual([g[18], g[19], g[20]], [gr[6], gr[7], gr[8]])
        for (n, block) in [(0, 1), (1, 0), (2, 2)] {
            for k in 0..<3 where k != block {
                XCTAssertEqual([g[n * 7 + 2 * k], g[n * 7 + 2 * k + 1]], [0, 0], "sample \(n), other head \(k)")
            }
        }
    }
}

final class OptimizerTests: XCTestCase {
    func testNesterovSGDMatchesHandComputation() {
        let p = Parameter(name: "w", shape: [2], value: [1, -2], decays: true)
        let sgd = SGD([p], momentum: 0.9, nesterov: true, weightDecay: 0.1)
        p.grad = [0.5, 1]
        sgd.step(lr: 0.1)
        // g = ∇ + λθ = [0.6, 0.8]; v = g; θ -= lr·(g + μv) = lr·1.9g
        assertClose(p.value, [1 - 0.1 * 1.9 * 0.6, -2 - 0.1 * 1.9 * 0.8], rtol: 1e-6, "step 1")
        let v1 = [Float(0.6), 0.8]
        let theta1 = p.value
        sgd.step(lr: 0.1)
        let g2 = [0.5 + 0.1 * theta1[0], 1 + 0.1 * theta1[1]]
        let v2 = [0.9 * v1[0] + g2[0], 0.9 * v1[1] + g2[1]]
        assertClose(p.value, [theta1[0] - 0.1 * (g2[0] + 0.9 * v2[0]), theta1[1] - 0.1 * (g2[1] + 0.9 * v2[1])], rtol: 1e-6, "step 2")
    }

    func testAdamFirstStepMovesByLearningRate() {
        let p = Parameter(name: "w", shape: [3], value: [1, 1, 1], decays: false)
        let adam = Adam([p])
        p.grad = [3, -0.01, 0]
        adam.step(lr: 0.01)
        assertClose(p.value, [0.99, 1.01, 1], rtol: 1e-4, "adam")
    }

    func testGradientClippingCapsTheGlobalNorm() {
        let a = Parameter(name: "a", shape: [2], value: [0, 0], decays: false)
        let b = Parameter(name: "b", shape: [1], value: [0], decays: false)
        a.grad = [3, 0]; b.grad = [4]
        XCTAssertEqual(clipGradientNorm([a, b], maxNorm: 1), 5, accuracy: 1e-6)
        assertClose(a.grad + b.grad, [0.6, 0, 0.8], rtol: 1e-6, "clipped")
    }

    func testSchedules() {
        let cos = LearningRateSchedule(base: 1, shape: .cosine(totalSteps: 100, minimum: 0), warmupSteps: 10)
        XCTAssertEqual(cos.rate(at: 0), 0.1 * 1, accuracy: 1e-3)
        XCTAssertEqual(cos.rate(at: 50), 0.5, accuracy: 1e-5)
        XCTAssertEqual(cos.rate(at: 100), 0, accuracy: 1e-6)
        let step = LearningRateSchedule(base: 1, shape: .step(milestones: [10, 20], gamma: 0.1))
        XCTAssertEqual(step.rate(at: 15), 0.1, accuracy: 1e-6)
        XCTAssertEqual(step.rate(at: 25), 0.01, accuracy: 1e-7)
    }
}

final class BLASRuntimeTests: XCTestCase {
    func testChoosesTheKernelTheCPUDeserves() {
        XCTAssertEqual(BLASRuntime.betterCore(loaded: "Prescott", simdLevel: 3), "SkylakeX")
        XCTAssertEqual(BLASRuntime.betterCore(loaded: "Haswell", simdLevel: 3), "SkylakeX")
        XCTAssertNil(BLASRuntime.betterCore(loaded: "SkylakeX", simdLevel: 3))
        XCTAssertEqual(BLASRuntime.betterCore(loaded: "Prescott", simdLevel: 1), "Haswell")
        XCTAssertNil(BLASRuntime.betterCore(loaded: "Zen", simdLevel: 1))
        XCTAssertNil(BLASRuntime.betterCore(loaded: "Prescott", simdLevel: 0))
    }

    func testExplanationNamesTheLoadedCore() {
        XCTAssertTrue(BLASRuntime.explanation().contains(BLAS.coreName))
    }
}
