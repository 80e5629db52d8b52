import FaceDetect
import FaceGeometry

/// The detector's searches on one frame. Each whole-frame search (frontal, profile, rotated, at a
/// smallest face size) runs at most once, however many tracks look for a face on that frame; the
/// grey image is made once too. Lives for one frame only: it keeps a view of the frame's pixels.
final class FrameSearches {
    private let image: PixelView
    private let detector: FaceDetector
    private var found: [String: [FaceDetector.Detection]] = [:]
    private var cachedGrey: GreyImage?
    /// Whether any search ran on this frame.
    private(set) var searched = false

    init(image: PixelView, detector: FaceDetector) {
        self.image = image; self.detector = detector
    }

    /// The detector's grey picture: the luma (0.299 R + 0.587 G + 0.114 B) of the frame's RGB; for
    /// decoded 4:2:0 samples, of their conversion (`PixelView.packedRGB`), made only on frames the
    /// detector runs on. (The luma plane stretched to full range is the same up to rounding, but the
    /// cascades are that sensitive: it moved two acquisitions on the generated clips onto part of
    /// the face.)
    var grey: GreyImage {
        if let g = cachedGrey { return g }
        let g: GreyImage
        if image.isPacked {
            g = GreyImage(rgb: image.base, width: image.width, height: image.height, rowBytes: image.rowBytes)
        } else {
            let rgb = image.packedRGB(x0: 0, y0: 0, w: image.width, h: image.height)
            g = rgb.withUnsafeBufferPointer { GreyImage(rgb: $0.baseAddress!, width: image.width, height: image.height, rowBytes: 3 * image.width) }
        }
        cachedGrey = g
        return g
    }

    /// Frontal faces of at least `minFace` pixels in `region` (not shared: a region belongs to one track).
    func frontal(minFace: Int, region: PixelRect) -> [FaceDetector.Detection] {
        searched = true
        detector.setSizeRange(min: minFace, max: nil)
        return detector.detectFrontal(grey, region: region)
    }

    /// Frontal faces of at least `minFace` pixels anywhere in the frame.
    func frontal(minFace: Int) -> [FaceDetector.Detection] {
        shared("frontal", minFace) { detector.detectFrontal(grey) }
    }

    /// Profile faces (both sides) of at least `minFace` pixels anywhere in the frame.
    func profiles(minFace: Int) -> [FaceDetector.Detection] {
        shared("profile", minFace) { detector.detectProfiles(grey) }
    }

    /// Frontal faces in the frame rotated by `degrees`, of at least `minFace` pixels.
    func rotated(degrees: Float, minFace: Int) -> [FaceDetector.Detection] {
        shared("rotated \(degrees)", minFace) { detector.detectRotated(grey, degrees: degrees) }
    }

    private func shared(_ kind: String, _ minFace: Int, _ search: () -> [FaceDetector.Detection]) -> [FaceDetector.Detection] {
        let key = "\(kind) \(minFace)"
        if let f = found[key] { return f }
        searched = true
        detector.setSizeRange(min: minFace, max: nil)
        let f = search()
        found[key] = f
        return f
    }
}
