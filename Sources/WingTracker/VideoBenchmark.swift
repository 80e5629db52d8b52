import Foundation
import FaceDetect
import FaceGeometry
import MediaIO

/// `wingtrack bench video`: end-to-end speed of `track` at several frame sizes, next to what the
/// same libraries do on the same clip without any tracking — decoding alone, and decoding plus
/// encoding with the overlay's settings (the ceiling a tracker that draws an overlay cannot pass).
///
/// The clips are made from a source video (the bundled sample by default): the largest centred
/// region of each size's aspect ratio, resampled to that size and encoded with the default overlay
/// settings, so every size shows the same face moving the same way.
public enum VideoBenchmark {
    /// One frame size's measurements. Rates are frames per wall-clock second of the whole operation.
    public struct Row: Codable, Sendable {
        public var size: String
        public var frames: Int
        public var decodeFps: Double
        /// Decoding and re-encoding with the overlay's encoder settings, on two threads (decode → encode).
        public var decodeEncodeFps: Double
        public var trackFps: Double
        public var trackOverlayFps: Double
        /// `trackOverlayFps ÷ decodeEncodeFps`.
        public var overlayRatio: Double
        public var successRate: Double
        /// Milliseconds per frame and stage of the overlay run (stages overlap on the pipeline's threads).
        public var stageMs: [String: Double]
    }

    /// Parses "WIDTHxHEIGHT" (even sides, 32–7680 × 32–4320). Nil when malformed.
    public static func parseSize(_ s: String) -> (width: Int, height: Int)? {
        let p = s.lowercased().split(separator: "x")
        guard p.count == 2, let w = Int(p[0]), let h = Int(p[1]), (32...7680).contains(w), (32...4320).contains(h),
              w % 2 == 0, h % 2 == 0 else { return nil }
        return (w, h)
    }

    /// Writes the first `frames` frames of `source` (fewer if it is shorter), cut to the aspect ratio
    /// of `width × height` around the centre and resampled to that size, to `url` with the default
    /// x264 veryfast at CRF 20 (the overlay's settings until 2026-11-28, kept so that the clips stay
    /// those of earlier measurements) and the source's timestamps. Returns the frames written.
    @discardableResult
    public static func makeClip(from source: URL, width: Int, height: Int, frames: Int, to url: URL) throws -> Int {
        let reader = try VideoReader(url: source, format: .rgb24)
        let (sw, sh) = (reader.info.width, reader.info.height)
        // The largest centred region of the target's aspect ratio.
        var cw = sw, ch = Int((Double(sw) * Double(height) / Double(width)).rounded())
        if ch > sh { ch = sh; cw = min(sw, Int((Double(sh) * Double(width) / Double(height)).rounded())) }
        var o = VideoWriter.Options()
        o.crf = 20
        o.frameRate = reader.info.encodingFrameRate
        let writer = try VideoWriter(url: url, width: width, height: height, options: o)
        var n = 0
        while n < frames, let f = reader.nextFrame() {
            try writer.write(f.image.resized(cropX: (sw - cw) / 2, cropY: (sh - ch) / 2, cropWidth: cw, cropHeight: ch,
                                             width: width, height: height), timestamp: f.timestamp)
            n += 1
        }
        guard n > 0 else { throw MediaError(.noFrames, path: source.path, reason: "no decodable frame") }
        try writer.finish()
        return n
    }

    /// Frames per second of decoding `url` as `track` does (`VideoReader.forTracking`).
    public static func decodeFps(_ url: URL) throws -> Double {
        let t0 = Date()
        let reader = try VideoReader.forTracking(url)
        var n = 0
        while reader.nextFrame() != nil { n += 1 }
        return Double(n) / Date().timeIntervalSince(t0)
    }

    /// Frames per second of decoding `url` and encoding every frame again with the overlay's preset and
    /// quality from `options` (into `scratch`, deleted afterwards), decoder and encoder on their own
    /// threads as in `track`, the encoder with as many threads as FFmpeg chooses (all cores: the ceiling).
    /// yuv420p frames go to the encoder as decoded, as in `track` (and in the ffmpeg command line).
    public static func decodeEncodeFps(_ url: URL, scratch: URL, options: VideoWriter.Options = VideoWriter.Options()) throws -> Double {
        let t0 = Date()
        let reader = try VideoReader(url: url, format: .rgb24, keepPlanes: true)
        var o = options
        o.threads = 0
        o.frameRate = reader.info.encodingFrameRate
        let writer = try VideoWriter(url: scratch, width: reader.info.width, height: reader.info.height, options: o)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let queue = BoundedQueue<Frame>(capacity: 3)
        let done = DispatchSemaphore(value: 0)
        Thread {
            while let f = reader.nextFrame(), queue.push(f) {}
            queue.close()
            done.signal()
        }.start()
        var n = 0, failure: Error?
        while let f = queue.pop() {
            do { try writer.write(f); n += 1 } catch { failure = error; queue.close(); break }
        }
        done.wait()
        if let failure { throw failure }
        try writer.finish()
        return Double(n) / Date().timeIntervalSince(t0)
    }

    /// Measures one clip: decode, decode + encode with the overlay's encoder settings `overlay`, and
    /// `VideoJob` with and without the overlay (outputs in `workDirectory`; `helper` as `VideoJob.run`'s,
    /// `headPose` as `VideoJob`'s).
    public static func measure(clip: URL, size: String, localizer: Localizer, detector: FaceDetector, helper: Localizer? = nil,
                               headPose: HeadPose? = nil, options: Tracker.Options, overlay: VideoWriter.Options = VideoWriter.Options(), workDirectory: URL) throws -> Row {
        let decode = try decodeFps(clip)
        let ceiling = try decodeEncodeFps(clip, scratch: workDirectory.appendingPathComponent("reencoded-\(size).mp4"), options: overlay)
        var job = VideoJob(input: clip, outputDirectory: workDirectory, name: "track-\(size)")
        job.trackerOptions = options
        job.headPose = headPose
        job.overlayOptions = overlay
        job.writeOverlay = false
        let plain = try job.run(localizer: localizer, detector: detector, helper: helper)
        job.writeOverlay = true
        let drawn = try job.run(localizer: localizer, detector: detector, helper: helper)
        let perFrame = drawn.stageSeconds.mapValues { 1000 * $0 / Double(drawn.frames) }
        return Row(size: size, frames: drawn.frames, decodeFps: decode, decodeEncodeFps: ceiling, trackFps: plain.processingFps,
                   trackOverlayFps: drawn.processingFps, overlayRatio: drawn.processingFps / ceiling,
                   successRate: drawn.successRate, stageMs: perFrame)
    }

    /// The rows as a markdown table.
    public static func table(_ rows: [Row]) -> String {
        var s = "| size | frames | decode fps | decode + encode fps | track fps (no overlay) | track fps (overlay) | overlay ÷ decode + encode | tracked | cnn6 ms | cnn7 ms | encode ms |\n"
        s += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        for r in rows {
            s += String(format: "| %@ | %d | %.0f | %.0f | %.1f | %.1f | %.2f | %.1f %% | %.2f | %.2f | %.2f |\n",
                        r.size, r.frames, r.decodeFps, r.decodeEncodeFps, r.trackFps, r.trackOverlayFps, r.overlayRatio,
                        100 * r.successRate, r.stageMs["cnn6"] ?? 0, r.stageMs["cnn7"] ?? 0, r.stageMs["encode"] ?? 0)
        }
        return s
    }
}
