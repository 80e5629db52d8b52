import Foundation
import XCTest
import TestSupport

/// Issue #8: damaged and unusual inputs in one batch — no crash, no hang, one clear line per failed
/// file, the frames before damage processed, the rest of the batch complete, exit code 1.
final class ReliabilityTests: XCTestCase {
    var repo: URL { WingtrackBinary.repo }

    func testBadInputCorpusInOneBatch() throws {
        let dir = try temporaryDirectory(self)
        let corpus = try BadInputCorpus(directory: dir.appendingPathComponent("in"), sample: repo.appendingPathComponent("samples/grace_hopper.mp4"))
        for s in corpus.skipped { print("reliability corpus: skipped \(s)") }
        XCTAssertGreaterThanOrEqual(corpus.cases.count, 14)
        let out = dir.appendingPathComponent("out")
        let r = try WingtrackBinary.run(["track", corpus.directory.path, "-o", out.path, "--models", repo.appendingPathComponent("models").path, "--jobs", "2"],
                                        timeout: 300)
        XCTAssertFalse(r.timedOut, "the batch hung")
        XCTAssertEqual(r.status, 1, "some inputs fail: exit 1\n\(r.stderr)")
        let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("wingtrack: error:") }
        struct Summary: Decodable { struct I: Decodable { var input: String; var status: String; var frames: Int? }; var items: [I] }
        let items = try JSONDecoder().decode(Summary.self, from: Data(contentsOf: out.appendingPathComponent("summary.json"))).items
        var table: [String] = []
        for c in corpus.cases {
            guard let item = items.first(where: { $0.input.hasSuffix("/" + c.file) }) else { XCTFail("\(c.name): not in summary.json"); continue }
            let stem = (c.file as NSString).deletingPathExtension
            let lines = errors.filter { $0.contains("/" + c.file + ":") }
            table.append("\(c.name): \(item.status) \(item.frames.map { "\($0) frames" } ?? "") \(lines.first ?? "")")
            switch (c.expect, item.status) {
            case (.fails, "failed"), (.partialOrFails, "failed"):
                XCTAssertEqual(lines.count, 1, "\(c.name): one error line naming the file")
                XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent(stem + ".csv").path), "\(c.name): no CSV")
            case (.frames(let n), "done"):
                XCTAssertEqual(item.frames, n, c.name)
                XCTAssertEqual(try String(contentsOf: out.appendingPathComponent(stem + ".csv"), encoding: .utf8)
                    .split(separator: "\n").count, n + 1, "\(c.name): one CSV row per frame")
            case (.partialOrFails, "done"):
                XCTAssertGreaterThan(item.frames ?? 0, 0, c.name)
            default:
                XCTFail("\(c.name): expected \(c.expect), got \(item.status)")
            }
        }
        print("reliability corpus:\n  " + table.joined(separator: "\n  "))
        // Nothing partial under a final name: every output file belongs to a completed input.
        let done = Set(items.filter { $0.status == "done" }.map { (URL(fileURLWithPath: $0.input).lastPathComponent as NSString).deletingPathExtension })
        for f in try FileManager.default.contentsOfDirectory(atPath: out.path) where f != "summary.json" {
            XCTAssertTrue(done.contains(String(f.split(separator: ".")[0])), "\(f) belongs to no completed input")
        }
    }

    /// Output folder problems: a path that cannot be a folder gives one clear line and touches
    /// nothing; a disk that fills up during a video removes that video's partial outputs, says why,
    /// and the batch goes on (needs a small tmpfs: root with mount rights, else skipped).
    func testOutputFolderProblemsAndFullDisk() throws {
        let dir = try temporaryDirectory(self)
        let models = repo.appendingPathComponent("models").path
        let clip = dir.appendingPathComponent("a.mp4")
        try BadInputCorpus.copyFrames(from: repo.appendingPathComponent("samples/grace_hopper.mp4"), to: clip, count: 8)
        let file = dir.appendingPathComponent("plain.txt")
        try Data("x".utf8).write(to: file)
        var r = try WingtrackBinary.run(["track", clip.path, "-o", file.appendingPathComponent("out").path, "--models", models])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("plain.txt/out: cannot create the output folder"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: file), Data("x".utf8), "nothing else touched")

        // Full disk: a 400 KiB tmpfs holds the short clip's outputs but not the long clip's overlay.
        let small = dir.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=400k", "tmpfs", small.path]
        mount.standardError = FileHandle.nullDevice
        guard (try? mount.run()) != nil, { mount.waitUntilExit(); return mount.terminationStatus == 0 }() else {
            throw XCTSkip("cannot mount a small tmpfs here (needs root with mount rights); the full-disk case is not tested")
        }
        defer {
            let u = Process(); u.executableURL = URL(fileURLWithPath: "/bin/umount"); u.arguments = [small.path]
            try? u.run(); u.waitUntilExit()
        }
        let long = dir.appendingPathComponent("b.mp4")
        try BadInputCorpus.copyFrames(from: repo.appendingPathComponent("samples/grace_hopper.mp4"), to: long, count: 180)
        r = try WingtrackBinary.run(["track", clip.path, long.path, "-o", small.path, "--models", models], timeout: 300)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("b.overlay.mp4") || r.stderr.contains("b.csv"), r.stderr)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: small.path))
        XCTAssertTrue(files.isSuperset(of: ["a.csv", "a.json", "a.overlay.mp4"]), "\(files)")
        XCTAssertTrue(files.isDisjoint(with: ["b.csv", "b.json", "b.overlay.mp4"]), "no partial output under a final name: \(files)")
        XCTAssertTrue(files.allSatisfy { !$0.hasPrefix(".") }, "temporary files removed: \(files)")
    }

    /// A 30-minute video (tiny, 32×24, 54,000 frames, overlay on): every frame is processed and the
    /// peak resident memory (the kernel's VmHWM, read while it runs) stays under 300 MB.
    func testThirtyMinuteVideoKeepsMemoryFlat() throws {
        let dir = try temporaryDirectory(self)
        let clip = dir.appendingPathComponent("long.mp4")
        let gen = Process()
        gen.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gen.arguments = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=32x24:rate=30:duration=1800",
                         "-c:v", "libx264", "-preset", "ultrafast", clip.path]
        guard (try? gen.run()) != nil, { gen.waitUntilExit(); return gen.terminationStatus == 0 }() else {
            throw XCTSkip("no ffmpeg command line to make the 30-minute video")
        }
        let out = dir.appendingPathComponent("out")
        let p = Process()
        p.executableURL = WingtrackBinary.url
        p.arguments = ["track", clip.path, "-o", out.path, "--models", repo.appendingPathComponent("models").path]
        p.standardError = FileHandle.nullDevice
        try p.run()
        var peakKB = 0
        let deadline = Date().addingTimeInterval(900)
        while p.isRunning && Date() < deadline {
            if let status = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8),
               let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kb = Int(line.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "") {
                peakKB = max(peakKB, kb)
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        if p.isRunning { p.terminate(); XCTFail("hang") }
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        struct J: Decodable { var frames: Int }
        XCTAssertEqual(try JSONDecoder().decode(J.self, from: Data(contentsOf: out.appendingPathComponent("long.json"))).frames, 54_000)
        print("30-minute video: peak RSS \(peakKB / 1024) MB")
        XCTAssertGreaterThan(peakKB, 0, "VmHWM was read")
        XCTAssertLessThan(peakKB, 300 * 1024)
    }

    /// 100 mutations of a short clip (byte flips, inserted junk, truncations, duplicated chunks) in
    /// one batch: no crash, no hang, every input reported as done or failed. `make fuzz` runs 1,000
    /// of them one process each.
    func testHundredFuzzedInputs() throws {
        let dir = try temporaryDirectory(self)
        let base = dir.appendingPathComponent("base.mp4")
        try BadInputCorpus.copyFrames(from: repo.appendingPathComponent("samples/grace_hopper.mp4"), to: base, count: 10)
        let bytes = [UInt8](try Data(contentsOf: base))
        let inputs = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        var rng = SplitMix(seed: 2026)
        for k in 0..<100 {
            try Data(Fuzz.mutate(bytes, rng: &rng)).write(to: inputs.appendingPathComponent(String(format: "f%03d.mp4", k)))
        }
        let out = dir.appendingPathComponent("out")
        let r = try WingtrackBinary.run(["track", inputs.path, "-o", out.path, "--models", repo.appendingPathComponent("models").path, "--no-video", "--jobs", "2"],
                                        timeout: 300)
        XCTAssertFalse(r.timedOut, "hang")
        XCTAssertTrue([0, 1].contains(r.status), "crash: status \(r.status)\n\(r.stderr.suffix(2000))")
        struct Summary: Decodable { struct I: Decodable { var status: String }; var items: [I] }
        let items = try JSONDecoder().decode(Summary.self, from: Data(contentsOf: out.appendingPathComponent("summary.json"))).items
        XCTAssertEqual(items.count, 100)
        XCTAssertTrue(items.allSatisfy { ["done", "failed"].contains($0.status) })
        print("fuzz: \(items.filter { $0.status == "done" }.count) done, \(items.filter { $0.status == "failed" }.count) failed cleanly")
    }
}

/// The mutations of `make fuzz` (Scripts/fuzz.py does the same in Python).
enum Fuzz {
    static func mutate(_ input: [UInt8], rng: inout SplitMix) -> [UInt8] {
        var d = input
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            guard !d.isEmpty else { break }
            switch rng.next() % 4 {
            case 0:   // flip 1–50 random bytes
                for _ in 0..<(1 + Int(rng.next() % 50)) { d[Int(rng.next() % UInt64(d.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            case 1:   // insert up to 256 random bytes
                let at = Int(rng.next() % UInt64(d.count))
                d.insert(contentsOf: (0..<Int(1 + rng.next() % 256)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            case 2:   // truncate
                d = Array(d.prefix(Int(rng.next() % UInt64(d.count))))
            default:  // duplicate a chunk elsewhere
                let a = Int(rng.next() % UInt64(d.count)), n = min(d.count - a, Int(1 + rng.next() % 4096))
                d.insert(contentsOf: d[a..<(a + n)], at: Int(rng.next() % UInt64(d.count)))
            }
        }
        return d
    }
}
