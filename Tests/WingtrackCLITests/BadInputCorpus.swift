import Foundation
import MediaIO

/// Generates the reliability corpus: damaged, odd and unusual inputs, each with what `wingtrack track`
/// must do with it. Made from the sample clip by byte surgery, by MediaIO, and by the `ffmpeg`
/// command line (installed by `make deps`) for formats our writer does not produce.
struct BadInputCorpus {
    enum Expect: Equatable {
        /// Must fail with one error line naming the file.
        case fails
        /// Must complete with exactly this many frames.
        case frames(Int)
        /// Must complete with some frames (damaged: the frames before the damage), or fail cleanly.
        case partialOrFails
    }
    struct Case { var name: String; var file: String; var expect: Expect }

    let directory: URL
    let sample: URL
    private(set) var cases: [Case] = []
    /// Cases that could not be made here (no ffmpeg binary or no encoder), with the reason.
    private(set) var skipped: [String] = []

    init(directory: URL, sample: URL) throws {
        self.directory = directory; self.sample = sample
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let bytes = try Data(contentsOf: sample)
        var rng = SplitMix(seed: 42)

        try add("empty file", "empty.mp4", .fails) { try Data().write(to: $0) }
        try add("random bytes", "random.mp4", .fails) { try Data((0..<50_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }).write(to: $0) }
        try add("text named .mp4", "text.mp4", .fails) { try Data("this is not a video\n".utf8).write(to: $0) }
        for pct in [10, 50, 90] {
            try add("truncated at \(pct) %", "truncated\(pct).mp4", .partialOrFails) { try bytes.prefix(bytes.count * pct / 100).write(to: $0) }
        }
        try add("bit flips (1e-4) in the payload", "bitflips.mp4", .partialOrFails) { url in
            var d = bytes
            let start = d.count / 20   // keep the header region
            for i in start..<d.count where rng.uniform() < 1e-4 { d[i] ^= UInt8(1 << (rng.next() % 8)) }
            try d.write(to: url)
        }
        try add("PNG named .mp4", "picture.mp4", .partialOrFails) { url in
            try ImageIO.writePNG(PixelBuffer(width: 32, height: 24), to: url.deletingPathExtension().appendingPathExtension("png"))
            try FileManager.default.moveItem(at: url.deletingPathExtension().appendingPathExtension("png"), to: url)
        }
        try add("one frame", "oneframe.mp4", .frames(1)) { try Self.copyFrames(from: sample, to: $0, count: 1) }
        try add("variable frame rate", "vfr.mp4", .frames(12)) { url in
            let w = try VideoWriter(url: url, width: 160, height: 120)
            var t = 0.0
            for k in 0..<12 { try w.write(PixelBuffer(width: 160, height: 120), timestamp: t); t += [0.01, 0.1, 0.033, 0.5][k % 4] }
            try w.finish()
        }
        for deg in [90, 180, 270] {
            try add("rotation \(deg)°", "rot\(deg).mp4", .frames(6)) { try Self.copyFrames(from: sample, to: $0, count: 6, rotation: deg) }
        }
        // Formats only the ffmpeg command line makes.
        func src(_ size: String, _ seconds: String) -> [String] { ["-f", "lavfi", "-i", "testsrc2=size=\(size):rate=25:duration=\(seconds)"] }
        try ffmpeg("audio only", "audio.mp4", .fails, ["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac"])
        try ffmpeg("zero frames", "zeroframes.mp4", .fails, src("64x48", "1") + ["-frames:v", "0", "-c:v", "libx264"])
        try ffmpeg("odd size 641×479, yuv444p", "odd.mkv", .frames(5), src("641x479", "0.2") + ["-pix_fmt", "yuv444p", "-c:v", "libx264"])
        try ffmpeg("3840×2160", "uhd.mp4", .frames(3), src("3840x2160", "0.12") + ["-c:v", "libx264", "-preset", "ultrafast"])
        try ffmpeg("10-bit H.265", "hevc10.mkv", .frames(5), src("320x240", "0.2") + ["-pix_fmt", "yuv420p10le", "-c:v", "libx265", "-x265-params", "log-level=error"])
        try ffmpeg("grey (ffv1)", "grey.mkv", .frames(5), src("160x120", "0.2") + ["-pix_fmt", "gray", "-c:v", "ffv1"])
        try ffmpeg("negative start time", "negstart.mkv", .frames(5), src("160x120", "0.2") + ["-c:v", "libx264", "-output_ts_offset", "-0.5"])
        try ffmpeg("two video streams", "twostreams.mkv", .frames(5),
                   src("160x120", "0.2") + src("320x240", "0.2") + ["-map", "0", "-map", "1", "-c:v", "libx264"])
        try ffmpeg("moov at the end, truncated", "moovlast.mp4", .fails, src("160x120", "1") + ["-c:v", "libx264"]) { url in
            let d = try Data(contentsOf: url)
            try d.prefix(d.count * 9 / 10).write(to: url)
        }
    }

    private mutating func add(_ name: String, _ file: String, _ expect: Expect, _ make: (URL) throws -> Void) throws {
        try make(directory.appendingPathComponent(file))
        cases.append(Case(name: name, file: file, expect: expect))
    }

    private mutating func ffmpeg(_ name: String, _ file: String, _ expect: Expect, _ args: [String], then: ((URL) throws -> Void)? = nil) throws {
        let url = directory.appendingPathComponent(file)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["ffmpeg", "-nostdin", "-v", "error", "-y"] + args + [url.path]
        p.standardError = FileHandle.nullDevice; p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch { skipped.append("\(name): no ffmpeg"); return }
        p.waitUntilExit()
        guard p.terminationStatus == 0, FileManager.default.fileExists(atPath: url.path) else {
            skipped.append("\(name): ffmpeg could not make it here"); return
        }
        try then?(url)
        cases.append(Case(name: name, file: file, expect: expect))
    }

    static func copyFrames(from src: URL, to dst: URL, count: Int, rotation: Int = 0) throws {
        let r = try VideoReader(url: src)
        var o = VideoWriter.Options(); o.displayRotation = rotation
        let w = try VideoWriter(url: dst, width: r.info.width, height: r.info.height, options: o)
        for _ in 0..<count { guard let f = r.nextFrame() else { break }; try w.write(f.image, timestamp: f.timestamp) }
        try w.finish()
    }
}

/// A small seeded generator (SplitMix64) for reproducible corruption.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
