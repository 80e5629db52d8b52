import FaceGeometry
import MediaIO

extension Array where Element == Frame {
    /// Calls `body` with each frame's pixels as a view, and its timestamp: its packed RGB when it has
    /// them, else its decoded 4:2:0 samples (which the crops read as RGB). The views are valid only
    /// during the call.
    func withPixelViews<R>(_ body: ([(image: PixelView, timestamp: Double)]) -> R) -> R {
        func views(from i: Int, _ done: [(image: PixelView, timestamp: Double)]) -> R {
            guard i < count else { return body(done) }
            let f = self[i]
            if let image = f.packed {
                return image.data.withUnsafeBufferPointer { px in
                    views(from: i + 1, done + [(PixelView(base: px.baseAddress!, width: image.width, height: image.height, channels: 3,
                                                          rowBytes: image.rowBytes), f.timestamp)])
                }
            }
            let p = f.planes!
            let (kr, kb) = p.matrix.weights
            return p.luma.withUnsafeBufferPointer { y in
                p.cb.withUnsafeBufferPointer { cb in
                    p.cr.withUnsafeBufferPointer { cr in
                        let chroma = PixelView.Chroma(cb: cb.baseAddress!, cr: cr.baseAddress!, rowBytes: p.chromaWidth, kr: Float(kr), kb: Float(kb))
                        return views(from: i + 1, done + [(PixelView(luma: y.baseAddress!, lumaRowBytes: p.width, width: p.width, height: p.height,
                                                                     chroma: chroma), f.timestamp)])
                    }
                }
            }
        }
        return views(from: 0, [])
    }
}
