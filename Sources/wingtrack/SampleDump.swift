import Foundation
import FaceGeometry
import MediaIO
import WingNN
import WingTrain

/// Writes augmented training crops as PNGs with the target points drawn (green; red border for negatives),
/// so that anyone can look at what the network is taught.
enum SampleDump {
    static func write(_ gen: SampleGenerator, count: Int, seed: UInt64, to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: seed)
        let S = gen.policy.inputSize
        for k in 0..<count {
            let idx = Int.random(in: 0..<gen.dataset.count, using: &rng)
            let s = gen.sample(idx, rng: &rng, negative: k % 5 == 4)
            var img = PixelBuffer(width: S, height: S)
            for y in 0..<S { for x in 0..<S { for c in 0..<3 {
                let v = (s.input[c * S * S + y * S + x] - gen.normalization.offset) / gen.normalization.scale
                img.data[(y * S + x) * 3 + c] = UInt8(max(0, min(255, v.rounded())))
            }}}
            if s.positive {
                for j in 0..<68 {
                    let x = Int(s.target[j]), y = Int(s.target[68 + j])
                    if x >= 0, y >= 0, x < S, y < S { img.data[(y * S + x) * 3] = 0; img.data[(y * S + x) * 3 + 1] = 255; img.data[(y * S + x) * 3 + 2] = 0 }
                }
            } else {
                for i in 0..<S { for (x, y) in [(i, 0), (i, S - 1), (0, i), (S - 1, i)] { img.data[(y * S + x) * 3] = 255 } }
            }
            try ImageIO.writePNG(img, to: dir.appendingPathComponent(String(format: "%03d.png", k)))
        }
    }
}
