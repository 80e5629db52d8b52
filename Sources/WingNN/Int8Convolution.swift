internal import CKernels

/// Batch-1 inference in 8-bit integers: the 3×3 convolutions after the first (`wt_int8_conv3x3`).
///
/// The input of such a layer (non-negative: it follows a ReLU) is quantised to unsigned bytes with
/// one scale per image (its maximum ÷ 255), the weights to signed bytes with one scale per output
/// channel (max |w| ÷ 127); the products are summed exactly in 32-bit integers and scaled back to
/// f32, then the bias, ReLU and pooling run as on the f32 paths. AVX-512 VNNI does four byte
/// products per lane and instruction. Measured on the val faces the landmarks move by a few
/// hundredths of a pixel and the NME tables agree to ±0.03 points (docs/performance.md).
/// An input with a negative or non-finite value keeps f32 for that pass.
public enum Int8Arithmetic {
    /// Whether this CPU runs the kernels (AVX-512 F/BW/VL/DQ with VNNI).
    public static let supported = wt_int8_supported() != 0

    /// Whether inference (`Sequential.predict`) uses them: on by default where supported; off, the
    /// layers use the f32 paths (`--precision f32`). Training's `forward` always computes in f32.
    nonisolated(unsafe) public static var enabled = supported

    /// One line for `info --blas`, `bench nn` and the outputs' settings.
    public static func explanation() -> String {
        if enabled { return "int8 (3×3 convolutions after the first in 8-bit integers, AVX-512 VNNI)" }
        return supported ? "f32 (int8 switched off)" : "f32 (this CPU has no AVX-512 VNNI)"
    }
}

/// A convolution's 3×3 weights as signed bytes with one scale per output channel, packed for
/// `wt_int8_conv3x3`; rebuilt when the parameter changes.
struct Int8WeightCache {
    private(set) var packed: [Int8] = []
    private(set) var scales: [Float] = []
    private var builtFor = -1

    mutating func update(_ p: Parameter, rows: Int, channels: Int) {
        guard builtFor != p.version || scales.count != rows else { return }
        packed = [Int8](repeating: 0, count: wt_int8_packed_bytes(Int32(rows), Int32(channels)))
        scales = [Float](repeating: 0, count: rows)
        p.value.withUnsafeBufferPointer { wp in
        packed.withUnsafeMutableBufferPointer { pp in
        scales.withUnsafeMutableBufferPointer { sp in
            wt_int8_pack_weights(wp.baseAddress!, Int32(rows), Int32(channels), pp.baseAddress!, sp.baseAddress!)
        }}}
        builtFor = p.version
    }
}

extension Conv2D {
    /// 3×3, stride 1, padding 1, at least 16 input channels in groups of four, output channels in
    /// halves of whole blocks of eight, with the kernels supported and on.
    func usesInt8(_ g: ConvGeometry) -> Bool {
        Int8Arithmetic.supported && kernel == 3 && stride == 1 && padding == 1
            && inChannels >= 16 && inChannels % 4 == 0 && outChannels % 16 == 0
    }

    /// The 8-bit pass of one image, its halves cut by output channels. Returns false, having written
    /// nothing, when the input cannot be quantised (a negative or non-finite value).
    func int8(_ x: Tensor, _ g: ConvGeometry, _ out: BatchOneEmitter) -> Bool {
        let (C, H, W, O) = (inChannels, g.height, g.width, outChannels)
        let plane = wt_int8_plane_dwords(Int32(H), Int32(W))
        if int8InputGeometry != g {
            int8Input = [UInt32](repeating: 0, count: C / 4 * plane)   // padding and slack stay zero from here on
            int8InputGeometry = g
        }
        var scale: Float = 0
        let quantised = x.data.withUnsafeBufferPointer { xp in
            int8Input.withUnsafeMutableBufferPointer { wt_int8_quantise(xp.baseAddress!, Int32(C), Int32(H), Int32(W), $0.baseAddress!, &scale) }
        }
        guard quantised != 0 else { return false }
        int8Weights.update(weight, rows: O, channels: C)
        let rowLength = W + 1, n = (H - 1) * rowLength + W
        Conv2D.grow(&sums, O * n)
        int8Input.withUnsafeBufferPointer { qp in
        int8Weights.packed.withUnsafeBufferPointer { wp in
        int8Weights.scales.withUnsafeBufferPointer { sp in
        sums.withUnsafeMutableBufferPointer { sump in
            let (q, w, s, all) = (qp.baseAddress!, wp.baseAddress!, sp.baseAddress!, sump.baseAddress!)
            let half: (Range<Int>) -> Void = { os in
                let dst = all + os.lowerBound * n
                wt_int8_conv3x3(q, Int32(C / 4), plane, Int32(rowLength), w, s, Int32(O), scale,
                                Int32(os.lowerBound), Int32(os.upperBound), n, dst, n)
                out.emit(os, 0..<H, sums: dst, channelStride: n, rowStride: rowLength)
            }
            split.run({ half(0..<(O / 2)) }, { half((O / 2)..<O) })
        }}}}
        return true
    }
}
