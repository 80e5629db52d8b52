public enum Warp {
    /// Resamples `src` into a square `size`×`size` planar float image `[channels, size, size]` (values
    /// 0…255) through `imageToCrop`, bilinear; image outside `src` reads as black.
    ///
    /// Output pixel (u, v) samples the image at `imageToCrop⁻¹(u + 0.5, v + 0.5)` — exact in the
    /// pixel-corner coordinate convention.
    public static func crop(_ src: PixelView, imageToCrop: SimilarityTransform, size: Int,
                            into dst: UnsafeMutablePointer<Float>) {
        guard src.isPacked else {
            let inPicture = withPackedRegion(of: src, under: imageToCrop, size: size) { region, t in crop(region, imageToCrop: t, size: size, into: dst) }
            if !inPicture { dst.update(repeating: 0, count: src.channels * size * size) }
            return
        }
        // RGB gets its own copy of the loop with the channel count fixed (unrolled per pixel).
        if src.channels == 3 { cropLoop(src, imageToCrop: imageToCrop, size: size, channels: 3, into: dst) }
        else { cropLoop(src, imageToCrop: imageToCrop, size: size, channels: src.channels, into: dst) }
    }

    @inline(__always)
    private static func cropLoop(_ src: PixelView, imageToCrop: SimilarityTransform, size: Int, channels C: Int,
                                 into dst: UnsafeMutablePointer<Float>) {
        let m = imageToCrop.inverse
        let (W, H, rb) = (src.width, src.height, src.rowBytes)
        let plane = size * size
        for v in 0..<size {
            for u in 0..<size {
                let p = m.apply(Point(Float(u) + 0.5, Float(v) + 0.5))
                let fx = p.x - 0.5, fy = p.y - 0.5
                let x0 = floorToInt(fx), y0 = floorToInt(fy)
                let ax = fx - Float(x0), ay = fy - Float(y0)
                let o = v * size + u
                if x0 >= 0, y0 >= 0, x0 + 1 < W, y0 + 1 < H {
                    let r0 = src.base + y0 * rb + x0 * C, r1 = r0 + rb
                    for c in 0..<C {
                        let top = Float(r0[c]) + ax * (Float(r0[C + c]) - Float(r0[c]))
                        let bot = Float(r1[c]) + ax * (Float(r1[C + c]) - Float(r1[c]))
                        dst[c * plane + o] = top + ay * (bot - top)
                    }
                } else if x0 + 1 < 0 || y0 + 1 < 0 || x0 >= W || y0 >= H {
                    for c in 0..<C { dst[c * plane + o] = 0 }
                } else {
                    // Border: take the four taps one by one, black outside.
                    for c in 0..<C {
                        func tap(_ x: Int, _ y: Int) -> Float {
                            (x >= 0 && y >= 0 && x < W && y < H) ? Float(src.base[y * rb + x * C + c]) : 0
                        }
                        let top = tap(x0, y0) + ax * (tap(x0 + 1, y0) - tap(x0, y0))
                        let bot = tap(x0, y0 + 1) + ax * (tap(x0 + 1, y0 + 1) - tap(x0, y0 + 1))
                        dst[c * plane + o] = top + ay * (bot - top)
                    }
                }
            }
        }
    }

    /// ⌊x⌋ for finite x within ±2²⁴ (the value `x.rounded(.down)` has, without a call to floorf).
    @inline(__always)
    static func floorToInt(_ x: Float) -> Int {
        let t = Int(x)
        return Float(t) > x ? t - 1 : t
    }

    /// 2×2 box average: a `W`×`H` image becomes ⌊W/2⌋×⌊H/2⌋ (packed, same channels), each value
    /// rounded half up. In the pixel-corner convention a point maps exactly as p' = p / 2.
    public static func halve(_ src: PixelView) -> [UInt8] {
        precondition(src.isPacked, "Warp.halve takes packed pixels")
        let (w, h, C) = (src.width / 2, src.height / 2, src.channels)
        let n = w * C
        // Each row: the two source rows summed per byte, then each byte's sum with the same channel of
        // the next pixel (3 bytes on for RGB); every second pixel's sums are the output.
        var rowSums = [UInt16](repeating: 0, count: 2 * n)
        return [UInt8](unsafeUninitializedCapacity: w * h * C) { out, count in
            rowSums.withUnsafeMutableBufferPointer { sp in
                let sums = sp.baseAddress!
                for y in 0..<h {
                    let r0 = src.base + 2 * y * src.rowBytes, r1 = r0 + src.rowBytes
                    for i in 0..<(2 * n) { sums[i] = UInt16(r0[i]) &+ UInt16(r1[i]) }
                    let row = out.baseAddress! + y * n
                    if C == 3 {
                        for x in 0..<w {
                            let s = sums + 6 * x
                            row[3 * x] = UInt8(truncatingIfNeeded: (s[0] &+ s[3] &+ 2) >> 2)
                            row[3 * x + 1] = UInt8(truncatingIfNeeded: (s[1] &+ s[4] &+ 2) >> 2)
                            row[3 * x + 2] = UInt8(truncatingIfNeeded: (s[2] &+ s[5] &+ 2) >> 2)
                        }
                    } else {
                        for x in 0..<w {
                            for c in 0..<C {
                                row[x * C + c] = UInt8(truncatingIfNeeded: (sums[2 * x * C + c] &+ sums[(2 * x + 1) * C + c] &+ 2) >> 2)
                            }
                        }
                    }
                }
            }
            count = w * h * C
        }
    }
}

extension Warp {
    /// Like `crop`, but first halves (2×2 box filter) the region under the crop while the crop would
    /// shrink the image by 1.8× or more, so that strong downscaling does not alias — the same
    /// filtering the training crops got. Exact in the pixel-corner convention.
    public static func cropPrefiltered(_ src: PixelView, imageToCrop: SimilarityTransform, size: Int,
                                       into dst: UnsafeMutablePointer<Float>) {
        guard 1 / imageToCrop.scale >= 1.8 else { return crop(src, imageToCrop: imageToCrop, size: size, into: dst) }
        let inPicture = withPackedRegion(of: src, under: imageToCrop, size: size, halved: true) { half, t in
            halvingThenCrop(half, imageToCrop: t, size: size, into: dst)
        }
        if !inPicture { crop(src, imageToCrop: imageToCrop, size: size, into: dst) }
    }

    /// Halves `src` (`halve`) while the crop still shrinks it 1.8× or more, then crops it.
    private static func halvingThenCrop(_ src: PixelView, imageToCrop t: SimilarityTransform, size: Int,
                                        into dst: UnsafeMutablePointer<Float>) {
        guard 1 / t.scale >= 1.8, src.width >= 4, src.height >= 4 else { return crop(src, imageToCrop: t, size: size, into: dst) }
        let (w, h) = (src.width / 2, src.height / 2)
        halve(src).withUnsafeBufferPointer {
            halvingThenCrop(PixelView(base: $0.baseAddress!, width: w, height: h, channels: src.channels, rowBytes: w * src.channels),
                            imageToCrop: t.after(SimilarityTransform(a: 2, b: 0, tx: 0, ty: 0)), size: size, into: dst)
        }
    }

    /// Calls `body` with packed pixels of the part of `src` under the crop (its rotated square's
    /// bounding box plus a 2-pixel margin, from an even corner, within the picture) and the crop's
    /// transform from that region, and returns true; every bilinear tap of the crop inside the
    /// picture lies in the region, so cropping the region gives what cropping `src` gives. A packed
    /// `src` is viewed in place; a 4:2:0 one has only the region converted to RGB, at half size
    /// when `halved` (`PixelView.packedRGB`; the transform then includes the halving, and packed
    /// pixels are halved by `halve`). Returns false without calling `body` when less than 2×2 pixels
    /// of the picture are under the crop.
    @discardableResult
    static func withPackedRegion(of src: PixelView, under imageToCrop: SimilarityTransform, size: Int, halved: Bool = false,
                                 _ body: (PixelView, SimilarityTransform) -> Void) -> Bool {
        let inv = imageToCrop.inverse
        let s = Float(size)
        let b = Box(bounding: [Point(0, 0), Point(s, 0), Point(0, s), Point(s, s)].map(inv.apply))
        let x0 = max(0, Int(b.minX.rounded(.down)) - 2) & ~1, y0 = max(0, Int(b.minY.rounded(.down)) - 2) & ~1
        let x1 = min(src.width, Int(b.maxX.rounded(.up)) + 2), y1 = min(src.height, Int(b.maxY.rounded(.up)) + 2)
        guard x1 - x0 >= 2, y1 - y0 >= 2 else { return false }
        // Image → region coordinates: shift by the region's origin.
        let t = imageToCrop.after(SimilarityTransform(a: 1, b: 0, tx: Float(x0), ty: Float(y0)))
        let (w, h) = (x1 - x0, y1 - y0)
        var pixels: [UInt8]
        if src.isPacked {
            let region = PixelView(base: src.base + y0 * src.rowBytes + x0 * src.channels, width: w, height: h,
                                   channels: src.channels, rowBytes: src.rowBytes)
            guard halved else { body(region, t); return true }
            pixels = halve(region)
        } else {
            pixels = src.packedRGB(x0: x0, y0: y0, w: w, h: h, halved: halved)
        }
        let (pw, ph) = halved ? (w / 2, h / 2) : (w, h)
        let pt = halved ? t.after(SimilarityTransform(a: 2, b: 0, tx: 0, ty: 0)) : t
        pixels.withUnsafeBufferPointer { body(PixelView(base: $0.baseAddress!, width: pw, height: ph, channels: src.channels, rowBytes: pw * src.channels), pt) }
        return true
    }
}
