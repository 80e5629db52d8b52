import XCTest
@testable import MediaIO

final class PixelBufferTests: XCTestCase {
    /// Bilinear resampling reproduces a linear ramp exactly, so every output pixel of a crop resized
    /// up or down is known in closed form (edge taps clamp, which a ramp also gives exactly).
    func testResizedCropReproducesALinearRamp() {
        let (W, H) = (40, 30)
        func ramp(_ x: Float, _ y: Float, _ c: Int) -> Float { 10 + 3 * x + 2 * y + 20 * Float(c) }
        var data = [UInt8](repeating: 0, count: W * H * 3)
        for y in 0..<H { for x in 0..<W { for c in 0..<3 { data[(y * W + x) * 3 + c] = UInt8(ramp(Float(x), Float(y), c)) } } }
        let image = PixelBuffer(width: W, height: H, format: .rgb24, data: data)
        let (x0, y0, cw, ch) = (4, 6, 24, 18)
        for (nw, nh) in [(16, 12), (48, 36), (24, 18), (7, 30)] {
            let out = image.resized(cropX: x0, cropY: y0, cropWidth: cw, cropHeight: ch, width: nw, height: nh)
            XCTAssertEqual(out.width, nw); XCTAssertEqual(out.height, nh)
            var worst: Float = 0
            for v in 0..<nh {
                for u in 0..<nw {
                    let fx = min(max((Float(u) + 0.5) * Float(cw) / Float(nw) - 0.5, 0), Float(cw - 1))
                    let fy = min(max((Float(v) + 0.5) * Float(ch) / Float(nh) - 0.5, 0), Float(ch - 1))
                    for c in 0..<3 {
                        let expected = ramp(Float(x0) + fx, Float(y0) + fy, c)
                        worst = max(worst, abs(Float(out.data[(v * nw + u) * 3 + c]) - expected))
                    }
                }
            }
            XCTAssertLessThanOrEqual(worst, 0.5 + 1e-3, "\(nw)x\(nh): off by more than rounding")
        }
        // The same size and the whole image is the identity.
        XCTAssertEqual(image.resized(width: W, height: H), image)
    }
}
