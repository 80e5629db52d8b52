import Foundation
import XCTest
import TestSupport
@testable import MediaIO

/// Frames decoded to RGB through their own matrix, the writer's RGB route through its tag, and
/// frames that carry only their planes.
final class ColourMatrixTests: XCTestCase {
    /// The mean RGB of a reader's first frame.
    func meanColour(_ url: URL) throws -> (Double, Double, Double) {
        let r = try VideoReader(url: url)
        let f = try XCTUnwrap(r.nextFrame()).image
        var s = (0.0, 0.0, 0.0)
        for y in 0..<f.height { for x in 0..<f.width { let c = f.rgb(x: x, y: y); s.0 += Double(c.0); s.1 += Double(c.1); s.2 += Double(c.2) } }
        let n = Double(f.width * f.height)
        return (s.0 / n, s.1 / n, s.2 / n)
    }

    func assertColour(_ c: (Double, Double, Double), _ e: (Double, Double, Double), within tol: Double, _ what: String) {
        XCTAssertEqual(c.0, e.0, accuracy: tol, "\(what): red"); XCTAssertEqual(c.1, e.1, accuracy: tol, "\(what): green")
        XCTAssertEqual(c.2, e.2, accuracy: tol, "\(what): blue")
    }

    /// A flat colour encoded losslessly by the ffmpeg command line with the BT.709 matrix (and
    /// tagged so) decodes to that colour, within swscale's truncation on the way in and out (about a
    /// level each); the same samples read as BT.601 give (181, 53, 35), 11 levels off in red and
    /// green. An untagged BT.601 clip decodes right too.
    func testDecodedColoursFollowTheStreamsMatrix() throws {
        let dir = try temporaryDirectory(self)
        for (matrix, tags) in [("bt709", ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"]), ("bt601", [])] {
            let clip = dir.appendingPathComponent("\(matrix).mp4")
            try runFFmpeg(["-f", "lavfi", "-i", "color=c=0xC04020:size=64x48:rate=25:duration=0.08",
                           "-vf", "scale=out_color_matrix=\(matrix):out_range=tv,format=yuv420p"] + tags + ["-c:v", "libx264", "-qp", "0", clip.path])
            assertColour(try meanColour(clip), (192, 64, 32), within: 4, matrix)
        }
    }

    /// The writer converts RGB with the matrix it tags the stream with, so the colour comes back.
    func testWriterConvertsWithItsTaggedMatrix() throws {
        let dir = try temporaryDirectory(self)
        let flat = PixelBuffer(width: 64, height: 48, format: .rgb24, data: (0..<(64 * 48)).flatMap { _ in [UInt8(192), 64, 32] })
        for tags in [ColourTags(primaries: 1, transfer: 1, matrix: 1), ColourTags()] {
            let url = dir.appendingPathComponent("m\(tags.matrix).mp4")
            var o = VideoWriter.Options(); o.colourTags = tags; o.crf = 0
            let w = try VideoWriter(url: url, width: 64, height: 48, options: o)
            try w.write(flat, timestamp: 0); try w.write(flat, timestamp: 0.04)
            try w.finish()
            assertColour(try meanColour(url), (192, 64, 32), within: 2, "matrix tag \(tags.matrix)")
        }
    }

    /// `rgbFrames: .onlyWithoutPlanes` hands out 4:2:0 frames without packed pixels; asked for them,
    /// such a frame converts its planes to what a reader that always converts gives, byte for byte.
    func testPlanesOnlyFramesConvertOnDemandAsTheReaderWould() throws {
        let dir = try temporaryDirectory(self)
        let clip = dir.appendingPathComponent("clip.mp4")
        var o = VideoWriter.Options(); o.colourTags = ColourTags(primaries: 1, transfer: 1, matrix: 1)
        _ = try writeSyntheticVideo(clip, width: 96, height: 64, timestamps: [0, 0.04, 0.08], options: o)
        let always = try VideoReader(url: clip, keepPlanes: true)
        let lean = try VideoReader(url: clip, keepPlanes: true, rgbFrames: .onlyWithoutPlanes)
        var n = 0
        while let a = always.nextFrame() {
            let b = try XCTUnwrap(lean.nextFrame())
            XCTAssertNotNil(a.packed); XCTAssertNil(b.packed)
            XCTAssertEqual(b.planes, a.planes)
            XCTAssertEqual(b.image, a.image, "frame \(n)")
            n += 1
        }
        XCTAssertEqual(n, 3)
        XCTAssertNil(lean.nextFrame())
    }
}
