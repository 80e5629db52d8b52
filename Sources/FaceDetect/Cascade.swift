import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A boosted cascade of OpenCV's current XML format (`opencv-cascade-classifier`, stage type BOOST,
/// features HAAR or LBP), as trained by `opencv_traincascade`.
///
/// Semantics follow OpenCV: a window passes a stage when the sum of its weak classifiers' leaf values
/// is at least the stage threshold. A HAAR node compares (Σ weightᵢ · rect sumᵢ) / (area · σ) of the
/// window with its threshold (< goes left); an LBP node looks its 8-bit code up in a 256-bit subset
/// (bit set goes left). A child ≤ 0 is the leaf with index −child.
public struct Cascade: Sendable {
    public enum FeatureType: String, Sendable { case haar = "HAAR", lbp = "LBP" }

    public struct Node: Sendable {
        public var left: Int, right: Int, feature: Int
        public var threshold: Float
        /// LBP: 256-bit category subset; empty for HAAR.
        public var subset: [UInt32]
    }
    public struct WeakClassifier: Sendable { public var nodes: [Node]; public var leaves: [Float] }
    public struct Stage: Sendable { public var threshold: Float; public var weak: [WeakClassifier] }
    public struct HaarRect: Sendable { public var x: Int, y: Int, width: Int, height: Int; public var weight: Float }
    public struct HaarFeature: Sendable { public var rects: [HaarRect]; public var tilted: Bool }
    /// A 3×3 grid of `width`×`height` cells with its top-left at (x, y).
    public struct LBPFeature: Sendable { public var x: Int, y: Int, width: Int, height: Int }

    public var featureType: FeatureType
    public var windowWidth: Int
    public var windowHeight: Int
    public var stages: [Stage]
    public var haarFeatures: [HaarFeature] = []
    public var lbpFeatures: [LBPFeature] = []

    public init(featureType: FeatureType, windowWidth: Int, windowHeight: Int, stages: [Stage],
                haarFeatures: [HaarFeature] = [], lbpFeatures: [LBPFeature] = []) {
        self.featureType = featureType; self.windowWidth = windowWidth; self.windowHeight = windowHeight
        self.stages = stages; self.haarFeatures = haarFeatures; self.lbpFeatures = lbpFeatures
    }

    /// A loading error naming the file and what is wrong.
    public struct LoadError: Error, CustomStringConvertible {
        public let path: String, reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Reads a cascade file. Errors name the file and the element that is missing or malformed.
    public init(contentsOf url: URL) throws {
        let path = url.path
        func fail(_ r: String) -> LoadError { LoadError(path: path, reason: r) }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read the file") }
        let doc: XMLDocument
        do { doc = try XMLDocument(data: data) } catch { throw fail("not well-formed XML (\(error.localizedDescription))") }
        guard let cascade = try? doc.nodes(forXPath: "/opencv_storage/cascade").first as? XMLElement else {
            throw fail("no <cascade> element (old-format or non-cascade file)")
        }
        func text(_ e: XMLElement, _ name: String) throws -> String {
            guard let v = e.elements(forName: name).first?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) else {
                throw fail("missing <\(name)>")
            }
            return v
        }
        func numbers(_ s: String, _ what: String) throws -> [Double] {
            try s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).map {
                guard let d = Double($0) else { throw fail("bad number '\($0)' in <\(what)>") }
                return d
            }
        }
        guard try text(cascade, "stageType") == "BOOST" else { throw fail("stage type is not BOOST") }
        guard let type = FeatureType(rawValue: try text(cascade, "featureType")) else {
            throw fail("feature type '\(try text(cascade, "featureType"))' is not HAAR or LBP")
        }
        guard let w = Int(try text(cascade, "width")), let h = Int(try text(cascade, "height")), w > 0, h > 0 else {
            throw fail("bad window size")
        }
        var maxCat = 0
        if let fp = cascade.elements(forName: "featureParams").first, let mc = fp.elements(forName: "maxCatCount").first?.stringValue {
            maxCat = Int(mc.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
        let subsetWords = maxCat > 0 ? (maxCat + 31) / 32 : 0
        guard let stagesElement = cascade.elements(forName: "stages").first else { throw fail("missing <stages>") }
        var stages: [Stage] = []
        for (si, st) in stagesElement.elements(forName: "_").enumerated() {
            guard let thr = Float(try text(st, "stageThreshold")) else { throw fail("stage \(si): bad <stageThreshold>") }
            guard let weakEl = st.elements(forName: "weakClassifiers").first else { throw fail("stage \(si): missing <weakClassifiers>") }
            var weak: [WeakClassifier] = []
            for (wi, wc) in weakEl.elements(forName: "_").enumerated() {
                let nodesRaw = try numbers(try text(wc, "internalNodes"), "internalNodes")
                let leaves = try numbers(try text(wc, "leafValues"), "leafValues").map(Float.init)
                let per = subsetWords > 0 ? 3 + subsetWords : 4
                guard !nodesRaw.isEmpty, nodesRaw.count % per == 0 else {
                    throw fail("stage \(si) weak classifier \(wi): \(nodesRaw.count) node values, not a multiple of \(per)")
                }
                var nodes: [Node] = []
                for k in stride(from: 0, to: nodesRaw.count, by: per) {
                    let n = Node(left: Int(nodesRaw[k]), right: Int(nodesRaw[k + 1]), feature: Int(nodesRaw[k + 2]),
                                 threshold: subsetWords > 0 ? 0 : Float(nodesRaw[k + 3]),
                                 subset: subsetWords > 0 ? (0..<subsetWords).map { UInt32(bitPattern: Int32(truncatingIfNeeded: Int(nodesRaw[k + 3 + $0]))) } : [])
                    nodes.append(n)
                }
                let maxLeaf = nodes.flatMap { [$0.left, $0.right] }.filter { $0 <= 0 }.map { -$0 }.max() ?? 0
                guard leaves.count > maxLeaf else { throw fail("stage \(si) weak classifier \(wi): \(leaves.count) leaves, a node names leaf \(maxLeaf)") }
                weak.append(WeakClassifier(nodes: nodes, leaves: leaves))
            }
            stages.append(Stage(threshold: thr, weak: weak))
        }
        guard !stages.isEmpty else { throw fail("no stages") }
        guard let featEl = cascade.elements(forName: "features").first else { throw fail("missing <features>") }
        var haar: [HaarFeature] = [], lbp: [LBPFeature] = []
        for (fi, f) in featEl.elements(forName: "_").enumerated() {
            switch type {
            case .haar:
                guard let rectsEl = f.elements(forName: "rects").first else { throw fail("feature \(fi): missing <rects>") }
                let rects = try rectsEl.elements(forName: "_").map { r -> HaarRect in
                    let v = try numbers(r.stringValue ?? "", "rects")
                    guard v.count == 5 else { throw fail("feature \(fi): a rect needs 5 numbers") }
                    let rect = HaarRect(x: Int(v[0]), y: Int(v[1]), width: Int(v[2]), height: Int(v[3]), weight: Float(v[4]))
                    guard rect.x >= 0, rect.y >= 0, rect.width > 0, rect.height > 0, rect.x + rect.width <= w, rect.y + rect.height <= h else {
                        throw fail("feature \(fi): rect outside the \(w)x\(h) window")
                    }
                    return rect
                }
                guard (1...3).contains(rects.count) else { throw fail("feature \(fi): \(rects.count) rects") }
                let tilted = (f.elements(forName: "tilted").first?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "0") != "0"
                if tilted { throw fail("feature \(fi): tilted Haar features are not supported yet") }
                haar.append(HaarFeature(rects: rects, tilted: tilted))
            case .lbp:
                let v = try numbers(try text(f, "rect"), "rect")
                guard v.count == 4, v[2] > 0, v[3] > 0, Int(v[0]) + 3 * Int(v[2]) <= w, Int(v[1]) + 3 * Int(v[3]) <= h else {
                    throw fail("feature \(fi): bad LBP rect")
                }
                lbp.append(LBPFeature(x: Int(v[0]), y: Int(v[1]), width: Int(v[2]), height: Int(v[3])))
            }
        }
        let featureCount = type == .haar ? haar.count : lbp.count
        for (si, s) in stages.enumerated() {
            for wc in s.weak { for n in wc.nodes where n.feature < 0 || n.feature >= featureCount {
                throw fail("stage \(si): node uses feature \(n.feature), the file has \(featureCount)")
            } }
        }
        self.init(featureType: type, windowWidth: w, windowHeight: h, stages: stages, haarFeatures: haar, lbpFeatures: lbp)
    }

    /// The 8-bit local binary pattern of a 3×3 grid of cells (`cell(i, j)` = sum of column i, row j):
    /// each outer cell's sum ≥ the centre's sets a bit, clockwise from the top-left cell (bit 7) to the
    /// middle-left cell (bit 0) — OpenCV's order.
    @inline(__always)
    public static func lbpCode(_ cell: (Int, Int) -> Int32) -> Int {
        let c = cell(1, 1)
        var code = 0
        if cell(0, 0) >= c { code |= 128 }
        if cell(1, 0) >= c { code |= 64 }
        if cell(2, 0) >= c { code |= 32 }
        if cell(2, 1) >= c { code |= 16 }
        if cell(2, 2) >= c { code |= 8 }
        if cell(1, 2) >= c { code |= 4 }
        if cell(0, 2) >= c { code |= 2 }
        if cell(0, 1) >= c { code |= 1 }
        return code
    }
}
