import XCTest
import TestSupport
@testable import WingNN

/// The im2col + SGEMM kernels against plain-loop references, on awkward sizes.
final class LayerAgreementTests: XCTestCase {
    func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &rng) })
    }

    func testConvMatchesNaiveLoopsForManyGeometries() {
        // (channels in, out, H, W, kernel, stride, padding, batch)
        let cases = [(3, 4, 9, 7, 3, 1, 1, 3), (2, 5, 8, 8, 3, 2, 1, 2), (4, 3, 5, 6, 1, 1, 0, 3),
                     (3, 2, 11, 9, 5, 2, 2, 1), (1, 6, 4, 4, 3, 1, 0, 3), (2, 2, 3, 3, 3, 3, 1, 2),
                     (2, 3, 6, 8, 5, 1, 2, 2), (2, 3, 2, 5, 5, 1, 2, 1)]
        for (i, c) in cases.enumerated() {
            var rng = SeededGenerator(seed: UInt64(i))
            for relu in [false, true] {
                let conv = Conv2D(name: "c", inChannels: c.0, outChannels: c.1, kernel: c.4, stride: c.5, padding: c.6, relu: relu, rng: &rng)
                conv.bias.value = (0..<c.1).map { Float($0) * 0.1 - 0.2 }
                let x = random([c.7, c.0, c.2, c.3], seed: UInt64(100 + i))
                var ref = NaiveReference.conv2d(x, weight: conv.weight.value, bias: conv.bias.value, outChannels: c.1,
                                                kernel: c.4, stride: c.5, padding: c.6)
                if relu { ref.data = ref.data.map { max(0, $0) } }
                // Whole batch in one GEMM, and one image per GEMM.
                for budget in [1 << 20, 1] {
                    conv.columnBudget = budget
                    let y = conv.forward(x)
                    XCTAssertEqual(y.shape, ref.shape)
                    assertClose(y.data, ref.data, rtol: 1e-4, atol: 1e-4, "conv case \(i) relu \(relu) budget \(budget)")
                }
            }
        }
    }

    /// Training's 3×3 layers with 16+ input channels run Winograd's F(2×2, 3×3) at batch > 1: its
    /// outputs against the naive loops, and its input, weight and bias gradients against im2col's
    /// (finite differences check them too, `GradientCheckTests`), on odd and tiny sizes, with the
    /// batch in one group and one image per group.
    func testWinogradMatchesNaiveLoopsAndUnfoldedGradients() {
        // (in, out, H, W, batch)
        let cases = [(16, 5, 7, 5, 3), (17, 4, 1, 2, 2), (16, 8, 8, 8, 3), (32, 3, 3, 9, 2), (24, 64, 4, 4, 5)]
        let (savedBudget, savedEnabled) = (Conv2D.winogradBudget, Conv2D.winogradEnabled)
        defer { (Conv2D.winogradBudget, Conv2D.winogradEnabled) = (savedBudget, savedEnabled) }
        for (i, c) in cases.enumerated() {
            var rng = SeededGenerator(seed: UInt64(60 + i))
            for relu in [false, true] {
                let conv = Conv2D(name: "w", inChannels: c.0, outChannels: c.1, relu: relu, rng: &rng)
                conv.bias.value = (0..<c.1).map { Float($0) * 0.1 - 0.2 }
                let x = random([c.4, c.0, c.2, c.3], seed: UInt64(200 + i))
                var ref = NaiveReference.conv2d(x, weight: conv.weight.value, bias: conv.bias.value, outChannels: c.1,
                                                kernel: 3, stride: 1, padding: 1)
                if relu { ref.data = ref.data.map { max(0, $0) } }
                let dOut = random(ref.shape, seed: UInt64(300 + i))
                func pass(winograd: Bool) -> (y: [Float], dx: [Float], dw: [Float], db: [Float]) {
                    Conv2D.winogradEnabled = winograd
                    XCTAssertEqual(conv.takesWinograd, winograd)
                    conv.parameters.forEach { $0.zeroGrad() }
                    let y = conv.forward(x).data
                    let dx = conv.backward(dOut, needInputGradient: true).data
                    return (y, dx, conv.weight.grad, conv.bias.grad)
                }
                let unfolded = pass(winograd: false)
                for budget in [1 << 21, 1] {
                    Conv2D.winogradBudget = budget
                    let w = pass(winograd: true)
                    let what = "case \(i) relu \(relu) budget \(budget)"
                    assertClose(w.y, ref.data, rtol: 1e-4, atol: 1e-4, "\(what): output")
                    assertClose(w.dx, unfolded.dx, rtol: 1e-4, atol: 1e-4, "\(what): input gradient")
                    assertClose(w.dw, unfolded.dw, rtol: 1e-4, atol: 1e-4, "\(what): weight gradient")
                    assertClose(w.db, unfolded.db, rtol: 1e-5, atol: 1e-5, "\(what): bias gradient")
                }
            }
        }
    }

    /// Batch 1 runs in two halves (by output rows or by channels); with a helper thread the halves run
    /// at once. Both must match the naive loops, and each other bit for bit.
    func testBatchOneHalvesMatchNaiveAndAreBitIdenticalOnTwoThreads() {
        let helper = ForwardSplit(helperThread: true)
        XCTAssertTrue(helper.isParallel)
        // (in, out, H, W, kernel, stride, padding): rows split (P > out), channel split (P ≤ out),
        // a single output row (channel split), odd halves, one output channel.
        // A 5×5 kernel with padding 2 cuts its rows where whole input rows are padding.
        let cases = [(3, 4, 9, 7, 3, 1, 1), (6, 16, 3, 3, 3, 1, 1), (2, 3, 1, 9, 1, 1, 0), (4, 5, 7, 5, 3, 2, 1), (3, 1, 5, 5, 3, 1, 1),
                     (2, 1, 7, 6, 5, 1, 2)]
        for (i, c) in cases.enumerated() {
            var rng = SeededGenerator(seed: UInt64(40 + i))
            let conv = Conv2D(name: "c", inChannels: c.0, outChannels: c.1, kernel: c.4, stride: c.5, padding: c.6, relu: i % 2 == 0, rng: &rng)
            conv.bias.value = (0..<c.1).map { Float($0) * 0.1 - 0.2 }
            let x = random([1, c.0, c.2, c.3], seed: UInt64(200 + i))
            var ref = NaiveReference.conv2d(x, weight: conv.weight.value, bias: conv.bias.value, outChannels: c.1,
                                            kernel: c.4, stride: c.5, padding: c.6)
            if i % 2 == 0 { ref.data = ref.data.map { max(0, $0) } }
            let serial = conv.forward(x).data
            assertClose(serial, ref.data, rtol: 1e-4, atol: 1e-4, "conv case \(i), serial halves")
            conv.split = helper
            XCTAssertEqual(conv.forward(x).data, serial, "conv case \(i): two threads must give the same bits")
        }
        var rng = SeededGenerator(seed: 7)
        for out in [7, 1] {
            let d = Dense(name: "fc", inFeatures: 13, outFeatures: out, relu: true, rng: &rng)
            let x = random([1, 13], seed: 8)
            let serial = d.forward(x).data
            var ref = NaiveReference.dense(x, weight: d.weight.value, bias: d.bias.value, outFeatures: out)
            ref.data = ref.data.map { max(0, $0) }
            assertClose(serial, ref.data, rtol: 1e-5, atol: 1e-5, "dense \(out)")
            d.split = helper
            XCTAssertEqual(d.forward(x).data, serial, "dense \(out): two threads must give the same bits")
        }
        // A whole CNN-6, many times over (the hand-over between threads must hold up).
        let net = NetworkSpec.cnn6.build(seed: 1)
        let x = random([1, 3, 64, 64], seed: 9)
        let serial = net.forward(x).data
        net.use(helper)
        for _ in 0..<50 { XCTAssertEqual(net.forward(x).data, serial) }
    }

    /// Batch 1 with "same" padding, ≥ 16 input channels and a wide enough input: one product per kernel
    /// tap on the padded input, no unfolding. Against the naive loops; bit-identical on two threads;
    /// and weights changed in place must be seen (the per-tap copy of the weights is rebuilt).
    func testBatchOneShiftedProductsMatchNaive() {
        let helper = ForwardSplit(helperThread: true)
        // (in, out, H, W, kernel, padding): odd sizes cut by rows (halves of 2 and 5 rows), a 5×5
        // kernel, a 3-row image (too few rows: cut by channels), and more channels than positions.
        let cases = [(16, 5, 7, 17, 3, 1), (17, 4, 16, 16, 5, 2), (16, 20, 3, 16, 3, 1), (16, 64, 2, 16, 3, 1)]
        for (i, c) in cases.enumerated() {
            var rng = SeededGenerator(seed: UInt64(60 + i))
            let conv = Conv2D(name: "c", inChannels: c.0, outChannels: c.1, kernel: c.4, stride: 1, padding: c.5, relu: i % 2 == 1, rng: &rng)
            conv.bias.value = (0..<c.1).map { Float($0) * 0.1 - 0.2 }
            let x = random([1, c.0, c.2, c.3], seed: UInt64(300 + i))
            XCTAssertTrue(conv.usesShiftedProducts(conv.geometry(x.shape)), "case \(i) must take the shifted-product path")
            func reference() -> [Float] {
                let ref = NaiveReference.conv2d(x, weight: conv.weight.value, bias: conv.bias.value, outChannels: c.1,
                                                kernel: c.4, stride: 1, padding: c.5).data
                return i % 2 == 1 ? ref.map { max(0, $0) } : ref
            }
            conv.split = .serial
            let serial = conv.forward(x).data
            assertClose(serial, reference(), rtol: 1e-4, atol: 1e-4, "shifted products, case \(i)")
            conv.split = helper
            XCTAssertEqual(conv.forward(x).data, serial, "case \(i): two threads must give the same bits")
            conv.weight.value.withUnsafeMutableBufferPointer { w in for j in w.indices where j % 3 == 0 { w[j] = -w[j] } }
            assertClose(conv.forward(x).data, reference(), rtol: 1e-4, atol: 1e-4, "case \(i) after the weights changed")
        }
    }

    /// Batch 1 by Winograd (f32 inference of the large 3×3 layers): odd output-channel counts (halves
    /// of 2 and 3), an odd height and width (the last tiles half outside, pooling drops a row and a
    /// column). Against the naive loops; bit-identical on two threads; fused with pooling, the same
    /// bits as the two layers; changed weights are seen (the transformed kernels are rebuilt). Layers
    /// under 16 outputs wide or high, or with few input channels, keep their own paths.
    func testBatchOneWinogradMatchesNaive() {
        Int8Arithmetic.enabled = false
        defer { Int8Arithmetic.enabled = Int8Arithmetic.supported }
        let helper = ForwardSplit(helperThread: true)
        // (in, out, H, W)
        let cases = [(16, 24, 16, 18), (32, 5, 17, 19), (20, 64, 32, 16)]
        for (i, c) in cases.enumerated() {
            var rng = SeededGenerator(seed: UInt64(120 + i))
            let conv = Conv2D(name: "c", inChannels: c.0, outChannels: c.1, relu: i != 1, rng: &rng)
            conv.bias.value = (0..<c.1).map { Float($0) * 0.05 - 0.3 }
            let x = random([1, c.0, c.2, c.3], seed: UInt64(700 + i))
            XCTAssertTrue(conv.usesWinogradBatchOne(conv.geometry(x.shape)), "case \(i) must take the Winograd path")
            func reference() -> [Float] {
                let ref = NaiveReference.conv2d(x, weight: conv.weight.value, bias: conv.bias.value, outChannels: c.1,
                                                kernel: 3, stride: 1, padding: 1).data
                return i != 1 ? ref.map { max(0, $0) } : ref
            }
            conv.split = .serial
            let serial = conv.forward(x).data
            assertClose(serial, reference(), rtol: 1e-4, atol: 1e-4, "Winograd case \(i)")
            let pooled = MaxPool2D().forward(conv.forward(x)).data
            XCTAssertEqual(conv.forwardPooled(x).data, pooled, "Winograd case \(i) fused with pooling")
            conv.split = helper
            XCTAssertEqual(conv.forward(x).data, serial, "Winograd case \(i): two threads must give the same bits")
            XCTAssertEqual(conv.forwardPooled(x).data, pooled, "Winograd case \(i) fused, two threads")
            conv.weight.value.withUnsafeMutableBufferPointer { w in for j in w.indices where j % 3 == 0 { w[j] = -w[j] } }
            assertClose(conv.forward(x).data, reference(), rtol: 1e-4, atol: 1e-4, "Winograd case \(i) after the weights changed")
        }
        for (inC, h, w) in [(16, 15, 40), (8, 32, 32)] {
            var rng = SeededGenerator(seed: 9)
            let conv = Conv2D(name: "c", inChannels: inC, outChannels: 8, rng: &rng)
            XCTAssertFalse(conv.usesWinogradBatchOne(conv.geometry([1, inC, h, w])), "\(inC) channels, \(h)×\(w): not Winograd")
        }
    }

    /// Batch 1, 3×3 on inputs of up to four channels (the RGB first layer): the direct kernel, with
    /// output-channel counts that leave a remainder below its groups of eight, widths that leave a
    /// partial block of 16 positions, cut by rows or by channels. Against the naive loops; bit-identical
    /// on two threads; fused with pooling, the same bits as the two layers (int8 off: with it the
    /// fused pass of such a layer computes in 8 bits, `Int8ConvolutionTests`).
    func testBatchOneDirectThreeByThreeMatchesNaive() throws {
        try XCTSkipUnless(Conv2D.directKernelEnabled, "this CPU has no AVX-512 (or WINGTRACK_OWN_KERNELS narrowed it): these layers unfold, checked above")
        Int8Arithmetic.enabled = false
        defer { Int8Arithmetic.enabled = Int8Arithmetic.supported }
        let helper = ForwardSplit(helperThread: true)
        // (in, out, H, W)
        let cases = [(3, 64, 17, 33), (1, 13, 9, 7), (4, 8, 6, 16), (3, 40, 3, 5), (2, 3, 20, 18)]
        for (i, c) in cases.enumerated() {
            var rng = SeededGenerator(seed: UInt64(90 + i))
            let conv = Conv2D(name: "c", inChannels: c.0, outChannels: c.1, relu: i % 2 == 0, rng: &rng)
            conv.bias.value = (0..<c.1).map { Float($0) * 0.05 - 0.2 }
            let x = random([1, c.0, c.2, c.3], seed: UInt64(600 + i))
            XCTAssertTrue(conv.usesDirectKernel(conv.geometry(x.shape)), "case \(i) must take the direct path")
            var ref = NaiveReference.conv2d(x, weight: conv.weight.value, bias: conv.bias.value, outChannels: c.1,
                                            kernel: 3, stride: 1, padding: 1)
            if i % 2 == 0 { ref.data = ref.data.map { max(0, $0) } }
            conv.split = .serial
            let serial = conv.forward(x).data
            assertClose(serial, ref.data, rtol: 1e-5, atol: 1e-5, "direct case \(i)")
            let pooled = MaxPool2D().forward(conv.forward(x)).data
            XCTAssertEqual(conv.forwardPooled(x).data, pooled, "direct case \(i) fused with pooling")
            conv.split = helper
            XCTAssertEqual(conv.forward(x).data, serial, "direct case \(i): two threads must give the same bits")
            XCTAssertEqual(conv.forwardPooled(x).data, pooled, "direct case \(i) fused, two threads")
        }
    }

    /// Batch-1 convolution fused with the 2×2 max-pool after it: the same bits as the two layers one
    /// after the other, on every batch-1 path (unfolded or shifted products, cut by rows or by
    /// channels, odd output sizes whose last row and column pooling drops), on one thread or two;
    /// and whole networks' `predict` equals their `forward`.
    /// (The f32 paths: the int8 ones are checked against their own reference in `Int8ConvolutionTests`.)
    func testFusedConvolutionAndPoolingEqualTheTwoLayers() {
        Int8Arithmetic.enabled = false
        defer { Int8Arithmetic.enabled = Int8Arithmetic.supported }
        let helper = ForwardSplit(helperThread: true)
        // (in, out, H, W, kernel, stride, padding)
        let cases = [(3, 4, 9, 7, 3, 1, 1), (3, 8, 64, 64, 3, 1, 1), (6, 40, 5, 5, 3, 1, 1), (2, 3, 11, 9, 5, 2, 2),
                     (16, 5, 7, 17, 3, 1, 1), (17, 4, 16, 16, 5, 1, 2), (16, 64, 4, 16, 3, 1, 1)]
        for (i, c) in cases.enumerated() {
            var rng = SeededGenerator(seed: UInt64(80 + i))
            let conv = Conv2D(name: "c", inChannels: c.0, outChannels: c.1, kernel: c.4, stride: c.5, padding: c.6, relu: i % 3 != 1, rng: &rng)
            conv.bias.value = (0..<c.1).map { Float($0) * 0.1 - 0.2 }
            let x = random([1, c.0, c.2, c.3], seed: UInt64(400 + i))
            let twoLayers = MaxPool2D().forward(conv.forward(x))
            let fused = conv.forwardPooled(x)
            XCTAssertEqual(fused.shape, twoLayers.shape, "case \(i)")
            XCTAssertEqual(fused.data, twoLayers.data, "case \(i): fused must equal conv then pool")
            conv.split = helper
            XCTAssertEqual(conv.forwardPooled(x).data, twoLayers.data, "case \(i) on two threads")
        }
        for spec in [NetworkSpec.cnn6, .cnn7] {
            let net = spec.build(seed: 2)
            let x = random([1, 3, spec.inputSize, spec.inputSize], seed: 12)
            XCTAssertEqual(net.predict(x).data, net.forward(x).data, spec.name)
        }
    }

    /// A pooling layer's earlier outputs stay as they were while it computes new ones.
    func testMaxPoolOutputsHeldByTheCallerStayIntact() {
        let pool = MaxPool2D()
        let xs = (0..<3).map { random([2, 3, 6, 4], seed: UInt64(500 + $0)) }
        let ys = xs.map { pool.forward($0) }
        for (x, y) in zip(xs, ys) { XCTAssertEqual(y.data, NaiveReference.maxPool(x, kernel: 2, stride: 2).data) }
    }

    func testMaxPoolMatchesNaiveOnOddSizes() {
        for (k, s, h, w) in [(2, 2, 7, 5), (2, 2, 8, 8), (3, 2, 9, 7), (2, 1, 4, 5)] {
            let x = random([3, 2, h, w], seed: UInt64(h * w))
            let y = MaxPool2D(kernel: k, stride: s).forward(x)
            let ref = NaiveReference.maxPool(x, kernel: k, stride: s)
            XCTAssertEqual(y.shape, ref.shape)
            assertClose(y.data, ref.data, rtol: 0, atol: 0, "pool \(k)/\(s) on \(h)x\(w)")
        }
    }

    func testDenseMatchesNaiveForBatchOneAndThree() {
        var rng = SeededGenerator(seed: 4)
        let d = Dense(name: "fc", inFeatures: 13, outFeatures: 7, rng: &rng)
        d.bias.value = (0..<7).map { Float($0) * 0.3 }
        for n in [1, 3] {
            let x = random([n, 13], seed: UInt64(n))
            assertClose(d.forward(x).data, NaiveReference.dense(x, weight: d.weight.value, bias: d.bias.value, outFeatures: 7).data,
                        rtol: 1e-5, atol: 1e-5, "dense batch \(n)")
        }
    }

    func testNetworkShapesAndSizesFollowThePaper() {
        XCTAssertEqual(NetworkSpec.cnn6.finalSide, 2)
        XCTAssertEqual(NetworkSpec.cnn7.finalSide, 2)
        XCTAssertEqual(NetworkSpec.cnn6.build().outputShape(for: [1, 3, 64, 64]), [1, 137])
        XCTAssertEqual(NetworkSpec.cnn7.build().outputShape(for: [1, 3, 128, 128]), [1, 137])
        // ≈ 81 M and ≈ 446 M multiply-adds (architecture.md).
        XCTAssertEqual(Double(NetworkSpec.cnn6.multiplyAdds) / 1e6, 81, accuracy: 3)
        XCTAssertEqual(Double(NetworkSpec.cnn7.multiplyAdds) / 1e6, 446, accuracy: 10)
    }
}
