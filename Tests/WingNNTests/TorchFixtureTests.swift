import Foundation
import XCTest
import TestSupport
@testable import WingNN

/// The whole network against PyTorch 2.13 (fixture made by `Scripts/make_torch_fixture.py`): a
/// reduced-width CNN-6 with fixed weights — outputs, Wing + face loss, every parameter gradient and the
/// losses of 3 Nesterov SGD steps.
final class TorchFixtureTests: XCTestCase {
    struct Fixture: Decodable {
        struct Entry: Decodable { var shape: [Int]; var offset: Int; var count: Int }
        var landmark_loss: Float
        var face_loss: Float
        var sgd_losses: [Float]
        var tensors: [String: Entry]
    }

    func load() throws -> (Fixture, (String) -> [Float]) {
        let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        let meta = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: dir.appendingPathComponent("cnn6_small.json")))
        let blob = try Data(contentsOf: dir.appendingPathComponent("cnn6_small.bin"))
        return (meta, { name in
            let e = meta.tensors[name]!
            return blob.subdata(in: e.offset..<(e.offset + 4 * e.count)).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        })
    }

    func testReducedCNN6MatchesPyTorch() throws {
        let (meta, tensor) = try load()
        let spec = NetworkSpec(name: "cnn6/8", inputSize: 64, convChannels: [4, 8, 16, 32, 64], hiddenUnits: 128)
        let net = spec.build()
        for p in net.parameters { p.value = tensor("param." + p.name) }
        let x = Tensor(shape: [3, 3, 64, 64], data: tensor("input"))
        let targets = tensor("target")
        let positive = tensor("positive").map { $0 > 0.5 }
        let wing = LandmarkLoss.wing(w: 10, epsilon: 2)

        net.zeroGrad()
        let out = net.forward(x)
        assertClose(out.data, tensor("output"), rtol: 1e-4, atol: 1e-4, "outputs")
        let r = landmarkObjective(outputs: out, targets: targets, positive: positive, loss: wing, faceWeight: 1)
        XCTAssertEqual(r.landmarkLoss, meta.landmark_loss, accuracy: meta.landmark_loss * 1e-5)
        XCTAssertEqual(r.faceLoss, meta.face_loss, accuracy: 1e-5)
        net.backward(r.gradient)
        for p in net.parameters {
            let ref = tensor("grad." + p.name)
            let scale = ref.map(abs).max() ?? 1
            // rtol 1e-4 relative to each tensor's largest gradient (float32 sums in different orders).
            assertClose(p.grad, ref, rtol: 1e-3, atol: 1e-4 * scale, "grad \(p.name)")
        }

        // Three optimiser steps from the original weights reproduce PyTorch's losses.
        for p in net.parameters { p.value = tensor("param." + p.name) }
        let sgd = SGD(net.parameters, momentum: 0.9, nesterov: true, weightDecay: 5e-4)
        var losses: [Float] = []
        for _ in 0..<3 {
            net.zeroGrad()
            let rr = landmarkObjective(outputs: net.forward(x), targets: targets, positive: positive, loss: wing, faceWeight: 1)
            losses.append(rr.total)
            net.backward(rr.gradient)
            sgd.step(lr: 1e-3)
        }
        losses.append(landmarkObjective(outputs: net.forward(x), targets: targets, positive: positive, loss: wing, faceWeight: 1).total)
        assertClose(losses, meta.sgd_losses, rtol: 1e-5, atol: 0, "SGD losses")
    }
}
