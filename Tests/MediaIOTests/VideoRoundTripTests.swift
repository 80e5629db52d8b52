import Foundation
import XCTest
import TestSupport
@testable import MediaIO

final class VideoRoundTripTests: XCTestCase {
    func decodeAll(_ url: URL) throws -> (VideoReader, [Frame]) {
        let r = try VideoReader(url: url)
        var frames: [Frame] = []
        while let f = r.nextFrame() { frames.append(f) }
        return (r, frames)
    }

    /// The encoder's default threads follow the frame size (one up to 1280×720, FFmpeg's choice
    /// above); an explicit count is kept.
    func testEncoderThreadsFollowTheFrameSizeUnlessSet() {
        var o = VideoWriter.Options()
        XCTAssertEqual(o.encoderThreads(width: 640, height: 360), 1)
        XCTAssertEqual(o.encoderThreads(width: 1280, height: 720), 1)
        XCTAssertEqual(o.encoderThreads(width: 1920, height: 1080), 0)
        o.threads = 3
        XCTAssertEqual(o.encoderThreads(width: 640, height: 360), 3)
        o.threads = 0
        XCTAssertEqual(o.encoderThreads(width: 320, height: 240), 0)
    }

    func testConstantRateRoundTripKeepsCountTimestampsAndQuality() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("cfr.mp4")
        var opts = VideoWriter.Options(); opts.crf = 18; opts.frameRate = 25
        let ts = (0..<40).map { Double($0) / 25 }
        let written = try writeSyntheticVideo(url, timestamps: ts, options: opts)
        let (reader, frames) = try decodeAll(url)
        XCTAssertEqual(frames.count, 40)
        XCTAssertEqual(reader.decodeErrors, 0)
        XCTAssertEqual(reader.info.width, 96)
        XCTAssertEqual(reader.info.height, 64)
        XCTAssertEqual(reader.info.codec, "h264")
        XCTAssertEqual(reader.info.pixelFormat, "yuv420p")
        for (f, t) in zip(frames, ts) { XCTAssertEqual(f.timestamp, t, accuracy: 1.0 / 90_000) }
        for (f, w) in zip(frames, written) {
            XCTAssertGreaterThanOrEqual(psnr(f.image, w), 35, "frame \(f.index)")
        }
        XCTAssertEqual(frames.map(\.index), Array(0..<40))
    }

    func testVariableFrameRateTimestampsSurvive() throws {
        let dir = try temporaryDirectory(self)
        let ts: [Double] = [0, 0.033, 0.05, 0.2, 0.21, 0.5, 0.9, 0.95, 1.4, 1.41]
        for ext in ["mp4", "mkv", "mov"] {
            let url = dir.appendingPathComponent("vfr.\(ext)")
            _ = try writeSyntheticVideo(url, timestamps: ts)
            let (_, frames) = try decodeAll(url)
            XCTAssertEqual(frames.count, ts.count, ext)
            // MKV stores milliseconds; MP4 and MOV our 1/90000 s.
            let tol = ext == "mkv" ? 0.0015 : 1.0 / 90_000
            for (f, t) in zip(frames, ts) { XCTAssertEqual(f.timestamp, t, accuracy: tol, "\(ext) frame \(f.index)") }
        }
    }

    func testOddSizeIsPaddedAndSaid() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("odd.mp4")
        let w = try VideoWriter(url: url, width: 41, height: 31)
        XCTAssertTrue(w.notes.contains { $0.contains("padded to 42x32") }, "\(w.notes)")
        for k in 0..<5 { try w.write(syntheticFrame(width: 41, height: 31, k: k), timestamp: Double(k) / 30) }
        try w.finish()
        let (reader, frames) = try decodeAll(url)
        XCTAssertEqual(frames.count, 5)
        XCTAssertEqual(reader.info.width, 42)
    }

    func testDisplayRotationIsApplied() throws {
        let dir = try temporaryDirectory(self)
        // A 64x32 frame, dark, with a bright 8x8 marker in its top-left corner.
        var img = PixelBuffer(width: 64, height: 32)
        for y in 0..<8 { for x in 0..<8 { for c in 0..<3 { img.data[(y * 64 + x) * 3 + c] = 255 } } }
        // Where the marker's centre (4, 4) lands after a clockwise rotation, in the displayed frame.
        let expected: [Int: (Int, Int, Int, Int)] = [90: (32, 64, 27, 4), 180: (64, 32, 59, 27), 270: (32, 64, 4, 59)]
        for (rot, e) in expected {
            let url = dir.appendingPathComponent("rot\(rot).mp4")
            var o = VideoWriter.Options(); o.displayRotation = rot; o.crf = 10
            let w = try VideoWriter(url: url, width: 64, height: 32, options: o)
            for k in 0..<3 { try w.write(img, timestamp: Double(k) / 30) }
            try w.finish()
            let (reader, frames) = try decodeAll(url)
            XCTAssertEqual(reader.info.rotation, rot)
            XCTAssertEqual(reader.info.width, e.0); XCTAssertEqual(reader.info.height, e.1)
            let f = frames[0].image
            XCTAssertEqual(f.width, e.0); XCTAssertEqual(f.height, e.1)
            XCTAssertGreaterThan(f.rgb(x: e.2, y: e.3).0, 200, "rotation \(rot): marker missing")
            XCTAssertLessThan(f.rgb(x: 4, y: 4).0 == 255 && rot != 0 ? 0 : f.rgb(x: f.width / 2, y: f.height / 2).0, 60)
        }
    }

    func testRotationMatchesTheFFmpegCommandLine() throws {
        let dir = try temporaryDirectory(self)
        let plain = dir.appendingPathComponent("plain.mp4")
        var o = VideoWriter.Options(); o.crf = 10
        _ = try writeSyntheticVideo(plain, width: 64, height: 32, timestamps: [0, 1.0 / 30], options: o)
        for rot in [90, 180, 270] {
            // The tag as phones write it ("rotate" = clockwise degrees to display), set by ffmpeg itself.
            let tagged = dir.appendingPathComponent("tag\(rot).mp4")
            try runFFmpeg(["-i", plain.path, "-c", "copy", "-metadata:s:v:0", "rotate=\(rot)", tagged.path])
            let raw = dir.appendingPathComponent("ref\(rot).rgb")
            try runFFmpeg(["-i", tagged.path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", raw.path])
            let (reader, frames) = try decodeAll(tagged)
            XCTAssertEqual(reader.info.rotation % 180, rot % 180)
            let ours = frames[0].image
            let (w, h) = rot == 180 ? (64, 32) : (32, 64)
            XCTAssertEqual(ours.width, w); XCTAssertEqual(ours.height, h)
            let ref = PixelBuffer(width: w, height: h, format: .rgb24, data: [UInt8](try Data(contentsOf: raw)))
            XCTAssertGreaterThan(psnr(ours, ref), 40, "rotation \(rot) differs from ffmpeg's autorotate")

            // Our writer's tag means what ffmpeg's player logic does with it.
            let ourTag = dir.appendingPathComponent("our\(rot).mp4")
            var ro = VideoWriter.Options(); ro.crf = 10; ro.displayRotation = rot
            _ = try writeSyntheticVideo(ourTag, width: 64, height: 32, timestamps: [0], options: ro)
            let raw2 = dir.appendingPathComponent("ref2-\(rot).rgb")
            try runFFmpeg(["-i", ourTag.path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", raw2.path])
            let (r2, f2) = try decodeAll(ourTag)
            XCTAssertEqual(r2.info.rotation, rot)
            let ref2 = PixelBuffer(width: w, height: h, format: .rgb24, data: [UInt8](try Data(contentsOf: raw2)))
            XCTAssertGreaterThan(psnr(f2[0].image, ref2), 40, "our rotation \(rot) tag is read differently by ffmpeg")
        }
    }

    func testAudioIsCopiedPacketForPacket() throws {
        let dir = try temporaryDirectory(self)
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("samples/grace_hopper.mp4")
        let reader = try VideoReader(url: source)
        XCTAssertTrue(reader.info.hasAudio)
        var o = VideoWriter.Options(); o.audioSource = source; o.frameRate = reader.info.fps
        let out = dir.appendingPathComponent("overlay.mp4")
        let w = try VideoWriter(url: out, width: reader.info.width, height: reader.info.height, options: o)
        var n = 0
        while let f = reader.nextFrame() { try w.write(f.image, timestamp: f.timestamp); n += 1 }
        try w.finish()
        let src = try StreamSummary.read(source).first { $0.kind == .audio }!
        let dst = try StreamSummary.read(out).first { $0.kind == .audio }
        XCTAssertNotNil(dst, "no audio stream in the output")
        XCTAssertEqual(dst?.codec, "aac")
        XCTAssertEqual(Double(dst?.packets ?? 0), Double(src.packets), accuracy: 1)
        XCTAssertEqual(dst?.duration ?? 0, src.duration, accuracy: 0.03)
        XCTAssertEqual(try StreamSummary.read(out).first { $0.kind == .video }?.packets, n)
    }

    func testTemporaryFileIsRemovedWithoutFinish() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("abandoned.mp4")
        do {
            let w = try VideoWriter(url: url, width: 32, height: 32)
            try w.write(syntheticFrame(width: 32, height: 32, k: 0), timestamp: 0)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    /// A stream whose resolution changes midway: frames of another size are scaled to the writer's
    /// size instead of stopping the program.
    func testFramesOfAnotherSizeAreScaled() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("sizes.mp4")
        let w = try VideoWriter(url: url, width: 96, height: 64)
        try w.write(syntheticFrame(width: 96, height: 64, k: 0), timestamp: 0)
        try w.write(syntheticFrame(width: 51, height: 33, k: 1), timestamp: 0.04)
        try w.write(syntheticFrame(width: 192, height: 128, k: 2), timestamp: 0.08)
        try w.finish()
        let r = try VideoReader(url: url)
        var sizes: [String] = []
        while let f = r.nextFrame() { sizes.append("\(f.image.width)x\(f.image.height)") }
        XCTAssertEqual(sizes, ["96x64", "96x64", "96x64"])
        XCTAssertThrowsError(try VideoWriter(url: dir.appendingPathComponent("e.mp4"), width: 32, height: 32)
            .write(PixelBuffer(width: 0, height: 0), timestamp: 0))
    }

    /// Damaged container fields (NaN rotation, absurd durations) become safe integers, never a trap.
    func testSafeIntOfDamagedFields() {
        XCTAssertEqual(VideoReader.safeInt(.nan), 0)
        XCTAssertEqual(VideoReader.safeInt(.infinity), 0)
        XCTAssertEqual(VideoReader.safeInt(1e300), 1 << 50)
        XCTAssertEqual(VideoReader.safeInt(-89.6), -90)
    }
}
