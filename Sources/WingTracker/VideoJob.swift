import Foundation
import FaceDetect
import FaceGeometry
import MediaIO

/// What `wingtrack track` records per video in `NAME.json`.
public struct VideoSummary: Codable, Sendable {
    public var input: String
    public var frames: Int
    public var framesTracked: Int
    public var successRate: Double
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
    /// Mean frame-to-frame jitter of the output landmarks ÷ inter-ocular distance (see JitterMeter).
    public var jitter: Double?
    public var overlay: String?
    public var notes: [String]
}

/// Tracks one video: `NAME.csv`, `NAME.overlay.mp4` (unless disabled) and `NAME.json` in the output
/// folder, each written under a temporary name and renamed only when the whole video is done.
public struct VideoJob {
    public var input: URL
    public var outputDirectory: URL
    public var name: String
    public var writeOverlay = true
    public var trackerOptions = Tracker.Options()

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

    public func run(localizer: Localizer, detector: FaceDetector, progress: ((Int) -> Void)? = nil) throws -> VideoSummary {
        let start = Date()
        var stage: [String: Double] = ["decode": 0, "draw": 0, "encode": 0, "csv": 0]
        func timed<T>(_ key: String, _ body: () throws -> T) rethrows -> T {
            let t0 = DispatchTime.now()
            defer { stage[key, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9 }
            return try body()
        }
        let reader = try VideoReader(url: input, format: .rgb24)
        let tracker = Tracker(localizer: localizer, detector: detector, options: trackerOptions)
        let csvTemp = AtomicFile.temporaryURL(for: csvURL)
        guard FileManager.default.createFile(atPath: csvTemp.path, contents: nil), let csv = FileHandle(forWritingAtPath: csvTemp.path) else {
            throw MediaError(.write, path: csvURL.path, reason: "cannot create the CSV (is the folder writable?)")
        }
        var csvOpen = true
        defer { if csvOpen { try? csv.close() }; try? FileManager.default.removeItem(at: csvTemp) }
        var buffer = LandmarkCSV.header + "\n"
        var writer: VideoWriter?
        if writeOverlay {
            var o = VideoWriter.Options()
            o.audioSource = reader.info.hasAudio ? input : nil
            o.frameRate = reader.info.fps > 0 ? reader.info.fps : 30
            writer = try VideoWriter(url: overlayURL, width: reader.info.width, height: reader.info.height, options: o)
        }
        var frames = 0, tracked = 0
        var jitter = JitterMeter()
        while let frame = timed("decode", { reader.nextFrame() }) {
            var image = frame.image
            let obs = image.data.withUnsafeBufferPointer {
                tracker.process(PixelView(base: $0.baseAddress!, width: image.width, height: image.height, channels: 3, rowBytes: image.rowBytes),
                                timestamp: frame.timestamp)
            }
            frames += 1
            if obs.success { tracked += 1 }
            jitter.add(obs.success ? obs.landmarks : nil)
            timed("csv") {
                buffer += LandmarkCSV.row(frame: frames, faceID: 0, timestamp: frame.timestamp, observation: obs) + "\n"
                if buffer.utf8.count > 1 << 16 { csv.write(Data(buffer.utf8)); buffer = "" }
            }
            if let writer {
                timed("draw") { OverlayRenderer.draw(obs, faceID: 0, on: &image) }
                try timed("encode") { try writer.write(image, timestamp: frame.timestamp) }
            }
            progress?(frames)
        }
        guard frames > 0 else { throw MediaError(.noFrames, path: input.path, reason: "no decodable frame") }
        try timed("encode") { try writer?.finish() }
        csv.write(Data(buffer.utf8))
        try csv.close(); csvOpen = false
        try AtomicFile.rename(csvTemp, to: csvURL)
        let secs = Date().timeIntervalSince(start)
        stage["detector"] = tracker.timings.detector; stage["cnn6"] = tracker.timings.cnn6; stage["cnn7"] = tracker.timings.cnn7
        let summary = VideoSummary(input: input.path, frames: frames, framesTracked: tracked, successRate: Double(tracked) / Double(frames),
                                   acquisitions: tracker.acquisitions, detectorRuns: tracker.detectorRuns, decodeErrors: reader.decodeErrors,
                                   width: reader.info.width, height: reader.info.height, fps: reader.info.fps,
                                   processingFps: Double(frames) / secs, seconds: secs, stageSeconds: stage, jitter: jitter.value,
                                   overlay: writeOverlay ? overlayURL.lastPathComponent : nil, notes: writer?.notes ?? [])
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(summary), to: jsonURL)
        return summary
    }
}
