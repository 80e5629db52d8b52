import Foundation
import XCTest
import TestSupport
import WingNN

/// `wingtrack refit` end to end: it moves only the blocks it has faces for, records what it did, and
/// refuses bad input with one line and no output file.
final class RefitCommandTests: XCTestCase {
    func run(_ args: [String]) throws -> WingtrackBinary.Result { try WingtrackBinary.run(args) }
    var shippedCNN7: URL { WingtrackBinary.repo.appendingPathComponent("models/cnn7.wtm") }

    /// The first 150 training faces are HELEN's: the 300-W block is refitted, the other blocks and the
    /// face logit keep their weights bit for bit, and the header says what was chosen.
    func testRefitsOnlyTheBlocksItHasFacesFor() throws {
        let data = try requireSharedData().appendingPathComponent("faces68").path
        let out = try temporaryDirectory(self).appendingPathComponent("cnn7.wtm")
        let r = try run(["refit", shippedCNN7.path, "--data", data, "--limit", "150", "--draws", "1", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("| 300-W | 150 |"), r.stdout)
        XCTAssertTrue(r.stdout.contains("| YouTube-Faces | 0 |"), r.stdout)

        let before = try ModelFile.load(shippedCNN7), after = try ModelFile.load(out)
        let spec = before.header.spec
        XCTAssertEqual(after.header.spec, spec)
        XCTAssertEqual(spec.conventions.first, "300-W")
        let m = 2 * spec.landmarkCount
        let (w0, w1) = (before.network.parameters.suffix(2).first!, after.network.parameters.suffix(2).first!)
        let (b0, b1) = (before.network.parameters.last!, after.network.parameters.last!)
        let k = w0.shape[1]
        // (With 150 faces the rule may keep the offset alone: then only the block's bias moves.)
        XCTAssertTrue(w0.value[0..<(m * k)] != w1.value[0..<(m * k)] || b0.value[0..<m] != b1.value[0..<m], "the 300-W block moved")
        XCTAssertTrue(w0.value[(m * k)...] == w1.value[(m * k)...], "the other blocks and the face logit did not")
        XCTAssertTrue(b0.value[m...] == b1.value[m...])
        for (p, q) in zip(before.network.parameters.dropLast(2), after.network.parameters.dropLast(2)) {
            XCTAssertTrue(p.value == q.value, "\(p.name) is not part of the output layer and must not change")
        }
        let record = try XCTUnwrap(after.header.provenance["refit"])
        XCTAssertTrue(record.contains("\"convention\":\"300-W\""), record)
        XCTAssertEqual(after.header.mirrorOffsets?.count, 3, "the mirror offsets are fitted after the blocks")
        XCTAssertTrue(after.header.provenance["refit_command"]?.contains("--limit 150") == true)
    }

    /// `--mirror-only` keeps every weight bit for bit and adds the mirror offsets: the 300-W block's from
    /// HELEN's faces (or zeros, if they did not help its held-out subjects), zeros for the blocks without
    /// faces. CNN-6 is refused.
    func testMirrorOnlyAddsOffsetsAndKeepsTheWeights() throws {
        let data = try requireSharedData().appendingPathComponent("faces68").path
        let dir = try temporaryDirectory(self)
        let out = dir.appendingPathComponent("cnn7.wtm")
        let r = try run(["refit", shippedCNN7.path, "--data", data, "--limit", "150", "--draws", "1", "--mirror-only", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("| 300-W | 150 |"), r.stdout)
        XCTAssertFalse(r.stdout.contains("ridge λ"), "the blocks are not refitted")
        XCTAssertEqual(try ModelFile.load(out).header.provenance["refit_command"], try ModelFile.load(shippedCNN7).header.provenance["refit_command"], "the blocks' refit record is kept")

        let before = try ModelFile.load(shippedCNN7), after = try ModelFile.load(out)
        for (p, q) in zip(before.network.parameters, after.network.parameters) { XCTAssertTrue(p.value == q.value, "\(p.name) changed") }
        let offsets = try XCTUnwrap(after.header.mirrorOffsets)
        XCTAssertEqual(offsets.map(\.count), [136, 136, 136])
        let record = try XCTUnwrap(after.header.provenance["refit_mirror"])
        let kept = record.contains("\"kept\":true")
        XCTAssertEqual(offsets[0].contains { $0 != 0 }, kept, record)
        XCTAssertTrue(offsets.dropFirst().allSatisfy { $0.allSatisfy { $0 == 0 } }, "no faces of the other conventions: no offset")

        let cnn6 = WingtrackBinary.repo.appendingPathComponent("models/cnn6.wtm")
        let refused = try run(["refit", cnn6.path, "--data", data, "--mirror-only", "--out", dir.appendingPathComponent("cnn6.wtm").path])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("--mirror-only is for CNN-7"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("cnn6.wtm").path))
    }

    /// CNN-6 has one block: every face's rows go to it, and only its output layer changes.
    func testRefitsCNN6AsOneBlock() throws {
        let data = try requireSharedData().appendingPathComponent("faces68").path
        let cnn6 = WingtrackBinary.repo.appendingPathComponent("models/cnn6.wtm")
        let out = try temporaryDirectory(self).appendingPathComponent("cnn6.wtm")
        let r = try run(["refit", cnn6.path, "--data", data, "--limit", "100", "--draws", "1", "--strength", "best", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("| mixed | 100 |"), r.stdout)
        let before = try ModelFile.load(cnn6), after = try ModelFile.load(out)
        XCTAssertTrue(zip(before.network.parameters.suffix(2), after.network.parameters.suffix(2)).contains { $0.value != $1.value })
        for (p, q) in zip(before.network.parameters.dropLast(2), after.network.parameters.dropLast(2)) {
            XCTAssertTrue(p.value == q.value, "\(p.name) is not part of the output layer and must not change")
        }
    }

    /// `--convention-heads` splits a one-block CNN-7 (here the shipped 300-W block alone) into a block
    /// per convention of the faces given (100 HELEN faces, 100 YouTube-Faces subjects): each block is
    /// refitted on its own faces from the one block, and the YouTube-Faces block, started as a 300-W
    /// answer, learns that style (its held-out NME falls). Everything but the blocks keeps its values;
    /// a network that already has blocks is refused.
    func testConventionHeadsSplitsAOneBlockNetwork() throws {
        let faces68 = try requireSharedData().appendingPathComponent("faces68")
        let dir = try temporaryDirectory(self)
        let data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: data.appendingPathComponent("images"), withDestinationURL: faces68.appendingPathComponent("images"))
        let lines = try String(contentsOf: faces68.appendingPathComponent("landmarks.csv"), encoding: .utf8).split(whereSeparator: \.isNewline)
        let rows = lines.dropFirst().map { $0.split(separator: ",", maxSplits: 4, omittingEmptySubsequences: false) }
        let helen = rows.filter { $0[1] == "train" && $0[2] == "helen_train" }.prefix(100)
        var seen = Set<Substring>()
        let udacity = rows.filter { $0[1] == "train" && $0[2] == "udacity" && seen.insert($0[3]).inserted }.prefix(100)
        XCTAssertEqual(udacity.count, 100)
        try ([String(lines[0])] + (helen + udacity).map { $0.joined(separator: ",") }).joined(separator: "\n")
            .write(to: data.appendingPathComponent("landmarks.csv"), atomically: true, encoding: .utf8)

        // The one-block network: the shipped CNN-7's 300-W block and face logit.
        let shipped = try ModelFile.load(shippedCNN7)
        var spec = shipped.header.spec
        spec.conventions = []
        let plain = spec.build(seed: nil)
        let (m, k, H) = (2 * spec.landmarkCount, spec.hiddenUnits, shipped.header.spec.headCount)
        for (p, q) in zip(plain.parameters, shipped.network.parameters) {
            let per = p.shape.count == 2 ? k : 1
            p.value = p.count == q.count ? q.value : Array(q.value[0..<(m * per)] + q.value[(H * m * per)...])
        }
        let one = dir.appendingPathComponent("one.wtm"), out = dir.appendingPathComponent("cnn7.wtm")
        var header = shipped.header
        header.spec = spec; header.mirrorOffsets = nil
        try ModelFile.save(plain, header: header, halfPrecision: false, to: one)

        let r = try run(["refit", one.path, "--data", data.path, "--draws", "1", "--convention-heads", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("| 300-W | 100 |") && r.stdout.contains("| YouTube-Faces | 100 |"), r.stdout)
        let after = try ModelFile.load(out)
        XCTAssertEqual(after.header.spec.conventions, ["300-W", "YouTube-Faces"])
        let (w, b) = (after.network.parameters.suffix(2).first!.value, after.network.parameters.last!.value)
        let (w1, b1) = (plain.parameters.suffix(2).first!.value, plain.parameters.last!.value)
        XCTAssertEqual(w.count, (2 * m + 1) * k)
        XCTAssertEqual(Array(w[(2 * m * k)...]), Array(w1[(m * k)...]), "the face logit is kept")
        XCTAssertEqual(b[2 * m], b1[m])
        XCTAssertNotEqual(Array(b[m..<(2 * m)]), Array(b1[0..<m]), "the YouTube-Faces block was refitted")
        XCTAssertNotEqual(Array(b[0..<m]), Array(b[m..<(2 * m)]), "each block has its own fit")
        for (p, q) in zip(plain.parameters.dropLast(2), after.network.parameters.dropLast(2)) {
            XCTAssertTrue(p.value == q.value, "\(p.name) is not part of the output layer and must not change")
        }
        XCTAssertEqual(after.header.mirrorOffsets?.count, 2)
        struct Outcome: Decodable { var convention: String; var heldOutBefore: Double; var heldOutAfter: Double }
        let outcomes = try JSONDecoder().decode([Outcome].self, from: Data(try XCTUnwrap(after.header.provenance["refit"]).utf8))
        let ytf = try XCTUnwrap(outcomes.first { $0.convention == "YouTube-Faces" })
        XCTAssertLessThan(ytf.heldOutAfter, ytf.heldOutBefore - 0.001, "the YouTube-Faces block learns its style")

        let refused = dir.appendingPathComponent("refused.wtm")
        let again = try run(["refit", shippedCNN7.path, "--data", data.path, "--convention-heads", "--out", refused.path])
        XCTAssertEqual(again.status, 2)
        XCTAssertTrue(again.stderr.contains("cnn7.wtm: --convention-heads needs a one-block network"), again.stderr)
        XCTAssertEqual(again.stderr.split(separator: "\n").count, 1, again.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: refused.path))
    }

    func testBadInputIsOneLineAndWritesNothing() throws {
        let dir = try temporaryDirectory(self)
        let out = dir.appendingPathComponent("cnn7.wtm")
        XCTAssertEqual(try run(["refit", shippedCNN7.path, "--data", dir.path, "--draws", "0", "--out", out.path]).status, 2)

        let missing = try run(["refit", dir.appendingPathComponent("none.wtm").path, "--data", dir.path, "--out", out.path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("none.wtm"), missing.stderr)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)

        let junk = dir.appendingPathComponent("junk.wtm")
        try Data("WTNN not a model".utf8).write(to: junk)
        let wrong = try run(["refit", junk.path, "--data", dir.path, "--out", out.path])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("junk.wtm"), wrong.stderr)
        XCTAssertEqual(wrong.stderr.split(separator: "\n").count, 1, wrong.stderr)

        let noData = try run(["refit", shippedCNN7.path, "--data", dir.appendingPathComponent("nodata").path, "--out", out.path])
        XCTAssertNotEqual(noData.status, 0)
        XCTAssertTrue(noData.stderr.contains("nodata/landmarks.csv: cannot read"), noData.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}
