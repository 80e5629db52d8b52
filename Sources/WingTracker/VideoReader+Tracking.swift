import Foundation
import MediaIO

extension VideoReader {
    /// A reader as the tracker reads: frames keep their decoded samples where they are 8-bit 4:2:0
    /// (every common video), and then come without packed RGB; the crops read the samples
    /// (converting only the face's region to RGB), and the overlay is drawn on them and encoded as
    /// they are. Other inputs (10-bit, 4:2:2, full range, rotated) come as packed RGB.
    public static func forTracking(_ url: URL, threads: Int = 0) throws -> VideoReader {
        try VideoReader(url: url, format: .rgb24, threads: threads, keepPlanes: true, rgbFrames: .onlyWithoutPlanes)
    }
}
