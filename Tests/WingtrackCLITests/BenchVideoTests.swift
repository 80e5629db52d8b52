import Foundation
import XCTest
import TestSupport
import MediaIO

/// `wingtrack bench video`: the clips it measures have the asked size, length and timing, the
/// figures are consistent with each other, and bad options or a missing source are refused.
final class BenchVideoTests: XCTestCase {
    var sample: String { WingtrackBinary.repo.appendingPathComponent("samples/grace_hopper.mp4").path }

    func testMeasuresClipsOfTheAskedSizeMadeFromTheSample() throws {
        let keep = try temporaryDirectory(self).appendingPathComponent("kept")
        let r = try WingtrackBinary.run(["bench", "video", "--sizes", "320x180", "--frames", "24", "--json", "--keep", keep.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        struct Row: Decodable {
            var size: String; var frames: Int; var decodeFps: Double; var decodeEncodeFps: Double
            var trackFps: Double; var trackOverlayFps: Double; var overlayRatio: Double; var successRate: Double; var stageMs: [String: Double]
        }
        struct Report: Decodable { var video: [Row]; var videoSetup: [String: String] }
        let report = try JSONDecoder().decode(Report.self, from: Data(r.stdout.utf8))
        let rows = report.video
        XCTAssertEqual(report.videoSetup["source"], "grace_hopper.mp4")
        XCTAssertEqual(report.videoSetup["overlay"], "x264 veryfast, crf 23")
        XCTAssertEqual(report.videoSetup["cores"], "\(ProcessInfo.processInfo.activeProcessorCount)")
        XCTAssertEqual(rows.count, 1)
        let row = try XCTUnwrap(rows.first)
        XCTAssertEqual(row.size, "320x180")
        XCTAssertEqual(row.frames, 24)
        for fps in [row.decodeFps, row.decodeEncodeFps, row.trackFps, row.trackOverlayFps] { XCTAssertGreaterThan(fps, 0) }
        XCTAssertEqual(row.overlayRatio, row.trackOverlayFps / row.decodeEncodeFps, accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(row.successRate, 0.9, "the sample's face is tracked in the small clip")
        XCTAssertGreaterThan(row.stageMs["cnn7"] ?? 0, 0)

        // The clip measured: the asked size and length, with the sample's own timestamps.
        let clip = try VideoReader(url: keep.appendingPathComponent("clip-320x180.mp4"))
        let source = try VideoReader(url: URL(fileURLWithPath: sample))
        XCTAssertEqual(clip.info.width, 320); XCTAssertEqual(clip.info.height, 180)
        var n = 0
        while let f = clip.nextFrame() {
            let s = try XCTUnwrap(source.nextFrame())
            XCTAssertEqual(f.timestamp, s.timestamp, accuracy: 1e-3, "frame \(n)")
            n += 1
        }
        XCTAssertEqual(n, 24)
        let csv = try String(contentsOf: keep.appendingPathComponent("track-320x180.csv"), encoding: .utf8)
        XCTAssertEqual(csv.split(whereSeparator: \.isNewline).count, 1 + 24, "a CSV row per frame")

        // What it measured is `track`'s work: `track` on the same clip writes the same CSV.
        let out = keep.appendingPathComponent("track")
        let t = try WingtrackBinary.run(["track", keep.appendingPathComponent("clip-320x180.mp4").path, "-o", out.path, "--no-video"])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("clip-320x180.csv"), encoding: .utf8), csv)
    }

    func testBadSizesAndAMissingSourceAreRefused() throws {
        for bad in ["321x180", "1280", "0x0", "axb"] {
            let r = try WingtrackBinary.run(["bench", "video", "--sizes", bad])
            XCTAssertEqual(r.status, 2, bad)
            XCTAssertTrue(r.stderr.contains("'\(bad)'"), r.stderr)
        }
        let missing = try temporaryDirectory(self).appendingPathComponent("nothing.mp4").path
        let r = try WingtrackBinary.run(["bench", "video", "--source", missing])
        XCTAssertEqual(r.status, 1)
        let lines = r.stderr.split(whereSeparator: \.isNewline)
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(missing): no such file"), r.stderr)
    }
}
