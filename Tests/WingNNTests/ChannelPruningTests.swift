import XCTest
import TestSupport
@testable import WingNN

final class ChannelPruningTests: XCTestCase {
    let wide = NetworkSpec(name: "tiny", inputSize: 16, convChannels: [4, 6], hiddenUnits: 8, conventions: ["300-W", "YouTube-Faces"])
    var narrow: NetworkSpec {
        var s = wide; s.name = "tiny/2"; s.convChannels = [2, 3]; s.hiddenUnits = 4; return s
    }

    func loaded(_ net: Sequential) -> ModelFile.Loaded {
        ModelFile.Loaded(header: ModelHeader(spec: wide, input: .centeredUnit, meanShape: [Float](repeating: 0, count: 136), provenance: [:]),
                         network: net)
    }

    /// Units whose incoming weights and bias are all zero output nothing (ReLU of 0), so a wide
    /// network with such units computes exactly what the narrow one without them does. Narrowing
    /// must drop exactly those (their L1 norm is the smallest) and rewire the next layer's inputs,
    /// the first dense layer's by channel × position, so the two outputs agree.
    func testDroppingDeadUnitsKeepsTheOutput() throws {
        let net = wide.build(seed: 5)
        let dead: [Set<Int>] = [[0, 2], [1, 3, 4], [0, 5, 6, 7]]   // conv1, conv2, fc1
        let params = net.parameters
        for (layer, units) in dead.enumerated() {
            let weight = params[2 * layer], bias = params[2 * layer + 1]
            let per = weight.count / bias.count
            for u in units {
                for j in 0..<per { weight.value[u * per + j] = 0 }
                bias.value[u] = 0
            }
        }
        let cut = try XCTUnwrap(loaded(net).narrowed(to: narrow))
        XCTAssertEqual(cut.header.spec, narrow)
        XCTAssertEqual(zip(cut.network.parameters, narrow.build(seed: nil).parameters).map { $0.count == $1.count }, Array(repeating: true, count: 8))
        // The kept conv1 filters are units 1 and 3 of the wide one, in that order.
        let w1 = params[0], per1 = w1.count / 4
        XCTAssertEqual(cut.network.parameters[0].value, Array(w1.value[per1..<(2 * per1)] + w1.value[(3 * per1)..<(4 * per1)]))

        var rng = SeededGenerator(seed: 3)
        let x = Tensor(shape: [2, 3, 16, 16], data: (0..<(2 * 3 * 256)).map { _ in Float.random(in: -0.5...0.5, using: &rng) })
        let expected = net.forward(x).data
        XCTAssertGreaterThan(expected.map(abs).max() ?? 0, 0.01, "the reference output is not trivially zero")
        assertClose(cut.network.forward(x).data, expected, rtol: 1e-5, atol: 1e-5, "narrowed output")
    }

    /// Only a narrower network of the same depth, input and output blocks can be cut from a wide one.
    func testOnlyNarrowerShapesOfTheSameDepthAreAccepted() {
        let model = loaded(wide.build(seed: 1))
        XCTAssertNil(model.narrowed(to: wide), "the same shape")
        var wider = wide; wider.convChannels = [8, 6]
        XCTAssertNil(model.narrowed(to: wider), "a wider conv block")
        var deeper = narrow; deeper.convChannels = [2, 3, 3]
        XCTAssertNil(model.narrowed(to: deeper), "another depth")
        var otherBlocks = narrow; otherBlocks.conventions = ["300-W"]
        XCTAssertNil(model.narrowed(to: otherBlocks), "other output blocks")
        var otherInput = narrow; otherInput.inputSize = 32
        XCTAssertNil(model.narrowed(to: otherInput), "another input size")
    }
}
