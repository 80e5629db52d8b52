import Foundation
import FaceDetect
import FaceGeometry

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
        framesPerStep = maxFaces == 1 && options.pairedFrames ? 2 : 1
        pairLocalizers = framesPerStep == 2 ? helper.map { (localizer.twin(), $0) } : nil
    }

    /// Processes `framesPerStep` consecutive frames (fewer at the end of a video); one observation per
    /// face id for each frame.
    public func process(_ frames: [(image: PixelView, timestamp: Double)]) -> [[Tracker.Observation]] {
        precondition((1...framesPerStep).contains(frames.count), "one frame, or two with paired frames")
        guard frames.count == 2 else { return [process(frames[0].image, timestamp: frames[0].timestamp)] }
        let track = tracks[0], runsBefore = track.detectorRuns
        let (a, b) = track.processPair(frames[0].image, at: frames[0].timestamp, frames[1].image, at: frames[1].timestamp,
                                       localizers: pairLocalizers ?? (localizers[0], localizers[0]), parallel: pairLocalizers != nil)
        detectorRuns += track.detectorRuns - runsBefore
        return [[a], [b]]
    }

    /// Processes one frame (packed RGB) shown at `timestamp` seconds; one observation per face id.
    public func process(_ image: PixelView, timestamp: Double) -> [Tracker.Observation] {
        let following = tracks.indices.filter { tracks[$0].isTracking }
        let held = following.map { tracks[$0].lastBox! }
        // 1. Follow: worker w takes the w-th, (w + n)-th, … following id with localiser w.
        let results = ResultSlots(count: tracks.count)
        let workers = min(localizers.count, following.count)
        let follow = { (w: Int) in
            for k in stride(from: w, to: following.count, by: max(1, workers)) {
                let others = held.indices.filter { $0 != k }.map { held[$0] }
                results[following[k]] = self.tracks[following[k]].follow(image, timestamp: timestamp, avoiding: others,
                                                                          with: self.localizers[w])
            }
        }
        if workers > 1 { DispatchQueue.concurrentPerform(iterations: workers, execute: follow) } else { follow(0) }
        // 2. One face, one id: the lower id keeps it.
        var observations = results.values
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

/// One observation slot per face id, written by the worker threads of step 1 (each slot by one thread).
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Tracker.Observation?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    subscript(id: Int) -> Tracker.Observation? {
        get { lock.lock(); defer { lock.unlock() }; return slots[id] }
        set { lock.lock(); slots[id] = newValue; lock.unlock() }
    }
    var values: [Tracker.Observation?] { lock.lock(); defer { lock.unlock() }; return slots }
}
