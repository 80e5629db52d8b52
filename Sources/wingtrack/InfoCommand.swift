import ArgumentParser
import Foundation
import MediaIO
import WingNN

/// `wingtrack info`: stream facts of video files, and the OpenBLAS kernel in use.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Print stream information of video files (and the BLAS kernel).")

    @Argument(help: "Video files.") var videos: [String] = []
    @Flag(help: "Decode every frame: count frames and decode errors, measure decode fps.") var count = false
    @Flag(help: "JSON output, one object per file.") var json = false
    @Flag(help: "Print which OpenBLAS kernel runs and why.") var blas = false
    @Flag(name: .shortAndLong, help: "Verbose: include the BLAS line.") var verbose = false

    struct Report: Codable {
        var file: String
        var width: Int, height: Int, rotation: Int
        var codec: String, pix_fmt: String
        var fps: Double, duration_s: Double, estimated_frames: Int
        var frames_decoded: Int?, decode_errors: Int?, decode_fps: Double?
        var has_audio: Bool
    }

    func validate() throws {
        if videos.isEmpty && !blas && !verbose { throw ValidationError("give at least one video, or --blas") }
    }

    func run() throws {
        if blas || verbose { print(BLASRuntime.explanation()); print(OwnKernels.explanation()); print("inference arithmetic: " + Int8Arithmetic.explanation()) }
        var failed = 0
        for path in videos {
            do {
                let reader = try VideoReader(url: URL(fileURLWithPath: path))
                let i = reader.info
                var r = Report(file: path, width: i.width, height: i.height, rotation: i.rotation, codec: i.codec, pix_fmt: i.pixelFormat,
                               fps: i.fps, duration_s: i.duration, estimated_frames: i.estimatedFrameCount, has_audio: i.hasAudio)
                if count {
                    let t0 = Date()
                    var n = 0
                    while reader.nextFrame() != nil { n += 1 }
                    let dt = Date().timeIntervalSince(t0)
                    r.frames_decoded = n; r.decode_errors = reader.decodeErrors; r.decode_fps = Double(n) / max(dt, 1e-9)
                }
                if json {
                    let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
                    print(String(data: try enc.encode(r), encoding: .utf8)!)
                } else {
                    var line = "\(path): \(i.width)x\(i.height) \(i.codec) \(i.pixelFormat), \(String(format: "%.3f", i.fps)) fps, \(String(format: "%.2f", i.duration)) s, ~\(i.estimatedFrameCount) frames, rotation \(i.rotation), audio \(i.hasAudio ? "yes" : "no")"
                    if let n = r.frames_decoded {
                        line += String(format: "; decoded %d frames, %d errors, %.1f fps", n, r.decode_errors ?? 0, r.decode_fps ?? 0)
                    }
                    print(line)
                }
            } catch {
                printError("wingtrack: error: \(error)")
                failed += 1
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
