import XCTest
import FaceGeometry
import MediaIO
@testable import WingTracker

final class OverlayAndJitterTests: XCTestCase {
    /// The label's glyphs land where the font says, at the requested scale, and nowhere else.
    func testLabelGlyphsArePaintedPixelForPixel() {
        var img = PixelBuffer(width: 80, height: 20)
        let text = OverlayRenderer.label(faceID: 3, confidence: 0.876)
        XCTAssertEqual(text, "ID 3 0.88")
        PixelFont.draw(text, x: 2, y: 3, scale: 2, color: (0, 255, 0), on: &img)
        var expected = Set<Int>()
        for (k, ch) in text.enumerated() {
            for (r, bits) in PixelFont.glyphs[ch]!.enumerated() {
                for c in 0..<3 where bits & (4 >> UInt8(c)) != 0 {
                    for dy in 0..<2 { for dx in 0..<2 { expected.insert((3 + 2 * r + dy) * 80 + 2 + 2 * (4 * k + c) + dx) } }
                }
            }
        }
        let painted = Set((0..<(80 * 20)).filter { img.data[3 * $0 + 1] == 255 })
        XCTAssertEqual(painted, expected)
        XCTAssertEqual(PixelFont.width(text, scale: 2), 2 * (4 * text.count - 1))
    }

    /// Two tracked faces: each box is drawn in its id's colour around its own landmarks; no "lost" bar.
    /// No tracked face: only the red bar in the top-left corner.
    func testEachFaceIDGetsItsOwnBoxColour() {
        func face(at x: Float) -> Tracker.Observation {
            let pts = (0..<68).map { Point(x + Float($0 % 9) * 5, 60 + Float($0 / 9) * 5) }
            return Tracker.Observation(success: true, confidence: 0.9, landmarks: pts, box: Box(bounding: pts), acquired: false)
        }
        var img = PixelBuffer(width: 200, height: 120)
        let faces = [face(at: 20), face(at: 120)]
        OverlayRenderer.draw(faces, on: &img)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(img.data[(y * 200 + x) * 3 ..< (y * 200 + x) * 3 + 3]) }
        for (id, f) in faces.enumerated() {
            let b = f.box!, c = OverlayRenderer.colour(faceID: id)
            // The bottom-left corner of the box (drawn after the points and contours).
            XCTAssertEqual(pixel(Int(b.minX), Int(b.maxY)), [c.0, c.1, c.2], "face \(id)")
        }
        XCTAssertNotEqual(OverlayRenderer.colour(faceID: 0).1, OverlayRenderer.colour(faceID: 1).1)
        XCTAssertEqual(pixel(6, 6), [0, 0, 0], "no lost bar while faces are tracked")
        let lost = Tracker.Observation(success: false, confidence: 0, landmarks: nil, box: nil, acquired: false)
        var empty = PixelBuffer(width: 200, height: 120)
        OverlayRenderer.draw([lost, lost], on: &empty)
        let red = (0..<(200 * 120)).filter { empty.data[3 * $0] == 255 && empty.data[3 * $0 + 1] == 40 }
        XCTAssertEqual(red.count, 6 * 36, "the lost bar, and nothing else")
    }

    /// Drawn on yuv420p samples, the overlay paints the same pixels as on RGB: each painted pixel's
    /// luma is its colour's (BT.601 or BT.709, as the picture's matrix says), each 2×2 block with a
    /// painted pixel carries the chroma of one of its painted colours, and nothing else changes.
    func testDrawingOnPlanesPaintsWhatTheRGBDrawingPaints() {
        func face(at x: Float) -> Tracker.Observation {
            let pts = (0..<68).map { Point(x + Float($0 % 9) * 5.3, 61 + Float($0 / 9) * 4.7) }
            return Tracker.Observation(success: true, confidence: 0.83, landmarks: pts, box: Box(bounding: pts), acquired: false)
        }
        let lost = Tracker.Observation(success: false, confidence: 0, landmarks: nil, box: nil, acquired: false)
        for (observations, matrix) in [([face(at: 21), face(at: 117)], YUV420Image.Matrix.bt709), ([lost], .bt601)] {
            var rgb = PixelBuffer(width: 200, height: 120)
            var yuv = YUV420Image(width: 200, height: 120, matrix: matrix)
            OverlayRenderer.draw(observations, on: &rgb)
            OverlayRenderer.draw(observations, on: &yuv)
            var blocks: [Int: [(UInt8, UInt8, UInt8)]] = [:]
            for y in 0..<120 { for x in 0..<200 {
                let c = rgb.rgb(x: x, y: y)
                let painted = c != (0, 0, 0)
                XCTAssertEqual(yuv.luma[y * 200 + x] != 16, painted, "pixel (\(x), \(y))")
                if painted {
                    let s = YUV420Image.samples(r: c.0, g: c.1, b: c.2, matrix: matrix)
                    XCTAssertEqual(yuv.luma[y * 200 + x], s.0, "pixel (\(x), \(y))")
                    blocks[(y / 2) * 100 + x / 2, default: []].append(s)
                }
            }}
            XCTAssertGreaterThanOrEqual(blocks.count, 54, "at least the lost bar")
            for k in 0..<(100 * 60) {
                let chroma = (yuv.cb[k], yuv.cr[k])
                if let painted = blocks[k] {
                    XCTAssertTrue(painted.contains { $0.1 == chroma.0 && $0.2 == chroma.1 }, "chroma block \(k)")
                } else {
                    XCTAssertTrue(chroma == (128, 128), "chroma block \(k) changed without a painted pixel")
                }
            }
        }
    }

    /// Points alternating ±d around a fixed shape have second differences of 2d: jitter = 2d / IOD.
    /// Straight-line motion has none.
    func testJitterOfKnownSignals() {
        let base = (0..<68).map { Point(Float($0 % 9) * 7, Float($0 / 9) * 5) }
        let iod = Double(base[36].distance(to: base[45]))
        var zigzag = JitterMeter(), line = JitterMeter()
        for t in 0..<20 {
            let d: Float = t % 2 == 0 ? 1.5 : -1.5
            zigzag.add(base.map { $0 + Point(d, 0) })
            line.add(base.map { $0 + Point(Float(t) * 3, Float(t)) })
        }
        XCTAssertEqual(zigzag.count, 18)
        XCTAssertEqual(zigzag.value!, 3.0 / iod, accuracy: 1e-6)
        XCTAssertEqual(line.value!, 0, accuracy: 1e-6)
        // A gap breaks the triples: nothing is measured across it.
        var gappy = JitterMeter()
        for t in 0..<6 { gappy.add(t == 2 || t == 4 ? nil : base) }
        XCTAssertEqual(gappy.count, 0)
    }

    /// The One-Euro filter passes a constant unchanged, lags a step at low speed by the first-order
    /// low-pass of its cut-off, and follows fast motion more closely with a larger β.
    func testOneEuroFilterAgainstItsFormula() {
        var f = OneEuroFilter(minCutoff: 2, beta: 0)
        for t in 0..<10 { XCTAssertEqual(f.filter(5, at: Double(t) / 30), 5) }
        // A step from 5 to 6 with β = 0: a first-order low-pass, α = 1 / (1 + τ/dt), τ = 1/(2π·2 Hz).
        let alpha = 1 / (1 + (1 / (2 * Double.pi * 2)) / (1.0 / 30))
        XCTAssertEqual(f.filter(6, at: 10.0 / 30), 5 + alpha, accuracy: 1e-12)
        var slow = OneEuroFilter(minCutoff: 1, beta: 0), fast = OneEuroFilter(minCutoff: 1, beta: 1)
        var lagSlow = 0.0, lagFast = 0.0
        for t in 0..<30 {
            let x = Double(t) * 10   // 300 units/s
            lagSlow = x - slow.filter(x, at: Double(t) / 30)
            lagFast = x - fast.filter(x, at: Double(t) / 30)
        }
        XCTAssertLessThan(lagFast, lagSlow / 5)
    }
}
