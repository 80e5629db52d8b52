import Foundation
import FaceGeometry
import MediaIO
import WingNN

/// A generated video with exact ground truth: one annotated face crop moved smoothly over a textured
/// background (translation, scale, roll), optionally absent for a stretch of frames. Several clips of
/// the same size make a clip with several faces (`write(_:to:crf:)`: the first clip's background).
///
/// Frame t shows the crop through the similarity `faceToFrame(t)`; its ground truth is the crop's 68
/// points through the same map. The crop is blended in with a soft round mask (radius 0.85 of the
/// half-crop, feathered over 8 % of it), so only the face and some surrounding context appear.
public struct GroundTruthClip: Sendable {
    public struct Motion: Sendable {
        public var width = 640, height = 360, frames = 150
        public var fps = 30.0
        /// Side of the landmarks' bounding box in frame pixels, as a fraction of the frame height
        /// (it swings ± `scaleSwing` around this).
        public var faceSize: Float = 0.32, scaleSwing: Float = 0.25
        /// Peak roll in degrees.
        public var maxRollDegrees: Float = 35
        /// Peak translation of the face centre from its mean position, as a fraction of width / height.
        public var travel: Float = 0.25
        /// The face centre's mean position, as a fraction of width and height (0.5, 0.5: the frame centre).
        public var centreX: Float = 0.5, centreY: Float = 0.5
        /// Frames without the face (nil = none).
        public var gap: Range<Int>? = nil
        /// Phase offset of the trajectories (so clips from the same face differ).
        public var phase: Float = 0
        /// Frames per cycle of the trajectories (independent of the clip's length, so the speed is
        /// too: at the defaults the face moves at most ~10 px, 1.5° and 1.6 % in scale per frame).
        public var period = 150
        public init() {}
    }

    public let motion: Motion
    /// The face crop (packed RGB) and its 68 points in crop pixels.
    public let face: [UInt8], faceWidth: Int, faceHeight: Int, faceLandmarks: [Point]
    private let background: [UInt8]

    public init(face: [UInt8], width: Int, height: Int, landmarks: [Point], motion: Motion, seed: UInt64) {
        self.face = face; faceWidth = width; faceHeight = height; faceLandmarks = landmarks; self.motion = motion
        background = Self.texture(width: motion.width, height: motion.height, seed: seed)
    }

    /// The crop-to-frame map at frame `t`.
    public func faceToFrame(_ t: Int) -> SimilarityTransform {
        let m = motion
        let u = Float(t) / Float(max(1, m.period)) * 2 * .pi + m.phase
        let (W, H) = (Float(m.width), Float(m.height))
        let centre = Point(m.centreX * W + m.travel * W * sin(u), m.centreY * H + m.travel * H * sin(2 * u + 1))
        let side = m.faceSize * H * (1 + m.scaleSwing * sin(1.5 * u + 2))
        let roll = m.maxRollDegrees * .pi / 180 * sin(u + 0.5)
        // The landmarks' box in the crop is ~half the crop (faces68 crops are 2× the box), centred.
        let box = Box(bounding: faceLandmarks)
        let toOrigin = SimilarityTransform(scale: 1, angle: 0, tx: -box.center.x, ty: -box.center.y)
        let place = SimilarityTransform(scale: side / box.squareSide, angle: roll, tx: centre.x, ty: centre.y)
        return place.after(toOrigin)
    }

    /// Ground truth at frame `t` (nil inside the gap).
    public func landmarks(_ t: Int) -> [Point]? {
        if let g = motion.gap, g.contains(t) { return nil }
        return faceToFrame(t).apply(faceLandmarks)
    }

    /// Renders frame `t` (packed RGB).
    public func frame(_ t: Int) -> PixelBuffer {
        var img = PixelBuffer(width: motion.width, height: motion.height, format: .rgb24, data: background)
        draw(t, on: &img)
        return img
    }

    /// Blends the face as it is at frame `t` into `img` (packed RGB of the clip's size).
    public func draw(_ t: Int, on img: inout PixelBuffer) {
        if let g = motion.gap, g.contains(t) { return }
        let toCrop = faceToFrame(t).inverse
        let (cw, ch) = (Float(faceWidth), Float(faceHeight))
        let centre = Point(cw / 2, ch / 2), radius = 0.85 * cw / 2, feather = 0.08 * cw / 2
        // Frame-space bounds of the mask circle.
        let fc = faceToFrame(t).apply(centre), fr = radius * faceToFrame(t).scale + 2
        let x0 = max(0, Int(fc.x - fr)), x1 = min(motion.width - 1, Int(fc.x + fr))
        let y0 = max(0, Int(fc.y - fr)), y1 = min(motion.height - 1, Int(fc.y + fr))
        guard x0 <= x1, y0 <= y1 else { return }
        let W = motion.width
        face.withUnsafeBufferPointer { src in
            for y in y0...y1 {
                for x in x0...x1 {
                    let p = toCrop.apply(Point(Float(x) + 0.5, Float(y) + 0.5))
                    let d = p.distance(to: centre)
                    guard d < radius else { continue }
                    let alpha = min(1, (radius - d) / feather)
                    let fx = p.x - 0.5, fy = p.y - 0.5
                    let xi = max(0, min(faceWidth - 2, Int(fx.rounded(.down)))), yi = max(0, min(faceHeight - 2, Int(fy.rounded(.down))))
                    let ax = max(0, min(1, fx - Float(xi))), ay = max(0, min(1, fy - Float(yi)))
                    let o = (y * W + x) * 3
                    for c in 0..<3 {
                        let r0 = (yi * faceWidth + xi) * 3 + c, r1 = r0 + faceWidth * 3
                        let top = Float(src[r0]) + ax * (Float(src[r0 + 3]) - Float(src[r0]))
                        let bot = Float(src[r1]) + ax * (Float(src[r1 + 3]) - Float(src[r1]))
                        let v = top + ay * (bot - top)
                        img.data[o + c] = UInt8(max(0, min(255, (alpha * v + (1 - alpha) * Float(img.data[o + c])).rounded())))
                    }
                }
            }
        }
    }

    /// Encodes the clip (H.264, crf `crf`) to `url`; returns the ground truth of every frame.
    @discardableResult
    public func write(to url: URL, crf: Int = 18) throws -> [[Point]?] {
        var options = VideoWriter.Options()
        options.crf = crf
        options.frameRate = motion.fps
        let writer = try VideoWriter(url: url, width: motion.width, height: motion.height, options: options)
        for t in 0..<motion.frames { try writer.write(frame(t), timestamp: Double(t) / motion.fps) }
        try writer.finish()
        return (0..<motion.frames).map(landmarks)
    }

    /// Encodes several clips of the same size and length as one (the first clip's background, the
    /// faces drawn in order, later ones over earlier ones); returns each clip's ground truth per frame.
    @discardableResult
    public static func write(_ clips: [GroundTruthClip], to url: URL, crf: Int = 18) throws -> [[[Point]?]] {
        guard let first = clips.first else { return [] }
        let m = first.motion
        precondition(clips.allSatisfy { $0.motion.width == m.width && $0.motion.height == m.height && $0.motion.frames == m.frames },
                     "clips of one size and length")
        var options = VideoWriter.Options()
        options.crf = crf
        options.frameRate = m.fps
        let writer = try VideoWriter(url: url, width: m.width, height: m.height, options: options)
        for t in 0..<m.frames {
            var img = first.frame(t)
            for c in clips.dropFirst() { c.draw(t, on: &img) }
            try writer.write(img, timestamp: Double(t) / m.fps)
        }
        try writer.finish()
        return clips.map { c in (0..<m.frames).map(c.landmarks) }
    }

    /// A face-free background: a colour gradient with soft blobs and fine stripes (seeded).
    static func texture(width: Int, height: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        func uniform(_ r: ClosedRange<Float>) -> Float { Float.random(in: r, using: &rng) }
        let base: [Float] = (0..<3).map { _ in uniform(60...190) }
        let grad: [Float] = (0..<3).map { _ in uniform(-60...60) }
        struct Blob { var x: Float, y: Float, r: Float, amplitude: Float }
        let blobs: [Blob] = (0..<6).map { _ in Blob(x: uniform(0...1), y: uniform(0...1), r: uniform(0.05...0.25), amplitude: uniform(-50...50)) }
        let stripe = uniform(0.05...0.3)
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let u = Float(x) / Float(width), v = Float(y) / Float(height)
                var shade: Float = 8 * sin(stripe * Float(x + 2 * y))
                for b in blobs {
                    let dx = u - b.x, dy = v - b.y
                    shade += b.amplitude * exp(-(dx * dx + dy * dy) / (b.r * b.r))
                }
                for c in 0..<3 {
                    let value: Float = base[c] + grad[c] * (u - v) + shade
                    out[(y * width + x) * 3 + c] = UInt8(max(0, min(255, value)))
                }
            }
        }
        return out
    }
}
