import XCTest
import FaceGeometry
import MediaIO

/// The tracker's crops read decoded 4:2:0 samples directly (`PixelView` over planes), converting
/// only the region under the crop. Checked against libswscale's conversion of the whole picture
/// (`YUV420Image.packed`), an independent implementation.
final class PlanesCropTests: XCTestCase {
    /// A picture of smooth gradients, a sharp-edged disc and seeded noise, made from RGB with each
    /// 2×2 block's chroma taken from its top-left pixel. `saturated` gives the disc a strong red and
    /// the noise ±16 levels, so that some pixels' luma and their block's chroma make colours outside
    /// RGB (clipped on conversion); otherwise every colour is well inside.
    func picture(width W: Int = 90, height H: Int = 66, matrix: YUV420Image.Matrix, seed: UInt64, saturated: Bool = true) -> YUV420Image {
        var rng = seed
        func noise() -> Int {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return saturated ? Int(rng >> 59) - 16 : Int(rng >> 61) - 4
        }
        var luma = [UInt8](repeating: 0, count: W * H), cb = [UInt8](repeating: 0, count: W * H / 4), cr = cb
        for y in 0..<H {
            for x in 0..<W {
                let inDisc = (x - W / 3) * (x - W / 3) + (y - H / 2) * (y - H / 2) < 150
                func c(_ v: Int) -> UInt8 { UInt8(min(max(v + noise(), 0), 255)) }
                let rgb = inDisc ? (saturated ? (c(230), c(40), c(60)) : (c(170), c(90), c(100))) : (c(30 + 180 * x / W), c(40 + 170 * y / H), c(200 - 150 * (x + y) / (W + H)))
                let s = YUV420Image.samples(r: rgb.0, g: rgb.1, b: rgb.2, matrix: matrix)
                luma[y * W + x] = s.0
                if x % 2 == 0, y % 2 == 0 { cb[(y / 2) * (W / 2) + x / 2] = s.1; cr[(y / 2) * (W / 2) + x / 2] = s.2 }
            }
        }
        return YUV420Image(width: W, height: H, matrix: matrix, luma: luma, cb: cb, cr: cr)
    }

    func withView<R>(_ p: YUV420Image, _ body: (PixelView) -> R) -> R {
        let (kr, kb) = p.matrix.weights
        return p.luma.withUnsafeBufferPointer { y in p.cb.withUnsafeBufferPointer { u in p.cr.withUnsafeBufferPointer { v in
            body(PixelView(luma: y.baseAddress!, lumaRowBytes: p.width, width: p.width, height: p.height,
                           chroma: .init(cb: u.baseAddress!, cr: v.baseAddress!, rowBytes: p.chromaWidth, kr: Float(kr), kb: Float(kb))))
        }}}
    }

    func maxAndMeanDifference(_ a: [UInt8], _ b: [UInt8]) -> (Int, Double) {
        precondition(a.count == b.count)
        let d = zip(a, b).map { abs(Int($0) - Int($1)) }
        return (d.max() ?? 0, Double(d.reduce(0, +)) / Double(d.count))
    }

    /// The standard conversion in doubles, rounded and clamped: the naive reference.
    func exactRGB(_ p: YUV420Image) -> [UInt8] {
        let (kr, kb) = p.matrix.weights
        var out: [UInt8] = []
        for y in 0..<p.height {
            for x in 0..<p.width {
                let l = (Double(p.luma[y * p.width + x]) - 16) * 255 / 219
                let cb = (Double(p.cb[(y / 2) * p.chromaWidth + x / 2]) - 128) * 255 / 224
                let cr = (Double(p.cr[(y / 2) * p.chromaWidth + x / 2]) - 128) * 255 / 224
                let rgb = [l + 2 * (1 - kr) * cr, l - (2 * kb * (1 - kb) * cb + 2 * kr * (1 - kr) * cr) / (1 - kr - kb), l + 2 * (1 - kb) * cb]
                out += rgb.map { UInt8(min(max($0, 0), 255).rounded()) }
            }
        }
        return out
    }

    /// Our conversion of the whole picture is the standard one (to the rounding of a tie), for both
    /// matrices, and within swscale's truncation (it runs about a level low) of swscale's, which a
    /// mixed-up matrix would miss by 10 levels on the red disc; a region is exactly that part of
    /// the whole.
    func testConversionIsTheStandardOneAndAgreesWithSwscale() {
        for (seed, matrix) in [(UInt64(1), YUV420Image.Matrix.bt601), (2, .bt709)] {
            let p = picture(matrix: matrix, seed: seed)
            let ours = withView(p) { $0.packedRGB(x0: 0, y0: 0, w: p.width, h: p.height) }
            let (mx, mean) = maxAndMeanDifference(ours, exactRGB(p))
            XCTAssertLessThanOrEqual(mx, 1, "\(matrix)")
            XCTAssertLessThan(mean, 0.01, "\(matrix)")
            let (smx, smean) = maxAndMeanDifference(ours, p.packed(.rgb24).data)
            XCTAssertLessThanOrEqual(smx, 3, "\(matrix) against swscale")
            XCTAssertLessThan(smean, 1.5, "\(matrix) against swscale")
            let (x0, y0, w, h) = (10, 4, 31, 17)
            let part = withView(p) { $0.packedRGB(x0: x0, y0: y0, w: w, h: h) }
            var expected: [UInt8] = []
            for y in 0..<h {
                let start = ((y0 + y) * p.width + x0) * 3
                expected += ours[start ..< start + 3 * w]
            }
            XCTAssertEqual(part, expected, "\(matrix) region")
        }
    }

    /// The half-size conversion (box filter before the conversion) is the box filter of the
    /// conversion (`Warp.halve`) to within rounding where no colour clips (clipping happens after
    /// the mean in one and before it in the other).
    func testHalvedConversionIsTheBoxFilterOfTheConversion() {
        let p = picture(matrix: .bt709, seed: 3, saturated: false)
        let full = withView(p) { $0.packedRGB(x0: 0, y0: 0, w: p.width, h: p.height) }
        let halved = full.withUnsafeBufferPointer { Warp.halve(PixelView(base: $0.baseAddress!, width: p.width, height: p.height, channels: 3, rowBytes: 3 * p.width)) }
        let ours = withView(p) { $0.packedRGB(x0: 0, y0: 0, w: p.width, h: p.height, halved: true) }
        XCTAssertEqual(ours.count, (p.width / 2) * (p.height / 2) * 3)
        let (mx, mean) = maxAndMeanDifference(ours, halved)
        XCTAssertLessThanOrEqual(mx, 1)
        XCTAssertLessThan(mean, 0.5)
    }

    /// A crop of the planes equals the same crop of their converted picture: without prefiltering
    /// up to float rounding (inside, across the border and outside the picture: the region's
    /// transform rounds differently), with it within a level or two (the halving rounds
    /// differently, and the crop interpolates between such values).
    func testCropsOfPlanesEqualCropsOfTheirConversion() {
        let p = picture(matrix: .bt601, seed: 4, saturated: false)
        let full = withView(p) { $0.packedRGB(x0: 0, y0: 0, w: p.width, h: p.height) }
        let size = 24
        func crops(_ t: SimilarityTransform, prefiltered: Bool) -> ([Float], [Float]) {
            var a = [Float](repeating: -1, count: 3 * size * size), b = a
            withView(p) { v in a.withUnsafeMutableBufferPointer {
                prefiltered ? Warp.cropPrefiltered(v, imageToCrop: t, size: size, into: $0.baseAddress!)
                            : Warp.crop(v, imageToCrop: t, size: size, into: $0.baseAddress!)
            }}
            full.withUnsafeBufferPointer { px in b.withUnsafeMutableBufferPointer {
                let v = PixelView(base: px.baseAddress!, width: p.width, height: p.height, channels: 3, rowBytes: 3 * p.width)
                prefiltered ? Warp.cropPrefiltered(v, imageToCrop: t, size: size, into: $0.baseAddress!)
                            : Warp.crop(v, imageToCrop: t, size: size, into: $0.baseAddress!)
            }}
            return (a, b)
        }
        for (center, side, angle) in [(Point(45, 33), Float(30), Float(0.3)), (Point(8, 60), 36, -0.5), (Point(300, 33), 20, 0)] {
            let t = SimilarityTransform.crop(center: center, side: side, angle: angle, outputSize: size)
            let (a, b) = crops(t, prefiltered: false)
            XCTAssertLessThan(zip(a, b).map { abs($0 - $1) }.max()!, 0.01, "crop at \(center)")
        }
        XCTAssertTrue(crops(.crop(center: Point(300, 33), side: 20, angle: 0, outputSize: size), prefiltered: false).0.allSatisfy { $0 == 0 },
                      "a crop outside the picture is black")
        for (center, side, angle) in [(Point(45, 33), Float(60), Float(0.2)), (Point(20, 50), 70, -0.4)] {
            let t = SimilarityTransform.crop(center: center, side: side, angle: angle, outputSize: size)
            let (a, b) = crops(t, prefiltered: true)
            let d = zip(a, b).map { abs($0 - $1) }
            XCTAssertLessThanOrEqual(d.max()!, 2, "prefiltered crop at \(center)")
            XCTAssertLessThan(d.reduce(0, +) / Float(d.count), 0.5, "prefiltered crop at \(center)")
        }
    }
}
