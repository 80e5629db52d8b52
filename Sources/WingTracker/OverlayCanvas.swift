import MediaIO

/// A picture the overlay can paint on: packed RGB or BGR (`PixelBuffer`), or yuv420p samples as
/// decoded (`YUV420Image`, which lets the overlay be encoded without converting the frame).
public protocol OverlayCanvas {
    /// A colour in the canvas's own form, made once per drawn shape.
    associatedtype Ink
    var width: Int { get }
    var height: Int { get }
    func ink(_ rgb: (UInt8, UInt8, UInt8)) -> Ink
    /// Paints pixel (x, y); pixels outside the picture are ignored.
    mutating func paint(_ x: Int, _ y: Int, _ ink: Ink)
}

extension PixelBuffer: OverlayCanvas {
    /// The colour's bytes in storage order.
    public func ink(_ c: (UInt8, UInt8, UInt8)) -> (UInt8, UInt8, UInt8) { format == .rgb24 ? c : (c.2, c.1, c.0) }

    @inline(__always)
    public mutating func paint(_ x: Int, _ y: Int, _ ink: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        data[i] = ink.0; data[i + 1] = ink.1; data[i + 2] = ink.2
    }
}

extension YUV420Image: OverlayCanvas {
    /// The colour's limited-range samples under the picture's matrix. A painted pixel sets its luma
    /// sample and the chroma of its 2×2 block, as the 4:2:0 encoding of an RGB drawing would carry it.
    public func ink(_ c: (UInt8, UInt8, UInt8)) -> (UInt8, UInt8, UInt8) { Self.samples(r: c.0, g: c.1, b: c.2, matrix: matrix) }

    @inline(__always)
    public mutating func paint(_ x: Int, _ y: Int, _ ink: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        luma[y * width + x] = ink.0
        let c = (y >> 1) * chromaWidth + (x >> 1)
        cb[c] = ink.1; cr[c] = ink.2
    }
}
