import Foundation
import FaceGeometry
import MediaIO

/// Draws tracking results onto a frame: the 68 points, the face contour polylines (jaw, brows, nose,
/// eyes, lips), the box, the face id and a confidence bar; the box, bar and label take the face id's
/// colour (`idColours`, in turn).
public enum OverlayRenderer {
    typealias Color = (UInt8, UInt8, UInt8)   // r, g, b
    static let point: Color = (255, 230, 0), line: Color = (0, 200, 255), lost: Color = (255, 40, 40)
    /// Box colours by face id: green, magenta, orange, violet, white, then again.
    static let idColours: [Color] = [(0, 255, 0), (255, 0, 200), (255, 150, 0), (150, 110, 255), (255, 255, 255)]
    static func colour(faceID: Int) -> Color { idColours[faceID % idColours.count] }

    /// Draws every tracked face of a frame (`observations[i]` is face id i); a frame without any
    /// tracked face gets the red "lost" bar in its top-left corner.
    public static func draw<C: OverlayCanvas>(_ observations: [Tracker.Observation], on image: inout C) {
        for (id, o) in observations.enumerated() where o.success { draw(o, faceID: id, on: &image) }
        if !observations.contains(where: \.success) { drawLost(on: &image) }
    }

    public static func draw<C: OverlayCanvas>(_ o: Tracker.Observation, faceID: Int, on image: inout C) {
        if let pts = o.landmarks, o.success {
            let lineInk = image.ink(line), pointInk = image.ink(point)
            for c in Landmarks68.contours {
                let idx = c.closed ? c.indices + [c.indices[0]] : c.indices
                for k in 1..<idx.count { segment(pts[idx[k - 1]], pts[idx[k]], lineInk, &image) }
            }
            for p in pts { dot(p, pointInk, &image) }
            if let b = o.box {
                let box = colour(faceID: faceID), boxInk = image.ink(box)
                rect(Int(b.minX), Int(b.minY), Int(b.maxX), Int(b.maxY), boxInk, &image)
                // Confidence bar above the box (full width = 1.0), and above it "ID n 0.97".
                let w = Int(b.width * o.confidence)
                for t in 0..<4 { for x in Int(b.minX)..<(Int(b.minX) + max(1, w)) { image.paint(x, Int(b.minY) - 6 + t, boxInk) } }
                let scale = max(2, image.height / 240)
                PixelFont.draw(label(faceID: faceID, confidence: o.confidence), x: Int(b.minX), y: Int(b.minY) - 8 - 6 * scale,
                               scale: scale, color: box, on: &image)
            }
        } else {
            drawLost(on: &image)
        }
    }

    /// A red bar in the top-left corner: no face tracked.
    static func drawLost<C: OverlayCanvas>(on image: inout C) {
        let ink = image.ink(lost)
        for y in 4..<10 { for x in 4..<40 { image.paint(x, y, ink) } }
    }

    /// The text above a tracked face's box.
    static func label(faceID: Int, confidence: Float) -> String {
        "ID \(faceID) " + String(format: "%.2f", confidence)
    }

    static func dot<C: OverlayCanvas>(_ p: Point, _ ink: C.Ink, _ img: inout C) {
        let (x, y) = (Int(p.x), Int(p.y))
        for dy in -1...1 { for dx in -1...1 { img.paint(x + dx, y + dy, ink) } }
    }

    static func segment<C: OverlayCanvas>(_ a: Point, _ b: Point, _ ink: C.Ink, _ img: inout C) {
        let n = Int(max(abs(b.x - a.x), abs(b.y - a.y)).rounded(.up))
        guard n > 0, n < 10_000 else { return }
        for k in 0...n {
            let t = Float(k) / Float(n)
            img.paint(Int(a.x + (b.x - a.x) * t), Int(a.y + (b.y - a.y) * t), ink)
        }
    }

    static func rect<C: OverlayCanvas>(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ ink: C.Ink, _ img: inout C) {
        guard x1 > x0, y1 > y0, x1 - x0 < 20_000, y1 - y0 < 20_000 else { return }
        for x in x0...x1 { img.paint(x, y0, ink); img.paint(x, y1, ink) }
        for y in y0...y1 { img.paint(x0, y, ink); img.paint(x1, y, ink) }
    }
}
