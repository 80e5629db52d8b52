/// An 8-bit picture seen through pointers; the caller keeps the memory alive while the view is used.
///
/// Two layouts: packed (`channels` bytes per pixel, `rowBytes` per row, `base` the top-left pixel),
/// or a limited-range 4:2:0 picture as decoders give it (`base` its luma plane, `rowBytes` the luma
/// stride, `chroma` its two half-size planes), which reads as RGB (`channels` = 3). The crops
/// (`Warp.crop`, `Warp.cropPrefiltered`) take either; `Warp.halve` and the raw pointer reads of
/// other code take packed views only.
public struct PixelView {
    public var base: UnsafePointer<UInt8>
    public var width: Int, height: Int, channels: Int, rowBytes: Int
    /// The chroma of a 4:2:0 picture; nil for packed pixels.
    public var chroma: Chroma?

    /// The two chroma planes of a limited-range 4:2:0 picture (luma 16–235, chroma 16–240), each
    /// ⌈width/2⌉ × ⌈height/2⌉ samples `rowBytes` apart, and the matrix that made them from R'G'B'
    /// (E'Y = kr·R + (1 − kr − kb)·G + kb·B: BT.601 kr 0.299 kb 0.114, BT.709 kr 0.2126 kb 0.0722).
    /// A chroma sample covers the 2×2 luma block at twice its position.
    public struct Chroma {
        public var cb: UnsafePointer<UInt8>, cr: UnsafePointer<UInt8>
        public var rowBytes: Int
        public var kr: Float, kb: Float
        public init(cb: UnsafePointer<UInt8>, cr: UnsafePointer<UInt8>, rowBytes: Int, kr: Float, kb: Float) {
            self.cb = cb; self.cr = cr; self.rowBytes = rowBytes; self.kr = kr; self.kb = kb
        }
    }

    /// Packed pixels.
    public init(base: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int, rowBytes: Int) {
        self.base = base; self.width = width; self.height = height; self.channels = channels; self.rowBytes = rowBytes
    }

    /// A limited-range 4:2:0 picture: `luma` `width` × `height` samples `lumaRowBytes` apart.
    public init(luma: UnsafePointer<UInt8>, lumaRowBytes: Int, width: Int, height: Int, chroma: Chroma) {
        self.init(base: luma, width: width, height: height, channels: 3, rowBytes: lumaRowBytes)
        self.chroma = chroma
    }

    public var isPacked: Bool { chroma == nil }

    /// Packed RGB of the region `x0 ..< x0 + w`, `y0 ..< y0 + h` (inside the picture, `x0` and `y0`
    /// even) of a 4:2:0 view: each pixel from its luma sample and its 2×2 block's chroma (as FFmpeg's
    /// unscaled converter pairs them), through the view's matrix, rounded and clamped to 0…255.
    /// `halved` gives the region at half size instead (⌊w/2⌋ × ⌊h/2⌋, like `Warp.halve`), each pixel
    /// from the mean of its 2×2 luma block and that block's own chroma: the 2×2 box filter applied
    /// before the conversion rather than after, a quarter of the work.
    public func packedRGB(x0: Int, y0: Int, w: Int, h: Int, halved: Bool = false) -> [UInt8] {
        guard let c = chroma else { preconditionFailure("packedRGB: the view is already packed") }
        precondition(x0 >= 0 && y0 >= 0 && x0 % 2 == 0 && y0 % 2 == 0 && x0 + w <= width && y0 + h <= height, "packedRGB: region outside the picture")
        let t = ConversionTables.of(kr: c.kr, kb: c.kb)
        let (ow, oh) = halved ? (w / 2, h / 2) : (w, h)
        return [UInt8](unsafeUninitializedCapacity: ow * oh * 3) { out, n in
            t.y.withUnsafeBufferPointer { ty in t.crR.withUnsafeBufferPointer { tr in t.cbB.withUnsafeBufferPointer { tb in
            t.cbG.withUnsafeBufferPointer { tgb in t.crG.withUnsafeBufferPointer { tgr in
                @inline(__always) func byte(_ v: Int32) -> UInt8 { UInt8(truncatingIfNeeded: min(max(v, 0), 255 << 16) >> 16) }
                @inline(__always) func put(_ o: UnsafeMutablePointer<UInt8>, _ l: Int32, _ cb: Int, _ cr: Int) {
                    o[0] = byte(l &+ tr[cr]); o[1] = byte(l &- tgb[cb] &- tgr[cr]); o[2] = byte(l &+ tb[cb])
                }
                for y in 0..<oh {
                    let cy = halved ? (y0 >> 1) + y : (y0 + y) >> 1
                    let cbRow = c.cb + cy * c.rowBytes + (x0 >> 1), crRow = c.cr + cy * c.rowBytes + (x0 >> 1)
                    let o = out.baseAddress! + y * ow * 3
                    if halved {
                        // The luma table is indexed by 4× the sample (the sum of the block).
                        let r0 = base + (y0 + 2 * y) * rowBytes + x0, r1 = r0 + rowBytes
                        for x in 0..<ow {
                            let sum = Int(r0[2 * x]) + Int(r0[2 * x + 1]) + Int(r1[2 * x]) + Int(r1[2 * x + 1])
                            put(o + 3 * x, ty[sum], Int(cbRow[x]), Int(crRow[x]))
                        }
                    } else {
                        let row = base + (y0 + y) * rowBytes + x0
                        for x in 0..<ow { put(o + 3 * x, ty[4 * Int(row[x])], Int(cbRow[x >> 1]), Int(crRow[x >> 1])) }
                    }
                }
            }}}}}
            n = ow * oh * 3
        }
    }
}

/// The limited-range → RGB conversion as per-sample tables in 16.16 fixed point: luma
/// (Y − 16)·255/219 (with the ½ that rounds) indexed by 4·Y (so that a 2×2 block's sum indexes
/// its mean), colour difference (C − 128)·255/224 times
/// R: 2(1 − kr)·Cr, B: 2(1 − kb)·Cb, G: −(2kb(1 − kb)·Cb + 2kr(1 − kr)·Cr)/(1 − kr − kb).
private struct ConversionTables {
    let kr: Float, kb: Float
    let y: [Int32], crR: [Int32], cbB: [Int32], cbG: [Int32], crG: [Int32]

    init(kr: Float, kb: Float) {
        self.kr = kr; self.kb = kb
        let kg = Double(1 - kr - kb), kr = Double(kr), kb = Double(kb)
        func table(_ f: (Double) -> Double) -> [Int32] { (0..<256).map { Int32((f(Double($0)) * 65536).rounded()) } }
        y = (0...1020).map { (sum: Int) -> Int32 in
            let mean = Double(sum) / 4
            return Int32((((mean - 16) * 255 / 219 + 0.5) * 65536).rounded())
        }
        crR = table { ($0 - 128) * 255 / 224 * 2 * (1 - kr) }
        cbB = table { ($0 - 128) * 255 / 224 * 2 * (1 - kb) }
        cbG = table { ($0 - 128) * 255 / 224 * 2 * kb * (1 - kb) / kg }
        crG = table { ($0 - 128) * 255 / 224 * 2 * kr * (1 - kr) / kg }
    }

    /// BT.601's and BT.709's, made once.
    private static let common = [ConversionTables(kr: 0.299, kb: 0.114), ConversionTables(kr: 0.2126, kb: 0.0722)]

    static func of(kr: Float, kb: Float) -> ConversionTables {
        common.first { abs($0.kr - kr) < 1e-6 && abs($0.kb - kb) < 1e-6 } ?? ConversionTables(kr: kr, kb: kb)
    }
}
