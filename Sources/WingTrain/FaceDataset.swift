import Foundation
import FaceGeometry
import MediaIO

/// One annotated face of a faces68-format folder.
public struct FaceRecord: Sendable {
    /// Path relative to the dataset folder.
    public var image: String
    public var split: String
    public var source: String
    public var subject: String
    /// AFLW2000-3D head yaw in degrees (positive: nose towards the image left); nil for other sources.
    public var yawDegrees: Float?
    /// 68 points in the crop's pixel-corner coordinates.
    public var landmarks: [Point]
}

/// A dataset error naming the file (and line) and the cause.
public struct DatasetError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A faces68-format dataset (`landmarks.csv` + square JPEG crops) held decoded in memory.
///
/// Every crop is kept at full resolution and 2×2-averaged to half resolution (for small network
/// inputs: avoids aliasing in the bilinear warp; a point maps as p/2).
public final class FaceDataset: @unchecked Sendable {
    public let directory: URL
    public let records: [FaceRecord]
    /// Packed RGB, `sizes[i].0 × sizes[i].1`.
    public let images: [[UInt8]]
    public let sizes: [(Int, Int)]
    public let halfImages: [[UInt8]]

    /// Reads `landmarks.csv`, keeping rows whose split is in `splits` (all when nil) and whose source is
    /// in `sources` (all when nil), and decodes their images on all cores.
    /// `limit` keeps only the first rows that pass the filters (for quick runs and tests).
    public init(directory: URL, splits: Set<String>? = nil, sources: Set<String>? = nil, limit: Int? = nil) throws {
        self.directory = directory
        let csvURL = directory.appendingPathComponent("landmarks.csv")
        guard let text = try? String(contentsOf: csvURL, encoding: .utf8) else {
            throw DatasetError(message: "\(csvURL.path): cannot read (missing or not UTF-8 text)")
        }
        records = Array(try FaceDataset.parseCSV(text, path: csvURL.path).filter {
            (splits?.contains($0.split) ?? true) && (sources?.contains($0.source) ?? true)
        }.prefix(limit ?? Int.max))
        guard !records.isEmpty else {
            throw DatasetError(message: "\(csvURL.path): no rows for split \(splits.map { $0.sorted().joined(separator: ",") } ?? "any") and source \(sources.map { $0.sorted().joined(separator: ",") } ?? "any")")
        }
        var imgs = [[UInt8]](repeating: [], count: records.count)
        var szs = [(Int, Int)](repeating: (0, 0), count: records.count)
        var halves = [[UInt8]](repeating: [], count: records.count)
        var firstError: String?
        let lock = NSLock()
        let recs = records
        imgs.withUnsafeMutableBufferPointer { ip in
        szs.withUnsafeMutableBufferPointer { sp in
        halves.withUnsafeMutableBufferPointer { hp in
            nonisolated(unsafe) let (ipu, spu, hpu) = (ip, sp, hp)
            DispatchQueue.concurrentPerform(iterations: recs.count) { i in
                let url = directory.appendingPathComponent(recs[i].image)
                do {
                    let img = try ImageIO.read(url)
                    ipu[i] = img.data
                    spu[i] = (img.width, img.height)
                    hpu[i] = img.data.withUnsafeBufferPointer {
                        Warp.halve(PixelView(base: $0.baseAddress!, width: img.width, height: img.height, channels: 3, rowBytes: img.rowBytes))
                    }
                } catch {
                    lock.lock(); if firstError == nil { firstError = "\(error)" }; lock.unlock()
                }
            }
        }}}
        if let firstError { throw DatasetError(message: firstError) }
        images = imgs; sizes = szs; halfImages = halves
    }

    public var count: Int { records.count }

    /// Face `i`'s full-resolution crop as a pixel view, for `body`'s duration.
    public func withImage<R>(_ i: Int, _ body: (PixelView) throws -> R) rethrows -> R {
        let (w, h) = sizes[i]
        return try images[i].withUnsafeBufferPointer { try body(PixelView(base: $0.baseAddress!, width: w, height: h, channels: 3, rowBytes: w * 3)) }
    }

    /// Parses faces68 `landmarks.csv` text. Errors name the line.
    public static func parseCSV(_ text: String, path: String) throws -> [FaceRecord] {
        var out: [FaceRecord] = []
        var lineNo = 0
        var header: [String]?
        // Unicode scalars, not Characters: "\r\n" is one Character in Swift and would not split on "\n".
        for line in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let l = Substring(line.last == "\r" ? line.dropLast() : line)
            if l.isEmpty { continue }
            let f = l.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if header == nil {
                header = f
                guard f.count == 5 + 136, f[0] == "image", f[1] == "split", f[2] == "source" else {
                    throw DatasetError(message: "\(path) line 1: header is not image,split,source,subject,yaw_deg,x0,y0,…,x67,y67")
                }
                continue
            }
            guard f.count == 5 + 136 else { throw DatasetError(message: "\(path) line \(lineNo): \(f.count) fields, expected 141") }
            var pts: [Point] = []
            pts.reserveCapacity(68)
            for k in 0..<68 {
                guard let x = Float(f[5 + 2 * k]), let y = Float(f[6 + 2 * k]), x.isFinite, y.isFinite else {
                    throw DatasetError(message: "\(path) line \(lineNo): landmark \(k) is not a number ('\(f[5 + 2 * k])', '\(f[6 + 2 * k])')")
                }
                pts.append(Point(x, y))
            }
            let yaw: Float? = f[4].isEmpty ? nil : Float(f[4])
            if !f[4].isEmpty, yaw == nil { throw DatasetError(message: "\(path) line \(lineNo): yaw_deg '\(f[4])' is not a number") }
            out.append(FaceRecord(image: f[0], split: f[1], source: f[2], subject: f[3], yawDegrees: yaw, landmarks: pts))
        }
        return out
    }
}
