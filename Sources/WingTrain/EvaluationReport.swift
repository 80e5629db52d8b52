import Foundation
import FaceGeometry

/// Landmark accuracy of one method on a set of faces: NME (inter-ocular, inter-pupil and by the
/// truth's box), failure rates, AUC of the CED curve, per source, per |yaw| bin and per landmark group.
public struct EvaluationReport: Codable, Sendable {
    public struct Summary: Codable, Sendable {
        public var count: Int
        public var nme_io_mean: Float
        public var nme_io_median: Float
        public var nme_ip_mean: Float
        public var nme_ip_median: Float
        public var failure_008: Float
        public var failure_010: Float
        public var auc_008: Float
        /// Mean NME ÷ √(w·h) of the truth's bounding box (absent in reports written before it).
        public var nme_box_mean: Float?

        public init(io: [Float], ip: [Float], box: [Float]) {
            count = io.count
            nme_io_mean = Metrics.mean(io); nme_io_median = Metrics.median(io)
            nme_ip_mean = Metrics.mean(ip); nme_ip_median = Metrics.median(ip)
            failure_008 = Metrics.failureRate(io, threshold: 0.08); failure_010 = Metrics.failureRate(io, threshold: 0.10)
            auc_008 = Metrics.auc(io, limit: 0.08)
            nme_box_mean = Metrics.mean(box)
        }
    }

    public var method: String
    /// Figures over all faces (encoded at the top level of the JSON).
    public var overall: Summary
    public var sources: [String: Summary]
    /// Faces with a known head yaw (AFLW2000-3D), by |yaw| bin: "0-30", "30-60", "60-90" degrees,
    /// the usual AFLW2000-3D protocol. The inter-ocular distance shrinks with yaw, so NME grows with it.
    public var yaw: [String: Summary]
    /// Mean error of each landmark group ÷ inter-ocular distance.
    public var groups: [String: Float]
    /// Inter-ocular NME of every face, in dataset order (for CED curves).
    public var errors: [Float]

    enum CodingKeys: String, CodingKey { case method, sources, yaw, groups, errors }

    public func encode(to encoder: Encoder) throws {
        try overall.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(method, forKey: .method)
        try c.encode(sources, forKey: .sources)
        try c.encode(yaw, forKey: .yaw)
        try c.encode(groups, forKey: .groups)
        try c.encode(errors, forKey: .errors)
    }

    public init(from decoder: Decoder) throws {
        overall = try Summary(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decode(String.self, forKey: .method)
        sources = try c.decode([String: Summary].self, forKey: .sources)
        yaw = try c.decodeIfPresent([String: Summary].self, forKey: .yaw) ?? [:]
        groups = try c.decode([String: Float].self, forKey: .groups)
        errors = try c.decode([Float].self, forKey: .errors)
    }

    /// Measures `predict(i)` (68 points in the image of face i) against the dataset's landmarks.
    public init(method: String, dataset: FaceDataset, predict: (Int) -> [Point]) {
        var io: [Float] = [], ip: [Float] = [], box: [Float] = []
        var bySource: [String: ([Float], [Float], [Float])] = [:], byYaw: [String: ([Float], [Float], [Float])] = [:]
        var groupSums = [Float](repeating: 0, count: Landmarks68.groups.count)
        for i in 0..<dataset.count {
            let truth = dataset.records[i].landmarks
            let pred = predict(i)
            let e = Metrics.nmeInterOcular(pred, truth), p = Metrics.nmeInterPupil(pred, truth), b = Metrics.nmeBox(pred, truth)
            io.append(e); ip.append(p); box.append(b)
            func add(_ s: inout ([Float], [Float], [Float])) { s.0.append(e); s.1.append(p); s.2.append(b) }
            add(&bySource[dataset.records[i].source, default: ([], [], [])])
            if let bin = dataset.records[i].yawDegrees.map(EvaluationReport.yawBin) { add(&byYaw[bin, default: ([], [], [])]) }
            let iod = truth[36].distance(to: truth[45])
            for (g, group) in Landmarks68.groups.enumerated() {
                groupSums[g] += Metrics.meanError(pred, truth, indices: group.range) / iod
            }
        }
        self.method = method
        overall = Summary(io: io, ip: ip, box: box)
        sources = bySource.mapValues { Summary(io: $0.0, ip: $0.1, box: $0.2) }
        yaw = byYaw.mapValues { Summary(io: $0.0, ip: $0.1, box: $0.2) }
        groups = Dictionary(uniqueKeysWithValues: Landmarks68.groups.enumerated().map { ($1.name, groupSums[$0] / Float(max(1, io.count))) })
        errors = io
    }

    /// The |yaw| bins, in order.
    public static let yawBins = ["0-30", "30-60", "60-90"]

    /// The |yaw| bin of a face (upper edges belong to the bin below; the dataset keeps yaw within ±90°).
    public static func yawBin(_ degrees: Float) -> String {
        let a = abs(degrees)
        return yawBins[a <= 30 ? 0 : a <= 60 ? 1 : 2]
    }

    /// A Markdown table row set: overall, then each source, then each |yaw| bin.
    public func markdownRows() -> [String] {
        func row(_ name: String, _ s: Summary) -> String {
            String(format: "| %@ | %@ | %d | %.2f | %.2f | %.2f | %.1f | %.1f | %.3f | %.2f |", method, name, s.count, 100 * s.nme_io_mean,
                   100 * s.nme_io_median, 100 * s.nme_ip_mean, 100 * s.failure_008, 100 * s.failure_010, s.auc_008,
                   100 * (s.nme_box_mean ?? .nan))
        }
        return [row("all", overall)] + sources.keys.sorted().map { row($0, sources[$0]!) }
            + EvaluationReport.yawBins.compactMap { b in yaw[b].map { row("yaw ±\(b)°", $0) } }
    }

    public static let markdownHeader = """
    | method | faces | n | NME io mean % | NME io median % | NME ip mean % | fail@0.08 % | fail@0.10 % | AUC@0.08 | NME box mean % |
    |---|---|---:|---:|---:|---:|---:|---:|---:|---:|
    """
}

/// Cumulative error distribution curves as a small standalone SVG.
public enum CEDPlot {
    public static func svg(_ curves: [(name: String, errors: [Float])], limit: Float = 0.10, title: String) -> String {
        let (W, H, m) = (640.0, 420.0, 50.0)
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"]
        func x(_ t: Double) -> Double { m + (W - 2 * m) * t / Double(limit) }
        func y(_ f: Double) -> Double { H - m - (H - 2 * m) * f }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(W))\" height=\"\(Int(H))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(W / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(title)</text>\n"
        for i in 0...5 {
            let t = Double(limit) * Double(i) / 5, f = Double(i) / 5
            s += "<line x1=\"\(x(t))\" y1=\"\(y(0))\" x2=\"\(x(t))\" y2=\"\(y(1))\" stroke=\"#ddd\"/>\n"
            s += "<line x1=\"\(x(0))\" y1=\"\(y(f))\" x2=\"\(x(Double(limit)))\" y2=\"\(y(f))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(x(t))\" y=\"\(H - m + 16)\" text-anchor=\"middle\">\(String(format: "%.2f", t))</text>\n"
            s += "<text x=\"\(m - 6)\" y=\"\(y(f) + 4)\" text-anchor=\"end\">\(String(format: "%.1f", f))</text>\n"
        }
        s += "<text x=\"\(W / 2)\" y=\"\(H - 10)\" text-anchor=\"middle\">NME (inter-ocular)</text>\n"
        s += "<text x=\"14\" y=\"\(H / 2)\" transform=\"rotate(-90 14 \(H / 2))\" text-anchor=\"middle\">fraction of faces</text>\n"
        for (k, c) in curves.enumerated() {
            let pts = Metrics.ced(c.errors, limit: limit, steps: 200).map { "\(x(Double($0.threshold))),\(y(Double($0.fraction)))" }
            let color = colors[k % colors.count]
            s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(pts.joined(separator: " "))\"/>\n"
            s += "<text x=\"\(m + 10)\" y=\"\(m + 16 * Double(k + 1))\" fill=\"\(color)\">\(c.name)</text>\n"
        }
        return s + "</svg>\n"
    }
}
