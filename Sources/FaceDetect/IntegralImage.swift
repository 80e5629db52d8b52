/// Summed-area tables of an 8-bit grey image: `sum[(y)·(W+1) + x]` = Σ of pixels above and left of (x, y),
/// and the same of squares.
public struct IntegralImage {
    public let width: Int, height: Int
    public private(set) var sum: [Int32]
    public private(set) var squares: [Double]

    public init(grey: [UInt8], width: Int, height: Int) {
        self.width = width; self.height = height
        let s = width + 1
        var sum = [Int32](repeating: 0, count: s * (height + 1))
        var sq = [Double](repeating: 0, count: s * (height + 1))
        grey.withUnsafeBufferPointer { g in
            sum.withUnsafeMutableBufferPointer { S in
                sq.withUnsafeMutableBufferPointer { Q in
                    for y in 0..<height {
                        var row: Int32 = 0, rowSq: Double = 0
                        for x in 0..<width {
                            let v = g[y * width + x]
                            row += Int32(v); rowSq += Double(Int(v) * Int(v))
                            S[(y + 1) * s + x + 1] = S[y * s + x + 1] + row
                            Q[(y + 1) * s + x + 1] = Q[y * s + x + 1] + rowSq
                        }
                    }
                }
            }
        }
        self.sum = sum; self.squares = sq
    }

    /// Σ of pixels in the rectangle [x, x+w) × [y, y+h).
    @inline(__always)
    public func rectSum(_ x: Int, _ y: Int, _ w: Int, _ h: Int) -> Int32 {
        let s = width + 1
        return sum[(y + h) * s + x + w] - sum[y * s + x + w] - sum[(y + h) * s + x] + sum[y * s + x]
    }

    @inline(__always)
    public func rectSquares(_ x: Int, _ y: Int, _ w: Int, _ h: Int) -> Double {
        let s = width + 1
        return squares[(y + h) * s + x + w] - squares[y * s + x + w] - squares[(y + h) * s + x] + squares[y * s + x]
    }
}
