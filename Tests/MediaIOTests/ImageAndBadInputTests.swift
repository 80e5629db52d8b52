import Foundation
import XCTest
import TestSupport
@testable import MediaIO

final class ImageIOTests: XCTestCase {
    func testPNGRoundTripIsExactAndJPEGIsClose() throws {
        let dir = try temporaryDirectory(self)
        let img = syntheticFrame(width: 37, height: 23, k: 2)
        let png = dir.appendingPathComponent("a.png"), jpg = dir.appendingPathComponent("a.jpg")
        try ImageIO.writePNG(img, to: png)
        try ImageIO.writeJPEG(img, quality: 2, to: jpg)
        let p = try ImageIO.read(png)
        XCTAssertEqual(p, img)
        let j = try ImageIO.read(jpg)
        XCTAssertEqual(j.width, 37); XCTAssertEqual(j.height, 23)
        XCTAssertGreaterThan(psnr(j, img), 30)
        XCTAssertEqual(try ImageIO.read(png, format: .bgr24), img.converted(to: .bgr24))
    }

    func testBrokenImageNamesTheFile() throws {
        let dir = try temporaryDirectory(self)
        let bad = dir.appendingPathComponent("bad.jpg")
        try Data("not a jpeg".utf8).write(to: bad)
        XCTAssertThrowsError(try ImageIO.read(bad)) { e in
            XCTAssertEqual((e as? MediaError)?.kind, .badImage)
            XCTAssertTrue("\(e)".hasPrefix(bad.path + ": "), "\(e)")
        }
    }
}

final class BadInputTests: XCTestCase {
    func openError(_ url: URL) -> MediaError? {
        do { _ = try VideoReader(url: url); return nil } catch { return error as? MediaError }
    }

    func testMissingEmptyAndTextFilesGiveTypedErrorsNamingTheFile() throws {
        let dir = try temporaryDirectory(self)
        let missing = dir.appendingPathComponent("missing.mp4")
        let empty = dir.appendingPathComponent("empty.mp4")
        let text = dir.appendingPathComponent("text.mp4")
        FileManager.default.createFile(atPath: empty.path, contents: Data())
        try Data(String(repeating: "this is not a video\n", count: 50).utf8).write(to: text)
        for (url, cause) in [(missing, "no such file"), (empty, "cannot open"), (text, "cannot open")] {
            let e = openError(url)
            XCTAssertEqual(e?.kind, .cannotOpen, url.lastPathComponent)
            XCTAssertEqual(e?.path, url.path)
            XCTAssertTrue(e?.description.hasPrefix("\(url.path): \(cause)") ?? false, e?.description ?? "no error")
        }
    }

    func testAudioOnlyFileSaysNoVideoStream() throws {
        let dir = try temporaryDirectory(self)
        let audio = dir.appendingPathComponent("tone.m4a")
        try runFFmpeg(["-f", "lavfi", "-i", "sine=frequency=300:duration=1", "-c:a", "aac", audio.path])
        let e = openError(audio)
        XCTAssertEqual(e?.kind, .noVideoStream)
        XCTAssertEqual(e?.description, "\(audio.path): no video stream")
    }

    func testTruncatedFileYieldsTheFramesBeforeTheCut() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("whole.mp4")
        _ = try writeSyntheticVideo(url, width: 128, height: 96, timestamps: (0..<60).map { Double($0) / 30 })
        let data = try Data(contentsOf: url)
        let cut = dir.appendingPathComponent("half.mp4")
        try data.prefix(data.count / 2).write(to: cut)
        let r = try VideoReader(url: cut)
        var frames: [Frame] = []
        while let f = r.nextFrame() { frames.append(f) }
        XCTAssertGreaterThan(frames.count, 5)
        XCTAssertLessThan(frames.count, 60)
        for (i, f) in frames.enumerated() { XCTAssertEqual(f.timestamp, Double(i) / 30, accuracy: 1e-4) }
    }
}
