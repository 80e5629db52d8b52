import Foundation
import XCTest
import TestSupport
import MediaIO
import WingNN

/// The `track` command's output contract, on the built binary with the shipped models.
final class TrackCommandTests: XCTestCase {
    var repo: URL { WingtrackBinary.repo }

    /// The first `frames` frames of the sample clip, re-encoded (keeps the face; small and quick).
    func shortClip(_ url: URL, frames: Int) throws {
        let r = try VideoReader(url: repo.appendingPathComponent("samples/grace_hopper.mp4"))
        let w = try VideoWriter(url: url, width: r.info.width, height: r.info.height)
        for _ in 0..<frames { guard let f = r.nextFrame() else { break }; try w.write(f.image, timestamp: f.timestamp) }
        try w.finish()
    }

    func csvLines(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func testOutputsOfTheSampleFollowTheContract() throws {
        let out = try temporaryDirectory(self)
        let sample = repo.appendingPathComponent("samples/grace_hopper.mp4")
        let r = try WingtrackBinary.run(["track", sample.path, "-o", out.path, "--models", repo.appendingPathComponent("models").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try csvLines(out.appendingPathComponent("grace_hopper.csv"))
        let golden = try String(contentsOf: repo.appendingPathComponent("Tests/WingtrackCLITests/Golden/csv_header.txt"), encoding: .utf8)
        XCTAssertEqual(lines[0], golden.trimmingCharacters(in: .newlines))
        XCTAssertEqual(lines.count, 1 + 180, "one row per decoded frame")
        // Frame numbers are 1-based; timestamps are the input's presentation times.
        let input = try VideoReader(url: sample)
        var k = 1
        while let f = input.nextFrame() {
            let fields = lines[k].split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertEqual(fields.count, 5 + 136 + 4 + 2, "frame … success, 68 x and 68 y, the box, roll and yaw")
            if fields[4] == "1" { XCTAssertNotNil(Float(fields[145])); XCTAssertNotNil(Float(fields[146])) }
            XCTAssertEqual(Int(fields[0]), k)
            XCTAssertEqual(Double(fields[2])!, f.timestamp, accuracy: 1e-6)
            k += 1
        }
        // The overlay has the input's frames, timestamps and audio.
        let overlay = out.appendingPathComponent("grace_hopper.overlay.mp4")
        let streams = try StreamSummary.read(overlay)
        XCTAssertEqual(streams.first { $0.kind == .video }?.packets, 180)
        let srcAudio = try StreamSummary.read(sample).first { $0.kind == .audio }!
        XCTAssertEqual(Double(streams.first { $0.kind == .audio }?.packets ?? 0), Double(srcAudio.packets), accuracy: 1)
        let o = try VideoReader(url: overlay)
        let src = try VideoReader(url: sample)
        while let a = o.nextFrame() { XCTAssertEqual(a.timestamp, src.nextFrame()!.timestamp, accuracy: 1.0 / 90_000) }
        // Per-video and run summaries agree with the CSV.
        struct V: Decodable { var frames: Int; var framesTracked: Int }
        let v = try JSONDecoder().decode(V.self, from: Data(contentsOf: out.appendingPathComponent("grace_hopper.json")))
        XCTAssertEqual(v.frames, 180)
        XCTAssertEqual(v.framesTracked, lines.dropFirst().filter { $0.split(separator: ",", omittingEmptySubsequences: false)[4] == "1" }.count)
        XCTAssertGreaterThan(v.framesTracked, 170, "the sample's face should be tracked almost throughout")
        struct S: Decodable { var inputs: Int; var done: Int; var failed: Int }
        let s = try JSONDecoder().decode(S.self, from: Data(contentsOf: out.appendingPathComponent("summary.json")))
        XCTAssertEqual([s.inputs, s.done, s.failed], [1, 1, 0])
        // No temporary files left behind.
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: out.path).contains { $0.hasPrefix(".") })
    }

    /// NAME.json says which networks made the landmarks; `--no-stage2` runs CNN-6 alone.
    func testJSONNamesTheNetworksAndNoStage2DropsCNN7() throws {
        let dir = try temporaryDirectory(self)
        let clip = dir.appendingPathComponent("clip.mp4")
        try shortClip(clip, frames: 10)
        let hasCNN7 = FileManager.default.fileExists(atPath: repo.appendingPathComponent("models/cnn7.wtm").path)
        for (flags, expected) in [([String](), hasCNN7 ? "cnn6+cnn7" : "cnn6"), (["--no-stage2"], "cnn6")] {
            let out = dir.appendingPathComponent("out\(flags.count)")
            let r = try WingtrackBinary.run(["track", clip.path, "-o", out.path, "--no-video", "--models", repo.appendingPathComponent("models").path] + flags)
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("clip.json"))) as! [String: Any]
            XCTAssertEqual(json["networks"] as? String, expected, "\(flags)")
            XCTAssertEqual((json["settings"] as? [String: String])?["stage1"], "every-frame")
        }
    }

    /// `--precision`: NAME.json records the arithmetic (int8 by default where the CPU has VNNI, else
    /// f32), and the landmarks of both agree to a fraction of a pixel on the sample's frames.
    func testPrecisionIsRecordedAndBothArithmeticsAgree() throws {
        let dir = try temporaryDirectory(self)
        let clip = dir.appendingPathComponent("clip.mp4")
        try shortClip(clip, frames: 30)
        var points: [String: [Double]] = [:]
        for flags in [[], ["--precision", "f32"]] {
            let out = dir.appendingPathComponent("out\(flags.count)")
            let r = try WingtrackBinary.run(["track", clip.path, "-o", out.path, "--no-video"] + flags)
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("clip.json"))) as! [String: Any]
            let precision = (json["settings"] as? [String: String])?["precision"]
            XCTAssertEqual(precision, flags.isEmpty && Int8Arithmetic.supported ? "int8" : "f32", "\(flags)")
            let rows = try csvLines(out.appendingPathComponent("clip.csv")).dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            XCTAssertEqual(rows.count, 30)
            XCTAssertTrue(rows.allSatisfy { $0[4] == "1" }, "every frame of the sample is tracked")
            points[precision ?? "?"] = rows.flatMap { $0[5..<141].map { Double($0)! } }
        }
        guard Int8Arithmetic.supported else { return }
        let (a, b) = (try XCTUnwrap(points["int8"]), try XCTUnwrap(points["f32"]))
        let differences = zip(a, b).map { abs($0 - $1) }
        XCTAssertGreaterThan(differences.max()!, 0, "int8 should not give f32's bits: is it running?")
        // Measured 0.25 px on average, 1.8 px at most (2026-11-28); the accuracy on ground truth is
        // unchanged (docs/performance.md). A wrong scale or tap would move points by many pixels.
        XCTAssertLessThan(differences.reduce(0, +) / Double(differences.count), 0.5, "mean difference in px")
        XCTAssertLessThan(differences.max()!, 3.0, "largest difference in px")
    }

    /// `--overlay-preset` and `--overlay-crf` reach the encoder: the same frames come out bigger with
    /// a faster preset and a lower CRF, every frame is there, and NAME.json records the settings
    /// (with the encoder's threads: one by default for this small clip).
    func testOverlayEncoderSettingsReachTheEncoder() throws {
        let dir = try temporaryDirectory(self)
        let clip = dir.appendingPathComponent("clip.mp4")
        try shortClip(clip, frames: 12)
        var sizes: [String: Int] = [:]
        for (preset, crf, threads) in [("veryfast", 20, nil), ("ultrafast", 20, 0), ("veryfast", 12, 2)] {
            let key = "\(preset)-\(crf)", out = dir.appendingPathComponent(key)
            let r = try WingtrackBinary.run(["track", clip.path, "-o", out.path, "--no-stage2", "--overlay-preset", preset, "--overlay-crf", "\(crf)",
                                             "--models", repo.appendingPathComponent("models").path]
                                            + (threads.map { ["--overlay-threads", "\($0)"] } ?? []))
            XCTAssertEqual(r.status, 0, r.stderr)
            let overlay = out.appendingPathComponent("clip.overlay.mp4")
            sizes[key] = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: overlay.path)[.size] as? Int)
            let reader = try VideoReader(url: overlay)
            var n = 0
            while reader.nextFrame() != nil { n += 1 }
            XCTAssertEqual(n, 12, key)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("clip.json"))) as! [String: Any]
            let settings = try XCTUnwrap(json["settings"] as? [String: String])
            XCTAssertEqual(settings["overlay_preset"], preset); XCTAssertEqual(settings["overlay_crf"], "\(crf)")
            XCTAssertEqual(settings["overlay_threads"], "\(threads ?? 1)")
        }
        XCTAssertGreaterThan(sizes["ultrafast-20"]!, sizes["veryfast-20"]!, "\(sizes)")
        XCTAssertGreaterThan(sizes["veryfast-12"]!, sizes["veryfast-20"]!, "\(sizes)")
    }

    /// The overlay is drawn on the decoded samples: encoded losslessly, every frame keeps the input's
    /// luma wherever nothing is drawn (no RGB round trip), and the input's colour tags.
    func testOverlayKeepsTheDecodedSamplesAndColourTags() throws {
        let dir = try temporaryDirectory(self)
        let clip = dir.appendingPathComponent("clip.mp4")
        let r = try VideoReader(url: repo.appendingPathComponent("samples/grace_hopper.mp4"))
        var o = VideoWriter.Options(); o.colourTags = ColourTags(primaries: 1, transfer: 1, matrix: 1)
        let w = try VideoWriter(url: clip, width: r.info.width, height: r.info.height, options: o)
        for _ in 0..<6 { guard let f = r.nextFrame() else { break }; try w.write(f.image, timestamp: f.timestamp) }
        try w.finish()
        let out = dir.appendingPathComponent("out")
        let run = try WingtrackBinary.run(["track", clip.path, "-o", out.path, "--no-stage2", "--overlay-preset", "ultrafast", "--overlay-crf", "0",
                                           "--models", repo.appendingPathComponent("models").path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("clip.json"))) as! [String: Any]
        XCTAssertEqual((json["settings"] as? [String: String])?["frames_read_as"], "decoded yuv420p")
        let input = try VideoReader(url: clip, keepPlanes: true)
        let overlay = try VideoReader(url: out.appendingPathComponent("clip.overlay.mp4"), keepPlanes: true)
        XCTAssertEqual(overlay.colourTags, ColourTags(primaries: 1, transfer: 1, matrix: 1))
        var n = 0
        while let a = input.nextFrame() {
            let b = try XCTUnwrap(overlay.nextFrame(), "frame \(n) missing")
            let pa = try XCTUnwrap(a.planes), pb = try XCTUnwrap(b.planes)
            let same = zip(pa.luma, pb.luma).filter { $0 == $1 }.count
            let fraction = Double(same) / Double(pa.luma.count)
            XCTAssertGreaterThan(fraction, 0.97, "frame \(n): luma changed beyond the drawing")
            XCTAssertLessThan(fraction, 1, "frame \(n): nothing drawn")
            n += 1
        }
        XCTAssertEqual(n, 6)

        // A rotated input is drawn on its upright RGB frames, and says so.
        let turned = dir.appendingPathComponent("turned.mp4")
        let r2 = try VideoReader(url: clip)
        var ro = VideoWriter.Options(); ro.displayRotation = 90
        let w2 = try VideoWriter(url: turned, width: r2.info.width, height: r2.info.height, options: ro)
        while let f = r2.nextFrame() { try w2.write(f.image, timestamp: f.timestamp) }
        try w2.finish()
        let run2 = try WingtrackBinary.run(["track", turned.path, "-o", out.path, "--no-stage2", "--models", repo.appendingPathComponent("models").path])
        XCTAssertEqual(run2.status, 0, run2.stderr)
        let json2 = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("turned.json"))) as! [String: Any]
        XCTAssertEqual((json2["settings"] as? [String: String])?["frames_read_as"], "rgb (the input is shown rotated by 90°)")
    }

    func testBatchWithABrokenFileResumeAndShards() throws {
        let dir = try temporaryDirectory(self)
        let inputs = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: inputs.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try shortClip(inputs.appendingPathComponent("a.mp4"), frames: 8)
        try shortClip(inputs.appendingPathComponent("sub/b.mov"), frames: 8)
        try Data("not a video".utf8).write(to: inputs.appendingPathComponent("broken.mp4"))
        let models = repo.appendingPathComponent("models").path
        let out = dir.appendingPathComponent("out")
        var r = try WingtrackBinary.run(["track", inputs.path, "-o", out.path, "--models", models, "--no-video", "--jobs", "1"])
        XCTAssertEqual(r.status, 1, "one input failed")
        XCTAssertTrue(r.stderr.contains("broken.mp4: cannot open"), r.stderr)
        for n in ["a", "b"] {
            XCTAssertEqual(try csvLines(out.appendingPathComponent("\(n).csv")).count, 9)
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("\(n).json").path))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("broken.csv").path))
        // --jobs 3: the same outputs, byte for byte, and the same report order.
        let parallel = dir.appendingPathComponent("parallel")
        r = try WingtrackBinary.run(["track", inputs.path, "-o", parallel.path, "--models", models, "--no-video", "--jobs", "3"])
        XCTAssertEqual(r.status, 1, r.stderr)
        for n in ["a", "b"] {
            XCTAssertEqual(try Data(contentsOf: parallel.appendingPathComponent("\(n).csv")), try Data(contentsOf: out.appendingPathComponent("\(n).csv")), n)
        }
        struct Order: Decodable { struct I: Decodable { var input: String; var status: String }; var items: [I] }
        let order = try JSONDecoder().decode(Order.self, from: Data(contentsOf: parallel.appendingPathComponent("summary.json"))).items
        XCTAssertEqual(order.map { URL(fileURLWithPath: $0.input).lastPathComponent }, ["a.mp4", "broken.mp4", "b.mov"])
        XCTAssertEqual(order.map(\.status), ["done", "failed", "done"])
        // --resume skips the complete ones and retries the failure.
        r = try WingtrackBinary.run(["track", inputs.path, "-o", out.path, "--models", models, "--no-video", "--resume"])
        struct S: Decodable { var done: Int; var skipped: Int; var failed: Int }
        let s = try JSONDecoder().decode(S.self, from: Data(contentsOf: out.appendingPathComponent("summary.json")))
        XCTAssertEqual([s.done, s.skipped, s.failed], [0, 2, 1])
        // Shards 1/2 and 2/2 together cover every input once.
        var covered: [String] = []
        for i in 1...2 {
            let o = dir.appendingPathComponent("shard\(i)")
            _ = try WingtrackBinary.run(["track", inputs.path, "-o", o.path, "--models", models, "--no-video", "--shard", "\(i)/2"])
            struct Items: Decodable { struct I: Decodable { var input: String }; var items: [I] }
            covered += try JSONDecoder().decode(Items.self, from: Data(contentsOf: o.appendingPathComponent("summary.json"))).items.map(\.input)
        }
        XCTAssertEqual(covered.count, 3)
        XCTAssertEqual(Set(covered).count, 3)
    }

    /// SIGTERM mid-batch: the video in flight leaves nothing behind, summary.json says what completed,
    /// the exit code is 143; `--resume` then completes exactly the rest.
    func testTerminationMidBatchThenResume() throws {
        let dir = try temporaryDirectory(self)
        let inputs = dir.appendingPathComponent("in"), out = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        try shortClip(inputs.appendingPathComponent("a.mp4"), frames: 5)
        for n in ["b", "c"] { try shortClip(inputs.appendingPathComponent("\(n).mp4"), frames: 180) }
        let models = repo.appendingPathComponent("models").path
        let p = Process()
        p.executableURL = WingtrackBinary.url
        p.arguments = ["track", inputs.path, "-o", out.path, "--models", models, "--jobs", "1"]   // one video at a time
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until a is done and b is in flight (its hidden temporary files exist), then SIGTERM.
        func bInFlight() -> Bool {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
            return names.contains("a.json") && names.contains { $0.hasPrefix(".b.") }
        }
        let deadline = Date().addingTimeInterval(60)
        while !bInFlight() && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertTrue(bInFlight(), "b never started")
        p.terminate()   // SIGTERM
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 143)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
        XCTAssertEqual(files, ["a.csv", "a.json", "a.overlay.mp4", "summary.json"], "nothing partial is left behind")
        struct S: Decodable { struct I: Decodable { var status: String }; var done: Int; var interrupted: Bool; var items: [I] }
        let s = try JSONDecoder().decode(S.self, from: Data(contentsOf: out.appendingPathComponent("summary.json")))
        XCTAssertTrue(s.interrupted)
        XCTAssertEqual(s.items.map(\.status), ["done", "interrupted", "not started"])
        let r = try WingtrackBinary.run(["track", inputs.path, "-o", out.path, "--models", models, "--resume"])
        XCTAssertEqual(r.status, 0, r.stderr)
        struct T: Decodable { var done: Int; var skipped: Int }
        let t = try JSONDecoder().decode(T.self, from: Data(contentsOf: out.appendingPathComponent("summary.json")))
        XCTAssertEqual([t.done, t.skipped], [2, 1])
        for n in ["b", "c"] { XCTAssertEqual(try csvLines(out.appendingPathComponent("\(n).csv")).count, 181) }
    }

    func testBadOptionsExitTwo() throws {
        XCTAssertEqual(try WingtrackBinary.run(["track", "x.mp4", "--shard", "3/2"]).status, 2)
        XCTAssertEqual(try WingtrackBinary.run(["track", "x.mp4", "--smooth", "kalman"]).status, 2)
        XCTAssertEqual(try WingtrackBinary.run(["track", "x.mp4", "--jobs", "0"]).status, 2)
        XCTAssertEqual(try WingtrackBinary.run(["track", "x.mp4", "--threshold", "1.5"]).status, 2)
    }
}
