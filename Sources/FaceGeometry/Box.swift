/// An axis-aligned rectangle in continuous image coordinates.
public struct Box: Codable, Equatable, Sendable {
    public var minX: Float, minY: Float, maxX: Float, maxY: Float

    public init(minX: Float, minY: Float, maxX: Float, maxY: Float) {
        self.minX = minX; self.minY = minY; self.maxX = maxX; self.maxY = maxY
    }

    /// A square of side `side` centred at `center`.
    public init(center: Point, side: Float) {
        self.init(minX: center.x - side / 2, minY: center.y - side / 2, maxX: center.x + side / 2, maxY: center.y + side / 2)
    }

    /// The bounding box of a non-empty point set.
    public init<C: Collection>(bounding pts: C) where C.Element == Point {
        var b = Box(minX: .infinity, minY: .infinity, maxX: -.infinity, maxY: -.infinity)
        for p in pts { b.minX = min(b.minX, p.x); b.minY = min(b.minY, p.y); b.maxX = max(b.maxX, p.x); b.maxY = max(b.maxY, p.y) }
        self = b
    }

    public var width: Float { maxX - minX }
    public var height: Float { maxY - minY }
    public var center: Point { Point((minX + maxX) / 2, (minY + maxY) / 2) }
    public var area: Float { max(0, width) * max(0, height) }
    /// Side of the smallest centred square holding the box.
    public var squareSide: Float { max(width, height) }

    /// Whether `p` lies inside the box (edges included).
    public func contains(_ p: Point) -> Bool { p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY }

    /// Intersection over union with another box (0 when disjoint).
    public func iou(_ o: Box) -> Float {
        let iw = min(maxX, o.maxX) - max(minX, o.minX), ih = min(maxY, o.maxY) - max(minY, o.minY)
        guard iw > 0, ih > 0 else { return 0 }
        let inter = iw * ih
        return inter / (area + o.area - inter)
    }
}
