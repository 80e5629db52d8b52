import XCTest
import TestSupport
@testable import WingNN

/// Cutting a batch into shards on replicas must compute the full batch's step.
final class DataParallelTests: XCTestCase {
    func smallNet(seed: UInt64?) -> Sequential {
        var rng = SeededGenerator(seed: seed ?? 0)
        let layers: [Layer] = [
            Conv2D(name: "c1", inChannels: 3, outChannels: 4, relu: true, rng: &rng), MaxPool2D(name: "p1"),
            Conv2D(name: "c2", inChannels: 4, outChannels: 6, relu: true, rng: &rng), MaxPool2D(name: "p2"),
            Flatten(), Dense(name: "fc", inFeatures: 6 * 2 * 2, outFeatures: 5, rng: &rng),
        ]
        if seed == nil { for p in layers.flatMap(\.parameters) { p.value = [Float](repeating: 0, count: p.count) } }
        return Sequential(layers)
    }

    func testShardsOnReplicasGiveTheFullBatchOutputsAndGradients() {
        var rng = SeededGenerator(seed: 11)
        let x = Tensor(shape: [5, 3, 9, 8], data: (0..<(5 * 3 * 9 * 8)).map { _ in Float.random(in: -1...1, using: &rng) })
        let targets = (0..<(5 * 4)).map { _ in Float.random(in: -1...1, using: &rng) }
        let positive = [true, false, true, true, true]
        let plain = smallNet(seed: 3), sharded = smallNet(seed: 3)
        // Three shards of 1, 2 and 2 samples: uneven, and one of a single sample.
        let parallel = DataParallel(network: sharded, replicas: [smallNet(seed: nil), smallNet(seed: nil)])
        let optPlain = SGD(plain.parameters, momentum: 0.9, nesterov: true, weightDecay: 5e-4)
        let optSharded = SGD(sharded.parameters, momentum: 0.9, nesterov: true, weightDecay: 5e-4)
        for step in 0..<3 {
            plain.zeroGrad(); parallel.zeroGrad()
            let a = plain.forward(x), b = parallel.forward(x)
            XCTAssertEqual(b.shape, a.shape)
            assertClose(b.data, a.data, rtol: 1e-5, atol: 1e-6, "outputs, step \(step)")
            let ra = landmarkObjective(outputs: a, targets: targets, positive: positive, loss: .wing(w: 10, epsilon: 2), faceWeight: 1)
            let rb = landmarkObjective(outputs: b, targets: targets, positive: positive, loss: .wing(w: 10, epsilon: 2), faceWeight: 1)
            plain.backward(ra.gradient); parallel.backward(rb.gradient)
            for (p, q) in zip(plain.parameters, sharded.parameters) {
                let scale = p.grad.map(abs).max() ?? 1
                assertClose(q.grad, p.grad, rtol: 1e-4, atol: 1e-5 * scale, "\(p.name) gradient, step \(step)")
            }
            optPlain.step(lr: 0.05); optSharded.step(lr: 0.05)
            parallel.syncReplicas()
        }
    }

    func testABatchOfOneRunsOnTheNetworkAlone() {
        let net = smallNet(seed: 5)
        let parallel = DataParallel(network: net, replicas: [smallNet(seed: nil)])
        let x = Tensor(shape: [1, 3, 8, 8], data: (0..<192).map { Float($0 % 7) / 7 })
        XCTAssertEqual(parallel.forward(x).data, net.forward(x).data)
        XCTAssertEqual(parallel.workers, 2)
    }
}
