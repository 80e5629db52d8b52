import ArgumentParser
import Foundation
import FaceDetect
import FaceGeometry
import MediaIO
import WingTrain

/// `wingtrack detect`: face boxes in images or videos; `--calibrate` fits the box calibration.
struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "detect",
        abstract: "Detect faces in images or videos (boxes calibrated to the landmark box), or fit that calibration (--calibrate).")

    @Argument(help: "Images or videos.") var inputs: [String] = []
    @Flag(help: "JSON output, one object per image or frame.") var json = false
    @Option(help: "With one image: draw the boxes into this PNG.") var draw: String?
    @Option(help: "Videos: detect on every N-th frame.") var every = 1
    @Option(help: "Smallest face side in pixels (default: 1/16 of the shorter image side, at least 24).") var minFace: Int?
    @Flag(inversion: .prefixedNo, help: "Also run the profile cascade (both sides).") var profile = true
    @Option(help: "Frontal cascade: haarcascade_frontalface_alt2 or lbpcascade_frontalface_improved.") var cascade = FaceDetector.defaultFrontal
    @Option(help: "Scale step between pyramid levels.") var scaleFactor = 1.1
    @Option(help: "Coarse-to-fine scan: try the positions between a coarse grid's windows only next to one that passed this many stages.")
    var refineDepth = 4
    @Flag(help: "Scan every position of OpenCV's grid (as detectMultiScale does) instead of coarse to fine.") var exhaustive = false
    @Option(help: "Fit the calibration on this faces68-format folder's train split and write it to --calibration-out.") var calibrate: String?
    @Option(help: "Where --calibrate writes (JSON).") var calibrationOut = "Sources/FaceDetect/Cascades/calibration.json"
    @Option(help: "Measure the detection rate on this faces68-format folder (split --split), by source and |yaw|.") var evaluate: String?
    @Option(help: "Split for --evaluate.") var split = "val"
    @Option(help: "--evaluate: shrink every crop by this factor first (e.g. 0.25 for small faces; use with --min-face).") var shrink = 1.0
    @Option(help: "Threads scanning pyramid levels at once (default: the number of CPU cores; the boxes do not depend on it).")
    var threads: Int?

    func validate() throws {
        if inputs.isEmpty && calibrate == nil && evaluate == nil { throw ValidationError("give images or videos, or --calibrate DIR, or --evaluate DIR") }
        if every < 1 { throw ValidationError("--every must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if !(shrink > 0 && shrink <= 1) { throw ValidationError("--shrink must be in (0, 1]") }
        if refineDepth < 0 { throw ValidationError("--refine-depth must be at least 0") }
    }

    func run() throws {
        if let calibrate { return try fitCalibration(URL(fileURLWithPath: calibrate)) }
        if let evaluate { return try detectionRate(URL(fileURLWithPath: evaluate)) }
        let detector = try configuredDetector()
        detector.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        var failed = 0
        for path in inputs {
            let url = URL(fileURLWithPath: path)
            do {
                let reader = try VideoReader(url: url)
                var k = 0
                while let frame = reader.nextFrame() {
                    defer { k += 1 }
                    if k % every != 0 { continue }
                    let g = grey(frame.image)
                    detector.setSizeRange(min: minFace ?? max(24, min(g.width, g.height) / 16), max: nil)
                    let t0 = Date()
                    let dets = detector.detect(g)
                    let ms = Date().timeIntervalSince(t0) * 1000
                    report(path: path, frame: reader.info.estimatedFrameCount > 1 ? frame.index : nil, dets: dets, ms: ms)
                    if let draw, k == 0 { try drawBoxes(frame.image, dets, to: draw) }
                }
            } catch {
                printError("wingtrack: error: \(error)")
                failed += 1
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }

    func grey(_ img: PixelBuffer) -> GreyImage {
        img.data.withUnsafeBufferPointer { GreyImage(rgb: $0.baseAddress!, width: img.width, height: img.height, rowBytes: img.rowBytes, bgr: img.format == .bgr24) }
    }

    func report(path: String, frame: Int?, dets: [FaceDetector.Detection], ms: Double) {
        if json {
            let faces = dets.map { d -> [String: Any] in
                ["x": d.box.minX, "y": d.box.minY, "width": d.box.width, "height": d.box.height, "score": d.score, "kind": d.kind]
            }
            var o: [String: Any] = ["file": path, "faces": faces, "ms": ms]
            if let frame { o["frame"] = frame }
            if let data = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]) { print(String(decoding: data, as: UTF8.self)) }
        } else {
            let where_ = frame.map { "\(path)#\($0)" } ?? path
            let list = dets.map { String(format: "(%.0f,%.0f %.0fx%.0f %@ %d)", $0.box.minX, $0.box.minY, $0.box.width, $0.box.height, $0.kind, $0.score) }
            print("\(where_): \(dets.count) face(s) \(list.joined(separator: " ")) [\(String(format: "%.1f", ms)) ms]")
        }
    }

    func drawBoxes(_ img: PixelBuffer, _ dets: [FaceDetector.Detection], to path: String) throws {
        var out = img.converted(to: .rgb24)
        for d in dets {
            let (x0, y0) = (max(0, Int(d.box.minX)), max(0, Int(d.box.minY)))
            let (x1, y1) = (min(out.width - 1, Int(d.box.maxX)), min(out.height - 1, Int(d.box.maxY)))
            guard x1 > x0, y1 > y0 else { continue }
            for t in 0..<2 {
                for x in x0...x1 { for y in [min(y1, y0 + t), max(y0, y1 - t)] { let i = (y * out.width + x) * 3; out.data[i] = 0; out.data[i + 1] = 255; out.data[i + 2] = 0 } }
                for y in y0...y1 { for x in [min(x1, x0 + t), max(x0, x1 - t)] { let i = (y * out.width + x) * 3; out.data[i] = 0; out.data[i + 1] = 255; out.data[i + 2] = 0 } }
            }
        }
        try ImageIO.writePNG(out, to: URL(fileURLWithPath: path))
    }

    /// Fits, per cascade, the map from its square to the landmarks' bounding square (medians of the
    /// centre offset and the side ratio over the training crops where it found the face).
    func fitCalibration(_ dir: URL) throws {
        let ds = try FaceDataset(directory: dir, splits: ["train"])
        var out: [String: FaceDetector.Calibration] = [:]
        for (name, mirrored) in [(FaceDetector.defaultFrontal, false), ("lbpcascade_frontalface_improved", false), (FaceDetector.defaultProfile, true)] {
            var det = CascadeDetector(cascade: try FaceDetector.bundledCascade(name))
            det.minSize = 60
            var dxs: [Float] = [], dys: [Float] = [], scales: [Float] = []
            for i in 0..<ds.count {
                let (w, h) = ds.sizes[i]
                let g = ds.images[i].withUnsafeBufferPointer { GreyImage(rgb: $0.baseAddress!, width: w, height: h, rowBytes: w * 3) }
                let truth = Box(bounding: ds.records[i].landmarks)
                let gt = Box(center: truth.center, side: truth.squareSide)
                var cands = det.detect(g).map { ($0.rect, false) }
                if mirrored { cands += det.detect(g.mirrored()).map { (PixelRect(x: w - $0.rect.x - $0.rect.width, y: $0.rect.y, width: $0.rect.width, height: $0.rect.height), true) } }
                let scored = cands.map { c -> (PixelRect, Bool, Float) in
                    (c.0, c.1, FaceDetector.Calibration.identity.apply(c.0).iou(gt))
                }.filter { $0.2 > 0.3 }
                guard let best = scored.max(by: { $0.2 < $1.2 }) else { continue }
                let r = best.0
                let side = Float(r.width), c = Point(Float(r.x) + side / 2, Float(r.y) + side / 2)
                // For mirrored hits, express dx in the unmirrored (profile-right) frame.
                dxs.append((best.1 ? -1 : 1) * (gt.center.x - c.x) / side)
                dys.append((gt.center.y - c.y) / side)
                scales.append(gt.squareSide / side)
            }
            let cal = FaceDetector.Calibration(dx: Metrics.median(dxs), dy: Metrics.median(dys), scale: Metrics.median(scales),
                                               fittedOn: "\(dir.lastPathComponent) train: \(scales.count) of \(ds.count) faces found")
            printError("\(name): dx \(cal.dx) dy \(cal.dy) scale \(cal.scale) (\(cal.fittedOn))")
            out[name] = cal
        }
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(out).write(to: URL(fileURLWithPath: calibrationOut))
        print("wrote \(calibrationOut)")
    }

    /// Share of faces found (IoU ≥ 0.5 between the calibrated box and the landmarks' bounding square)
    /// by source, and by |yaw| for faces with a known yaw; plus the time per crop.
    func detectionRate(_ dir: URL) throws {
        let ds = try FaceDataset(directory: dir, splits: [split])
        let detector = try configuredDetector()
        detector.threads = threads ?? 1
        detector.setSizeRange(min: minFace ?? 40, max: nil)
        var bySource: [String: (Int, Int)] = [:], byYaw: [String: (Int, Int)] = [:]
        var under45 = (0, 0)
        let t0 = Date()
        for i in 0..<ds.count {
            let (w, h) = ds.sizes[i]
            var g = ds.images[i].withUnsafeBufferPointer { GreyImage(rgb: $0.baseAddress!, width: w, height: h, rowBytes: w * 3) }
            if shrink < 1 { g = g.resized(width: max(1, Int((Double(w) * shrink).rounded())), height: max(1, Int((Double(h) * shrink).rounded()))) }
            let truth = Box(bounding: ds.records[i].landmarks.map { $0 * Float(Double(g.width) / Double(w)) })
            let gt = Box(center: truth.center, side: truth.squareSide)
            let hit = detector.detect(g).contains { $0.box.iou(gt) >= 0.5 }
            let r = ds.records[i]
            bySource[r.source, default: (0, 0)].0 += hit ? 1 : 0
            bySource[r.source, default: (0, 0)].1 += 1
            let yaw = abs(r.yawDegrees ?? 0)
            if r.yawDegrees != nil {
                let bucket = yaw < 30 ? "0-30" : yaw < 45 ? "30-45" : yaw < 60 ? "45-60" : "60-90"
                byYaw[bucket, default: (0, 0)].0 += hit ? 1 : 0
                byYaw[bucket, default: (0, 0)].1 += 1
            }
            if yaw < 45 { under45.0 += hit ? 1 : 0; under45.1 += 1 }
        }
        let ms = Date().timeIntervalSince(t0) * 1000 / Double(max(1, ds.count))
        func pct(_ p: (Int, Int)) -> String { String(format: "%.1f %% (%d/%d)", 100 * Double(p.0) / Double(max(1, p.1)), p.0, p.1) }
        print("| faces | found |\n|---|---:|")
        for k in bySource.keys.sorted() { print("| \(k) | \(pct(bySource[k]!)) |") }
        for k in byYaw.keys.sorted() { print("| aflw2000 \\|yaw\\| \(k)° | \(pct(byYaw[k]!)) |") }
        print("| all with \\|yaw\\| < 45° (unknown yaw counted) | \(pct(under45)) |")
        let scanName = exhaustive ? "exhaustive scan" : "coarse-to-fine scan, refine depth \(refineDepth)"
        print(String(format: "(%@, profile %@, %@, scale factor %.2f, min face %d px; %.1f ms per %dx%d crop shrunk by %.2f)", cascade, profile ? "on" : "off",
                     scanName, scaleFactor, minFace ?? 40, ms, ds.sizes.first?.0 ?? 0, ds.sizes.first?.1 ?? 0, shrink))
    }

    /// The shipped detector with this command's cascade, scale step and scan.
    func configuredDetector() throws -> FaceDetector {
        let detector = try FaceDetector.standard(profile: profile, frontal: cascade)
        detector.frontal.scaleFactor = scaleFactor
        detector.profile?.scaleFactor = scaleFactor
        detector.refineDepth = exhaustive ? nil : refineDepth
        return detector
    }
}
