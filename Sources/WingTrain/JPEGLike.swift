import Foundation

/// JPEG-like degradation of a planar RGB crop, as baseline JPEG would leave it (without the entropy
/// coding, which is lossless): RGB → YCbCr (JFIF, full range), chroma averaged over 2×2 pixels and
/// spread back, each 8×8 block of each channel through the DCT-II, quantised with the standard
/// tables (ITU T.81 Annex K) scaled to `quality` the IJG way, dequantised, inverse DCT, back to RGB.
/// Teaches the networks the blocking and ringing of compressed video frames.
public enum JPEGLike {
    /// Annex K luminance and chrominance quantisation tables, row-major.
    static let luminanceTable: [Float] = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]
    static let chrominanceTable: [Float] = [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
        24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99]

    /// A table scaled to quality 1…100 (IJG: 50 is the table itself, 100 is all ones).
    static func scaled(_ table: [Float], quality: Int) -> [Float] {
        let q = min(100, max(1, quality))
        let factor = q < 50 ? 5000 / Float(q) : 200 - 2 * Float(q)
        return table.map { min(255, max(1, (($0 * factor + 50) / 100).rounded(.down))) }
    }

    /// Orthonormal DCT-II basis: `basis[u·8 + x] = α(u) cos((2x + 1)uπ / 16)`.
    static let basis: [Float] = (0..<64).map { i in
        let (u, x) = (i / 8, i % 8)
        let a: Double = u == 0 ? (1.0 / 8).squareRoot() : (2.0 / 8).squareRoot()
        return Float(a * cos(Double(2 * x + 1) * Double(u) * .pi / 16))
    }

    /// 2-D DCT of an 8×8 block: F = C · B · Cᵀ.
    static func forward(_ b: [Float]) -> [Float] { product(basis, b, transposeFirst: false, thenTransposed: true) }
    /// Inverse: B = Cᵀ · F · C.
    static func inverse(_ f: [Float]) -> [Float] { product(basis, f, transposeFirst: true, thenTransposed: false) }

    /// `op(C) · M · op(C)ᵀ` for 8×8 matrices, op(C) = Cᵀ when `transposeFirst`.
    private static func product(_ c: [Float], _ m: [Float], transposeFirst: Bool, thenTransposed: Bool) -> [Float] {
        func cAt(_ r: Int, _ k: Int) -> Float { transposeFirst ? c[k * 8 + r] : c[r * 8 + k] }
        var t = [Float](repeating: 0, count: 64), out = t
        for r in 0..<8 { for j in 0..<8 { var s: Float = 0; for k in 0..<8 { s += cAt(r, k) * m[k * 8 + j] }; t[r * 8 + j] = s } }
        for r in 0..<8 { for j in 0..<8 { var s: Float = 0; for k in 0..<8 { s += t[r * 8 + k] * cAt(j, k) }; out[r * 8 + j] = s } }
        return out
    }

    /// Degrades `x` (`[3, S, S]` planar RGB, values 0…255) in place. Blocks at the right and bottom
    /// edge that `S` does not fill are padded by repeating the last row/column, as encoders do.
    public static func degrade(_ x: inout [Float], size S: Int, quality: Int) {
        let plane = S * S
        precondition(x.count == 3 * plane, "JPEGLike: expected 3 planes of \(S)×\(S)")
        let lum = scaled(luminanceTable, quality: quality), chroma = scaled(chrominanceTable, quality: quality)
        var y = [Float](repeating: 0, count: plane), cb = y, cr = y
        for i in 0..<plane {
            let (r, g, b) = (x[i], x[plane + i], x[2 * plane + i])
            y[i] = 0.299 * r + 0.587 * g + 0.114 * b
            cb[i] = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
            cr[i] = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
        }
        subsample(&cb, size: S); subsample(&cr, size: S)
        quantiseBlocks(&y, size: S, table: lum)
        quantiseBlocks(&cb, size: S, table: chroma)
        quantiseBlocks(&cr, size: S, table: chroma)
        for i in 0..<plane {
            let (l, u, v) = (y[i], cb[i] - 128, cr[i] - 128)
            x[i] = min(255, max(0, l + 1.402 * v))
            x[plane + i] = min(255, max(0, l - 0.344136 * u - 0.714136 * v))
            x[2 * plane + i] = min(255, max(0, l + 1.772 * u))
        }
    }

    /// Each 2×2 cell takes its mean (4:2:0 chroma, upsampled by repetition).
    static func subsample(_ c: inout [Float], size S: Int) {
        for y0 in stride(from: 0, to: S, by: 2) {
            for x0 in stride(from: 0, to: S, by: 2) {
                let ys = y0..<min(S, y0 + 2), xs = x0..<min(S, x0 + 2)
                var s: Float = 0
                for yy in ys { for xx in xs { s += c[yy * S + xx] } }
                let m = s / Float(ys.count * xs.count)
                for yy in ys { for xx in xs { c[yy * S + xx] = m } }
            }
        }
    }

    /// DCT, quantise (round to the table's steps), dequantise, inverse DCT, per 8×8 block; values are
    /// level-shifted by 128 as in JPEG.
    static func quantiseBlocks(_ c: inout [Float], size S: Int, table: [Float]) {
        var block = [Float](repeating: 0, count: 64)
        for by in stride(from: 0, to: S, by: 8) {
            for bx in stride(from: 0, to: S, by: 8) {
                for j in 0..<8 { for i in 0..<8 {
                    block[j * 8 + i] = c[min(S - 1, by + j) * S + min(S - 1, bx + i)] - 128
                }}
                var f = forward(block)
                for k in 0..<64 { f[k] = (f[k] / table[k]).rounded() * table[k] }
                let back = inverse(f)
                for j in 0..<min(8, S - by) { for i in 0..<min(8, S - bx) {
                    c[(by + j) * S + bx + i] = back[j * 8 + i] + 128
                }}
            }
        }
    }
}
