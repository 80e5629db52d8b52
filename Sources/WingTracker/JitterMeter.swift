import FaceGeometry

/// Frame-to-frame jitter of tracked landmarks: the mean over points of |p_t − (p_{t−1} + p_{t+1}) / 2|,
/// divided by the inter-ocular distance (points 36, 45) at t, averaged over every frame whose two
/// neighbours were tracked too. Smooth motion scores near 0; noise scores its size.
public struct JitterMeter: Sendable {
    private var last: [Point]?, beforeLast: [Point]?
    private var sum = 0.0
    public private(set) var count = 0

    public init() {}

    /// Adds the next frame's landmarks (nil when the frame was not tracked).
    public mutating func add(_ landmarks: [Point]?) {
        if let next = landmarks, let p = last, let a = beforeLast {
            let iod = Double(p[36].distance(to: p[45]))
            if iod > 0 { sum += Self.secondDifference(a, p, next) / iod; count += 1 }
        }
        beforeLast = landmarks == nil ? nil : last
        last = landmarks
    }

    /// Mean over points of |p_t − (p_{t−1} + p_{t+1}) / 2|, in pixels.
    public static func secondDifference(_ a: [Point], _ p: [Point], _ b: [Point]) -> Double {
        var s = 0.0
        for i in p.indices { s += Double(p[i].distance(to: (a[i] + b[i]) * 0.5)) }
        return s / Double(p.count)
    }

    /// The mean jitter so far (nil before the first measurable frame).
    public var value: Double? { count > 0 ? sum / Double(count) : nil }

    /// The mean over every measurable frame of several meters (nil when none has one).
    public static func pooled(_ meters: [JitterMeter]) -> Double? {
        let n = meters.reduce(0) { $0 + $1.count }
        return n > 0 ? meters.reduce(0) { $0 + $1.sum } / Double(n) : nil
    }
}
