internal import CFFmpeg

/// Planar samples → packed 8-bit RGB (or BGR) with libswscale, through the picture's own matrix
/// (BT.709, BT.601, …, from its colour-space tag; untagged counts as BT.601) and range. One
/// converter keeps one swscale context and reuses it while the pictures keep their shape.
final class PackedConversion {
    private var context: OpaquePointer?
    /// The context, matrix and range the details were last set for.
    private var detailsSetFor: (OpaquePointer, Int32, Bool)?
    /// swscale's SIMD writers may run a few bytes past the last pixel: the output buffer gets this
    /// much padding, dropped afterwards.
    static let padding = 256

    deinit { if context != nil { sws_freeContext(context) } }

    /// Packed pixels of a `width`×`height` picture of `pixelFormat` whose planes start at `data`,
    /// rows `lines` bytes apart; nil when swscale cannot convert it.
    func convert(data: UnsafePointer<UnsafePointer<UInt8>?>, lines: UnsafePointer<Int32>, width w: Int, height h: Int,
                 pixelFormat: AVPixelFormat, colourSpace: AVColorSpace, fullRange: Bool, to format: PixelBuffer.Format) -> [UInt8]? {
        let dstFormat = format == .rgb24 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_BGR24
        context = sws_getCachedContext(context, Int32(w), Int32(h), pixelFormat, Int32(w), Int32(h), dstFormat, SWS_BILINEAR, nil, nil, nil)
        guard let sws = context else { return nil }
        let space = Int32(colourSpace.rawValue)
        if detailsSetFor.map({ $0.0 != sws || $0.1 != space || $0.2 != fullRange }) ?? true {
            setColourMatrices(of: sws, input: space, fullRangeInput: fullRange)
            detailsSetFor = (sws, space, fullRange)
        }
        var ok = false
        var out = [UInt8](unsafeUninitializedCapacity: w * h * 3 + Self.padding) { dst, n in
            (dst.baseAddress! + w * h * 3).initialize(repeating: 0, count: Self.padding)
            var dstPlanes: [UnsafeMutablePointer<UInt8>?] = [dst.baseAddress!, nil, nil, nil]
            var dstStrides: [Int32] = [Int32(w * 3), 0, 0, 0]
            ok = sws_scale(sws, data, lines, 0, Int32(h), &dstPlanes, &dstStrides) == Int32(h)
            n = ok ? w * h * 3 + Self.padding : 0
        }
        guard ok else { return nil }
        out.removeLast(Self.padding)
        return out
    }
}

/// Sets the matrices a swscale context converts with (FFmpeg colour-space codes, ISO/IEC 23091-2;
/// unspecified and unknown ones mean BT.601; nil keeps swscale's choice), and marks its input full
/// range when `fullRangeInput` (else swscale's choice stays: full for the JPEG formats).
func setColourMatrices(of sws: OpaquePointer, input: Int32? = nil, output: Int32? = nil, fullRangeInput: Bool = false) {
    var inv: UnsafeMutablePointer<Int32>?, table: UnsafeMutablePointer<Int32>?
    var srcRange: Int32 = 0, dstRange: Int32 = 0, brightness: Int32 = 0, contrast: Int32 = 0, saturation: Int32 = 0
    guard sws_getColorspaceDetails(sws, &inv, &srcRange, &table, &dstRange, &brightness, &contrast, &saturation) >= 0 else { return }
    _ = sws_setColorspaceDetails(sws, input.map { sws_getCoefficients($0) } ?? UnsafePointer(inv), fullRangeInput ? 1 : srcRange,
                                 output.map { sws_getCoefficients($0) } ?? UnsafePointer(table), dstRange, brightness, contrast, saturation)
}

extension YUV420Image {
    /// The picture as packed RGB (or BGR), converted by swscale through its matrix (`VideoReader`'s
    /// conversion of the frame it came from).
    public func packed(_ format: PixelBuffer.Format = .rgb24) -> PixelBuffer {
        let data = luma.withUnsafeBufferPointer { y in
            cb.withUnsafeBufferPointer { u in
                cr.withUnsafeBufferPointer { v in
                    let planes: [UnsafePointer<UInt8>?] = [y.baseAddress, u.baseAddress, v.baseAddress, nil]
                    let lines: [Int32] = [Int32(width), Int32(chromaWidth), Int32(chromaWidth), 0]
                    return PackedConversion().convert(data: planes, lines: lines, width: width, height: height, pixelFormat: AV_PIX_FMT_YUV420P,
                                                      colourSpace: matrix == .bt709 ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M,
                                                      fullRange: false, to: format)
                }
            }
        }
        guard let data else { preconditionFailure("swscale cannot convert a \(width)×\(height) yuv420p picture") }
        return PixelBuffer(width: width, height: height, format: format, data: data)
    }
}
