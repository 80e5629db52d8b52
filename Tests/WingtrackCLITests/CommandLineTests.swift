import Foundation
import XCTest
import TestSupport
import MediaIO
import WingNN

/// End-to-end checks of the built `wingtrack` binary: output, exit codes, one-line errors.
final class CommandLineTests: XCTestCase {
    var sample: String { WingtrackBinary.repo.appendingPathComponent("samples/grace_hopper.mp4").path }
    func run(_ args: [String]) throws -> WingtrackBinary.Result { try WingtrackBinary.run(args) }

    func testInfoJSONOnTheSample() throws {
        let r = try run(["info", "--count", "--json", sample])
        XCTAssertEqual(r.status, 0, r.stderr)
        struct Info: Decodable {
            var width: Int; var height: Int; var rotation: Int; var codec: String; var pix_fmt: String
            var fps: Double; var duration_s: Double; var frames_decoded: Int; var decode_errors: Int; var has_audio: Bool; var decode_fps: Double
        }
        let info = try JSONDecoder().decode(Info.self, from: Data(r.stdout.utf8))
        XCTAssertEqual(info.width, 640); XCTAssertEqual(info.height, 480)
        XCTAssertEqual(info.codec, "h264"); XCTAssertEqual(info.pix_fmt, "yuv420p")
        XCTAssertEqual(info.frames_decoded, 180); XCTAssertEqual(info.decode_errors, 0)
        XCTAssertEqual(info.fps, 30, accuracy: 1e-6); XCTAssertTrue(info.has_audio)
        XCTAssertGreaterThan(info.decode_fps, 0)
    }

    /// `info --blas` names OpenBLAS's core and which instructions our own kernels run with (AVX-512,
    /// else AVX2/FMA/F16C, else none), from the CPU's own feature bits.
    func testBLASLineNamesTheCore() throws {
        let r = try run(["info", "--blas"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.hasPrefix("OpenBLAS core "), r.stdout)
        let level = BLAS.cpuSIMDLevel
        let expected = level & 2 != 0 ? "own batch-1 kernels: AVX-512"
            : level & 5 == 5 ? "own batch-1 kernels: AVX2/FMA/F16C" : "own batch-1 kernels: off"
        XCTAssertTrue(r.stdout.contains(expected), r.stdout)
    }

    func testMissingAndBrokenInputsGiveOneLineEachAndExitOne() throws {
        let dir = try temporaryDirectory(self)
        let broken = dir.appendingPathComponent("broken.mp4")
        try Data("not a video".utf8).write(to: broken)
        let missing = dir.appendingPathComponent("missing.mp4").path
        let r = try run(["info", missing, broken.path, sample])
        XCTAssertEqual(r.status, 1)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, r.stderr)
        XCTAssertTrue(lines[0].contains("\(missing): no such file"), String(lines[0]))
        XCTAssertTrue(lines[1].contains("\(broken.path): cannot open"), String(lines[1]))
        XCTAssertTrue(r.stdout.contains("640x480"), "the good file is still reported")
    }

    func testUsageErrorsExitTwo() throws {
        XCTAssertEqual(try run(["info", "--no-such-flag"]).status, 2)
        XCTAssertEqual(try run(["frobnicate"]).status, 2)
        XCTAssertEqual(try run(["info"]).status, 2)
        let r = try run(["train", "--data", "x", "--out", "y", "--samples", "0"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("must be positive"), r.stderr)
        for bad in ["helen_train", "helen_train=0", "=2", "helen_train=x"] {
            let rep = try run(["train", "--data", "x", "--out", "y", "--repeat-source", bad])
            XCTAssertEqual(rep.status, 2, bad)
            XCTAssertTrue(rep.stderr.contains("--repeat-source '\(bad)'"), rep.stderr)
        }
        for bad in ["1.5", "-0.1", "nan"] {
            let occ = try run(["train", "--data", "x", "--out", "y", "--occlusion=\(bad)"])
            XCTAssertEqual(occ.status, 2, bad)
            XCTAssertTrue(occ.stderr.contains("--occlusion must be in [0, 1]"), occ.stderr)
            let glasses = try run(["train", "--data", "x", "--out", "y", "--glasses=\(bad)"])
            XCTAssertEqual(glasses.status, 2, bad)
            XCTAssertTrue(glasses.stderr.contains("--glasses must be in [0, 1]"), glasses.stderr)
        }
        for (flag, value) in [("--overlay-preset", "fastest"), ("--overlay-crf", "52"), ("--overlay-threads", "-1"), ("--max-faces", "0"), ("--max-faces", "17"),
                              ("--new-face-interval", "0"), ("--precision", "int4")] {
            let bad = try run(["track", "x.mp4", flag, value])
            XCTAssertEqual(bad.status, 2, flag)
            XCTAssertTrue(bad.stderr.contains(flag), bad.stderr)
        }
        let flip = try run(["track", "x.mp4", "--no-stage2", "--flip-average"])
        XCTAssertEqual(flip.status, 2)
        XCTAssertTrue(flip.stderr.contains("--flip-average"), flip.stderr)
    }

    /// A convention the shipped CNN-7 does not answer in: a usage error naming it, nothing written.
    func testUnknownConventionIsRefusedBeforeAnythingIsWritten() throws {
        let out = try temporaryDirectory(self).appendingPathComponent("out")
        let r = try run(["track", WingtrackBinary.repo.appendingPathComponent("samples/grace_hopper.mp4").path, "-o", out.path, "--convention", "Nonesuch"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("--convention Nonesuch"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    func testHelpPrintsUsageAndExitsZero() throws {
        for args in [["--help"], ["track", "--help"], ["help", "train"], ["detect", "-h"]] {
            let r = try run(args)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("USAGE: wingtrack"), "\(args): \(r.stdout)")
            XCTAssertEqual(r.stderr, "", "\(args)")
        }
    }

    /// A broken head-pose file beside good networks: one line naming it, exit 1, no output written.
    /// Without one, the yaw column stays empty and the run says so in NAME.json.
    func testBrokenHeadPoseFileIsNamedAndMissingOneLeavesYawEmpty() throws {
        let dir = try temporaryDirectory(self)
        let models = dir.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        for f in ["cnn6.wtm", "cnn7.wtm"] {
            try FileManager.default.copyItem(at: WingtrackBinary.repo.appendingPathComponent("models/\(f)"), to: models.appendingPathComponent(f))
        }
        let shipped = try String(contentsOf: WingtrackBinary.repo.appendingPathComponent("models/head_pose.json"), encoding: .utf8)
        try String(shipped.prefix(shipped.count / 2)).write(to: models.appendingPathComponent("head_pose.json"), atomically: true, encoding: .utf8)
        let sample = WingtrackBinary.repo.appendingPathComponent("samples/grace_hopper.mp4").path
        let out = dir.appendingPathComponent("out")
        let r = try run(["track", sample, "-o", out.path, "--models", models.path, "--no-video"])
        XCTAssertEqual(r.status, 1)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(lines.first?.contains("head_pose.json") == true && lines.first?.contains("not a head-pose file") == true, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))

        try FileManager.default.removeItem(at: models.appendingPathComponent("head_pose.json"))
        let ok = try run(["track", sample, "-o", out.path, "--models", models.path, "--no-video"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let rows = try String(contentsOf: out.appendingPathComponent("grace_hopper.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        let tracked = rows.map { $0.split(separator: ",", omittingEmptySubsequences: false) }.filter { $0[4] == "1" }
        XCTAssertFalse(tracked.isEmpty)
        XCTAssertTrue(tracked.allSatisfy { !$0[$0.count - 2].isEmpty && $0[$0.count - 1].isEmpty }, "roll without a head-pose file, yaw empty")
        let json = try String(contentsOf: out.appendingPathComponent("grace_hopper.json"), encoding: .utf8)
        XCTAssertTrue(json.contains("no head-pose file"), json)
    }

    /// A corrupted model: one line naming the file and the failed check, exit 1, no output written.
    func testCorruptModelIsNamedAndNothingIsWritten() throws {
        let dir = try temporaryDirectory(self)
        let models = dir.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        var bytes = try Data(contentsOf: WingtrackBinary.repo.appendingPathComponent("models/cnn6.wtm"))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: models.appendingPathComponent("cnn6.wtm"))
        let out = dir.appendingPathComponent("out")
        let r = try run(["track", WingtrackBinary.repo.appendingPathComponent("samples/grace_hopper.mp4").path, "-o", out.path, "--models", models.path])
        XCTAssertEqual(r.status, 1)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(lines.first?.contains("cnn6.wtm") == true && lines.first?.contains("checksum") == true, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "the output folder is created only once the models load")
    }

    func testTrainOnAMissingDatasetNamesTheFile() throws {
        let dir = try temporaryDirectory(self)
        let r = try run(["train", "--data", dir.appendingPathComponent("none").path, "--out", dir.appendingPathComponent("run").path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("none/landmarks.csv: cannot read"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1)
    }

    /// `evaluate --compare`: the same weights twice give identical figures, equal to the standard
    /// path's "cnn6 alone"; a malformed pair is a usage error; a stage-2 file is named and refused.
    /// A source the model has no block for (a hidden test set, say) is answered in the first block,
    /// 300-W, with one note saying so: the same figures as the same faces under a 300-W source.
    func testUnknownSourceIsAnsweredInThe300WBlockWithANote() throws {
        let shared = try requireSharedData().appendingPathComponent("faces68")
        let lines = try String(contentsOf: shared.appendingPathComponent("landmarks.csv"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init)
        let afw = lines.filter { $0.split(separator: ",")[2] == "afw" }.prefix(6)
        XCTAssertEqual(afw.count, 6)
        let dir = try temporaryDirectory(self)
        var answers: [String: [String: Any]] = [:]
        for source in ["afw", "helen"] {
            let data = dir.appendingPathComponent(source)
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: data.appendingPathComponent("images"), withDestinationURL: shared.appendingPathComponent("images"))
            let rows = afw.map { $0.replacingOccurrences(of: ",val,afw,", with: ",test,\(source),") }
            try ([lines[0]] + rows).joined(separator: "\n").appending("\n").write(to: data.appendingPathComponent("landmarks.csv"), atomically: true, encoding: .utf8)
            let r = try run(["evaluate", "--data", data.path, "--split", "test", "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stderr.contains("note: source 'helen'"), source == "helen", r.stderr)
            answers[source] = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        }
        let (a, h) = (try XCTUnwrap(answers["afw"]?["nme_io_mean"] as? Double), try XCTUnwrap(answers["helen"]?["nme_io_mean"] as? Double))
        XCTAssertEqual(a, h)
        XCTAssertGreaterThan(a, 0)
    }

    func testEvaluateCompareAgreesWithTheStandardPath() throws {
        let data = try requireSharedData().appendingPathComponent("faces68").path
        XCTAssertEqual(try run(["evaluate", "--data", data, "--compare", "nolabel"]).status, 2)
        let dir = try temporaryDirectory(self)
        let models = dir.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        let cnn6 = WingtrackBinary.repo.appendingPathComponent("models/cnn6.wtm")
        try FileManager.default.copyItem(at: cnn6, to: models.appendingPathComponent("cnn6.wtm"))
        let standard = try run(["evaluate", "--data", data, "--models", models.path, "--json"])
        XCTAssertEqual(standard.status, 0, standard.stderr)
        let compared = try run(["evaluate", "--data", data, "--compare", "a=\(cnn6.path)", "--compare", "b=\(cnn6.path)", "--json"])
        XCTAssertEqual(compared.status, 0, compared.stderr)
        let s = try JSONSerialization.jsonObject(with: Data(standard.stdout.utf8)) as! [String: Any]
        let c = try JSONSerialization.jsonObject(with: Data(compared.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(c["order"] as? [String], ["a", "b"])
        let a = c["a"] as! [String: Any], b = c["b"] as! [String: Any]
        XCTAssertEqual(a["nme_io_mean"] as? Double, b["nme_io_mean"] as? Double)
        XCTAssertEqual(a["nme_io_mean"] as? Double, s["nme_io_mean"] as? Double, "same network, same boxes, same figure")
        XCTAssertEqual(a["failure_008"] as? Double, s["failure_008"] as? Double)

        let stage2 = dir.appendingPathComponent("stage2.wtm")
        try FileManager.default.copyItem(at: WingtrackBinary.repo.appendingPathComponent("models/cnn7.wtm"), to: stage2)
        let refused = try run(["evaluate", "--data", data, "--compare", "x=\(stage2.path)"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("stage2.wtm: not a stage-1 network"), refused.stderr)
    }
}
