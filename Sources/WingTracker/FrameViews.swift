import FaceGeometry
import MediaIO

extension Array where Element == Frame {
    /// Calls `body` with each frame's pixels (packed RGB) as a view, and its timestamp; the views are
    /// valid only during the call.
    func withPixelViews<R>(_ body: ([(image: PixelView, timestamp: Double)]) -> R) -> R {
        func views(from i: Int, _ done: [(image: PixelView, timestamp: Double)]) -> R {
            guard i < count else { return body(done) }
            let f = self[i]
            return f.image.data.withUnsafeBufferPointer { px in
                views(from: i + 1, done + [(PixelView(base: px.baseAddress!, width: f.image.width, height: f.image.height, channels: 3,
                                                      rowBytes: f.image.rowBytes), f.timestamp)])
            }
        }
        return views(from: 0, [])
    }
}
