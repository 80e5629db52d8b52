import Foundation
import FaceDetect
import FaceGeometry
import MediaIO
import WingNN

/// What `wingtrack track` records per video in `NAME.json`.
public struct VideoSummary: Codable, Sendable {
    /// One face id's record (multi-face tracking has one per id).
    public struct Face: Codable, Sendable {
        public var faceID: Int
        public var framesTracked: Int
        public var successRate: Double
        public var acquisitions: Int
        public var jitter: Double?
    }

    public var input: String
    public var frames: Int
    /// Frames with at least one face tracked (with one face id: the frames where it was tracked).
    public var framesTracked: Int
    public var successRate: Double
    /// (Re-)acquisitions over all face ids.
    public var acquisitions: Int
    public var detectorRuns: Int
    public var decodeErrors: Int
    public var width: Int, height: Int
    public var fps: Double
    /// Wall-clock frames per second of the whole job.
    public var processingFps: Double
    public var seconds: Double
    /// Seconds per stage, summed: decode, detector, cnn6, cnn7, draw, encode, csv.
    public var stageSeconds: [String: Double]
    /// Mean frame-to-frame jitter of the output landmarks ÷ inter-ocular distance (see JitterMeter),
    /// over all face ids.
    public var jitter: Double?
    /// Per face id: frames tracked, success rate, acquisitions, jitter.
    public var faces: [Face]
    public var overlay: String?
    public var notes: [String]
    /// The networks that made the landmarks: "cnn6" (CNN-6 alone) or "cnn6+cnn7" (two-stage).
    public var networks: String
    /// The tracker settings (stage-1 policy, smoothing, threshold, seeding).
    public var settings: [String: String]
}

/// Tracks one video: `NAME.csv`, `NAME.overlay.mp4` (unless disabled) and `NAME.json` in the output
/// folder, each written under a temporary name and renamed only when the whole video is done.
public struct VideoJob {
    public var input: URL
    public var outputDirectory: URL
    public var name: String
    public var writeOverlay = true
    public var trackerOptions = Tracker.Options()
    /// Faces followed at once; the CSV has this many rows per frame (face ids 0 ..< maxFaces).
    public var maxFaces = 1
    /// With `maxFaces` > 1: an id waiting for a face searches every this many frames (after a few
    /// early tries: `Tracker.waitSearches(onFrame:interval:)`).
    public var newFaceInterval = 30
    /// The yaw regression for the CSV's `yaw_deg` (nil: that column stays empty).
    public var headPose: HeadPose?
    /// The overlay's encoder settings (x264 preset and CRF); its frame rate and audio come from the input.
    public var overlayOptions = VideoWriter.Options()
    /// Polled once per frame; when it returns true the job stops, removes its temporary files and
    /// throws `VideoJob.Cancelled`.
    public var isCancelled: (@Sendable () -> Bool)?

    public struct Cancelled: Error, CustomStringConvertible {
        public var description: String { "interrupted" }
    }

    public init(input: URL, outputDirectory: URL, name: String) {
        self.input = input; self.outputDirectory = outputDirectory; self.name = name
    }

    public var csvURL: URL { outputDirectory.appendingPathComponent("\(name).csv") }
    public var jsonURL: URL { outputDirectory.appendingPathComponent("\(name).json") }
    public var overlayURL: URL { outputDirectory.appendingPathComponent("\(name).overlay.mp4") }

    /// Whether the outputs of an earlier run are complete (for `--resume`).
    public var isComplete: Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: csvURL.path) && fm.fileExists(atPath: jsonURL.path) && (!writeOverlay || fm.fileExists(atPath: overlayURL.path))
    }

    /// Runs the job as a three-stage pipeline over bounded queues: a decoder thread, the tracker on
    /// the calling thread (with the CSV), and a drawing + encoding thread. At most a few frames are
    /// in flight, so memory stays flat however long the video.
    /// `progress` receives the frames done so far and the container's estimate of the total (0 when unknown).
    /// With `maxFaces` > 1, a `helper` localiser (the same weights) lets two faces run at once; with
    /// one face and `trackerOptions.pairedFrames`, two frames.
    public func run(localizer: Localizer, detector: FaceDetector, helper: Localizer? = nil,
                    progress: ((Int, Int) -> Void)? = nil) throws -> VideoSummary {
        let start = Date()
        let reader = try VideoReader.forTracking(input)
        let tracker = MultiFaceTracker(localizer: localizer, detector: detector, options: trackerOptions, maxFaces: maxFaces,
                                       newFaceInterval: newFaceInterval, helper: helper)
        let csvTemp = AtomicFile.temporaryURL(for: csvURL)
        guard FileManager.default.createFile(atPath: csvTemp.path, contents: nil), let csv = FileHandle(forWritingAtPath: csvTemp.path) else {
            throw MediaError(.write, path: csvURL.path, reason: "cannot create the CSV (is the folder writable?)")
        }
        var csvOpen = true
        defer { if csvOpen { try? csv.close() }; try? FileManager.default.removeItem(at: csvTemp) }
        var writer: VideoWriter?
        if writeOverlay {
            var o = overlayOptions
            o.audioSource = reader.info.hasAudio ? input : nil
            o.frameRate = reader.info.encodingFrameRate
            o.colourTags = reader.colourTags
            writer = try VideoWriter(url: overlayURL, width: reader.info.width, height: reader.info.height, options: o)
        }

        // Decoder thread → `decoded`; tracker here → `tracked`; encoder thread draws and encodes.
        let decoded = BoundedQueue<Frame>(capacity: 3)
        let tracked = BoundedQueue<(Frame, [Tracker.Observation])>(capacity: 3)
        let done = DispatchGroup()
        let clock = StageClock(), encodeError = ErrorBox()
        done.enter()
        Thread {
            defer { decoded.close(); done.leave() }
            while true {
                let t0 = DispatchTime.now()
                guard let f = reader.nextFrame() else { break }
                clock.decode += Self.seconds(since: t0)
                if f.planes != nil { clock.framesOnPlanes += 1 }
                if !decoded.push(f) { break }
            }
        }.start()
        if let writer {
            done.enter()
            Thread {
                defer { done.leave() }
                while case (var frame, let obs)? = tracked.pop() {
                    guard encodeError.value == nil else { continue }   // drain after a failure
                    // Drawn in place (this thread holds the only reference to the pixels), on the
                    // decoded samples when the frame carries them, then encoded as they are.
                    let t0 = DispatchTime.now()
                    if frame.planes != nil {
                        OverlayRenderer.draw(obs, on: &frame.planes!)
                    } else {
                        OverlayRenderer.draw(obs, on: &frame.image)
                    }
                    let t1 = DispatchTime.now()
                    do { try writer.write(frame) } catch { encodeError.value = error }
                    clock.draw += Self.seconds(from: t0, to: t1)
                    clock.encode += Self.seconds(since: t1)
                }
            }.start()
        }

        var frames = 0, trackedFrames = 0, csvSeconds = 0.0
        var jitter = [JitterMeter](repeating: JitterMeter(), count: maxFaces)
        var facesTracked = [Int](repeating: 0, count: maxFaces)
        var buffer = LandmarkCSV.header + "\n"
        var failure: Error?
        // One frame at a time, or two with paired frames (the last may come alone).
        frameLoop: while case var batch = tracker.nextStep(from: { decoded.pop() }), !batch.isEmpty {
            for obs in tracker.process(batch) {
                // Taken out of the batch, so that the encoder thread gets the only reference to its pixels.
                let frame = batch.removeFirst()
                frames += 1
                if obs.contains(where: \.success) { trackedFrames += 1 }
                let t0 = DispatchTime.now()
                for (id, o) in obs.enumerated() {
                    if o.success { facesTracked[id] += 1 }
                    jitter[id].add(o.success ? o.landmarks : nil)
                    buffer += LandmarkCSV.row(frame: frames, faceID: id, timestamp: frame.timestamp, observation: o, headPose: headPose) + "\n"
                }
                if buffer.utf8.count > 1 << 16 {
                    // The throwing write: a full disk is an error for this video, not a crash.
                    do { try csv.write(contentsOf: Data(buffer.utf8)) }
                    catch { failure = MediaError(.write, path: csvURL.path, reason: "cannot write the CSV (\(error.localizedDescription))"); break frameLoop }
                    buffer = ""
                }
                csvSeconds += Self.seconds(since: t0)
                if writer != nil && !tracked.push((frame, obs)) { break frameLoop }
                if let e = encodeError.value { failure = e; break frameLoop }
                if isCancelled?() == true { failure = Cancelled(); break frameLoop }
                progress?(frames, reader.info.estimatedFrameCount)
            }
        }
        // Stop both threads (early on failure) and wait for them.
        decoded.close(); tracked.close()
        done.wait()
        // From here on every failure discards the overlay's temporary file at once.
        var finishedOverlay = writer == nil
        defer { if !finishedOverlay { writer?.discard() } }
        if let e = failure ?? encodeError.value { throw e }
        guard frames > 0 else { throw MediaError(.noFrames, path: input.path, reason: "no decodable frame") }
        let t0 = DispatchTime.now()
        try writer?.finish()
        finishedOverlay = true
        clock.encode += Self.seconds(since: t0)
        do { try csv.write(contentsOf: Data(buffer.utf8)); try csv.close() }
        catch { throw MediaError(.write, path: csvURL.path, reason: "cannot write the CSV (\(error.localizedDescription))") }
        csvOpen = false
        try AtomicFile.rename(csvTemp, to: csvURL)
        let secs = Date().timeIntervalSince(start)
        let stage = ["decode": clock.decode, "draw": clock.draw, "encode": clock.encode, "csv": csvSeconds,
                     "detector": tracker.timings.detector, "cnn6": tracker.timings.cnn6, "cnn7": tracker.timings.cnn7]
        var settings = trackerOptions.summary
        settings["flip_average"] = "\(localizer.flipAverage)"
        settings["convention"] = localizer.answerConvention
        settings["max_faces"] = "\(maxFaces)"
        settings["precision"] = Int8Arithmetic.name
        settings["paired_frames"] = "\(tracker.framesPerStep == 2)"
        settings["yaw"] = headPose.map { "head-pose file, fitted on \($0.provenance["faces"] ?? "?") faces" } ?? "none (no head-pose file)"
        if maxFaces > 1 { settings["new_face_interval"] = "\(newFaceInterval)" }
        if writeOverlay {
            settings["overlay_preset"] = overlayOptions.preset
            settings["overlay_crf"] = "\(overlayOptions.crf)"
            settings["overlay_threads"] = "\(overlayOptions.encoderThreads(width: reader.info.width, height: reader.info.height))"
        }
        settings["frames_read_as"] = Self.pixelRoute(framesOnPlanes: clock.framesOnPlanes, frames: frames, refusal: reader.planesRefusal)
        let faces = tracker.tracks.indices.map { id in
            VideoSummary.Face(faceID: id, framesTracked: facesTracked[id], successRate: Double(facesTracked[id]) / Double(frames),
                              acquisitions: tracker.tracks[id].acquisitions, jitter: jitter[id].value)
        }
        let summary = VideoSummary(input: input.path, frames: frames, framesTracked: trackedFrames, successRate: Double(trackedFrames) / Double(frames),
                                   acquisitions: tracker.acquisitions, detectorRuns: tracker.detectorRuns, decodeErrors: reader.decodeErrors,
                                   width: reader.info.width, height: reader.info.height, fps: reader.info.fps,
                                   processingFps: Double(frames) / secs, seconds: secs, stageSeconds: stage, jitter: JitterMeter.pooled(jitter), faces: faces,
                                   overlay: writeOverlay ? overlayURL.lastPathComponent : nil, notes: writer?.notes ?? [],
                                   networks: localizer.networks, settings: settings)
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(summary), to: jsonURL)
        return summary
    }

    /// What the crops, the detector and the overlay read, for `NAME.json` (`VideoReader.forTracking`):
    /// the decoded samples (the overlay then encoded without conversion), RGB and why, or the one
    /// on some frames.
    static func pixelRoute(framesOnPlanes: Int, frames: Int, refusal: String?) -> String {
        if framesOnPlanes == frames { return "decoded yuv420p" }
        let why = refusal.map { " (\($0))" } ?? ""
        if framesOnPlanes == 0 { return "rgb" + why }
        return "decoded yuv420p on \(framesOnPlanes) of \(frames) frames, rgb on the others" + why
    }

    static func seconds(from t0: DispatchTime, to t1: DispatchTime) -> Double { Double(t1.uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9 }
    static func seconds(since t: DispatchTime) -> Double { seconds(from: t, to: .now()) }
}

/// Seconds per pipeline stage; each field is written by one thread and read after that thread ended.
private final class StageClock: @unchecked Sendable {
    var decode = 0.0, draw = 0.0, encode = 0.0
    /// Overlay frames drawn on the decoded samples (the others were drawn on RGB).
    var framesOnPlanes = 0
}

/// The first error of the encoder thread, read by the tracking thread.
private final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?
    var value: Error? {
        get { lock.lock(); defer { lock.unlock() }; return error }
        set { lock.lock(); if error == nil { error = newValue }; lock.unlock() }
    }
}
