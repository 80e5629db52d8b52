import Foundation

/// Runs the `wingtrack` executable built beside the test bundle and captures its output.
enum WingtrackBinary {
    struct Result { var status: Int32; var stdout: String; var stderr: String; var timedOut = false }

    /// The repository root (for samples/ and models/).
    static var repo: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    static var url: URL {
        // The test bundle sits beside the products of the same build.
        var dir = Bundle(for: Marker.self).bundleURL
        while dir.pathExtension == "xctest" || dir.lastPathComponent == "Contents" { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("wingtrack")
    }
    private final class Marker {}

    /// Runs `wingtrack ARGS`; after `timeout` seconds the process is killed and `timedOut` is set.
    static func run(_ args: [String], timeout: TimeInterval = 600) throws -> Result {
        let p = Process()
        p.executableURL = url
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let killer = DispatchWorkItem { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        // Read both pipes concurrently so a chatty process cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let e = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { e.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        killer.cancel()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e.data, as: UTF8.self),
                      timedOut: p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL)
    }
}
