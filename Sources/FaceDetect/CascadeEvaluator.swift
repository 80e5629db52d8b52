/// Runs a `Cascade` on windows of one integral image (one scale).
struct CascadeEvaluator {
    let cascade: Cascade
    let ii: IntegralImage

    /// The stage the window at (x, y) failed (≥ 0), or nil when it passed every stage.
    /// `stageSums` (optional) receives each evaluated stage's sum.
    func firstFailedStage(x: Int, y: Int, stageSums: ((Int, Float) -> Void)? = nil) -> Int? {
        var varianceNorm: Float = 1
        if cascade.featureType == .haar {
            // OpenCV: normalise by the window's standard deviation over the inner rectangle; windows
            // with σ ≤ 10 grey levels are rejected outright.
            let (nx, ny, nw, nh) = (x + 1, y + 1, cascade.windowWidth - 2, cascade.windowHeight - 2)
            let area = Double(nw * nh)
            let s = Double(ii.rectSum(nx, ny, nw, nh)), q = ii.rectSquares(nx, ny, nw, nh)
            let nf = area * q - s * s
            guard nf > 0 else { return 0 }
            varianceNorm = Float(1 / nf.squareRoot())
            guard area * Double(varianceNorm) < 0.1 else { return 0 }
        }
        for (si, stage) in cascade.stages.enumerated() {
            var sum: Float = 0
            for weak in stage.weak {
                var idx = 0
                repeat {
                    let node = weak.nodes[idx]
                    let goLeft: Bool
                    if cascade.featureType == .haar {
                        let f = cascade.haarFeatures[node.feature]
                        var v: Float = 0
                        for r in f.rects { v += r.weight * Float(ii.rectSum(x + r.x, y + r.y, r.width, r.height)) }
                        goLeft = v * varianceNorm < node.threshold
                    } else {
                        let c = lbpCode(cascade.lbpFeatures[node.feature], x: x, y: y)
                        goLeft = node.subset[c >> 5] & (1 << UInt32(c & 31)) != 0
                    }
                    idx = goLeft ? node.left : node.right
                } while idx > 0
                sum += weak.leaves[-idx]
            }
            stageSums?(si, sum)
            if sum < stage.threshold { return si }
        }
        return nil
    }

    /// The LBP code of feature `f` for the window at (x, y).
    @inline(__always)
    func lbpCode(_ f: Cascade.LBPFeature, x: Int, y: Int) -> Int {
        Cascade.lbpCode { i, j in ii.rectSum(x + f.x + i * f.width, y + f.y + j * f.height, f.width, f.height) }
    }
}
