import Foundation
import XCTest
import TestSupport
@testable import WingNN

final class ModelFileTests: XCTestCase {
    let spec = NetworkSpec(name: "tiny", inputSize: 8, convChannels: [2, 3], hiddenUnits: 5, landmarkCount: 68)

    func header() -> ModelHeader {
        ModelHeader(spec: spec, input: .centeredUnit, meanShape: (0..<136).map { Float($0) * 0.05 },
                    provenance: ["data": "test", "loss": "wing"])
    }

    func testRoundTripF32IsExactAndF16IsClose() throws {
        let dir = try temporaryDirectory(self)
        let net = spec.build(seed: 9)
        for half in [false, true] {
            let url = dir.appendingPathComponent(half ? "m16.wtm" : "m32.wtm")
            try ModelFile.save(net, header: header(), halfPrecision: half, to: url)
            let loaded = try ModelFile.load(url)
            XCTAssertEqual(loaded.header.spec, spec)
            XCTAssertEqual(loaded.header.meanShape, header().meanShape)
            XCTAssertEqual(loaded.header.provenance["loss"], "wing")
            for (a, b) in zip(loaded.network.parameters, net.parameters) {
                XCTAssertEqual(a.name, b.name)
                if half { assertClose(a.value, b.value, rtol: 1e-3, atol: 1e-4, a.name) } else { XCTAssertEqual(a.value, b.value) }
            }
            // The loaded network computes what the saved one did.
            let x = Tensor(shape: [1, 3, 8, 8], data: (0..<192).map { Float($0 % 17) / 17 })
            assertClose(loaded.network.forward(x).data, net.forward(x).data, rtol: half ? 1e-2 : 1e-6, atol: half ? 1e-2 : 1e-6, "forward")
        }
    }

    /// A network with one output block per labelling convention keeps its conventions; a header
    /// written before conventions existed reads as one mixed block.
    func testConventionsRoundTripAndOldHeadersReadAsNone() throws {
        let multi = NetworkSpec(name: "tiny", inputSize: 8, convChannels: [2, 3], hiddenUnits: 5, conventions: ["300-W", "YouTube-Faces"])
        XCTAssertEqual(multi.outputCount, 2 * 136 + 1)
        let url = try temporaryDirectory(self).appendingPathComponent("multi.wtm")
        try ModelFile.save(multi.build(seed: 2), header: ModelHeader(spec: multi, input: .centeredUnit, meanShape: header().meanShape, provenance: [:]),
                           halfPrecision: true, to: url)
        let loaded = try ModelFile.load(url)
        XCTAssertEqual(loaded.header.spec.conventions, ["300-W", "YouTube-Faces"])
        XCTAssertEqual(loaded.network.forward(Tensor(zeros: [1, 3, 8, 8])).itemCount, 273)

        var json = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        json = json.replacingOccurrences(of: #","conventions":[]"#, with: "").replacingOccurrences(of: #""conventions":[],"#, with: "")
        XCTAssertFalse(json.contains("conventions"))
        let old = try JSONDecoder().decode(NetworkSpec.self, from: Data(json.utf8))
        XCTAssertEqual(old, spec)
        XCTAssertEqual(old.headCount, 1)
    }

    /// Mirror offsets (one 2L block per output block) round-trip exactly; a header without them reads
    /// as none; a wrong count is refused with the file's name.
    func testMirrorOffsetsRoundTripAndWrongCountsAreRefused() throws {
        let dir = try temporaryDirectory(self)
        let multi = NetworkSpec(name: "tiny", inputSize: 8, convChannels: [2, 3], hiddenUnits: 5, conventions: ["300-W", "YouTube-Faces"])
        let offsets: [[Float]] = [(0..<136).map { Float($0) * 0.01 - 0.5 }, (0..<136).map { Float($0 % 7) * -0.125 }]
        let url = dir.appendingPathComponent("mirror.wtm")
        try ModelFile.save(multi.build(seed: 2), header: ModelHeader(spec: multi, input: .centeredUnit, meanShape: header().meanShape,
                                                                      provenance: [:], mirrorOffsets: offsets), halfPrecision: true, to: url)
        XCTAssertEqual(try ModelFile.load(url).header.mirrorOffsets, offsets)

        let plain = dir.appendingPathComponent("plain.wtm")
        try ModelFile.save(spec.build(), header: header(), halfPrecision: true, to: plain)
        XCTAssertNil(try ModelFile.load(plain).header.mirrorOffsets)
        XCTAssertFalse(String(decoding: try Data(contentsOf: plain), as: UTF8.self).contains("mirrorOffsets"), "files without offsets keep their old header")

        for wrong in [[offsets[0]], [offsets[0], Array(offsets[1].dropLast())]] {
            let bad = dir.appendingPathComponent("bad-mirror.wtm")
            try ModelFile.save(multi.build(seed: 2), header: ModelHeader(spec: multi, input: .centeredUnit, meanShape: header().meanShape,
                                                                          provenance: [:], mirrorOffsets: wrong), halfPrecision: true, to: bad)
            do { _ = try ModelFile.load(bad); XCTFail("\(wrong.map(\.count)) offsets were accepted") }
            catch { XCTAssertTrue("\(error)".contains("bad-mirror.wtm: mirror offsets have"), "\(error)") }
        }
    }

    func testCorruptFilesGiveNamedErrors() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("m.wtm")
        try ModelFile.save(spec.build(), header: header(), halfPrecision: true, to: url)
        let good = try Data(contentsOf: url)

        func error(_ bytes: Data) -> String {
            let bad = dir.appendingPathComponent("bad.wtm")
            try? bytes.write(to: bad)
            do { _ = try ModelFile.load(bad); return "no error" } catch { return "\(error)" }
        }
        var flipped = good; flipped[good.count / 2] ^= 0x10
        XCTAssertTrue(error(flipped).contains("checksum"), error(flipped))
        XCTAssertTrue(error(good.prefix(good.count / 3)).contains("checksum"))
        XCTAssertTrue(error(Data("hello".utf8)).contains("bad magic"))
        XCTAssertTrue(error(Data()).contains("bad magic"))
        XCTAssertTrue(error(Data()).contains("bad.wtm"))
        do { _ = try ModelFile.load(dir.appendingPathComponent("missing.wtm")); XCTFail() }
        catch { XCTAssertTrue("\(error)".contains("missing.wtm: no such file")) }

        // A well-formed file whose tensor has the wrong shape: the error names the tensor.
        var h = header()
        let net = spec.build()
        h.tensors = net.parameters.map { .init(name: $0.name, dtype: "f32", shape: $0.name == "fc1.weight" ? [5, 11] : $0.shape) }
        let json = try JSONEncoder().encode(h)
        var bytes = [UInt8]("WTNN".utf8)
        ModelFile.appendLE(&bytes, UInt32(1)); ModelFile.appendLE(&bytes, UInt32(json.count)); bytes += json
        for p in net.parameters { for v in p.value { ModelFile.appendLE(&bytes, v.bitPattern) } }
        ModelFile.appendLE(&bytes, ModelFile.fnv1a(bytes))
        XCTAssertTrue(error(Data(bytes)).contains("'fc1.weight' has shape [5, 11]"), error(Data(bytes)))
    }
}
