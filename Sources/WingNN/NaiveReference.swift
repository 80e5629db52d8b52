/// Plain-loop references for the fast kernels, used by tests to check them. Not for production paths.
public enum NaiveReference {
    /// Direct convolution, `x` `[N, C, H, W]`, `w` `[O, C, k, k]`, `b` `[O]`.
    public static func conv2d(_ x: Tensor, weight w: [Float], bias b: [Float], outChannels O: Int,
                              kernel k: Int, stride s: Int, padding p: Int) -> Tensor {
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oH = (H + 2 * p - k) / s + 1, oW = (W + 2 * p - k) / s + 1
        var y = Tensor(zeros: [N, O, oH, oW])
        for n in 0..<N { for o in 0..<O { for oy in 0..<oH { for ox in 0..<oW {
            var acc = b[o]
            for c in 0..<C { for ky in 0..<k { for kx in 0..<k {
                let iy = oy * s - p + ky, ix = ox * s - p + kx
                if iy >= 0, iy < H, ix >= 0, ix < W {
                    acc += w[((o * C + c) * k + ky) * k + kx] * x.data[((n * C + c) * H + iy) * W + ix]
                }
            }}}
            y.data[((n * O + o) * oH + oy) * oW + ox] = acc
        }}}}
        return y
    }

    /// Max pooling with k×k windows and stride s.
    public static func maxPool(_ x: Tensor, kernel k: Int, stride s: Int) -> Tensor {
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oH = (H - k) / s + 1, oW = (W - k) / s + 1
        var y = Tensor(zeros: [N, C, oH, oW])
        for n in 0..<N { for c in 0..<C { for oy in 0..<oH { for ox in 0..<oW {
            var m = -Float.infinity
            for ky in 0..<k { for kx in 0..<k { m = max(m, x.data[((n * C + c) * H + oy * s + ky) * W + ox * s + kx]) } }
            y.data[((n * C + c) * oH + oy) * oW + ox] = m
        }}}}
        return y
    }

    /// y = x·Wᵀ + b.
    public static func dense(_ x: Tensor, weight w: [Float], bias b: [Float], outFeatures O: Int) -> Tensor {
        let (N, I) = (x.shape[0], x.shape[1])
        var y = Tensor(zeros: [N, O])
        for n in 0..<N { for o in 0..<O {
            var acc = b[o]
            for i in 0..<I { acc += x.data[n * I + i] * w[o * I + i] }
            y.data[n * O + o] = acc
        }}
        return y
    }
}
