import Foundation
import FaceGeometry

/// An 8-bit grey image, row-major, `width` bytes per row.
public struct GreyImage: Sendable {
    public var width: Int, height: Int
    public var pixels: [UInt8]
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height, "GreyImage: size mismatch")
        self.width = width; self.height = height; self.pixels = pixels
    }

    /// Luma of packed RGB (or BGR when `bgr`): 0.299 R + 0.587 G + 0.114 B, rounded.
    public init(rgb: UnsafePointer<UInt8>, width: Int, height: Int, rowBytes: Int, bgr: Bool = false) {
        var p = [UInt8](repeating: 0, count: width * height)
        let (ri, bi) = bgr ? (2, 0) : (0, 2)
        for y in 0..<height {
            let row = rgb + y * rowBytes
            for x in 0..<width {
                let v = 4899 * Int(row[3 * x + ri]) + 9617 * Int(row[3 * x + 1]) + 1868 * Int(row[3 * x + bi])
                p[y * width + x] = UInt8((v + 8192) >> 14)
            }
        }
        self.init(width: width, height: height, pixels: p)
    }

    /// Bilinear resize (OpenCV's INTER_LINEAR sampling: source = (dst + 0.5)·scale − 0.5), with
    /// per-column taps computed once and 8-bit fixed-point weights.
    public func resized(width w: Int, height h: Int) -> GreyImage {
        let sx = Float(width) / Float(w), sy = Float(height) / Float(h)
        var x0s = [Int](repeating: 0, count: w), x1s = x0s, axs = [Int32](repeating: 0, count: w)
        for x in 0..<w {
            let fx = max(0, (Float(x) + 0.5) * sx - 0.5)
            let x0 = min(Int(fx), width - 1)
            x0s[x] = x0; x1s[x] = min(x0 + 1, width - 1); axs[x] = Int32(((fx - Float(x0)) * 256).rounded())
        }
        var out = [UInt8](repeating: 0, count: w * h)
        pixels.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
        x0s.withUnsafeBufferPointer { X0 in x1s.withUnsafeBufferPointer { X1 in axs.withUnsafeBufferPointer { AX in
            for y in 0..<h {
                let fy = max(0, (Float(y) + 0.5) * sy - 0.5)
                let y0 = min(Int(fy), height - 1), y1 = min(y0 + 1, height - 1)
                let ay = Int32(((fy - Float(y0)) * 256).rounded())
                let r0 = src.baseAddress! + y0 * width, r1 = src.baseAddress! + y1 * width
                let d = dst.baseAddress! + y * w
                for x in 0..<w {
                    let a = AX[x]
                    let top = Int32(r0[X0[x]]) * (256 - a) + Int32(r0[X1[x]]) * a
                    let bot = Int32(r1[X0[x]]) * (256 - a) + Int32(r1[X1[x]]) * a
                    d[x] = UInt8((top * (256 - ay) + bot * ay + 32768) >> 16)
                }
            }
        }}}}}
        return GreyImage(width: w, height: h, pixels: out)
    }

    /// A `side`×`side` view of the image: view pixel (u, v) shows the image at
    /// `viewToImage(u + 0.5, v + 0.5)`, bilinear; outside the image reads as mid-grey.
    public func warped(side: Int, viewToImage m: SimilarityTransform) -> GreyImage {
        var out = [UInt8](repeating: 128, count: side * side)
        pixels.withUnsafeBufferPointer { src in
            for v in 0..<side {
                for u in 0..<side {
                    let p = m.apply(Point(Float(u) + 0.5, Float(v) + 0.5))
                    let fx = p.x - 0.5, fy = p.y - 0.5
                    let x0f = fx.rounded(.down), y0f = fy.rounded(.down)
                    let x0 = Int(x0f), y0 = Int(y0f)
                    guard x0 >= 0, y0 >= 0, x0 + 1 < width, y0 + 1 < height else { continue }
                    let ax = fx - x0f, ay = fy - y0f
                    let r0 = y0 * width + x0, r1 = r0 + width
                    let top = Float(src[r0]) + ax * (Float(src[r0 + 1]) - Float(src[r0]))
                    let bot = Float(src[r1]) + ax * (Float(src[r1 + 1]) - Float(src[r1]))
                    out[v * side + u] = UInt8(top + ay * (bot - top) + 0.5)
                }
            }
        }
        return GreyImage(width: side, height: side, pixels: out)
    }

    /// Left–right mirror.
    public func mirrored() -> GreyImage {
        var out = pixels
        for y in 0..<height { for x in 0..<width { out[y * width + x] = pixels[y * width + width - 1 - x] } }
        return GreyImage(width: width, height: height, pixels: out)
    }
}

/// Multi-scale sliding-window detection with one cascade, as OpenCV's `detectMultiScale`: the image is
/// shrunk by `scaleFactor` per level, windows are tried on a grid (coarse to fine, see `refineDepth`),
/// raw hits are grouped by `groupRectangles`.
public struct CascadeDetector: Sendable {
    public let cascade: Cascade
    public var scaleFactor: Double = 1.1
    public var minNeighbors: Int = 3
    /// Smallest and largest face side in pixels (nil: window size / whole image).
    public var minSize: Int? = nil
    public var maxSize: Int? = nil

    /// Compiled cascades by integral-image width: the pyramid levels of a video's frames have the
    /// same widths on every frame, so each level is compiled once per video, not once per frame.
    private let compiledCache = CompiledCache()

    public init(cascade: Cascade) { self.cascade = cascade }

    /// Coarse-to-fine scanning. OpenCV's grid is every position above 2× scale and every second one
    /// below; here every level is first tried at every second position, and above 2× the positions
    /// in between only next to a window that passed this many stages (a face passes them all, the
    /// windows around it most). nil: OpenCV's exhaustive grid. With 4, about half the exhaustive
    /// time for 0.9 points of detection rate (docs/performance.md).
    public var refineDepth: Int? = 4

    /// Threads that scan pyramid levels at once. The hits are collected level by level in pyramid
    /// order, so the detections are the same for any count.
    public var threads = 1

    /// One pyramid level: the image shrunk by `factor` to `width`×`height`, windows `winW`×`winH` in image pixels.
    struct Level { var factor: Double, width: Int, height: Int, winW: Int, winH: Int }

    /// The pyramid levels to scan for this image size and the size range, smallest factor first.
    func levels(imageWidth: Int, imageHeight: Int) -> [Level] {
        let (ww, wh) = (cascade.windowWidth, cascade.windowHeight)
        var out: [Level] = []
        var factor = 1.0
        while true {
            let winW = Int((Double(ww) * factor).rounded()), winH = Int((Double(wh) * factor).rounded())
            if let maxSize, winW > maxSize || winH > maxSize { break }
            let sw = Int((Double(imageWidth) / factor).rounded()), sh = Int((Double(imageHeight) / factor).rounded())
            if sw < ww || sh < wh { break }
            defer { factor *= scaleFactor }
            if let minSize, winW < minSize || winH < minSize { continue }
            out.append(Level(factor: factor, width: sw, height: sh, winW: winW, winH: winH))
        }
        return out
    }

    /// Raw window hits in image pixels (before grouping), in pyramid order.
    public func rawHits(_ image: GreyImage, region: PixelRect? = nil) -> [PixelRect] {
        let levels = self.levels(imageWidth: image.width, imageHeight: image.height)
        guard threads > 1, levels.count > 1 else { return levels.flatMap { scan(image, $0, region: region) } }
        // Workers take the next level in turn (the first, largest levels cost the most).
        var perLevel = [[PixelRect]](repeating: [], count: levels.count)
        var next = 0
        let lock = NSLock()
        perLevel.withUnsafeMutableBufferPointer { slots in
            let slots = slots   // each level's slot is written by exactly one worker
            DispatchQueue.concurrentPerform(iterations: min(threads, levels.count)) { _ in
                while true {
                    lock.lock(); let i = next; next += 1; lock.unlock()
                    guard i < levels.count else { return }
                    slots[i] = scan(image, levels[i], region: region)
                }
            }
        }
        return perLevel.flatMap { $0 }
    }

    /// The windows of one level, optionally only those inside `region`. OpenCV's grid: every second
    /// position below 2×, every position above. With `refineDepth` set, levels above 2× are first
    /// tried at every second position, and the three in-between positions after a coarse window
    /// (right, below, diagonal) only when that window passed at least `refineDepth` stages.
    func scan(_ image: GreyImage, _ level: Level, region: PixelRect?) -> [PixelRect] {
        let (ww, wh) = (cascade.windowWidth, cascade.windowHeight)
        let (factor, sw, sh) = (level.factor, level.width, level.height)
        var hits: [PixelRect] = []
        let scaled = (sw == image.width && sh == image.height) ? image : image.resized(width: sw, height: sh)
        let ii = IntegralImage(grey: scaled.pixels, width: sw, height: sh)
        let compiled = compiledCache.get(cascade, integralWidth: sw)
        let step = factor > 2 ? 1 : 2
        var (x0, y0, x1, y1) = (0, 0, sw - ww, sh - wh)
        if let r = region {
            x0 = max(0, Int(Double(r.x) / factor)); y0 = max(0, Int(Double(r.y) / factor))
            x1 = min(x1, Int(Double(r.x + r.width) / factor) - ww); y1 = min(y1, Int(Double(r.y + r.height) / factor) - wh)
        }
        guard x1 >= x0, y1 >= y0 else { return [] }
        let P = compiled.pointers
        // Coarse to fine: only the levels where OpenCV's grid is every position (above 2×) are
        // refined; they are first tried at every second position like the others.
        let refine = step == 1 ? refineDepth : nil
        let coarse = refine == nil ? step : 2
        let refineAt = refine ?? Int.max
        ii.sum.withUnsafeBufferPointer { sp in ii.squares.withUnsafeBufferPointer { qp in
            let (S, Q) = (sp.baseAddress!, qp.baseAddress!)
            func tryWindow(_ x: Int, _ y: Int) -> Int {
                let passed = compiled.stagesPassed(sum: S, squares: Q, x: x, y: y, P)
                if passed == P.stages {
                    hits.append(PixelRect(x: Int((Double(x) * factor).rounded()), y: Int((Double(y) * factor).rounded()),
                                          width: level.winW, height: level.winH))
                }
                return passed
            }
            for y in stride(from: y0 - y0 % coarse, to: y1, by: coarse) {
                for x in stride(from: x0 - x0 % coarse, to: x1, by: coarse) where tryWindow(x, y) >= refineAt {
                    if x + step < x1 { _ = tryWindow(x + step, y) }
                    if y + step < y1 {
                        _ = tryWindow(x, y + step)
                        if x + step < x1 { _ = tryWindow(x + step, y + step) }
                    }
                }
            }
        }}
        return hits
    }

    /// Grouped detections with their neighbour counts.
    public func detect(_ image: GreyImage, region: PixelRect? = nil) -> [(rect: PixelRect, neighbors: Int)] {
        groupRectangles(rawHits(image, region: region), minNeighbors: minNeighbors)
    }
}

/// A small lock-protected cache of compiled cascades keyed by integral width (cleared when it grows
/// past 256 entries, e.g. over many image sizes).
final class CompiledCache: @unchecked Sendable {
    private var byWidth: [Int: CompiledCascade] = [:]
    private let lock = NSLock()

    func get(_ cascade: Cascade, integralWidth w: Int) -> CompiledCascade {
        lock.lock(); defer { lock.unlock() }
        if let c = byWidth[w] { return c }
        if byWidth.count >= 256 { byWidth.removeAll() }
        let c = CompiledCascade(cascade, integralWidth: w)
        byWidth[w] = c
        return c
    }
}
