internal import CKernels

/// Batch-1 inference in 8-bit integers: the 3×3 stride-1 convolutions (`wt_int8_conv3x3`,
/// `wt_int8_conv3x3_pooled`) and the dense layers (`wt_int8_dense`, `Dense.predict`).
///
/// A layer's input is quantised to unsigned bytes with one scale and zero point per image (its
/// range, including 0, in 255 steps; after a ReLU the zero point is 0), the weights to signed bytes
/// with one scale per output channel (max |w| ÷ 127); the products are summed exactly in 32-bit
/// integers and scaled back to f32, with the bias, ReLU and 2×2 pooling (inside the kernel for
/// inputs 16 or more wide, else by the f32 paths' step).
/// AVX-512 VNNI does four byte products per lane and instruction. The tracking and evaluation
/// figures stay the same (docs/performance.md). An input with a non-finite value keeps f32 for
/// that pass.
public enum Int8Arithmetic {
    /// Whether this CPU runs the kernels (AVX-512 F/BW/VL/DQ with VNNI).
    public static let supported = wt_int8_supported() != 0

    /// Whether inference (`Sequential.predict`) uses them: on by default where supported; off, the
    /// layers use the f32 paths (`--precision f32`). Training's `forward` always computes in f32.
    nonisolated(unsafe) public static var enabled = supported

    /// "int8" or "f32": the arithmetic in use, as outputs and reports record it.
    public static var name: String { enabled ? "int8" : "f32" }

    /// One line for `info --blas` and `bench`.
    public static func explanation() -> String {
        if enabled { return "int8 (3×3 convolutions and dense layers in 8-bit integers, AVX-512 VNNI)" }
        return supported ? "f32 (int8 switched off)" : "f32 (this CPU has no AVX-512 VNNI)"
    }
}

/// A layer's weights as signed bytes with one scale per output row (a convolution's output channel),
/// packed for the int8 kernels in `layout`'s order: a 3×3 convolution's `[rows, columns, 3, 3]` by
/// `wt_int8_pack_weights` (or `wt_int8_pack_weights_lanes` for narrow inputs), a dense layer's
/// `[rows, columns]` by `wt_int8_dense_pack`. Rebuilt when the parameter or the layout changes.
struct Int8WeightCache {
    enum Layout { case conv3x3, conv3x3Lanes, dense }
    private(set) var packed: [Int8] = []
    private(set) var scales: [Float] = []
    /// Σ of each row's byte weights (for the input's zero point).
    private(set) var weightSums: [Int32] = []
    private var builtFor = -1
    private var builtLayout: Layout?

    mutating func update(_ p: Parameter, _ layout: Layout, rows: Int, columns: Int) {
        guard builtFor != p.version || scales.count != rows || builtLayout != layout else { return }
        let (r, c) = (Int32(rows), Int32(columns))
        packed = [Int8](repeating: 0, count: layout == .dense ? wt_int8_dense_packed_bytes(r, c) : wt_int8_packed_bytes(r, c))
        scales = [Float](repeating: 0, count: rows)
        weightSums = [Int32](repeating: 0, count: rows)
        p.value.withUnsafeBufferPointer { wp in
        packed.withUnsafeMutableBufferPointer { pp in
        scales.withUnsafeMutableBufferPointer { sp in
        weightSums.withUnsafeMutableBufferPointer { ws in
            switch layout {
            case .conv3x3: wt_int8_pack_weights(wp.baseAddress!, r, c, pp.baseAddress!, sp.baseAddress!, ws.baseAddress!)
            case .conv3x3Lanes: wt_int8_pack_weights_lanes(wp.baseAddress!, r, c, pp.baseAddress!, sp.baseAddress!, ws.baseAddress!)
            case .dense: wt_int8_dense_pack(wp.baseAddress!, r, c, pp.baseAddress!, sp.baseAddress!, ws.baseAddress!)
            }
        }}}}
        builtFor = p.version
        builtLayout = layout
    }
}

extension Conv2D {
    /// 3×3, stride 1, padding 1, output channels in halves of whole blocks of eight, at most 4,096
    /// input channels (so that no 32-bit sum can overflow: 255 · 127 · 9 · 4,096 < 2³¹), on a CPU
    /// with the kernels. The RGB first layer included: pooled in the kernel it measured 0.26–0.33 ms
    /// per CNN-7 pass against 0.73–0.90 for the direct f32 kernel.
    func usesInt8(_ g: ConvGeometry) -> Bool {
        Int8Arithmetic.supported && kernel == 3 && stride == 1 && padding == 1 && outChannels % 16 == 0
            && inChannels <= 4096
    }

    /// The 8-bit pass of one image, its halves cut by output channels. Returns false, having written
    /// nothing, when the input cannot be quantised (a non-finite value).
    func int8(_ x: Tensor, _ g: ConvGeometry, _ out: BatchOneEmitter) -> Bool {
        let (C, H, W, O) = (inChannels, g.height, g.width, outChannels)
        let plane = wt_int8_plane_dwords(Int32(H), Int32(W))
        let groups = Int(wt_int8_groups(Int32(C)))
        if int8Input.count != groups * plane { int8Input = [UInt32](repeating: 0, count: groups * plane) }
        var scale: Float = 0, zero: Int32 = 0
        let quantised = x.data.withUnsafeBufferPointer { xp in
            int8Input.withUnsafeMutableBufferPointer { wt_int8_quantise(xp.baseAddress!, Int32(C), Int32(H), Int32(W), $0.baseAddress!, &scale, &zero) }
        }
        guard quantised != 0 else { return false }
        if W < Conv2D.int8PooledMinWidth {
            // Narrow rows: lanes along output channels (`wt_int8_conv3x3_lanes`), halves in whole blocks of 16.
            int8Weights.update(weight, .conv3x3Lanes, rows: O, columns: C)
            int8BySlices(g, cut: O / 2 / 16 * 16, out) { q, w, s, ws, os, rows, dst, stride in
                wt_int8_conv3x3_lanes(q, Int32(groups), plane, Int32(W), w, s, ws, scale, zero, Int32(os.lowerBound), Int32(os.upperBound),
                                      Int32(rows.lowerBound), Int32(rows.upperBound), dst, stride)
            }
            return true
        }
        int8Weights.update(weight, .conv3x3, rows: O, columns: C)
        if out.pooled {
            int8Pooled(g, plane: plane, groups: groups, scale: scale, zero: zero, out)
            return true
        }
        let rowLength = W + 1
        int8BySlices(g, cut: O / 2, out) { q, w, s, ws, os, rows, dst, stride in
            let j0 = rows.lowerBound * rowLength, j1 = (rows.upperBound - 1) * rowLength + W
            wt_int8_conv3x3(q, Int32(groups), plane, Int32(rowLength), w, s, ws, Int32(O), scale, zero,
                            Int32(os.lowerBound), Int32(os.upperBound), j0, j1, dst, stride)
        }
        return true
    }

    /// Raw sums by row slices whose sums stay in a core's cache (L2), as the f32 paths do, each slice
    /// emitted as it is done; output channels in two parts cut at `cut`, run by `split`. `kernel`
    /// writes the sums of channels `os` and image rows `rows` at `dst`, `channelStride` apart.
    private func int8BySlices(_ g: ConvGeometry, cut: Int, _ out: BatchOneEmitter,
                              _ kernel: (UnsafePointer<UInt32>, UnsafePointer<Int8>, UnsafePointer<Float>, UnsafePointer<Int32>,
                                         _ os: Range<Int>, _ rows: Range<Int>, _ dst: UnsafeMutablePointer<Float>, _ channelStride: Int) -> Void) {
        let (H, W, O) = (g.height, g.width, outChannels)
        let rowLength = W + 1
        let slice = max(2, min(H, Conv2D.sliceFloats / (O / 2 * rowLength) / 2 * 2))
        Conv2D.grow(&sums, O * slice * rowLength)
        withoutActuallyEscaping(kernel) { kernel in   // `split` runs one part on its helper thread and waits for it
        sums.withUnsafeMutableBufferPointer { sump in
        withInt8Operands { q, w, s, ws in
            let all = sump.baseAddress!
            let part: (Range<Int>) -> Void = { os in
                guard !os.isEmpty else { return }
                let dst = all + os.lowerBound * slice * rowLength
                for r0 in Swift.stride(from: 0, to: H, by: slice) {
                    let rows = r0..<min(H, r0 + slice)
                    kernel(q, w, s, ws, os, rows, dst, slice * rowLength)
                    out.emit(os, rows, sums: dst, channelStride: slice * rowLength, rowStride: rowLength)
                }
            }
            split.run({ part(0..<cut) }, { part(cut..<O) })
        }}}
    }

    /// The quantised input, the byte weights, their scales and their sums, for the kernels.
    private func withInt8Operands(_ body: (UnsafePointer<UInt32>, UnsafePointer<Int8>, UnsafePointer<Float>, UnsafePointer<Int32>) -> Void) {
        int8Input.withUnsafeBufferPointer { qp in
        int8Weights.packed.withUnsafeBufferPointer { wp in
        int8Weights.scales.withUnsafeBufferPointer { sp in
        int8Weights.weightSums.withUnsafeBufferPointer { wsp in
            body(qp.baseAddress!, wp.baseAddress!, sp.baseAddress!, wsp.baseAddress!)
        }}}}
    }

    /// Narrowest input for which the 8-bit pass pools in the kernel (`wt_int8_conv3x3_pooled`): a
    /// tile spans 16 columns of two rows, so narrower rows would waste most of it.
    static let int8PooledMinWidth = 16

    /// The pooled 8-bit pass of the quantised input: bias, ReLU and 2×2 max-pool in the kernel,
    /// straight into the output; halves by output channels.
    private func int8Pooled(_ g: ConvGeometry, plane: Int, groups: Int, scale: Float, zero: Int32, _ out: BatchOneEmitter) {
        let (H, W, O) = (g.height, g.width, outChannels)
        withInt8Operands { q, w, s, ws in
            let half: (Range<Int>) -> Void = { os in
                wt_int8_conv3x3_pooled(q, Int32(groups), plane, Int32(H), Int32(W), w, s, ws, out.bias, out.relu ? 1 : 0,
                                       scale, zero, Int32(os.lowerBound), Int32(os.upperBound), 0, Int32(H / 2), out.y)
            }
            split.run({ half(0..<(O / 2)) }, { half((O / 2)..<O) })
        }
    }
}
