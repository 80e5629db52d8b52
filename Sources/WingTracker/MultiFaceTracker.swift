import Foundation
import FaceDetect
import FaceGeometry
import WingNN
import MediaIO

/// Follows up to `maxFaces` faces through a video, one `Tracker` per face id (0 ..< maxFaces).
///
/// Each frame, in three steps:
/// 1. the ids that hold a face follow it, each leaving alone the faces the other ids held on the
///    last frame (a face that lands on one of them is lost);
/// 2. where two ids still landed on one face (their boxes overlap by more than half), the lower id
///    keeps it;
/// 3. the ids without a face search, those that just lost theirs first (around where they lost it,
///    so a person who looks away comes back under the same id), then the waiting ones, each in id
///    order, skipping faces already placed on this frame.
///
/// Two ids therefore never follow one face. The detector's whole-frame searches run at most once per
/// frame, shared by the ids that need them. An extra id (≥ 1) without a face — before its first, or
/// a second after losing one — searches for frontal faces on every `newFaceInterval`-th frame only
/// (`Tracker.waitInterval`). With a `helper` localiser (same weights) step 1 runs the faces on two
/// threads; the results are the same either way. With `maxFaces` 1 this is exactly `Tracker`, and
/// with `options.pairedFrames` it takes two frames at a time (`framesPerStep`, `Tracker.processPair`),
/// on two threads when given a `helper`.
public final class MultiFaceTracker {
    public let tracks: [Tracker]
    public let detector: FaceDetector
    /// Frames on which the detector ran.
    public private(set) var detectorRuns = 0
    private let localizers: [Localizer]
    /// Frames `process(_:)` takes at a time: 2 when one face is followed with `pairedFrames`, else 1.
    public let framesPerStep: Int
    /// The localisers of a pair's two frames when they run at once (each without a helper thread).
    private let pairLocalizers: (Localizer, Localizer)?

    public init(localizer: Localizer, detector: FaceDetector, options: Tracker.Options = Tracker.Options(), maxFaces: Int = 1,
                newFaceInterval: Int = 30, helper: Localizer? = nil) {
        precondition(maxFaces >= 1 && newFaceInterval >= 1, "at least one face, searched at least every frame")
        self.detector = detector
        localizers = [localizer] + (helper.map { [$0] } ?? [])
        tracks = (0..<maxFaces).map { id in
            let t = Tracker(localizer: localizer, detector: detector, options: options)
            t.waitInterval = id > 0 ? newFaceInterval : nil
            return t
        }
        framesPerStep = Self.framesPerStep(maxFaces: maxFaces, options: options)
        pairLocalizers = framesPerStep == 2 ? helper.map { (localizer.twin(), $0) } : nil
    }

    /// 2 when one face is followed with `options.pairedFrames` (several faces go frame by frame), else 1.
    public static func framesPerStep(maxFaces: Int, options: Tracker.Options) -> Int {
        maxFaces == 1 && options.pairedFrames ? 2 : 1
    }

    /// The next `framesPerStep` frames from `next` (fewer at the end of a video, none after it).
    public func nextStep(from next: () -> Frame?) -> [Frame] {
        var frames: [Frame] = []
        while frames.count < framesPerStep, let f = next() { frames.append(f) }
        return frames
    }

    /// Processes the consecutive frames `nextStep` gave; one observation per face id for each frame.
    public func process(_ frames: [Frame]) -> [[Tracker.Observation]] {
        precondition((1...framesPerStep).contains(frames.count), "one frame, or two with paired frames")
        return frames.withPixelViews { views in
            guard views.count == 2 else { return [process(views[0].image, timestamp: views[0].timestamp)] }
            let track = tracks[0], runsBefore = track.detectorRuns
            let (a, b) = track.processPair(views[0].image, at: views[0].timestamp, views[1].image, at: views[1].timestamp,
                                           localizers: pairLocalizers ?? (localizers[0], localizers[0]), parallel: pairLocalizers != nil)
            detectorRuns += track.detectorRuns - runsBefore
            return [[a], [b]]
        }
    }

    /// Processes one frame (packed RGB or 4:2:0 samples, `PixelView`) shown at `timestamp` seconds; one
    /// observation per face id.
    public func process(_ image: PixelView, timestamp: Double) -> [Tracker.Observation] {
        let following = tracks.indices.filter { tracks[$0].isTracking }
        let held = following.map { tracks[$0].lastBox! }
        // 1. Follow: worker w takes the w-th, (w + n)-th, … following id with localiser w.
        let workers = min(localizers.count, following.count)
        let followed = runEach(workers, parallel: workers > 1) { w in
            stride(from: w, to: following.count, by: workers).map { k in
                let others = held.indices.filter { $0 != k }.map { held[$0] }
                return (following[k], tracks[following[k]].follow(image, timestamp: timestamp, avoiding: others, with: localizers[w]))
            }
        }
        var observations = [Tracker.Observation?](repeating: nil, count: tracks.count)
        for (id, o) in followed.joined() { observations[id] = o }
        // 2. One face, one id: the lower id keeps it.
        var placed: [Box] = []
        for id in following {
            guard let o = observations[id] else { continue }
            if Tracker.isHeld(o.landmarks!, by: placed) { tracks[id].drop(); observations[id] = nil } else { placed.append(o.box!) }
        }
        // 3. Search: ids that lost their face on this frame first, then the waiting ones.
        let searches = FrameSearches(image: image, detector: detector)
        let lost = following.filter { observations[$0] == nil }, waiting = tracks.indices.filter { !following.contains($0) }
        for id in lost + waiting {
            let o = tracks[id].acquire(image, at: timestamp, avoiding: placed, searches: searches)
            if o.success, let b = o.box { placed.append(b) }
            observations[id] = o
        }
        if searches.searched { detectorRuns += 1 }
        return observations.map { $0! }
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
