#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// p' = A·p + t with A = s·[[cos θ, −sin θ], [sin θ, cos θ]] — a rotation, uniform scale and shift.
public struct SimilarityTransform: Equatable, Sendable {
    public var a: Float, b: Float, tx: Float, ty: Float   // A = [[a, −b], [b, a]]

    public init(a: Float, b: Float, tx: Float, ty: Float) { self.a = a; self.b = b; self.tx = tx; self.ty = ty }
    public init(scale: Float, angle: Float, tx: Float, ty: Float) {
        self.init(a: scale * cos(angle), b: scale * sin(angle), tx: tx, ty: ty)
    }
    public static let identity = SimilarityTransform(a: 1, b: 0, tx: 0, ty: 0)

    public var scale: Float { (a * a + b * b).squareRoot() }
    public var angle: Float { atan2(b, a) }

    @inline(__always)
    public func apply(_ p: Point) -> Point { Point(a * p.x - b * p.y + tx, b * p.x + a * p.y + ty) }
    public func apply(_ pts: [Point]) -> [Point] { pts.map(apply) }

    public var inverse: SimilarityTransform {
        let d = a * a + b * b
        let ia = a / d, ib = -b / d
        return SimilarityTransform(a: ia, b: ib, tx: -(ia * tx - ib * ty), ty: -(ib * tx + ia * ty))
    }

    /// `self` after `other`: p ↦ self(other(p)).
    public func after(_ o: SimilarityTransform) -> SimilarityTransform {
        SimilarityTransform(a: a * o.a - b * o.b, b: b * o.a + a * o.b,
                            tx: a * o.tx - b * o.ty + tx, ty: b * o.tx + a * o.ty + ty)
    }

    /// The map from an image into a square crop of `outputSize` pixels that shows the square of side
    /// `side` centred at `center`, rotated by `angle` (radians; the crop's x axis lies along `angle`
    /// in the image, so a face rolled by `angle` comes out upright).
    public static func crop(center: Point, side: Float, angle: Float, outputSize: Int) -> SimilarityTransform {
        let s = Float(outputSize) / side
        let r = SimilarityTransform(scale: s, angle: -angle, tx: 0, ty: 0)
        let c = r.apply(center)
        let half = Float(outputSize) / 2
        return SimilarityTransform(a: r.a, b: r.b, tx: half - c.x, ty: half - c.y)
    }
}
