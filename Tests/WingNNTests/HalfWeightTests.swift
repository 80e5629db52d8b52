import XCTest
import TestSupport
@testable import WingNN

/// The half-float weight products of batch-1 inference (`HalfWeightMatrix`) against float64 sums and
/// the naive layer loops; the layers must fall back to SGEMM whenever the kernel cannot be used.
final class HalfWeightTests: XCTestCase {
    func random(_ count: Int, seed: UInt64, halves: Bool = false) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let v = Float.random(in: -1...1, using: &rng)
            return halves ? Float(Float16(v)) : v
        }
    }

    func requireKernel() throws {
        try XCTSkipUnless(OwnKernels.instructionSet != nil, "this CPU has neither AVX-512 nor AVX2/FMA/F16C (or WINGTRACK_OWN_KERNELS=off): the layers use SGEMM, checked by the other tests")
    }

    /// The instruction sets this CPU runs the kernel with (AVX2 also on an AVX-512 CPU).
    var instructionSets: [OwnKernels.InstructionSet] {
        OwnKernels.supported == .avx512 ? [.avx512, .avx2] : OwnKernels.supported.map { [$0] } ?? []
    }

    /// Runs `body` with the kernel on `set`.
    func with(_ set: OwnKernels.InstructionSet, _ body: () throws -> Void) rethrows {
        OwnKernels.instructionSet = set
        let saved = OwnKernels.instructionSet
        defer { OwnKernels.instructionSet = saved }
        try body()
    }

    /// Every (row, column) of a row range against float64 sums, for row counts that are not whole
    /// blocks of 16, odd inner sizes (one long enough for the AVX2 kernel to take it in two chunks) and
    /// column counts below, at and above 16; rows outside the range are not written.
    func testProductsMatchFloat64Sums() throws {
        try requireKernel()
        for set in instructionSets {
            for (rows, k) in [(37, 29), (16, 64), (1, 5), (40, 300), (20, 1100)] {
                let w = random(rows * k, seed: UInt64(rows * 1000 + k), halves: true)
                let m = try XCTUnwrap(HalfWeightMatrix(w, rows: rows, columns: k), "weights that are half floats must pack")
                for n in [1, 5, 6, 7, 16, 21, 64] {
                    let b = random(k * n, seed: UInt64(n))
                    for range in [0..<rows, (rows / 3)..<rows, 0..<max(1, rows - 3)] {
                        let ldc = n + 2
                        var c = [Float](repeating: .nan, count: rows * ldc)
                        with(set) {
                            b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                                m.multiply(rows: range, b: bp.baseAddress!, n: n, c: cp.baseAddress!, ldc: ldc)
                            }}
                        }
                        for r in 0..<rows {
                            for j in 0..<ldc {
                                let got = c[r * ldc + j]
                                guard range.contains(r), j < n else {
                                    XCTAssertTrue(got.isNaN, "\(set) \(rows)x\(k) n \(n) \(range): (\(r), \(j)) written outside the range"); continue
                                }
                                var sum = 0.0, size = 0.0
                                for i in 0..<k { sum += Double(w[r * k + i]) * Double(b[i * n + j]); size += abs(Double(w[r * k + i]) * Double(b[i * n + j])) }
                                XCTAssertEqual(Double(got), sum, accuracy: 1e-6 * size + 1e-7, "\(set) \(rows)x\(k) n \(n) \(range): (\(r), \(j))")
                            }
                        }
                    }
                }
            }
        }
    }

    /// The AVX2 kernel gives the AVX-512 kernel's bits (same operations in the same order), so a
    /// model answers the same on either CPU. Runs where the CPU has AVX-512.
    func testInstructionSetsGiveTheSameBits() throws {
        try XCTSkipUnless(OwnKernels.supported == .avx512, "this CPU has no AVX-512 to compare the AVX2 kernel with")
        for (rows, k, n) in [(40, 300, 1), (40, 300, 16), (33, 1152, 64), (16, 7, 3)] {
            let w = random(rows * k, seed: UInt64(k), halves: true)
            let b = random(k * n, seed: UInt64(n + 7))
            let m = try XCTUnwrap(HalfWeightMatrix(w, rows: rows, columns: k))
            var outputs: [[Float]] = []
            for set in instructionSets {
                var c = [Float](repeating: 0, count: rows * n)
                with(set) {
                    b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                        m.multiply(rows: 0..<rows, b: bp.baseAddress!, n: n, c: cp.baseAddress!, ldc: n)
                    }}
                }
                outputs.append(c)
            }
            XCTAssertEqual(outputs[0], outputs[1], "\(rows)x\(k) n \(n): AVX-512 and AVX2 must give the same bits")
        }
    }

    /// Weights that are not all half floats (training's) are refused, so the layers keep SGEMM; and
    /// switching the kernel off refuses everything.
    func testOnlyExactHalfWeightsArePacked() throws {
        try requireKernel()
        let halves = random(64 * 9, seed: 1, halves: true)
        XCTAssertNotNil(HalfWeightMatrix(halves, rows: 64, columns: 9))
        var one = halves
        one[300] = 0.1   // not a half float
        XCTAssertNil(HalfWeightMatrix(one, rows: 64, columns: 9))
        HalfWeightMatrix.enabled = false
        defer { HalfWeightMatrix.enabled = OwnKernels.instructionSet != nil }
        XCTAssertNil(HalfWeightMatrix(halves, rows: 64, columns: 9))
    }

    /// Batch-1 convolutions cut by output channels (few positions, many channels: the layers that
    /// use the kernel) and dense layers with half-float weights: against the naive loops, bit-identical
    /// on two threads, and weights changed in place are seen (the packed copy is rebuilt).
    /// (int8 off: with it, inference takes the 8-bit convolutions, checked in `Int8ConvolutionTests`.)
    func testLayersWithHalfWeightsMatchNaiveLoops() throws {
        try requireKernel()
        Int8Arithmetic.enabled = false
        defer { Int8Arithmetic.enabled = Int8Arithmetic.supported }
        let helper = ForwardSplit(helperThread: true)
        // (in, out, H, W): 16 positions, 64 positions, 9 positions with 40 channels (halves of 20).
        for (i, c) in [(32, 48, 4, 4), (16, 64, 8, 8), (8, 40, 3, 3)].enumerated() {
            var rng = SeededGenerator(seed: UInt64(10 + i))
            let conv = Conv2D(name: "c", inChannels: c.0, outChannels: c.1, relu: i != 1, rng: &rng)
            conv.weight.value = conv.weight.value.map { Float(Float16($0)) }
            conv.bias.value = (0..<c.1).map { Float($0) * 0.01 - 0.2 }
            let x = Tensor(shape: [1, c.0, c.2, c.3], data: random(c.0 * c.2 * c.3, seed: UInt64(20 + i)))
            XCTAssertNotNil(conv.halfWeights.matrix(of: conv.weight, rows: c.1, columns: c.0 * 9), "case \(i) must use the half weights")
            func reference() -> [Float] {
                let r = NaiveReference.conv2d(x, weight: conv.weight.value, bias: conv.bias.value, outChannels: c.1,
                                              kernel: 3, stride: 1, padding: 1).data
                return i != 1 ? r.map { max(0, $0) } : r
            }
            conv.split = .serial
            let serial = conv.forward(x).data
            assertClose(serial, reference(), rtol: 1e-5, atol: 1e-5, "conv case \(i)")
            conv.split = helper
            XCTAssertEqual(conv.forward(x).data, serial, "conv case \(i): two threads must give the same bits")
            XCTAssertEqual(conv.forwardPooled(x).data, MaxPool2D().forward(conv.forward(x)).data, "conv case \(i) fused with pooling")
            conv.weight.value.withUnsafeMutableBufferPointer { w in for j in w.indices where j % 3 == 0 { w[j] = -w[j] } }
            assertClose(conv.forward(x).data, reference(), rtol: 1e-5, atol: 1e-5, "conv case \(i) after the weights changed")
        }
        for (inF, outF) in [(67, 40), (2048, 33)] {
            var rng = SeededGenerator(seed: UInt64(inF))
            let d = Dense(name: "fc", inFeatures: inF, outFeatures: outF, relu: true, rng: &rng)
            d.weight.value = d.weight.value.map { Float(Float16($0)) }
            d.bias.value = (0..<outF).map { Float($0) * 0.01 - 0.1 }
            let x = Tensor(shape: [1, inF], data: random(inF, seed: 3))
            let ref = NaiveReference.dense(x, weight: d.weight.value, bias: d.bias.value, outFeatures: outF).data.map { max(0, $0) }
            let serial = d.forward(x).data
            assertClose(serial, ref, rtol: 1e-5, atol: 1e-5, "dense \(inF)→\(outF)")
            d.split = helper
            XCTAssertEqual(d.forward(x).data, serial, "dense \(inF)→\(outF): two threads must give the same bits")
            d.weight.value[5] = 0.1   // no longer all half floats: SGEMV
            let ref2 = NaiveReference.dense(x, weight: d.weight.value, bias: d.bias.value, outFeatures: outF).data.map { max(0, $0) }
            assertClose(d.forward(x).data, ref2, rtol: 1e-5, atol: 1e-5, "dense \(inF)→\(outF) after a weight stopped being a half float")
        }
    }

    /// A whole CNN-7 with half-float weights (as shipped): the same outputs with the kernel and with
    /// SGEMM, up to the order of the sums.
    func testNetworkOutputsAgreeWithAndWithoutTheKernel() throws {
        try requireKernel()
        let net = NetworkSpec.cnn7.build(seed: 4)
        for p in net.parameters { p.value = p.value.map { Float(Float16($0)) } }
        let x = Tensor(shape: [1, 3, 128, 128], data: random(3 * 128 * 128, seed: 5).map { $0 * 0.5 })
        let withKernel = net.predict(x).data
        HalfWeightMatrix.enabled = false
        defer { HalfWeightMatrix.enabled = OwnKernels.instructionSet != nil }
        let withSGEMM = net.predict(x).data
        XCTAssertNotEqual(withKernel, [Float](repeating: 0, count: withKernel.count))
        assertClose(withKernel, withSGEMM, rtol: 1e-4, atol: 1e-3, "CNN-7 outputs")
    }
}
