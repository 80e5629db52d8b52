import Foundation
import FaceDetect
import FaceGeometry
import WingNN

/// Follows one face through the frames of a video.
///
/// Acquires with the detector; then seeds each frame's crop and roll from the previous frame's
/// landmarks. A frame succeeds when the face score is at least `scoreThreshold`; below it the face
/// is lost and the detector runs again (around the last position first, then on the whole frame),
/// on that frame and on later ones until it finds the face (on fewer of them as a loss goes on:
/// `searches(onLostFrame:maxInterval:)`). Several trackers follow several faces (`MultiFaceTracker`):
/// each is told the boxes of the faces the others hold and leaves them alone. Not thread-safe: one
/// tracker per face and video.
public final class Tracker {
    public enum Stage1Policy: String, Sendable, CaseIterable {
        /// CNN-6 on every frame, as in the paper's pipeline.
        case everyFrame = "every-frame"
        /// CNN-6 only at (re-)acquisition; tracked frames go straight to CNN-7 from the previous landmarks.
        case acquisitionOnly = "acquisition-only"
    }

    public struct Options: Sendable {
        /// The face score a frame needs to count as tracked (and a find to be taken). 0.7 since the
        /// twenty-second session: it tracks the same frames as 0.5 on every clip measured and halves
        /// the non-face boxes accepted (`evaluate --face-score`, docs/tracking.md).
        public var scoreThreshold: Float = 0.7
        public var stage1: Stage1Policy = .everyFrame
        /// Seed each frame's crop from the previous landmarks moved by their last frame-to-frame
        /// displacement (constant velocity), instead of from the previous landmarks as they were.
        public var constantVelocity = true
        /// One-Euro smoothing of the landmark coordinates (nil = none).
        public var smoothing: OneEuroFilter? = OneEuroFilter(minCutoff: 2, beta: 1)
        /// During a long loss the detector searches every frame, then every 2nd, 4th, … frame, at most
        /// every `maxSearchInterval`-th (1 = every frame): see `searches(onLostFrame:maxInterval:)`.
        public var maxSearchInterval = 8
        /// Follow one face two frames at a time (`processPair`), so the two frames can run on two
        /// cores at once; the second frame's crop is then seeded two frames ahead. Measured: the
        /// same accuracy and 11–17 % more frames per second for one video on two cores, but more
        /// frame-to-frame noise on fast-moving faces (docs/tracking.md), so not the default.
        public var pairedFrames = false
        public init() {}

        /// The settings as text, for output files.
        public var summary: [String: String] {
            ["stage1": stage1.rawValue, "threshold": "\(scoreThreshold)", "constant_velocity": "\(constantVelocity)",
             "smooth": smoothing.map { "one-euro(\($0.minCutoff) Hz, β \($0.beta))" } ?? "none",
             "max_search_interval": "\(maxSearchInterval)", "paired_frames": "\(pairedFrames)"]
        }
    }

    /// What the tracker saw in one frame.
    public struct Observation: Sendable {
        public var success: Bool
        /// Face score of the final stage (0…1); 0 when no face was found at all.
        public var confidence: Float
        /// 68 points (image coordinates) when `success`.
        public var landmarks: [Point]?
        /// The landmarks' bounding box when `success`.
        public var box: Box?
        /// True on the frame where the face was (re-)acquired by the detector.
        public var acquired: Bool
    }

    /// Seconds spent per stage, summed over frames.
    public struct Timings: Codable, Sendable {
        public var detector = 0.0, cnn6 = 0.0, cnn7 = 0.0
    }

    public let localizer: Localizer
    public let detector: FaceDetector
    public var options: Options
    public private(set) var acquisitions = 0
    public private(set) var detectorRuns = 0
    public private(set) var timings = Timings()
    private var previous: [Point]?
    private var beforePrevious: [Point]?
    /// The last tracked face's box (kept after a loss: the search looks there first).
    public private(set) var lastBox: Box?
    /// Whether the previous frame ended with a tracked face.
    public var isTracking: Bool { previous != nil }
    /// For the extra face ids of multi-face tracking (nil for the first): while the id waits for a
    /// face — before its first, and once a loss has lasted `recentLossFrames` — it searches for
    /// frontal faces only, on the frames `waitSearches(onFrame:interval:)` picks (at most every
    /// `waitInterval`-th once it has waited that long). Its searches cost the frame rate of the faces
    /// being tracked, for a person who may never come.
    public var waitInterval: Int?
    /// Consecutive frames without a face (sets the search schedule and the smallest face searched).
    private var framesLost = 0
    /// Detector searches during the current loss (selects the extra search).
    private var lossSearches = 0
    private var filters: [OneEuroFilter] = []

    public init(localizer: Localizer, detector: FaceDetector, options: Options = Options()) {
        self.localizer = localizer; self.detector = detector; self.options = options
    }

    /// Processes one frame (packed RGB or 4:2:0 samples, `PixelView`) shown at `timestamp` seconds.
    public func process(_ image: PixelView, timestamp: Double) -> Observation {
        follow(image, timestamp: timestamp, avoiding: [], with: localizer)
            ?? acquire(image, at: timestamp, avoiding: [], searches: FrameSearches(image: image, detector: detector))
    }

    /// The tracked path: the face seeded from the previous frame's landmarks, or nil when there is
    /// none, its score falls below the threshold or it lands on a face in `avoiding` (other tracks'
    /// boxes; then the face is lost: `acquire` comes next). Runs `localizer` (this tracker's, or
    /// one with the same weights on another thread), never the detector.
    func follow(_ image: PixelView, timestamp: Double, avoiding: [Box], with localizer: Localizer) -> Observation? {
        guard let seed = seed(lead: 1) else { return nil }
        let (r, t) = measure(image, from: seed, with: localizer)
        add(t)
        return commit(r, at: timestamp, avoiding: avoiding)
    }

    /// Two consecutive frames, for following one face on two threads at once: while a face is
    /// tracked, both frames are seeded from the landmarks before the pair — the second two frames
    /// ahead at the same velocity — so neither waits for the other. `parallel` runs the two at once,
    /// one on each localiser (same weights); otherwise both run on `localizers.0`, one after the
    /// other. The answers are the same either way. The second frame's answer counts when the first
    /// frame was followed (not re-acquired) and its own score passes; otherwise the second frame is
    /// processed as `process` does (followed from the first, or searched). Without a tracked face
    /// before the pair, both frames are processed as `process` does.
    public func processPair(_ a: PixelView, at ta: Double, _ b: PixelView, at tb: Double,
                            localizers: (Localizer, Localizer), parallel: Bool) -> (Observation, Observation) {
        guard let seedA = seed(lead: 1), let seedB = seed(lead: 2) else {
            let oA = process(a, timestamp: ta)
            return (oA, process(b, timestamp: tb))
        }
        let r = runEach(2, parallel: parallel) { i in
            i == 0 ? measure(a, from: seedA, with: localizers.0) : measure(b, from: seedB, with: parallel ? localizers.1 : localizers.0)
        }
        add(r[0].1); add(r[1].1)
        let oA = commit(r[0].0, at: ta, avoiding: [])
            ?? acquire(a, at: ta, avoiding: [], searches: FrameSearches(image: a, detector: detector))
        if oA.success && !oA.acquired, let oB = commit(r[1].0, at: tb, avoiding: [], keepOnFailure: true) {
            return (oA, oB)
        }
        return (oA, process(b, timestamp: tb))
    }

    /// The crop seed for the frame `lead` frames after the last tracked one: its landmarks, moved
    /// `lead` times by their last frame-to-frame displacement with `constantVelocity`; nil when the
    /// last frame had no tracked face.
    private func seed(lead: Int) -> [Point]? {
        guard let prev = previous else { return nil }
        guard options.constantVelocity, let before = beforePrevious else { return prev }
        let v = (centroid(prev) - centroid(before)) * Float(lead)
        return prev.map { $0 + v }
    }

    /// CNN-6 (unless the policy skips it) and CNN-7 from `seed` on `localizer`, and the seconds each
    /// took. Changes nothing in the tracker, so two frames can be measured at once on two localisers.
    private func measure(_ image: PixelView, from seed: [Point], with localizer: Localizer) -> (Localizer.Result, Timings) {
        var t = Timings()
        let shape: [Point]
        var coarseScore: Float = 1
        // Without CNN-7 there is nothing to track with but CNN-6, whatever the policy.
        if options.stage1 == .everyFrame || localizer.stage2 == nil {
            let t0 = DispatchTime.now()
            (shape, coarseScore) = localizer.coarse(image, around: seed)
            t.cnn6 = seconds(since: t0)
        } else {
            shape = seed
        }
        let t1 = DispatchTime.now()
        let r = localizer.refine(image, from: shape, coarseScore: coarseScore)
        t.cnn7 = seconds(since: t1)
        return (r, t)
    }

    private func add(_ t: Timings) { timings.cnn6 += t.cnn6; timings.cnn7 += t.cnn7 }

    /// Accepts a followed frame's answer when its score passes and it is not on a face in `avoiding`;
    /// otherwise the face is lost (unless `keepOnFailure`: the caller tries again) and nil is returned.
    private func commit(_ r: Localizer.Result, at timestamp: Double, avoiding: [Box], keepOnFailure: Bool = false) -> Observation? {
        if r.faceScore >= options.scoreThreshold && !Self.isHeld(r.landmarks, by: avoiding) {
            return accept(r, at: timestamp, acquired: false)
        }
        if !keepOnFailure { drop() }
        return nil
    }

    /// Lets the face go (lost, or held by another track); the next frame searches for one.
    func drop() { previous = nil; beforePrevious = nil }

    /// Whether landmarks are those of a face another track holds: their box overlaps one of `boxes`
    /// by more than half (intersection over union).
    static func isHeld(_ landmarks: [Point], by boxes: [Box]) -> Bool {
        guard !boxes.isEmpty else { return false }
        let b = Box(bounding: landmarks)
        return boxes.contains { $0.iou(b) > 0.5 }
    }

    /// A find scoring at least this (or the threshold, if higher) ends an acquisition's searches at
    /// once; under it the costlier searches run too. Faces the networks see whole score 0.99 and more;
    /// parts of a face found by the frontal cascade scored 0.47–0.75 (docs/tracking.md).
    public static let sureScore: Float = 0.9

    /// Lost frames during which the search looks only for faces at least half the last size.
    static let recentLossFrames = 30

    /// Detector searches on a frame without a tracked face, cheapest first: the frontal cascade around
    /// the last known position, then on the whole frame. When those find no face that the networks
    /// score at `sureScore` (nothing, or only part of a face or of the background), three more costly
    /// searches run. One is a different one on each successive search of the loss: the profile
    /// cascade on both sides, then the frame rotated by +30°, then by −30° (faces rolled beyond the
    /// frontal cascade's reach of about ±10°). The second is the frame rotated by +15° and −15° in turn
    /// (`bridgingRolls`): faces rolled 10–20° fall between the upright and the ±30° views, and were
    /// found up to 12 frames late without it. The third is the frame rotated by +60°, −60°, +90° and
    /// −90° in turn (`wideRolls`): a head tilted far to the side (lying down, a phone held sideways)
    /// was not found until it came within about 40° of upright (docs/tracking.md).
    static let extraSearches: [(kind: String, degrees: Float)] = [("profile", 0), ("rotated", 30), ("rotated", -30)]
    static let bridgingRolls: [Float] = [15, -15]
    static let wideRolls: [Float] = [60, -60, 90, -90]

    /// Whether the detector searches on the `n`-th consecutive frame without a face (0-based): on
    /// every frame for the first `recentLossFrames`, then every 2nd frame for as many again, every 4th
    /// for twice as many, and so on up to every `maxInterval`-th. A face-free stretch then costs a
    /// fraction of a full search per frame (one 720p search takes about half a second), and a face
    /// that comes back after a long absence is found at most `maxInterval − 1` frames late.
    public static func searches(onLostFrame n: Int, maxInterval: Int) -> Bool {
        var interval = 1, end = recentLossFrames
        while n >= end && interval < maxInterval { interval = min(2 * interval, maxInterval); end *= 2 }
        return n % interval == 0
    }

    /// Whether a waiting id searches on the `n`-th frame of its wait (0-based): on frames 0, 1, 2, 4,
    /// 8, … while `n` < `interval`, so a face the detector misses on the first frame is soon tried
    /// again, then on every `interval`-th frame.
    public static func waitSearches(onFrame n: Int, interval: Int) -> Bool {
        n < interval ? n & (n - 1) == 0 : n % interval == 0
    }

    /// The detector's search for a face (when the loss schedule says so) and the best of its three
    /// strongest finds that no other track holds: a detection whose centre lies in a box of
    /// `avoiding` is skipped. `searches` holds this frame's searches, shared with the other tracks.
    func acquire(_ image: PixelView, at timestamp: Double, avoiding: [Box], searches: FrameSearches) -> Observation {
        let waiting = waitInterval.map { _ in acquisitions == 0 || framesLost >= Self.recentLossFrames } ?? false
        let searchesNow = waiting ? Self.waitSearches(onFrame: framesLost, interval: waitInterval!)
            : Self.searches(onLostFrame: framesLost, maxInterval: options.maxSearchInterval)
        guard searchesNow else {
            framesLost += 1
            return Observation(success: false, confidence: 0, landmarks: nil, box: nil, acquired: false)
        }
        // Shortly after a loss the face is about the size it was: skip windows under half that size
        // (most of the scan's cost is in the small scales). After a second, search every size again.
        var minFace = max(24, min(image.width, image.height) / 16)
        if let b = lastBox, framesLost < Self.recentLossFrames { minFace = max(minFace, Int(b.squareSide * 0.5)) }
        detectorRuns += 1
        // Faces other tracks hold are not candidates.
        func free(_ d: [FaceDetector.Detection]) -> [FaceDetector.Detection] {
            d.filter { det in !avoiding.contains { $0.contains(det.box.center) } }
        }
        // The searches, cheapest first; each runs unless a find of those before it scored
        // `sureScore`. A frontal find on part of a face (an ear, the hair) can score just over the
        // threshold, and must not hide a rolled face that only a costlier search finds; the best
        // find of all the searches that ran is taken (docs/tracking.md).
        // Each search with the least score its finds count at (0: any, the threshold decides): a head
        // tilted far to the side is rare, so a wide-roll find must be sure (one took a small patch
        // beside a tilted face at 0.7–0.9).
        var order: [(search: () -> [FaceDetector.Detection], minScore: Float)] = []
        let sure = max(options.scoreThreshold, Self.sureScore)
        if let b = lastBox {
            let side = Int(b.squareSide * 2.5)
            let region = PixelRect(x: Int(b.center.x) - side / 2, y: Int(b.center.y) - side / 2, width: side, height: side)
            order.append(({ searches.frontal(minFace: minFace, region: region) }, 0))
        }
        order.append(({ searches.frontal(minFace: minFace) }, 0))
        if !waiting {
            let extra = Self.extraSearches[lossSearches % Self.extraSearches.count]
            order.append(({ extra.kind == "profile" ? searches.profiles(minFace: minFace) : searches.rotated(degrees: extra.degrees, minFace: minFace) }, 0))
            let roll = Self.bridgingRolls[lossSearches % Self.bridgingRolls.count]
            order.append(({ searches.rotated(degrees: roll, minFace: minFace) }, 0))
            if lossSearches % 2 == 0 {
                let wide = Self.wideRolls[(lossSearches / 2) % Self.wideRolls.count]
                order.append(({ searches.rotated(degrees: wide, minFace: minFace) }, sure))
            }
        }
        framesLost += 1
        lossSearches += 1
        var best: (Localizer.Result, Float)?
        var tried: [Box] = []
        for (search, minScore) in order {
            let t0 = DispatchTime.now()
            let found = free(search())
            timings.detector += seconds(since: t0)
            // The three strongest finds not tried already (a region's finds come again in the whole frame).
            for d in found.filter({ d in !tried.contains { $0.iou(d.box) > 0.5 } }).prefix(3) {
                tried.append(d.box)
                let t1 = DispatchTime.now()
                let (coarse, coarseScore) = localizer.coarse(image, box: d.box, roll: d.roll)
                timings.cnn6 += seconds(since: t1)
                let t2 = DispatchTime.now()
                let r = localizer.refine(image, from: coarse, coarseScore: coarseScore)
                timings.cnn7 += seconds(since: t2)
                if Self.isHeld(r.landmarks, by: avoiding) || r.faceScore < minScore { continue }
                if r.faceScore > (best?.1 ?? -1) { best = (r, r.faceScore) }
            }
            if let b = best, b.1 >= sure { break }
        }
        guard let (r, score) = best, score >= options.scoreThreshold else {
            return Observation(success: false, confidence: best?.1 ?? 0, landmarks: nil, box: nil, acquired: false)
        }
        acquisitions += 1
        framesLost = 0
        lossSearches = 0
        for i in filters.indices { filters[i].reset() }
        return accept(r, at: timestamp, acquired: true)
    }

    private func accept(_ r: Localizer.Result, at t: Double, acquired: Bool) -> Observation {
        beforePrevious = acquired ? nil : previous
        previous = r.landmarks
        var pts = r.landmarks
        if let proto = options.smoothing {
            if filters.count != 2 * pts.count { filters = [OneEuroFilter](repeating: proto, count: 2 * pts.count) }
            for i in pts.indices {
                pts[i] = Point(Float(filters[2 * i].filter(Double(pts[i].x), at: t)), Float(filters[2 * i + 1].filter(Double(pts[i].y), at: t)))
            }
        }
        let box = Box(bounding: pts)
        lastBox = box
        return Observation(success: true, confidence: r.faceScore, landmarks: pts, box: box, acquired: acquired)
    }

    private func seconds(since t: DispatchTime) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9 }
}
