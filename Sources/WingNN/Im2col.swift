/// Geometry of a 2-D convolution or pooling window over a `[C, H, W]` image.
public struct ConvGeometry: Sendable, Equatable {
    public var channels: Int, height: Int, width: Int
    public var kernel: Int, stride: Int, padding: Int

    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Rows of the im2col matrix: C·k·k.
    public var patchSize: Int { channels * kernel * kernel }
    /// Output positions per image: outH·outW.
    public var positions: Int { outHeight * outWidth }
}

/// Unfolds `count` images into columns: `col[(c·k + ky)·k + kx, i·P + oy·outW + ox]`, with
/// `P = outH·outW`, holds `image[i][c, oy·s − pad + ky, ox·s − pad + kx]` (0 outside the image).
/// `images` points at the first of `count` consecutive `[C, H, W]` images. With `outputRows`, only
/// those output rows are unfolded (`P` = their count · outW, `oy` counted from the range's start).
func im2col(_ g: ConvGeometry, images: UnsafePointer<Float>, count: Int, outputRows: Range<Int>? = nil,
            col: UnsafeMutablePointer<Float>) {
    let (H, W, k, s, pad) = (g.height, g.width, g.kernel, g.stride, g.padding)
    let rows = outputRows ?? 0..<g.outHeight
    let oW = g.outWidth, P = rows.count * oW
    let rowStride = count * P
    for c in 0..<g.channels {
        for ky in 0..<k {
            for kx in 0..<k {
                let row = col + ((c * k + ky) * k + kx) * rowStride
                // Valid output columns: 0 <= ox*s - pad + kx < W.
                let oxLo = max(0, (pad - kx + s - 1) / s)
                let oxHi = min(oW, (W - 1 + pad - kx) / s + 1)
                for i in 0..<count {
                    let plane = images + (i * g.channels + c) * H * W
                    let dst0 = row + i * P
                    if s == 1 && oW == W && oxHi > oxLo {
                        // Output rows as wide as input rows: the valid rows are one contiguous run in both
                        // the source plane and the column row, so one copy serves them all; the padding
                        // columns it fills from the neighbouring rows are zeroed after it.
                        let oyA = max(rows.lowerBound, pad - ky), oyB = min(rows.upperBound, H + pad - ky)
                        let dst = dst0 - rows.lowerBound * oW
                        for oy in rows where oy < oyA || oy >= oyB { (dst + oy * oW).update(repeating: 0, count: oW) }
                        guard oyB > oyA else { continue }
                        let first = dst + oyA * oW + oxLo, src = plane + (oyA - pad + ky) * W - pad + kx + oxLo
                        first.update(from: src, count: (oyB - oyA - 1) * oW + (oxHi - oxLo))
                        for oy in oyA..<oyB {
                            let r = dst + oy * oW
                            for ox in 0..<oxLo { r[ox] = 0 }
                            for ox in oxHi..<oW { r[ox] = 0 }
                        }
                        continue
                    }
                    for oy in rows {
                        let iy = oy * s - pad + ky
                        let dst = dst0 + (oy - rows.lowerBound) * oW
                        if iy < 0 || iy >= H || oxHi <= oxLo {
                            dst.update(repeating: 0, count: oW)
                            continue
                        }
                        if oxLo > 0 { dst.update(repeating: 0, count: oxLo) }
                        if oxHi < oW { (dst + oxHi).update(repeating: 0, count: oW - oxHi) }
                        let src = plane + iy * W - pad + kx
                        if s == 1 {
                            (dst + oxLo).update(from: src + oxLo, count: oxHi - oxLo)
                        } else {
                            for ox in oxLo..<oxHi { dst[ox] = src[ox * s] }
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of `im2col`: adds every column entry back onto the image position it came from.
/// `images` (`count` consecutive `[C, H, W]` images) must be zeroed by the caller.
func col2im(_ g: ConvGeometry, col: UnsafePointer<Float>, count: Int, images: UnsafeMutablePointer<Float>) {
    let (H, W, k, s, pad) = (g.height, g.width, g.kernel, g.stride, g.padding)
    let (oH, oW, P) = (g.outHeight, g.outWidth, g.positions)
    let rowStride = count * P
    for c in 0..<g.channels {
        for ky in 0..<k {
            for kx in 0..<k {
                let row = col + ((c * k + ky) * k + kx) * rowStride
                let oxLo = max(0, (pad - kx + s - 1) / s)
                let oxHi = min(oW, (W - 1 + pad - kx) / s + 1)
                if oxHi <= oxLo { continue }
                for i in 0..<count {
                    let plane = images + (i * g.channels + c) * H * W
                    let src0 = row + i * P
                    for oy in 0..<oH {
                        let iy = oy * s - pad + ky
                        if iy < 0 || iy >= H { continue }
                        let src = src0 + oy * oW
                        let dst = plane + iy * W - pad + kx
                        for ox in oxLo..<oxHi { dst[ox * s] += src[ox] }
                    }
                }
            }
        }
    }
}
