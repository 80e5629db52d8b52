#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in continuous image coordinates: origin at the top-left *corner* of the top-left pixel,
/// x right, y down; the centre of pixel (i, j) is (i + 0.5, j + 0.5).
public struct Point: Codable, Equatable, Hashable, Sendable {
    public var x: Float
    public var y: Float
    public init(_ x: Float, _ y: Float) { self.x = x; self.y = y }
    public init(x: Float, y: Float) { self.x = x; self.y = y }

    public static func + (a: Point, b: Point) -> Point { Point(a.x + b.x, a.y + b.y) }
    public static func - (a: Point, b: Point) -> Point { Point(a.x - b.x, a.y - b.y) }
    public static func * (a: Point, s: Float) -> Point { Point(a.x * s, a.y * s) }
    public var length: Float { (x * x + y * y).squareRoot() }
    public func distance(to o: Point) -> Float { (self - o).length }
}

/// Mean of a non-empty list of points.
public func centroid<C: Collection>(_ pts: C) -> Point where C.Element == Point {
    var sx: Float = 0, sy: Float = 0
    for p in pts { sx += p.x; sy += p.y }
    let n = Float(max(1, pts.count))
    return Point(sx / n, sy / n)
}
