import XCTest
import TestSupport
@testable import WingNN

/// The batch-1 8-bit convolutions (`wt_int8_conv3x3` through `Conv2D.forwardPooled`) against exact
/// integer sums of the same quantisation computed here with plain loops, and against f32.
final class Int8ConvolutionTests: Int8TestCase {
    /// A non-negative input (as after a ReLU), a few exact zeros among it; or with `signed`, values
    /// of both signs (a zero point other than 0).
    func activations(_ c: Int, _ h: Int, _ w: Int, seed: UInt64, signed: Bool = false) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: [1, c, h, w], data: (0..<(c * h * w)).map { _ in signed ? Float.random(in: -1...2.5, using: &rng) : max(0, Float.random(in: -0.2...3, using: &rng)) })
    }

    func layer(_ c: Int, _ o: Int, seed: UInt64, relu: Bool = true) -> Conv2D {
        var rng = SeededGenerator(seed: seed)
        let conv = Conv2D(name: "c", inChannels: c, outChannels: o, relu: relu, rng: &rng)
        conv.bias.value = (0..<o).map { Float($0 % 7) * 0.05 - 0.15 }
        return conv
    }

    /// The quantised layer by plain loops: bytes as the header states them (the input's zero point
    /// subtracted, so the padding counts 0), exact integer sums, scaled, + bias, ReLU, 2×2 max-pool.
    func reference(_ conv: Conv2D, _ x: Tensor) -> Tensor {
        let (C, H, W, O) = (conv.inChannels, x.shape[2], x.shape[3], conv.outChannels)
        let (hi, lo) = (max(0, x.data.max()!), min(0, x.data.min()!))
        let inputScale = hi > lo ? (hi - lo) / 255 : 1, inverse = 1 / inputScale
        let zero = Int((-lo / inputScale).rounded(.toNearestOrEven))
        let qx = x.data.map { min(255, max(0, Int(($0 * inverse).rounded(.toNearestOrEven)) + zero)) - zero }
        let taps = C * 9
        var sums = Tensor(zeros: [1, O, H, W])
        for o in 0..<O {
            let row = conv.weight.value[(o * taps)..<((o + 1) * taps)]
            let m = row.map(abs).max()!
            let s = m > 0 ? m / 127 : 1
            let qw = row.map { Int(($0 / s).rounded(.toNearestOrEven)) }
            for y in 0..<H { for xx in 0..<W {
                var acc = 0
                for c in 0..<C { for ky in 0..<3 { for kx in 0..<3 {
                    let iy = y + ky - 1, ix = xx + kx - 1
                    guard iy >= 0, iy < H, ix >= 0, ix < W else { continue }
                    acc += qw[c * 9 + ky * 3 + kx] * qx[(c * H + iy) * W + ix]
                }}}
                let v = Float(Double(acc) * Double(inputScale) * Double(s)) + conv.bias.value[o]
                sums.data[(o * H + y) * W + xx] = conv.relu ? max(0, v) : v
            }}
        }
        return NaiveReference.maxPool(sums, kernel: 2, stride: 2)
    }

    /// Shapes with input channels of one to many groups of four (and a last group part full),
    /// output channels of one to several blocks of eight per half, rows narrower and wider than a
    /// 16-lane vector and than a row slice, odd sizes (pooling drops the last row and column), sizes
    /// whose outputs end inside a vector; inputs after a ReLU and of both signs; with and without
    /// the ReLU. Inputs 16 or more wide pool in the kernel; narrower ones take the kernel with lanes
    /// along output channels (blocks of 16, two at a time where they fit) and pool in Swift.
    func testSumsAreTheExactIntegerSumsOfTheQuantisedLayer() {
        let cases = [(16, 16, 8, 8), (20, 32, 5, 7), (64, 16, 16, 16), (16, 48, 33, 31), (32, 64, 4, 4), (128, 32, 2, 3), (16, 16, 64, 64),
                     (18, 16, 6, 6), (5, 32, 130, 9), (3, 64, 40, 36), (24, 48, 7, 5)]
        for (i, (c, o, h, w)) in cases.enumerated() {
            let conv = layer(c, o, seed: UInt64(i), relu: i % 4 != 2)
            let x = activations(c, h, w, seed: UInt64(50 + i), signed: i % 3 == 1)
            XCTAssertTrue(conv.usesInt8(conv.geometry(x.shape)), "case \(i) must take the int8 path")
            let y = conv.forwardPooled(x)
            let ref = reference(conv, x)
            XCTAssertEqual(y.shape, ref.shape, "case \(i)")
            assertClose(y.data, ref.data, rtol: 1e-5, atol: 1e-5, "case \(i): \(c)→\(o), \(h)×\(w)")
        }
    }

    /// The quantisation is close to f32: within 2 % of the output range on these random layers
    /// (the trained networks' landmarks move by hundredths of a pixel: docs/performance.md).
    func testOutputsAreCloseToF32() {
        let conv = layer(64, 32, seed: 9)
        let x = activations(64, 16, 16, seed: 10)
        let int8 = conv.forwardPooled(x).data
        Int8Arithmetic.enabled = false
        let f32 = conv.forwardPooled(x).data
        let range = f32.max()! - f32.min()!
        XCTAssertGreaterThan(range, 0)
        let worst = zip(int8, f32).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 0.02 * range)
        XCTAssertGreaterThan(worst, 0, "int8 and f32 should not agree to the bit: is the int8 path running?")
    }

    /// Integer sums are exact, so the halves on a helper thread give the same bits as one thread.
    func testTwoThreadsGiveTheSameBits() {
        let conv = layer(32, 64, seed: 11)
        let x = activations(32, 12, 10, seed: 12)
        let serial = conv.forwardPooled(x).data
        conv.split = ForwardSplit(helperThread: true)
        XCTAssertEqual(conv.forwardPooled(x).data, serial)
    }

    /// An input with a value that is not finite cannot be quantised: that pass is f32, bit for bit;
    /// switched off, every pass is f32; training's `forward` is always f32.
    func testFallsBackToF32() {
        let conv = layer(16, 16, seed: 13)
        var x = activations(16, 8, 8, seed: 14)
        x.data[77] = .infinity
        let pooledF32 = { () -> [UInt32] in
            let on = Int8Arithmetic.enabled
            Int8Arithmetic.enabled = false
            defer { Int8Arithmetic.enabled = on }
            return conv.forwardPooled(x).data.map(\.bitPattern)
        }
        XCTAssertEqual(conv.forwardPooled(x).data.map(\.bitPattern), pooledF32(), "an infinite input must keep f32")
        x.data[77] = .nan
        XCTAssertEqual(conv.forwardPooled(x).data.map(\.bitPattern), pooledF32(), "a NaN input must keep f32")
        x.data[77] = 0.5
        XCTAssertNotEqual(conv.forwardPooled(x).data.map(\.bitPattern), pooledF32(), "a finite input takes the int8 path")
        let forward = conv.forward(x).data
        Int8Arithmetic.enabled = false
        XCTAssertEqual(conv.forward(x).data, forward, "forward (training) must be f32 whatever the switch")
        XCTAssertEqual(NaiveReference.maxPool(conv.forward(x), kernel: 2, stride: 2).data, conv.forwardPooled(x).data)
    }

    /// Layers the kernel does not take: output channels that do not split into blocks of eight,
    /// other kernels and strides. Any number of input channels is taken (the RGB first layer too).
    func testOnlyQualifyingLayersTakeThePath() {
        var rng = SeededGenerator(seed: 1)
        let g = { (c: Conv2D) in c.geometry([1, c.inChannels, 8, 8]) }
        for c in [Conv2D(name: "out24", inChannels: 16, outChannels: 24, rng: &rng),
                  Conv2D(name: "5x5", inChannels: 16, outChannels: 16, kernel: 5, padding: 2, rng: &rng),
                  Conv2D(name: "stride2", inChannels: 16, outChannels: 16, stride: 2, rng: &rng)] {
            XCTAssertFalse(c.usesInt8(g(c)), c.name)
        }
        for c in [Conv2D(name: "64", inChannels: 64, outChannels: 128, rng: &rng), Conv2D(name: "18", inChannels: 18, outChannels: 16, rng: &rng),
                  Conv2D(name: "5", inChannels: 5, outChannels: 32, rng: &rng), Conv2D(name: "rgb", inChannels: 3, outChannels: 64, rng: &rng)] {
            XCTAssertTrue(c.usesInt8(g(c)), c.name)
        }
    }

    /// CNN-7 as built (random He weights rounded to half floats, as shipped): every convolution takes
    /// the int8 path and the outputs stay close to f32.
    func testCNN7PredictsCloseToF32() {
        let net = NetworkSpec.cnn7.build(seed: 3)
        for p in net.parameters { p.value = p.value.map { Float(Float16($0)) } }
        var rng = SeededGenerator(seed: 4)
        let x = Tensor(shape: [1, 3, 128, 128], data: (0..<(3 * 128 * 128)).map { _ in Float.random(in: -0.5...0.5, using: &rng) })
        let convs = net.layers.compactMap { $0 as? Conv2D }
        XCTAssertEqual(convs.filter { $0.usesInt8($0.geometry([1, $0.inChannels, 8, 8])) }.count, convs.count)
        let int8 = net.predict(x).data
        Int8Arithmetic.enabled = false
        let f32 = net.predict(x).data
        let scale = f32.map(abs).max()!
        XCTAssertGreaterThan(scale, 0)
        let worst = zip(int8, f32).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 0.03 * scale)
        XCTAssertGreaterThan(worst, 0)
    }

    /// A network's own setting overrides the global switch either way, with the bits the switch gives
    /// (a teacher answering in int8 while training keeps f32); nil follows the switch again.
    func testNetworkSettingOverridesTheSwitch() {
        let spec = NetworkSpec(name: "cnn6/8", inputSize: 64, convChannels: [16, 16, 16, 32, 64], hiddenUnits: 32)
        let net = spec.build(seed: 5)
        var rng = SeededGenerator(seed: 6)
        let x = Tensor(shape: [1, 3, 64, 64], data: (0..<(3 * 64 * 64)).map { _ in Float.random(in: -0.5...0.5, using: &rng) })
        let int8 = net.predict(x).data
        Int8Arithmetic.enabled = false
        let f32 = net.predict(x).data
        XCTAssertNotEqual(int8, f32, "int8 and f32 should differ")
        net.useIntegerArithmetic(true)
        XCTAssertEqual(net.predict(x).data, int8, "set to int8, the network ignores the switch's f32")
        Int8Arithmetic.enabled = true
        net.useIntegerArithmetic(false)
        XCTAssertEqual(net.predict(x).data, f32, "set to f32, the network ignores the switch's int8")
        net.useIntegerArithmetic(nil)
        XCTAssertEqual(net.predict(x).data, int8, "unset, the network follows the switch")
    }
}
