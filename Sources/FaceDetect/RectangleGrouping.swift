/// An integer rectangle in pixels (detector output before calibration).
public struct PixelRect: Equatable, Sendable, Codable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) { self.x = x; self.y = y; self.width = width; self.height = height }
}

/// OpenCV's `groupRectangles`: clusters of similar raw hits become one rectangle (their mean), with
/// the cluster size as score; clusters of `minNeighbors` or fewer hits are dropped, and so is a
/// cluster inside a stronger one.
public func groupRectangles(_ rects: [PixelRect], minNeighbors: Int, eps: Double = 0.2) -> [(rect: PixelRect, neighbors: Int)] {
    guard !rects.isEmpty else { return [] }
    func similar(_ a: PixelRect, _ b: PixelRect) -> Bool {
        let delta = eps * Double(min(a.width, b.width) + min(a.height, b.height)) * 0.5
        return Double(abs(a.x - b.x)) <= delta && Double(abs(a.y - b.y)) <= delta
            && Double(abs(a.x + a.width - b.x - b.width)) <= delta && Double(abs(a.y + a.height - b.y - b.height)) <= delta
    }
    // Union-find partition.
    var parent = Array(rects.indices)
    func find(_ i: Int) -> Int { var i = i; while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }; return i }
    for i in rects.indices { for j in (i + 1)..<rects.count where similar(rects[i], rects[j]) {
        let (a, b) = (find(i), find(j)); if a != b { parent[b] = a }
    } }
    var sums: [Int: (Int, Int, Int, Int, Int)] = [:]
    for i in rects.indices {
        let r = rects[i], k = find(i)
        let s = sums[k] ?? (0, 0, 0, 0, 0)
        sums[k] = (s.0 + r.x, s.1 + r.y, s.2 + r.width, s.3 + r.height, s.4 + 1)
    }
    let clusters: [(PixelRect, Int)] = sums.keys.sorted().map { k in
        let s = sums[k]!
        let n = Double(s.4)
        return (PixelRect(x: Int((Double(s.0) / n).rounded()), y: Int((Double(s.1) / n).rounded()),
                          width: Int((Double(s.2) / n).rounded()), height: Int((Double(s.3) / n).rounded())), s.4)
    }.filter { $0.1 > minNeighbors }
    // Drop clusters inside a stronger (or comparable) one.
    return clusters.enumerated().filter { i, c in
        !clusters.enumerated().contains { j, d in
            guard i != j else { return false }
            let dx = Int((Double(d.0.width) * eps).rounded()), dy = Int((Double(d.0.height) * eps).rounded())
            let inside = c.0.x >= d.0.x - dx && c.0.y >= d.0.y - dy && c.0.x + c.0.width <= d.0.x + d.0.width + dx
                && c.0.y + c.0.height <= d.0.y + d.0.height + dy
            return inside && (d.1 > max(3, c.1) || c.1 < 3)
        }
    }.map { (rect: $0.1.0, neighbors: $0.1.1) }
}
