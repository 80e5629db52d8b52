/// Packed 8-bit pixels, 3 bytes per pixel, rows `width * 3` bytes apart, top row first.
public struct PixelBuffer: Sendable, Equatable {
    public enum Format: String, Sendable, Codable { case rgb24, bgr24 }

    public var width: Int
    public var height: Int
    public var format: Format
    public var data: [UInt8]

    public init(width: Int, height: Int, format: Format, data: [UInt8]) {
        precondition(data.count == width * height * 3, "PixelBuffer: \(width)x\(height) needs \(width * height * 3) bytes")
        self.width = width; self.height = height; self.format = format; self.data = data
    }

    /// A black image.
    public init(width: Int, height: Int, format: Format = .rgb24) {
        self.init(width: width, height: height, format: format, data: [UInt8](repeating: 0, count: width * height * 3))
    }

    public var rowBytes: Int { width * 3 }

    /// The pixel at column x, row y as (r, g, b) whatever the storage order.
    public func rgb(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 3
        return format == .rgb24 ? (data[i], data[i + 1], data[i + 2]) : (data[i + 2], data[i + 1], data[i])
    }

    /// The same picture in the other channel order (or itself).
    public func converted(to f: Format) -> PixelBuffer {
        guard f != format else { return self }
        var d = data
        d.withUnsafeMutableBufferPointer { p in
            var i = 0
            while i < p.count { p.swapAt(i, i + 2); i += 3 }
        }
        return PixelBuffer(width: width, height: height, format: f, data: d)
    }

    /// The region `x, y, cropWidth × cropHeight` resampled bilinearly to `width × height` (pixel-corner
    /// convention: output pixel centre (u + 0.5, v + 0.5) reads the region at its scaled position;
    /// taps beyond the edge repeat the edge). Meant for making test and benchmark clips.
    public func resized(cropX x: Int = 0, cropY y: Int = 0, cropWidth: Int? = nil, cropHeight: Int? = nil,
                        width nw: Int, height nh: Int) -> PixelBuffer {
        let cw = cropWidth ?? width - x, ch = cropHeight ?? height - y
        precondition(x >= 0 && y >= 0 && cw > 0 && ch > 0 && x + cw <= width && y + ch <= height && nw > 0 && nh > 0, "resized: bad region")
        let sx = Float(cw) / Float(nw), sy = Float(ch) / Float(nh)
        // Per output column: the left tap and its weight (the same for every row).
        let cols: [(Int, Int, Float)] = (0..<nw).map { u in
            let f = min(max((Float(u) + 0.5) * sx - 0.5, 0), Float(cw - 1))
            let x0 = Int(f)
            return (x + x0, x + min(x0 + 1, cw - 1), f - Float(x0))
        }
        var out = [UInt8](repeating: 0, count: nw * nh * 3)
        data.withUnsafeBufferPointer { s in
        out.withUnsafeMutableBufferPointer { o in
            for v in 0..<nh {
                let f = min(max((Float(v) + 0.5) * sy - 0.5, 0), Float(ch - 1))
                let y0 = Int(f), ay = f - Float(y0)
                let r0 = (y + y0) * rowBytes, r1 = (y + min(y0 + 1, ch - 1)) * rowBytes
                for u in 0..<nw {
                    let (xa, xb, ax) = cols[u]
                    for c in 0..<3 {
                        let top = Float(s[r0 + 3 * xa + c]) + ax * (Float(s[r0 + 3 * xb + c]) - Float(s[r0 + 3 * xa + c]))
                        let bot = Float(s[r1 + 3 * xa + c]) + ax * (Float(s[r1 + 3 * xb + c]) - Float(s[r1 + 3 * xa + c]))
                        o[(v * nw + u) * 3 + c] = UInt8((top + ay * (bot - top)).rounded())
                    }
                }
            }
        }}
        return PixelBuffer(width: nw, height: nh, format: format, data: out)
    }

    /// Rotated clockwise by `degrees` (0, 90, 180 or 270).
    public func rotated(clockwise degrees: Int) -> PixelBuffer {
        let d = ((degrees % 360) + 360) % 360
        guard d != 0 else { return self }
        let (W, H) = (width, height)
        let (nw, nh) = d == 180 ? (W, H) : (H, W)
        var out = [UInt8](repeating: 0, count: data.count)
        data.withUnsafeBufferPointer { s in
        out.withUnsafeMutableBufferPointer { o in
            for y in 0..<H {
                for x in 0..<W {
                    let (nx, ny): (Int, Int)
                    switch d {
                    case 90: (nx, ny) = (H - 1 - y, x)
                    case 180: (nx, ny) = (W - 1 - x, H - 1 - y)
                    default: (nx, ny) = (y, W - 1 - x)
                    }
                    let si = (y * W + x) * 3, di = (ny * nw + nx) * 3
                    o[di] = s[si]; o[di + 1] = s[si + 1]; o[di + 2] = s[si + 2]
                }
            }
        }}
        return PixelBuffer(width: nw, height: nh, format: format, data: out)
    }
}

/// One decoded video frame, upright (display rotation applied).
public struct Frame: Sendable {
    /// 0-based position in decode order.
    public var index: Int
    /// Presentation time in seconds (best-effort timestamp × stream time base).
    public var timestamp: Double
    /// The packed pixels the reader made; nil for a frame that carries only its planes.
    public var packed: PixelBuffer?
    /// The decoded samples as they came, when the reader keeps them (`VideoReader(keepPlanes:)`) and
    /// they are yuv420p of even size and need no rotation; else nil.
    public var planes: YUV420Image?

    public init(index: Int, timestamp: Double, image: PixelBuffer, planes: YUV420Image? = nil) {
        self.init(index: index, timestamp: timestamp, packed: image, planes: planes)
    }

    /// A frame with packed pixels, planes or both.
    public init(index: Int, timestamp: Double, packed: PixelBuffer?, planes: YUV420Image?) {
        precondition(packed != nil || planes != nil, "Frame: no pixels")
        self.index = index; self.timestamp = timestamp; self.packed = packed; self.planes = planes
    }

    /// The picture as packed pixels: the reader's, or for a planes-only frame its planes converted
    /// to RGB on each access.
    public var image: PixelBuffer {
        get { packed ?? planes!.packed(.rgb24) }
        set { packed = newValue }
    }
}
