import Foundation
import XCTest
@testable import MediaIO

/// A smooth synthetic frame: colour gradients plus a soft bright blob that moves with `k`
/// (smooth, so that yuv420p chroma subsampling itself does not limit PSNR).
func syntheticFrame(width: Int, height: Int, k: Int, format: PixelBuffer.Format = .rgb24) -> PixelBuffer {
    var img = PixelBuffer(width: width, height: height, format: .rgb24)
    let cx = Double((k * 7) % max(1, width)), cy = Double((k * 3) % max(1, height))
    for y in 0..<height {
        for x in 0..<width {
            let i = (y * width + x) * 3
            let d2 = (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)
            let blob = 90 * exp(-d2 / 60)
            img.data[i] = UInt8(40 + 120 * x / width + Int(blob))
            img.data[i + 1] = UInt8(40 + 120 * y / height + Int(blob))
            img.data[i + 2] = UInt8(80 + 60 * (x + y) / (width + height) + Int(blob * 0.5))
        }
    }
    return img.converted(to: format)
}

/// Peak signal-to-noise ratio in dB between two images of equal size (channel order respected).
func psnr(_ a: PixelBuffer, _ b: PixelBuffer) -> Double {
    let a = a.converted(to: .rgb24), b = b.converted(to: .rgb24)
    var se = 0.0
    for i in a.data.indices { let d = Double(a.data[i]) - Double(b.data[i]); se += d * d }
    let mse = se / Double(a.data.count)
    return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
}

/// Writes `timestamps.count` synthetic frames to `url`.
func writeSyntheticVideo(_ url: URL, width: Int = 96, height: Int = 64, timestamps: [Double],
                         options: VideoWriter.Options = VideoWriter.Options()) throws -> [PixelBuffer] {
    let w = try VideoWriter(url: url, width: width, height: height, options: options)
    var frames: [PixelBuffer] = []
    for (k, t) in timestamps.enumerated() {
        let f = syntheticFrame(width: width, height: height, k: k, format: k % 2 == 0 ? .rgb24 : .bgr24)
        try w.write(f, timestamp: t)
        frames.append(f)
    }
    try w.finish()
    return frames
}

/// Runs the ffmpeg command line (for making inputs our writer cannot: audio-only files). Skips without it.
func runFFmpeg(_ args: [String]) throws {
    let candidates = ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"]
    guard let exe = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw XCTSkip("the ffmpeg command line is not installed (make test installs it)")
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = ["-loglevel", "error", "-y"] + args
    try p.run()
    p.waitUntilExit()
    if p.terminationStatus != 0 { XCTFail("ffmpeg \(args) failed") }
}
