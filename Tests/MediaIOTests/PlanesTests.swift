import Foundation
import XCTest
import TestSupport
@testable import MediaIO

/// The decoded yuv420p samples (`Frame.planes`) and their encoding without conversion.
final class PlanesTests: XCTestCase {
    func decodePlanes(_ url: URL) throws -> (VideoReader, [YUV420Image?]) {
        let r = try VideoReader(url: url, keepPlanes: true)
        var planes: [YUV420Image?] = []
        while let f = r.nextFrame() { planes.append(f.planes) }
        return (r, planes)
    }

    /// Limited-range samples of the primaries, white and black, as ITU-R BT.601 and BT.709 tabulate
    /// them (8-bit, rounded).
    func testColourSamplesMatchTheStandardsTables() {
        let table: [(YUV420Image.Matrix, (UInt8, UInt8, UInt8), (UInt8, UInt8, UInt8))] = [
            (.bt601, (255, 255, 255), (235, 128, 128)), (.bt601, (0, 0, 0), (16, 128, 128)),
            (.bt601, (255, 0, 0), (81, 90, 240)), (.bt601, (0, 255, 0), (145, 54, 34)), (.bt601, (0, 0, 255), (41, 240, 110)),
            (.bt709, (255, 0, 0), (63, 102, 240)), (.bt709, (0, 255, 0), (173, 42, 26)), (.bt709, (0, 0, 255), (32, 240, 118)),
            (.bt709, (255, 255, 255), (235, 128, 128)),
        ]
        for (m, rgb, expected) in table {
            let s = YUV420Image.samples(r: rgb.0, g: rgb.1, b: rgb.2, matrix: m)
            XCTAssertTrue(s == expected, "\(m) \(rgb): \(s), expected \(expected)")
        }
    }

    /// The samples we hand out are the decoder's, byte for byte as the ffmpeg command line writes
    /// them; written back without conversion at CRF 0 (lossless) they decode to the same bytes.
    func testPlanesEqualTheCommandLineAndSurviveALosslessRoundTrip() throws {
        let dir = try temporaryDirectory(self)
        let source = dir.appendingPathComponent("source.mp4")
        var o = VideoWriter.Options(); o.crf = 18
        _ = try writeSyntheticVideo(source, width: 96, height: 64, timestamps: (0..<5).map { Double($0) / 25 }, options: o)
        let raw = dir.appendingPathComponent("source.yuv")
        try runFFmpeg(["-i", source.path, "-f", "rawvideo", "-pix_fmt", "yuv420p", raw.path])
        let reference = [UInt8](try Data(contentsOf: raw))
        let (_, planes) = try decodePlanes(source)
        XCTAssertEqual(planes.count, 5)
        let frameBytes = 96 * 64 * 3 / 2
        XCTAssertEqual(reference.count, 5 * frameBytes)
        for (k, p) in planes.enumerated() {
            let p = try XCTUnwrap(p, "frame \(k) has no planes")
            XCTAssertEqual(p.luma + p.cb + p.cr, Array(reference[(k * frameBytes)..<((k + 1) * frameBytes)]), "frame \(k)")
        }
        // Frames without `keepPlanes` carry none.
        XCTAssertNil(try VideoReader(url: source).nextFrame()?.planes)

        let copy = dir.appendingPathComponent("copy.mkv")
        var lossless = VideoWriter.Options(); lossless.crf = 0; lossless.preset = "ultrafast"
        let w = try VideoWriter(url: copy, width: 96, height: 64, options: lossless)
        for (k, p) in planes.enumerated() { try w.write(p!, timestamp: Double(k) / 25) }
        try w.finish()
        let (_, again) = try decodePlanes(copy)
        XCTAssertEqual(again.count, 5)
        for k in 0..<5 { XCTAssertEqual(again[k], planes[k], "frame \(k) changed on the way through the encoder") }
    }

    /// Samples of another size than the writer's are scaled to it (a stream whose size changes midway).
    func testPlanesOfAnotherSizeAreScaled() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("sizes.mp4")
        let w = try VideoWriter(url: url, width: 96, height: 64)
        try w.write(YUV420Image(width: 96, height: 64, filledWith: (200, 100, 150)), timestamp: 0)
        try w.write(YUV420Image(width: 48, height: 30, filledWith: (60, 140, 110)), timestamp: 0.04)
        try w.finish()
        let (_, planes) = try decodePlanes(url)
        XCTAssertEqual(planes.count, 2)
        let second = try XCTUnwrap(planes[1])
        XCTAssertEqual(second.width, 96); XCTAssertEqual(second.height, 64)
        XCTAssertEqual(Double(second.luma.reduce(0) { $0 + Int($1) }) / Double(second.luma.count), 60, accuracy: 2)
        XCTAssertEqual(Double(second.cb.reduce(0) { $0 + Int($1) }) / Double(second.cb.count), 140, accuracy: 2)
    }

    /// Frames that cannot be encoded again as they are carry no planes, and the reader says why: odd
    /// sizes, rotated streams, other pixel formats.
    func testOddSizesAndRotatedStreamsCarryNoPlanes() throws {
        let dir = try temporaryDirectory(self)
        // Our writer pads odd sizes; FFV1 keeps them.
        let odd = dir.appendingPathComponent("odd.mkv")
        try runFFmpeg(["-f", "lavfi", "-i", "testsrc=size=51x33:rate=25:duration=0.08", "-pix_fmt", "yuv420p", "-c:v", "ffv1", odd.path])
        let (r, planes) = try decodePlanes(odd)
        XCTAssertEqual(r.info.width, 51)
        XCTAssertEqual(planes.count, 2)
        XCTAssertTrue(planes.allSatisfy { $0 == nil })
        XCTAssertEqual(r.planesRefusal, "the input's frames are 51×33, an odd size")
        let turned = dir.appendingPathComponent("turned.mp4")
        var o = VideoWriter.Options(); o.displayRotation = 90
        _ = try writeSyntheticVideo(turned, width: 64, height: 32, timestamps: [0, 0.04], options: o)
        let (r2, planes2) = try decodePlanes(turned)
        XCTAssertEqual(r2.info.rotation, 90)
        XCTAssertTrue(planes2.allSatisfy { $0 == nil })
        XCTAssertEqual(r2.planesRefusal, "the input is shown rotated by 90°")
        // Other pixel formats are named.
        let p422 = dir.appendingPathComponent("p422.mkv")
        try runFFmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:duration=0.08", "-pix_fmt", "yuv422p", "-c:v", "ffv1", p422.path])
        let (r3, planes3) = try decodePlanes(p422)
        XCTAssertTrue(planes3.allSatisfy { $0 == nil })
        XCTAssertEqual(r3.planesRefusal, "the input's frames are yuv422p, not yuv420p")
    }

    /// Colour tags written by the writer are read back by the reader, and a BT.709 stream's planes
    /// say so; an untagged stream reads as unspecified with BT.601 planes.
    func testColourTagsTravelFromWriterToReader() throws {
        let dir = try temporaryDirectory(self)
        let tagged = dir.appendingPathComponent("bt709.mp4")
        var o = VideoWriter.Options()
        o.colourTags = ColourTags(primaries: 1, transfer: 1, matrix: 1)   // BT.709
        _ = try writeSyntheticVideo(tagged, timestamps: [0, 0.04], options: o)
        let (r, planes) = try decodePlanes(tagged)
        XCTAssertEqual(r.colourTags, ColourTags(primaries: 1, transfer: 1, matrix: 1))
        XCTAssertEqual(planes.first??.matrix, .bt709)
        let plain = dir.appendingPathComponent("plain.mp4")
        _ = try writeSyntheticVideo(plain, timestamps: [0, 0.04])
        let (r2, planes2) = try decodePlanes(plain)
        XCTAssertEqual(r2.colourTags, ColourTags())
        XCTAssertEqual(planes2.first??.matrix, .bt601)
    }
}
