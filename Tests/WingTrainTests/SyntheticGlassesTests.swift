import Foundation
import XCTest
import FaceGeometry
import WingNN
@testable import WingTrain

final class SyntheticGlassesTests: XCTestCase {
    /// The mean shape in a 128-pixel crop, outer eye corners 50 pixels apart, turned by `roll` degrees.
    func shape(roll: Float) -> [Point] {
        let a = roll * .pi / 180, (c, s) = (cos(a), sin(a))
        return Landmarks68.meanShape.map { p in Point(64 + 50 * (c * p.x - s * p.y), 60 + 50 * (s * p.x + c * p.y)) }
    }

    /// The glasses follow the eye line, cover both eyes (darkened behind dark lenses, untouched behind
    /// clear ones), draw a frame on each lens's outer end and the bridge's middle, and leave every
    /// pixel away from them as it was.
    func testGlassesSitOnTheEyesAndTouchNothingElse() {
        let S = 128, plane = S * S, grey: Float = 200
        var sawDark = false, sawClear = false
        for (seed, roll) in zip(UInt64(0)..<24, [Float](repeating: 0, count: 8) + [Float](repeating: 30, count: 8) + [Float](repeating: -20, count: 8)) {
            let pts = shape(roll: roll)
            var x = [Float](repeating: grey, count: 3 * plane)
            var rng = SeededGenerator(seed: seed)
            let g = Augment.glasses(&x, size: S, shape: pts, rng: &rng)
            XCTAssertEqual(g.angle * 180 / .pi, roll, accuracy: 0.01, "seed \(seed)")
            func value(_ p: Point, _ c: Int = 0) -> Float { x[c * plane + Int(p.y) * S + Int(p.x)] }
            let eyes = [36..<42, 42..<48].map { r in r.reduce(Point(0, 0)) { $0 + pts[$1] } * (1 / 6) }
            for eye in eyes {
                if g.dark { XCTAssertLessThanOrEqual(value(eye), grey * 0.35 + 40 * 0.65 + 1e-3, "seed \(seed): dark lens over the eye") }
                else { XCTAssertEqual(value(eye), grey, "seed \(seed): clear lens over the eye") }
            }
            sawDark = sawDark || g.dark; sawClear = sawClear || !g.dark
            let along = Point(cos(g.angle), sin(g.angle)) * g.semiAxes.along
            let inner = [g.lenses[0] + along, g.lenses[1] - along]
            func darkest(near p: Point) -> Float {
                (-1...1).flatMap { dy in (-1...1).map { dx in value(Point(p.x + Float(dx), p.y + Float(dy))) } }.min()!
            }
            for p in [g.lenses[0] - along, g.lenses[1] + along, (inner[0] + inner[1]) * 0.5] {
                XCTAssertLessThanOrEqual(darkest(near: p), 70, "seed \(seed): frame at \(p)")
            }
            // Everything farther than a lens's longer semi-axis + the frame from both lens centres,
            // and off the bridge, is untouched.
            let reach = g.semiAxes.along + g.rim + 1.5
            var moved = 0
            for y in 0..<S { for xx in 0..<S {
                let p = Point(Float(xx) + 0.5, Float(y) + 0.5)
                let far = g.lenses.allSatisfy { ($0 - p).length > reach }
                let t = max(0, min(1, ((p - inner[0]).x * (inner[1] - inner[0]).x + (p - inner[0]).y * (inner[1] - inner[0]).y)
                                      / ((inner[1] - inner[0]).length * (inner[1] - inner[0]).length)))
                let offBridge = (p - (inner[0] + (inner[1] - inner[0]) * t)).length > g.rim / 2 + 1
                if far && offBridge { for c in 0..<3 where x[c * plane + y * S + xx] != grey { moved += 1 } }
            }}
            XCTAssertEqual(moved, 0, "seed \(seed): values changed away from the glasses")
        }
        XCTAssertTrue(sawDark && sawClear, "both kinds drawn over 24 seeds")
    }

    /// Configs from before the option decode with it off; a set probability survives the round trip.
    func testOlderConfigsDecodeWithoutGlasses() throws {
        let old = #"{"enabled":true,"brightness":25,"contrast":0.3,"channelGain":0.1,"greyscale":0.1,"blur":0.15,"noise":0.2,"jpeg":0.1,"occlusion":0.5}"#
        XCTAssertEqual(try JSONDecoder().decode(Photometric.self, from: Data(old.utf8)).glasses, 0)
        var on = Photometric(); on.glasses = 0.25
        XCTAssertEqual(try JSONDecoder().decode(Photometric.self, from: JSONEncoder().encode(on)).glasses, 0.25)
    }
}
