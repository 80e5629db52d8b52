import Foundation

/// Runs the `wingtrack` executable built beside the test bundle and captures its output.
enum WingtrackBinary {
    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// The repository root (for samples/ and models/).
    static var repo: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    static var url: URL {
        // The test bundle sits beside the products of the same build.
        var dir = Bundle(for: Marker.self).bundleURL
        while dir.pathExtension == "xctest" || dir.lastPathComponent == "Contents" { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("wingtrack")
    }
    private final class Marker {}

    static func run(_ args: [String]) throws -> Result {
        let p = Process()
        p.executableURL = url
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}
