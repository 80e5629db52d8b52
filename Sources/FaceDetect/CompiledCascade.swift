/// A `Cascade` flattened into contiguous arrays for fast evaluation: feature rectangles become four
/// corner offsets into the integral image of one scale (its row stride fixed), nodes and leaves live
/// in single arrays. Build one per integral-image width.
final class CompiledCascade {
    let cascade: Cascade
    let stride: Int
    /// HAAR (else LBP), kept apart so the hot loop never touches `cascade`.
    let isHaar: Bool
    // Per stage: first weak classifier, count, threshold.
    private var stageWeakStart: [Int32] = [], stageWeakCount: [Int32] = [], stageThreshold: [Float] = []
    // Per weak classifier: first node, first leaf.
    private var weakNode: [Int32] = [], weakLeaf: [Int32] = []
    // Per node.
    private var nodeLeft: [Int32] = [], nodeRight: [Int32] = [], nodeFeature: [Int32] = []
    private var nodeSubset: [UInt32] = []   // 8 words per node (LBP)
    private var leaves: [Float] = []
    /// HAAR: one self-contained record per node (feature corners, weights, threshold, children), so
    /// the hot loop reads one place per node instead of six arrays.
    private var haarNodes: [HaarNode] = []
    /// HAAR cascades whose trees all have exactly two nodes (haarcascade_frontalface_alt2): per tree
    /// the leaf value for each pair of node outcomes, index 2·(root goes left) + (second goes left).
    /// Both nodes are then evaluated and the leaf picked without a branch: which way a tree walks
    /// is a coin toss for the branch predictor, and the mispredictions cost more than the second node.
    let twoNodeTrees: Bool
    private var pairLeaves: [Float] = []
    // LBP: per feature 16 grid-corner offsets.
    private var lbpOffsets: [Int32] = []
    // Variance normalisation rectangle corners.
    private var normOffsets: [Int32] = []
    private let normArea: Double

    init(_ c: Cascade, integralWidth: Int) {
        cascade = c
        isHaar = c.featureType == .haar
        stride = integralWidth + 1
        let s = stride
        // HAAR, while building: node thresholds, and per feature 3 rects × (4 offsets + weight)
        // (unused rects have weight 0); they end up in `haarNodes`.
        var nodeThreshold: [Float] = [], haarOffsets: [Int32] = [], haarWeights: [Float] = []
        func corners(_ x: Int, _ y: Int, _ w: Int, _ h: Int) -> [Int32] {
            [Int32(y * s + x), Int32(y * s + x + w), Int32((y + h) * s + x), Int32((y + h) * s + x + w)]
        }
        for st in c.stages {
            stageWeakStart.append(Int32(weakNode.count)); stageWeakCount.append(Int32(st.weak.count)); stageThreshold.append(st.threshold)
            for w in st.weak {
                weakNode.append(Int32(nodeLeft.count)); weakLeaf.append(Int32(leaves.count))
                for n in w.nodes {
                    nodeLeft.append(Int32(n.left)); nodeRight.append(Int32(n.right)); nodeFeature.append(Int32(n.feature))
                    nodeThreshold.append(n.threshold)
                    nodeSubset += n.subset.isEmpty ? [UInt32](repeating: 0, count: 8) : n.subset + [UInt32](repeating: 0, count: max(0, 8 - n.subset.count))
                }
                leaves += w.leaves
            }
        }
        for f in c.haarFeatures {
            for k in 0..<3 {
                if k < f.rects.count {
                    let r = f.rects[k]
                    haarOffsets += corners(r.x, r.y, r.width, r.height); haarWeights.append(r.weight)
                } else { haarOffsets += [0, 0, 0, 0]; haarWeights.append(0) }
            }
        }
        for f in c.lbpFeatures {
            for j in 0..<4 { for i in 0..<4 { lbpOffsets.append(Int32((f.y + j * f.height) * s + f.x + i * f.width)) } }
        }
        if isHaar {
            for i in 0..<nodeLeft.count {
                let f = Int(nodeFeature[i])
                let o = haarOffsets[(12 * f)..<(12 * f + 12)].map { $0 }
                haarNodes.append(HaarNode(
                    a0: o[0], a1: o[1], a2: o[2], a3: o[3], b0: o[4], b1: o[5], b2: o[6], b3: o[7],
                    c0: o[8], c1: o[9], c2: o[10], c3: o[11],
                    w0: haarWeights[3 * f], w1: haarWeights[3 * f + 1], w2: haarWeights[3 * f + 2],
                    threshold: nodeThreshold[i], left: nodeLeft[i], right: nodeRight[i]))
            }
        }
        let pairs = isHaar ? c.stages.flatMap { $0.weak.map(Self.pairLeaves) } : []
        twoNodeTrees = isHaar && pairs.allSatisfy { $0 != nil }
        if twoNodeTrees { pairLeaves = pairs.flatMap { $0! } }
        normOffsets = corners(1, 1, c.windowWidth - 2, c.windowHeight - 2)
        normArea = Double((c.windowWidth - 2) * (c.windowHeight - 2))
    }

    /// The leaf reached for each outcome pair (root left?, second node left?) of a two-node tree,
    /// indexed 2·root + second; nil for any other tree shape.
    static func pairLeaves(of w: Cascade.WeakClassifier) -> [Float]? {
        // Two nodes: the root, and node 1 whose children are both leaves (child ≤ 0 is leaf −child).
        guard w.nodes.count == 2, w.nodes[1].left <= 0, w.nodes[1].right <= 0 else { return nil }
        let (root, second) = (w.nodes[0], w.nodes[1])
        var out: [Float] = []
        for rootLeft in [false, true] {
            for secondLeft in [false, true] {
                let child = rootLeft ? root.left : root.right
                guard child <= 1 else { return nil }
                let leaf = child == 1 ? -(secondLeft ? second.left : second.right) : -child
                guard leaf < w.leaves.count else { return nil }
                out.append(w.leaves[leaf])
            }
        }
        return out
    }

    /// Raw views of the arrays, valid while `self` lives (the arrays are never mutated after init).
    struct Pointers {
        var sws, swc, wn, wl, nl, nr, nfeat, lo: UnsafePointer<Int32>
        var sth, lv: UnsafePointer<Float>
        var nsub: UnsafePointer<UInt32>
        var norm: UnsafePointer<Int32>
        var haar: UnsafePointer<HaarNode>
        var pairLeaves: UnsafePointer<Float>
        var stages: Int
    }

    private(set) lazy var pointers: Pointers = {
        func ptr<T>(_ a: [T]) -> UnsafePointer<T> {
            let m = UnsafeMutablePointer<T>.allocate(capacity: max(1, a.count))
            _ = UnsafeMutableBufferPointer(start: m, count: a.count).initialize(from: a)
            owned.append(UnsafeMutableRawPointer(m))
            return UnsafePointer(m)
        }
        return Pointers(sws: ptr(stageWeakStart), swc: ptr(stageWeakCount), wn: ptr(weakNode), wl: ptr(weakLeaf),
                        nl: ptr(nodeLeft), nr: ptr(nodeRight), nfeat: ptr(nodeFeature), lo: ptr(lbpOffsets),
                        sth: ptr(stageThreshold), lv: ptr(leaves),
                        nsub: ptr(nodeSubset), norm: ptr(normOffsets), haar: ptr(haarNodes), pairLeaves: ptr(pairLeaves), stages: stageThreshold.count)
    }()
    private var owned: [UnsafeMutableRawPointer] = []
    deinit { for o in owned { o.deallocate() } }

    /// Whether the window with top-left (x, y) passes every stage (same semantics as `CascadeEvaluator`).
    /// `sum` and `squares` point at the integral image of this cascade's stride.
    @inline(__always)
    func accepts(sum: UnsafePointer<Int32>, squares: UnsafePointer<Double>, x: Int, y: Int, _ P: Pointers) -> Bool {
        stagesPassed(sum: sum, squares: squares, x: x, y: y, P) == P.stages
    }

    /// How many stages the window with top-left (x, y) passes (`P.stages`: all, a face), or −1 when it
    /// is rejected before the first stage for too little contrast.
    @inline(__always)
    func stagesPassed(sum: UnsafePointer<Int32>, squares: UnsafePointer<Double>, x: Int, y: Int, _ P: Pointers) -> Int {
        let p = sum + y * stride + x
        var norm: Float = 1
        let isHaar = self.isHaar
        if isHaar {
            let n = P.norm
            let s = Double(p[Int(n[3])] - p[Int(n[1])] - p[Int(n[2])] + p[Int(n[0])])
            let b = squares + y * stride + x
            let q = b[Int(n[3])] - b[Int(n[1])] - b[Int(n[2])] + b[Int(n[0])]
            let nf = normArea * q - s * s
            guard nf > 0 else { return -1 }
            norm = Float(1 / nf.squareRoot())
            guard normArea * Double(norm) < 0.1 else { return -1 }
        }
        if twoNodeTrees {
            for si in 0..<P.stages {
                var sum: Float = 0
                let w0 = Int(P.sws[si])
                for w in w0..<(w0 + Int(P.swc[si])) {
                    let node = Int(P.wn[w])
                    let a = P.haar + node, b = a + 1
                    let k = (a.pointee.response(p) * norm < a.pointee.threshold ? 2 : 0)
                        | (b.pointee.response(p) * norm < b.pointee.threshold ? 1 : 0)
                    sum += P.pairLeaves[4 * w + k]
                }
                if sum < P.sth[si] { return si }
            }
            return P.stages
        }
        for si in 0..<P.stages {
            var sum: Float = 0
            let w0 = Int(P.sws[si])
            for w in w0..<(w0 + Int(P.swc[si])) {
                let base = Int(P.wn[w])
                var idx = 0
                repeat {
                    let node = base + idx
                    if isHaar {
                        // A missing third rectangle has corners 0 and weight 0: it adds exactly 0.
                        let n = P.haar + node
                        idx = Int(n.pointee.response(p) * norm < n.pointee.threshold ? n.pointee.left : n.pointee.right)
                    } else {
                        let o = 16 * Int(P.nfeat[node])
                        let lo = P.lo
                        @inline(__always) func cell(_ i: Int, _ j: Int) -> Int32 {
                            let a = o + j * 4 + i
                            return p[Int(lo[a + 5])] - p[Int(lo[a + 1])] - p[Int(lo[a + 4])] + p[Int(lo[a])]
                        }
                        let code = Cascade.lbpCode(cell)
                        let left = P.nsub[node * 8 + (code >> 5)] & (1 << UInt32(code & 31)) != 0
                        idx = Int(left ? P.nl[node] : P.nr[node])
                    }
                } while idx > 0
                sum += P.lv[Int(P.wl[w]) - idx]
            }
            if sum < P.sth[si] { return si }
        }
        return P.stages
    }
}

/// One HAAR node, self-contained: the integral-image offsets of its feature's (up to) three
/// rectangles' corners (top-left, top-right, bottom-left, bottom-right), their weights, the node
/// threshold and the children (≤ 0: leaf −child).
struct HaarNode {
    var a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3: Int32
    var w0, w1, w2: Float
    var threshold: Float
    var left, right: Int32

    /// The feature's weighted rectangle sum at the window whose integral-image corner is `p`
    /// (before variance normalisation).
    @inline(__always)
    func response(_ p: UnsafePointer<Int32>) -> Float {
        w0 * Float(p[Int(a3)] &- p[Int(a1)] &- p[Int(a2)] &+ p[Int(a0)])
            + w1 * Float(p[Int(b3)] &- p[Int(b1)] &- p[Int(b2)] &+ p[Int(b0)])
            + w2 * Float(p[Int(c3)] &- p[Int(c1)] &- p[Int(c2)] &+ p[Int(c0)])
    }
}
