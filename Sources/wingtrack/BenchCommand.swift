import ArgumentParser
import FaceDetect
import Foundation
import MediaIO
import WingNN
import WingTracker
import WingTrain

/// `wingtrack bench`: speed measurements that anyone can rerun.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks: nn (network forward and training speed), video (track end to end at several frame sizes, next to decoding and re-encoding the same clips), or all.")

    enum What: String, ExpressibleByArgument, CaseIterable { case nn, video, all }
    @Argument(help: "What to measure: nn, video or all.") var what: What = .nn
    @Flag(help: "JSON output.") var json = false
    @Option(help: "Seconds per measurement (nn).") var seconds: Double = 3
    @Option(help: "Frame sizes for video, WIDTHxHEIGHT, comma-separated.") var sizes = "640x360,1280x720,1920x1080"
    @Option(help: "Frames per clip (video; at most the source's).") var frames = 150
    @Option(help: "Video the clips are made from (default: samples/grace_hopper.mp4 beside the models folder).") var source: String?
    @Option(help: ArgumentHelp(ModelsLocation.help)) var models: String?
    @Option(help: "Keep the clips and the track outputs of video in this folder (default: a temporary folder, removed).") var keep: String?
    @OptionGroup(title: "Tracker options (video), as for track") var tracking: TrackingOptions
    @OptionGroup(title: "Overlay encoding (video), as for track") var overlay: OverlayOptions
    @OptionGroup var arithmetic: PrecisionOption

    func validate() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        guard frames >= 1 else { throw ValidationError("--frames must be at least 1") }
        for s in sizes.split(separator: ",") where VideoBenchmark.parseSize(String(s)) == nil {
            throw ValidationError("--sizes: '\(s)' is not WIDTHxHEIGHT with even sides of 32–7680 × 32–4320")
        }
    }

    struct Report: Codable {
        var nn: NetworkBenchmark?
        var video: [VideoBenchmark.Row]?
        /// What the video rows ran on and with: cores, OpenBLAS core, networks, overlay encoding.
        var videoSetup: [String: String]?
    }

    func run() throws {
        arithmetic.apply()
        var report = Report()
        if what != .video {
            let (cnn6, cnn7) = try timedShapes()
            report.nn = NetworkBenchmark.run(secondsPerItem: seconds, cnn6: cnn6, cnn7: cnn7)
        }
        if what != .nn { (report.video, report.videoSetup) = try runVideo() }
        if json {
            let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys, .prettyPrinted]
            // `bench nn --json` keeps its flat shape for existing scripts.
            let data = what == .nn ? try enc.encode(report.nn) : try enc.encode(report)
            print(String(decoding: data, as: UTF8.self))
        } else {
            if let nn = report.nn { print(nn.table) }
            if let video = report.video, let setup = report.videoSetup {
                print(setup.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))
                print(VideoBenchmark.table(video), terminator: "")
            }
        }
    }

    /// The shapes `bench nn` times: those of the models folder's `cnn6.wtm` and `cnn7.wtm` (what
    /// `track` would run), each the paper's when the file is absent.
    private func timedShapes() throws -> (NetworkSpec, NetworkSpec) {
        let dir = ModelsLocation.resolve(models)
        func shape(_ file: String, _ paper: NetworkSpec) throws -> NetworkSpec {
            let url = dir.appendingPathComponent(file)
            return FileManager.default.fileExists(atPath: url.path) ? try ModelFile.load(url).header.spec : paper
        }
        return (try shape("cnn6.wtm", .cnn6), try shape("cnn7.wtm", .cnn7))
    }

    private func runVideo() throws -> ([VideoBenchmark.Row], [String: String]) {
        // As `track`: one BLAS thread per network (`bench nn` leaves it at all cores for training).
        BLAS.threads = 1
        let modelsURL = ModelsLocation.resolve(models)
        let sourceURL = source.map { URL(fileURLWithPath: $0) }
            ?? modelsURL.deletingLastPathComponent().appendingPathComponent("samples/grace_hopper.mp4")
        guard FileManager.default.fileExists(atPath: sourceURL.path) else {
            throw MediaError(.cannotOpen, path: sourceURL.path, reason: "no such file (--source VIDEO makes the clips from another video)")
        }
        let localizer = try tracking.localizer(modelsURL)
        if tracking.convention == nil { localizer.convention = LabellingConvention.ibug300W }
        let detector = try FaceDetector.standard()
        SpareCore.use(localizer: localizer, detector: detector)
        let helper = SpareCore.helper(for: localizer, maxFaces: 1, pairedFrames: tracking.pairedFrames)
        let headPose = try ModelsLocation.headPose(in: modelsURL)
        let work = keep.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("wingtrack-bench-\(getpid())")
        do { try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true) }
        catch { throw MediaError(.write, path: work.path, reason: "cannot create the folder (\(error.localizedDescription))") }
        defer { if keep == nil { try? FileManager.default.removeItem(at: work) } }
        var rows: [VideoBenchmark.Row] = []
        for size in sizes.split(separator: ",").map(String.init) {
            let (w, h) = VideoBenchmark.parseSize(size)!
            let clip = work.appendingPathComponent("clip-\(w)x\(h).mp4")
            printError("bench video: making a \(w)x\(h) clip from \(sourceURL.lastPathComponent), then measuring it")
            try VideoBenchmark.makeClip(from: sourceURL, width: w, height: h, frames: frames, to: clip)
            rows.append(try VideoBenchmark.measure(clip: clip, size: "\(w)x\(h)", localizer: localizer, detector: detector,
                                                   helper: helper, headPose: headPose, options: tracking.trackerOptions, overlay: overlay.writerOptions(integerNetworks: Int8Arithmetic.enabled), workDirectory: work))
        }
        let setup = ["cores": "\(ProcessInfo.processInfo.activeProcessorCount)", "openblas_core": BLAS.coreName,
                     "networks": localizer.networks, "flip_average": "\(localizer.flipAverage)",
                     "overlay": "x264 \(overlay.overlayPreset), crf \(overlay.overlayCrf)", "source": sourceURL.lastPathComponent]
        return (rows, setup)
    }
}
