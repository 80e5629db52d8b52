import Foundation
import FaceGeometry
import WingNN

extension Augment {
    /// The shape of one pair of drawn glasses, in crop pixels.
    public struct Glasses: Sendable {
        /// Lens centres (each a little above its eye's centre) and semi-axes along and across the eye line.
        public var lenses: [Point]
        public var semiAxes: (along: Float, across: Float)
        /// The eye line's angle (radians).
        public var angle: Float
        /// Frame (rim and bridge) thickness in pixels.
        public var rim: Float
        /// Sunglasses: the lenses darken what is behind them; otherwise they are clear (rim only).
        public var dark: Bool
    }

    /// Draws glasses over the eyes of the 68-point `shape` (crop pixels) on the planar crop `x`
    /// (`[3, S, S]`, 0…255): two elliptical lenses about the eyes (semi-axis along the eye line
    /// 0.8–1.15 of the eye's width), a dark frame 1–3 pixels thick (per 128 pixels of crop) with a
    /// bridge between the lenses, and half the time dark tinted lenses (sunglasses) that keep 5–35 %
    /// of the light. The targets stay the true points, as with `occlude`. Why: faces with glasses,
    /// dark ones above all, are where a narrow network lost to the wide one on the generated clips;
    /// faces68 has few of them (docs/experiments.md, "Schedule 24" and "Schedule 25"). Returns what
    /// was drawn.
    @discardableResult
    public static func glasses(_ x: inout [Float], size S: Int, shape: [Point], rng: inout SeededGenerator) -> Glasses {
        let (left, right) = Landmarks68.eyeCentres(shape)
        let widths = [(36, 39), (42, 45)].map { shape[$0.0].distance(to: shape[$0.1]) }
        let angle = Landmarks68.eyeLineRoll(shape)
        let up = Point(sin(angle), -cos(angle))   // perpendicular to the eye line, towards the brows
        let eyeWidth = max(1, (widths[0] + widths[1]) / 2)
        let along = eyeWidth * Float.random(in: 0.8...1.15, using: &rng)
        let across = along * Float.random(in: 0.65...0.9, using: &rng)
        let lift = eyeWidth * Float.random(in: 0...0.15, using: &rng)
        let rim = Float(S) / 128 * Float.random(in: 1...3, using: &rng)
        let dark = Bool.random(using: &rng)
        let keep = Float.random(in: 0.05...0.35, using: &rng)
        let frame = (0..<3).map { _ in Float.random(in: 0...70, using: &rng) }
        let tint = (0..<3).map { _ in Float.random(in: 0...40, using: &rng) }
        let g = Glasses(lenses: [left, right].map { $0 + up * lift }, semiAxes: (along, across), angle: angle, rim: rim, dark: dark)

        let (c, s) = (cos(angle), sin(angle))
        let plane = S * S
        // The bridge: the segment between the lenses' inner ends, on the line through their centres.
        let inner = [g.lenses[0] + Point(c, s) * along, g.lenses[1] - Point(c, s) * along]
        let reach = Int((along + rim + 2).rounded(.up))
        let (l0, l1) = (g.lenses[0], g.lenses[1])
        let x0 = max(0, Int(min(l0.x, l1.x)) - reach), x1 = min(S, Int(max(l0.x, l1.x)) + reach + 1)
        let y0 = max(0, Int(min(l0.y, l1.y)) - reach), y1 = min(S, Int(max(l0.y, l1.y)) + reach + 1)
        let (xs, ys) = (x0..<max(x0, x1), y0..<max(y0, y1))   // empty when the eyes are off the crop
        for y in ys { for xx in xs {
            let p = Point(Float(xx) + 0.5, Float(y) + 0.5)
            var onFrame = distanceToSegment(p, inner[0], inner[1]) <= rim / 2
            var inLens = false
            for centre in g.lenses {
                let d = p - centre
                let u = (d.x * c + d.y * s) / along, v = (-d.x * s + d.y * c) / across
                let r = (u * u + v * v).squareRoot()   // 1 on the ellipse
                if r < 1 { inLens = true }
                if abs(r - 1) * min(along, across) <= rim / 2 { onFrame = true }
            }
            for ch in 0..<3 {
                let i = ch * plane + y * S + xx
                if onFrame { x[i] = frame[ch] } else if inLens, dark { x[i] = x[i] * keep + tint[ch] * (1 - keep) }
            }
        }}
        return g
    }

    private static func distanceToSegment(_ p: Point, _ a: Point, _ b: Point) -> Float {
        let ab = b - a, ap = p - a
        let t = max(0, min(1, (ap.x * ab.x + ap.y * ab.y) / max(1e-6, ab.x * ab.x + ab.y * ab.y)))
        return (p - (a + ab * t)).length
    }
}
