import Foundation
import FaceDetect
import FaceGeometry

/// Follows up to `maxFaces` faces through a video, one `Tracker` per face id (0 ..< maxFaces).
///
/// Each frame, the tracks that hold a face go first (in id order), then the empty ones look for a
/// face (in id order). Every track leaves alone the faces the others hold — those already placed on
/// this frame and, for those still to come, where they were on the last frame — so two ids never
/// follow one face. A track that loses its face searches first where it lost it, so a person who
/// looks away usually comes back under the same id. The detector's whole-frame searches run at most
/// once per frame, shared by the tracks that need them. An extra id (≥ 1) without a face — before
/// its first, or a second after losing one — searches for frontal faces on every `newFaceInterval`-th
/// frame only (`Tracker.waitInterval`). With `maxFaces` 1 this is exactly `Tracker`.
public final class MultiFaceTracker {
    public let tracks: [Tracker]
    public let detector: FaceDetector
    /// Frames on which the detector ran.
    public private(set) var detectorRuns = 0

    public init(localizer: Localizer, detector: FaceDetector, options: Tracker.Options = Tracker.Options(), maxFaces: Int = 1,
                newFaceInterval: Int = 30) {
        precondition(maxFaces >= 1 && newFaceInterval >= 1, "at least one face, searched at least every frame")
        self.detector = detector
        tracks = (0..<maxFaces).map { id in
            let t = Tracker(localizer: localizer, detector: detector, options: options)
            t.waitInterval = id > 0 ? newFaceInterval : nil
            return t
        }
    }

    /// Processes one frame (packed RGB) shown at `timestamp` seconds; one observation per face id.
    public func process(_ image: PixelView, timestamp: Double) -> [Tracker.Observation] {
        let searches = FrameSearches(image: image, detector: detector)
        var result = [Tracker.Observation?](repeating: nil, count: tracks.count)
        var placed: [Box] = []
        let order = tracks.indices.filter { tracks[$0].isTracking } + tracks.indices.filter { !tracks[$0].isTracking }
        for (k, id) in order.enumerated() {
            let waiting = order[(k + 1)...].compactMap { tracks[$0].isTracking ? tracks[$0].lastBox : nil }
            let o = tracks[id].process(image, timestamp: timestamp, avoiding: placed + waiting, searches: searches)
            if o.success, let b = o.box { placed.append(b) }
            result[id] = o
        }
        if searches.searched { detectorRuns += 1 }
        return result.map { $0! }
    }

    /// (Re-)acquisitions over all face ids.
    public var acquisitions: Int { tracks.reduce(0) { $0 + $1.acquisitions } }

    /// Seconds per stage, summed over frames and face ids.
    public var timings: Tracker.Timings {
        tracks.reduce(into: Tracker.Timings()) { t, track in
            t.detector += track.timings.detector; t.cnn6 += track.timings.cnn6; t.cnn7 += track.timings.cnn7
        }
    }
}
