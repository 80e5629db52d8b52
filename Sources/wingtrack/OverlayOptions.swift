import ArgumentParser
import MediaIO

/// How the overlay video is encoded, shared by `track` and `bench video`. The default is veryfast at
/// CRF 23 (CRF 20 until 2026-11-28, when the overlay began to be drawn on the decoded yuv420p
/// samples); docs/performance.md has what faster presets save and why the encoder has one thread
/// per video for small frames by default.
struct OverlayOptions: ParsableArguments {
    @Option(help: "x264 preset of the overlay video: \(VideoWriter.x264Presets.joined(separator: ", ")) (faster: less CPU, bigger files).")
    var overlayPreset = VideoWriter.Options().preset
    @Option(help: "x264 quality of the overlay video, 0–51 (lower: better and bigger).") var overlayCrf = VideoWriter.Options().crf
    @Option(help: "x264 threads per overlay video (0: FFmpeg chooses; default: 1 below 1280×720 with int8 networks, up to it with f32, where it measured fastest beside them; FFmpeg's choice above).")
    var overlayThreads: Int?

    func validate() throws {
        guard VideoWriter.x264Presets.contains(overlayPreset) else {
            throw ValidationError("--overlay-preset must be one of \(VideoWriter.x264Presets.joined(separator: ", "))")
        }
        guard (0...51).contains(overlayCrf) else { throw ValidationError("--overlay-crf must be between 0 and 51") }
        guard overlayThreads.map({ (0...64).contains($0) }) ?? true else { throw ValidationError("--overlay-threads must be between 0 and 64") }
    }

    /// The encoder's options beside networks computing in int8 (`integerNetworks`) or f32.
    func writerOptions(integerNetworks: Bool) -> VideoWriter.Options {
        var o = VideoWriter.Options()
        o.preset = overlayPreset
        o.crf = overlayCrf
        o.threads = overlayThreads
        if integerNetworks { o.oneThreadMaxPixels = 1280 * 720 - 1 }
        return o
    }
}
