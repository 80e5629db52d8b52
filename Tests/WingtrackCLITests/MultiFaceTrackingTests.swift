import Foundation
import XCTest
import TestSupport
import FaceGeometry
import WingTrain

/// `wingtrack track --max-faces N` on generated clips with two faces whose landmarks are known exactly
/// (two val faces of AFW, the 300-W labelling `track` answers in, moved over one background).
final class MultiFaceTrackingTests: XCTestCase {
    var repo: URL { WingtrackBinary.repo }

    /// Two near-frontal AFW val faces, from different parts of the split.
    func twoFaces() throws -> (FaceDataset, [Int]) {
        let data = try requireSharedData()
        let ds = try FaceDataset(directory: data.appendingPathComponent("faces68"), splits: ["val"])
        let afw = ds.records.indices.filter { ds.records[$0].source == "afw" }
        return (ds, [afw[afw.count / 4], afw[3 * afw.count / 4]])
    }

    /// A clip of face `k` moving around a mean position at `centreX` of the width, by `travel` of the
    /// width and height.
    func clip(_ ds: FaceDataset, _ k: Int, centreX: Float, phase: Float, frames: Int, gap: Range<Int>? = nil,
              travel: Float = 0.06) -> GroundTruthClip {
        var m = GroundTruthClip.Motion()
        m.frames = frames; m.phase = phase; m.gap = gap
        m.centreX = centreX; m.travel = travel; m.faceSize = 0.28; m.maxRollDegrees = 25
        let (w, h) = ds.sizes[k]
        return GroundTruthClip(face: ds.images[k], width: w, height: h, landmarks: ds.records[k].landmarks, motion: m, seed: UInt64(k))
    }

    /// Runs `track` and parses NAME.csv: per face id, per frame, 68 points or nil; checks the rows
    /// come as frame 1 ids 0 ..< maxFaces, frame 2 ids 0 ..< maxFaces, and so on.
    func track(_ url: URL, out: URL, maxFaces: Int) throws -> [[[Point]?]] {
        let r = try WingtrackBinary.run(["track", url.path, "-o", out.path, "--no-video", "--max-faces", "\(maxFaces)",
                                         "--models", repo.appendingPathComponent("models").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let csv = out.appendingPathComponent(url.deletingPathExtension().lastPathComponent + ".csv")
        var perFace = [[[Point]?]](repeating: [], count: maxFaces)
        for (n, line) in try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").dropFirst().enumerated() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertEqual(Int(f[0]), n / maxFaces + 1, "row \(n + 1): frame number")
            XCTAssertEqual(Int(f[1]), n % maxFaces, "row \(n + 1): face id")
            perFace[n % maxFaces].append(f[4] == "1" ? (0..<68).map { Point(Float(f[5 + $0])!, Float(f[5 + 68 + $0])!) } : nil)
        }
        return perFace
    }

    /// Which true face each tracked row of `pred` is on (index into `truths`, by the smaller NME).
    func nearest(_ pred: [[Point]?], _ truths: [[[Point]?]]) -> [Int?] {
        pred.indices.map { t in
            guard let p = pred[t] else { return nil }
            let errors = truths.map { g in g[t].map { Metrics.nmeInterOcular(p, $0) } ?? .infinity }
            return errors.indices.min { errors[$0] < errors[$1] }
        }
    }

    /// Two faces throughout: each id follows one face all along (never swapping or doubling up), on
    /// ≥ 95 % of frames, as accurately as one face alone; NAME.json counts per id match the CSV.
    func testTwoFacesEachKeepTheirID() throws {
        let (ds, idx) = try twoFaces()
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("two.mp4"), frames = 90
        // Both faces start nearly upright (roll 25° · sin(phase + 0.5)), where the frontal detector finds them.
        let truths = try GroundTruthClip.write([clip(ds, idx[0], centreX: 0.28, phase: 0, frames: frames),
                                                clip(ds, idx[1], centreX: 0.72, phase: 2.6, frames: frames)], to: url)
        let out = dir.appendingPathComponent("out")
        let pred = try track(url, out: out, maxFaces: 2)
        var owners: [Int] = []
        for id in 0..<2 {
            XCTAssertEqual(pred[id].count, frames, "id \(id): one row per frame")
            let on = nearest(pred[id], truths).compactMap { $0 }
            XCTAssertGreaterThanOrEqual(on.count, frames * 95 / 100, "id \(id): tracked on \(on.count) of \(frames) frames")
            let owner = try XCTUnwrap(on.first)
            XCTAssertEqual(on.filter { $0 != owner }.count, 0, "id \(id) changed faces")
            owners.append(owner)
            let errors = pred[id].indices.compactMap { t in pred[id][t].map { Metrics.nmeInterOcular($0, truths[owner][t]!) } }
            let nme = Metrics.mean(errors)
            print(String(format: "two faces: id %d on face %d, %d frames, mean NME %.2f %%", id, owner, on.count, 100 * nme))
            XCTAssertLessThanOrEqual(nme, 0.06, "id \(id)")
        }
        XCTAssertNotEqual(owners[0], owners[1], "both ids on one face")
        struct Face: Decodable { var faceID: Int; var framesTracked: Int }
        struct J: Decodable { var faces: [Face]; var framesTracked: Int; var settings: [String: String] }
        let j = try JSONDecoder().decode(J.self, from: Data(contentsOf: out.appendingPathComponent("two.json")))
        XCTAssertEqual(j.faces.map(\.faceID), [0, 1])
        XCTAssertEqual(j.faces.map(\.framesTracked), pred.map { $0.compactMap { $0 }.count })
        XCTAssertEqual(j.framesTracked, (0..<frames).filter { t in pred.contains { $0[t] != nil } }.count)
        XCTAssertEqual(j.settings["max_faces"], "2")
    }

    /// A second person walks in at frame 45: id 0 keeps the first face without a break, and id 1
    /// (which looks for a new face on every 30th frame once it has waited 30 frames) takes the newcomer
    /// within 30 + 3 frames.
    func testSecondFaceArrivingGetsTheNextID() throws {
        let (ds, idx) = try twoFaces()
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("arrive.mp4"), frames = 90, arrival = 45
        let truths = try GroundTruthClip.write([clip(ds, idx[0], centreX: 0.28, phase: 0, frames: frames),
                                                clip(ds, idx[1], centreX: 0.72, phase: 2.0, frames: frames, gap: 0..<arrival)], to: url)
        let pred = try track(url, out: dir.appendingPathComponent("out"), maxFaces: 2)
        let first = nearest(pred[0], truths), second = nearest(pred[1], truths)
        XCTAssertEqual(first.filter { $0 == 0 }.count, frames, "id 0 follows the first face on every frame")
        for t in 0..<arrival { XCTAssertNil(second[t], "frame \(t): id 1 has no face before the second one comes") }
        let found = try XCTUnwrap((arrival..<frames).first { second[$0] != nil }, "the second face was never found")
        XCTAssertLessThanOrEqual(found - arrival, 33, "found \(found - arrival) frames after it came")
        XCTAssertEqual(second[found...].compactMap { $0 }.filter { $0 != 1 }.count, 0, "id 1 is on the second face")
    }

    /// One of two people is away for 20 frames: the other id goes on without a break, and the away
    /// face comes back under its own id within 5 frames (a lost id searches where it lost its face).
    func testFaceComingBackKeepsItsID() throws {
        let (ds, idx) = try twoFaces()
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("away.mp4"), frames = 90, away = 30..<50
        let truths = try GroundTruthClip.write([clip(ds, idx[0], centreX: 0.28, phase: 0, frames: frames),
                                                clip(ds, idx[1], centreX: 0.72, phase: 2.6, frames: frames, gap: away)], to: url)
        let pred = try track(url, out: dir.appendingPathComponent("out"), maxFaces: 2)
        let on = pred.map { nearest($0, truths) }
        let leaver = try XCTUnwrap((0..<2).first { on[$0][away.lowerBound - 1] == 1 }, "no id on the second face before it left")
        let stayer = 1 - leaver
        XCTAssertEqual(on[stayer].filter { $0 == 0 }.count, frames, "id \(stayer) follows the first face on every frame")
        for t in away { XCTAssertNil(on[leaver][t], "frame \(t): id \(leaver) has a face while the second one is away") }
        let back = try XCTUnwrap((away.upperBound..<frames).first { on[leaver][$0] != nil }, "the second face was not taken back")
        XCTAssertLessThanOrEqual(back - away.upperBound, 5, "taken back \(back - away.upperBound) frames after it returned")
        XCTAssertEqual(on[leaver].compactMap { $0 }.filter { $0 != 1 }.count, 0, "id \(leaver) was on the other face")
    }

    /// Two people cross paths twice, the second passing in front of the first and hiding it: no id
    /// ever moves to the other face, the face in front is tracked throughout, and the hidden one is
    /// taken back by its own id after each crossing.
    func testCrossingFacesDoNotSwapIDs() throws {
        let (ds, idx) = try twoFaces()
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("cross.mp4"), frames = 150
        // Half a cycle apart on the same path: they meet at the centre at frames 37 and 112.
        let truths = try GroundTruthClip.write([clip(ds, idx[0], centreX: 0.5, phase: .pi / 2, frames: frames, travel: 0.3),
                                                clip(ds, idx[1], centreX: 0.5, phase: 3 * .pi / 2, frames: frames, travel: 0.3)], to: url)
        let pred = try track(url, out: dir.appendingPathComponent("out"), maxFaces: 2)
        let on = pred.map { nearest($0, truths) }
        for id in 0..<2 {
            print("crossing: id \(id) " + on[id].map { $0.map(String.init) ?? "." }.joined())
            XCTAssertLessThanOrEqual(Set(on[id].compactMap { $0 }).count, 1, "id \(id) was on both faces")
        }
        let front = try XCTUnwrap((0..<2).first { id in on[id].allSatisfy { $0 == 1 } }, "the face in front was not tracked on every frame")
        let hidden = on[1 - front]
        XCTAssertGreaterThanOrEqual(hidden.filter { $0 == 0 }.count, frames * 2 / 3, "the hidden face is tracked on too few frames")
        XCTAssertTrue(hidden[(frames - 10)...].contains(0), "the hidden face was not taken back after the second crossing")
    }

    /// One face and `--max-faces 2`: id 0's rows are exactly those of `--max-faces 1` (the spare id
    /// never disturbs the first), id 1 never doubles up on the face, and waiting for a second face
    /// costs searches on frames 1, 2, 4, 8, 16 (frame 0's is shared with id 0) and every 30th only.
    func testSpareIDChangesNothingForOneFace() throws {
        let (ds, idx) = try twoFaces()
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("one.mp4"), frames = 90
        try GroundTruthClip.write([clip(ds, idx[0], centreX: 0.45, phase: 1.0, frames: frames)], to: url)
        let single = try track(url, out: dir.appendingPathComponent("one"), maxFaces: 1)
        let spare = try track(url, out: dir.appendingPathComponent("spare"), maxFaces: 2)
        XCTAssertEqual(spare[0].count, frames)
        XCTAssertTrue(zip(single[0], spare[0]).allSatisfy { a, b in a == b }, "id 0 differs from the single-face run")
        XCTAssertEqual(spare[1].compactMap { $0 }.count, 0, "id 1 found a face in a one-face clip")
        struct J: Decodable { var detectorRuns: Int }
        func runs(_ folder: String) throws -> Int {
            try JSONDecoder().decode(J.self, from: Data(contentsOf: dir.appendingPathComponent(folder).appendingPathComponent("one.json"))).detectorRuns
        }
        let (a, b) = (try runs("one"), try runs("spare"))
        XCTAssertLessThanOrEqual(b - a, 5 + (frames - 1) / 30, "detector runs: \(a) with one id, \(b) with two")
        XCTAssertGreaterThan(b, a, "id 1 never looked for a second face")
    }

    /// Two faces on two threads (one video on two cores: the second face runs on its own localiser)
    /// give the same CSV as on one thread (two videos at once, one core each).
    func testTwoThreadsGiveTheSameOutput() throws {
        let (ds, idx) = try twoFaces()
        let dir = try temporaryDirectory(self)
        let a = dir.appendingPathComponent("a.mp4"), b = dir.appendingPathComponent("b.mp4")
        try GroundTruthClip.write([clip(ds, idx[0], centreX: 0.28, phase: 0, frames: 60),
                                   clip(ds, idx[1], centreX: 0.72, phase: 2.6, frames: 60)], to: a)
        try FileManager.default.copyItem(at: a, to: b)
        var csv: [String: String] = [:]
        for jobs in ["1", "2"] {
            let out = dir.appendingPathComponent("jobs\(jobs)")
            let r = try WingtrackBinary.run(["track", a.path, b.path, "-o", out.path, "--no-video", "--max-faces", "2", "--jobs", jobs,
                                             "--models", repo.appendingPathComponent("models").path])
            XCTAssertEqual(r.status, 0, r.stderr)
            csv[jobs] = try String(contentsOf: out.appendingPathComponent("a.csv"), encoding: .utf8)
            XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("b.csv"), encoding: .utf8), csv[jobs])
        }
        XCTAssertEqual(csv["1"], csv["2"])
        XCTAssertEqual(csv["1"]?.split(separator: "\n").filter { $0.split(separator: ",")[4] == "1" }.count, 120, "both faces on every frame")
    }

    /// Two faces and the default one id: one row per frame, following one face throughout.
    func testOneIDFollowsOneOfTwoFaces() throws {
        let (ds, idx) = try twoFaces()
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("two.mp4"), frames = 60
        let truths = try GroundTruthClip.write([clip(ds, idx[0], centreX: 0.28, phase: 0, frames: frames),
                                                clip(ds, idx[1], centreX: 0.72, phase: 2.0, frames: frames)], to: url)
        let pred = try track(url, out: dir.appendingPathComponent("out"), maxFaces: 1)
        let on = nearest(pred[0], truths).compactMap { $0 }
        XCTAssertGreaterThanOrEqual(on.count, frames * 95 / 100)
        XCTAssertEqual(Set(on).count, 1, "the one id changed faces")
    }
}
