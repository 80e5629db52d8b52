import ArgumentParser
import Foundation
import FaceDetect
import FaceGeometry
import MediaIO
import WingNN
import WingTrain
import WingTracker

/// `wingtrack evaluate-tracking`: the tracker on generated clips with exact ground truth.
///
/// Each clip moves one val face over a textured background (translation, scale, roll up to the
/// given peak), is encoded to H.264 and decoded again, and is tracked like `wingtrack track` does.
/// With `--faces 2` each clip shows two faces of the same labelling convention side by side, tracked
/// with `--max-faces 2`; every tracked face is matched to the true face it is nearer to, and frames
/// where an id is on the other face than the one it follows most are counted as identity swaps.
/// The same faces are also localised as still images (from a perturbed landmark box, as
/// `wingtrack evaluate` does), so the cost of tracking is measured on identical faces.
struct EvaluateTrackingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate-tracking",
        abstract: "Measure tracking accuracy, success, jitter and speed on generated clips with exact ground truth.")

    @Option(help: "Dataset folder (landmarks.csv + images).") var data: String
    @Option(help: "Split the faces come from.") var split = "val"
    @Option(help: "Only faces of these sources (comma-separated; default all).") var sources: String?
    @Option(help: ArgumentHelp(ModelsLocation.help)) var models: String?
    @Option(help: "Number of clips (faces evenly spaced through the split).") var clips = 12
    @Option(help: "Frames per clip.") var frames = 150
    @Option(help: "Frame size WxH.") var size = "640x360"
    @Option(help: "Peak roll in degrees.") var roll: Float = 35
    @Option(help: "Frames per cycle of the face's motion: 150 moves it up to about 10 px, 1.5° and 1.6 % in scale per frame at 640×360; larger is slower (a talking head hardly moves: there smoothing matters most).") var period = 150
    @Option(help: "Face-free frames in the middle of every clip (0 = none).") var gap = 0
    @Option(help: "Faces per clip: 1, or 2 side by side (tracked with --max-faces 2).") var faces = 1
    @OptionGroup var tracking: TrackingOptions
    @OptionGroup var arithmetic: PrecisionOption
    @Option(help: "Keep the generated clips, their ground truth (clipN.truth.csv) and the tracked landmarks (clipN.tracked.csv: per frame 'index,x0,y0,…,x67,y67', or 'index,' when not tracked) in this folder.") var keep: String?
    @Option(help: "Seed of backgrounds and still-image box perturbations.") var seed: UInt64 = 7
    @Flag(help: "JSON output.") var json = false

    struct Report: Codable {
        var clips = 0, frames = 0, faceFrames = 0, successFrames = 0, gapFrames = 0, gapFalsePositives = 0
        /// Faces per clip, and (with 2) tracked frames whose id is on the other face than the one it follows most.
        var facesPerClip = 1, identitySwaps = 0
        var reacquisitionDelays: [Int] = []
        /// Mean NME of each clip over its tracked frames, in clip order (null: no frame tracked).
        var clipMeanNME: [Double?] = []
        /// Per clip, in clip order: the face's image and source, its |yaw| when known, the fraction of
        /// its face frames that fail (NME > 0.08 or not tracked), and its mean NME by the truth's box
        /// (null: no frame tracked).
        var clipImage: [String] = [], clipSource: [String] = [], clipAbsYaw: [Double?] = []
        var clipFailure008: [Double] = [], clipMeanNMEBox: [Double?] = []
        var successRate = 0.0
        /// Over tracked frames (left out of the JSON when none was tracked).
        var meanNME: Double?, medianNME: Double?
        /// Frames with NME > 0.08 or no success, over frames that show the face.
        var failureRate008 = 0.0
        /// Area under the CED curve up to 0.08 (normalised to 0–1) over frames that show the face, a
        /// frame without success counting as never reaching any threshold.
        var auc008 = 0.0
        var stillImageMeanNME = 0.0
        /// Mean |p_t − (p_{t−1}+p_{t+1})/2| ÷ inter-ocular distance, over points and frames with both
        /// neighbours tracked; `errorJitter` is the same of the error p − truth (the truth's own
        /// smooth motion removed), `truthJitter` that of the ground truth.
        var jitter = 0.0, errorJitter = 0.0, truthJitter = 0.0
        var trackingFps = 0.0
        var settings: [String: String] = [:]
    }

    func validate() throws {
        guard clips > 0, frames > 2 else { throw ValidationError("--clips must be positive and --frames at least 3") }
        guard parseSize() != nil else { throw ValidationError("--size must be WxH, e.g. 640x360") }
        guard gap >= 0, gap < frames / 2 else { throw ValidationError("--gap must be between 0 and half the frames") }
        guard faces == 1 || faces == 2 else { throw ValidationError("--faces must be 1 or 2") }
        guard period >= 1 else { throw ValidationError("--period must be at least 1 frame per cycle") }
    }

    /// The mean of `errors`, nil when there are none (JSON has no NaN).
    static func mean(_ errors: [Float]) -> Double? { errors.isEmpty ? nil : Double(Metrics.mean(errors)) }

    /// "4.72 %" (`unit` after the figure), or "—" for no figure.
    static func percent(_ v: Double?, unit: String = " %") -> String { v.map { String(format: "%.2f", 100 * $0) + unit } ?? "—" }

    func parseSize() -> (Int, Int)? {
        let p = size.split(separator: "x").compactMap { Int($0) }
        return p.count == 2 && p[0] >= 64 && p[1] >= 64 ? (p[0], p[1]) : nil
    }

    func run() throws {
        arithmetic.apply()
        BLAS.threads = 1
        let srcs = sources.map { Set($0.split(separator: ",").map(String.init)) }
        let ds = try FaceDataset(directory: URL(fileURLWithPath: data), splits: [split], sources: srcs)
        guard ds.count > 0 else { throw ValidationError("no faces in split '\(split)'") }
        let localizer = try tracking.localizer(ModelsLocation.resolve(models))
        let detector = try FaceDetector.standard()
        SpareCore.use(localizer: localizer, detector: detector)
        let options = tracking.trackerOptions
        /// The val face of clip c: evenly spaced through the split.
        func face(ofClip c: Int) -> Int { c * ds.count / clips }
        TrackingOptions.noteSourcesWithoutBlock((0..<clips).map { ds.records[face(ofClip: $0)].source }, localizer,
                                                convention: tracking.convention)

        let dir: URL
        if let keep { dir = URL(fileURLWithPath: keep) } else {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("wingtrack-clips-\(getpid())")
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: dir) } }

        let (W, H) = parseSize()!
        var report = Report()
        var errors: [Float] = [], stillErrors: [Float] = []
        var jitterSum = 0.0, errorJitterSum = 0.0, truthJitterSum = 0.0, jitterCount = 0
        var trackSeconds = 0.0
        for c in 0..<clips {
            let k = face(ofClip: c)
            // With two faces: the face half-way further through the faces of the same labelling convention.
            var ks = [k]
            if faces == 2 {
                let same = ds.records.indices.filter { LabellingConvention.of(source: ds.records[$0].source) == LabellingConvention.of(source: ds.records[k].source) }
                guard same.count > 1 else {
                    throw ValidationError("--faces 2: split '\(split)' has no second face in the labelling convention of \(ds.records[k].source)")
                }
                ks.append(same[(same.firstIndex(of: k)! + same.count / 2) % same.count])
            }
            let faceClips = ks.enumerated().map { n, k in
                let (fw, fh) = ds.sizes[k]
                var motion = GroundTruthClip.Motion()
                motion.width = W; motion.height = H; motion.frames = frames
                motion.maxRollDegrees = roll; motion.period = period; motion.phase = Float(c) * 0.9 + Float(n) * 2.6
                if faces == 2 { motion.centreX = n == 0 ? 0.28 : 0.72; motion.travel = 0.06; motion.faceSize = 0.28 }
                if gap > 0 { motion.gap = (frames / 2 - gap / 2)..<(frames / 2 - gap / 2 + gap) }
                return GroundTruthClip(face: ds.images[k], width: fw, height: fh, landmarks: ds.records[k].landmarks,
                                       motion: motion, seed: seed &+ UInt64(c))
            }
            let url = dir.appendingPathComponent("clip\(c).mp4")
            let truths = try GroundTruthClip.write(faceClips, to: url)
            if keep != nil {
                for (n, truth) in truths.enumerated() {
                    try Self.writeLandmarkRows(truth, to: dir.appendingPathComponent(faces == 1 ? "clip\(c).truth.csv" : "clip\(c).face\(n).truth.csv"))
                }
            }

            if tracking.convention == nil { localizer.convention = LabellingConvention.of(source: ds.records[k].source) }
            // Still image: the same faces from a perturbed landmark box (as `wingtrack evaluate`).
            for k in ks {
                ds.withImage(k) { view in
                    let box = EvaluationBox.detectorLike(ds.records[k].landmarks, seed: seed &+ UInt64(k), jitter: 0.1)
                    stillErrors.append(Metrics.nmeInterOcular(localizer.localize(view, box: box).landmarks, ds.records[k].landmarks))
                }
            }

            let reader = try VideoReader.forTracking(url, threads: 1)
            // The helper copies the localiser's settings, this clip's convention included.
            let helper = SpareCore.helper(for: localizer, maxFaces: faces, pairedFrames: tracking.pairedFrames)
            let tracker = MultiFaceTracker(localizer: localizer, detector: detector, options: options, maxFaces: faces, helper: helper)
            var byID = [[[Point]?]](repeating: [], count: faces)
            let t0 = Date()
            while case let batch = tracker.nextStep(from: { reader.nextFrame() }), !batch.isEmpty {
                for obs in tracker.process(batch) {
                    for (id, o) in obs.enumerated() { byID[id].append(o.success ? o.landmarks : nil) }
                }
            }
            trackSeconds += Date().timeIntervalSince(t0)
            guard byID[0].count == frames else {
                throw MediaError(.noFrames, path: url.path, reason: "decoded \(byID[0].count) of \(frames) frames")
            }
            // Each tracked face goes to the true face it is nearer to; an id's frames on another face
            // than the one it is on most are identity swaps (two ids on one face: the lower id counts).
            var predictions = [[[Point]?]](repeating: [[Point]?](repeating: nil, count: frames), count: faces)
            for id in 0..<faces {
                var on = [Int](repeating: 0, count: faces), assigned: [Int] = []
                for t in 0..<frames {
                    guard let p = byID[id][t] else { continue }
                    let errors = truths.map { $0[t].map { Metrics.nmeInterOcular(p, $0) } ?? .infinity }
                    let f = errors.indices.min { errors[$0] < errors[$1] }!
                    on[f] += 1; assigned.append(f)
                    if predictions[f][t] == nil { predictions[f][t] = p }
                }
                let owner = on.indices.max { on[$0] < on[$1] }!
                report.identitySwaps += assigned.filter { $0 != owner }.count
            }
            if keep != nil {
                for (n, prediction) in predictions.enumerated() {
                    try Self.writeLandmarkRows(prediction, to: dir.appendingPathComponent(faces == 1 ? "clip\(c).tracked.csv" : "clip\(c).face\(n).tracked.csv"))
                }
            }
            report.clips += 1
            report.frames += frames
            var clipErrors: [Float] = [], clipBoxErrors: [Float] = [], clipFaceFrames = 0, clipFailures = 0
            defer {
                report.clipMeanNME.append(Self.mean(clipErrors))
                report.clipImage.append(ks.map { ds.records[$0].image }.joined(separator: "+")); report.clipSource.append(ds.records[k].source)
                report.clipAbsYaw.append(ds.records[k].yawDegrees.map { Double(abs($0)) })
                report.clipFailure008.append(Double(clipFailures) / Double(max(1, clipFaceFrames)))
                report.clipMeanNMEBox.append(Self.mean(clipBoxErrors))
            }
            for (truth, prediction) in zip(truths, predictions) {
                for t in truth.indices {
                    guard let gt = truth[t] else {
                        report.gapFrames += 1
                        if prediction[t] != nil { report.gapFalsePositives += 1 }
                        continue
                    }
                    report.faceFrames += 1; clipFaceFrames += 1
                    if let p = prediction[t] {
                        report.successFrames += 1
                        let e = Metrics.nmeInterOcular(p, gt)
                        errors.append(e); clipErrors.append(e); clipBoxErrors.append(Metrics.nmeBox(p, gt))
                        if e > 0.08 { clipFailures += 1 }
                    } else {
                        clipFailures += 1
                    }
                    if t > 0, t + 1 < truth.count, let a = prediction[t - 1], let p = prediction[t], let b = prediction[t + 1],
                       let ga = truth[t - 1], let gb = truth[t + 1] {
                        let iod = Double(gt[36].distance(to: gt[45]))
                        jitterSum += JitterMeter.secondDifference(a, p, b) / iod
                        truthJitterSum += JitterMeter.secondDifference(ga, gt, gb) / iod
                        func error(_ q: [Point], _ g: [Point]) -> [Point] { zip(q, g).map { $0 - $1 } }
                        errorJitterSum += JitterMeter.secondDifference(error(a, ga), error(p, gt), error(b, gb)) / iod
                        jitterCount += 1
                    }
                }
                if let g = faceClips[0].motion.gap {
                    let back = (g.upperBound..<truth.count).first { prediction[$0] != nil }
                    report.reacquisitionDelays.append(back.map { $0 - g.upperBound } ?? -1)
                }
            }
        }
        report.successRate = Double(report.successFrames) / Double(max(1, report.faceFrames))
        report.meanNME = Self.mean(errors)
        report.medianNME = errors.isEmpty ? nil : Double(Metrics.median(errors))
        report.failureRate008 = Double(errors.filter { $0 > 0.08 }.count + report.faceFrames - report.successFrames) / Double(max(1, report.faceFrames))
        let lost = [Float](repeating: .infinity, count: report.faceFrames - report.successFrames)
        report.auc008 = Double(Metrics.auc(errors + lost, limit: 0.08))
        report.stillImageMeanNME = Double(Metrics.mean(stillErrors))
        report.jitter = jitterSum / Double(max(1, jitterCount))
        report.errorJitter = errorJitterSum / Double(max(1, jitterCount))
        report.truthJitter = truthJitterSum / Double(max(1, jitterCount))
        report.trackingFps = Double(report.frames) / trackSeconds
        report.facesPerClip = faces
        report.settings = tracking.summary.merging(["size": size, "roll": "\(roll)", "period": "\(period)", "split": split, "faces": "\(faces)",
                           "stages": localizer.networks, "precision": Int8Arithmetic.name]) { a, _ in a }
        report.settings["paired_frames"] = "\(MultiFaceTracker.framesPerStep(maxFaces: faces, options: options) == 2)"
        let gapLine = report.gapFrames == 0 ? "no face-free gap" : String(format: "gap frames %d, false positives %d, re-acquired after %@ frames",
            report.gapFrames, report.gapFalsePositives, report.reacquisitionDelays.map(String.init).joined(separator: ","))
        if json {
            let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
        } else {
            print(String(format: """
                %d clips × %d frames (%@, roll ±%.0f°, %@ in %@, stage1 %@, smooth %@, threshold %@, flip-average %@, paired frames %@)
                success %.2f %% · mean NME %@ (median %@) · failure@0.08 %.2f %% · AUC@0.08 %.3f · still-image NME of the same faces %.2f %%
                jitter %.4f, of the error %.4f (ground truth's own %.4f) · %@ · %.1f fps tracking
                """, report.clips, frames, size, roll, report.settings["stages"]!, report.settings["precision"]!, report.settings["stage1"]!, report.settings["smooth"]!, report.settings["threshold"]!, report.settings["flip_average"]!, report.settings["paired_frames"]!,
                100 * report.successRate, Self.percent(report.meanNME), Self.percent(report.medianNME), 100 * report.failureRate008, report.auc008,
                100 * report.stillImageMeanNME, report.jitter, report.errorJitter, report.truthJitter, gapLine, report.trackingFps))
            if faces == 2 {
                print("two faces per clip (--max-faces 2): identity swaps on \(report.identitySwaps) tracked frames")
            }
            print("mean NME per clip (%): " + report.clipMeanNME.map { $0.map { String(format: "%.2f", 100 * $0) } ?? "—" }.joined(separator: " "))
            print("| clip | face | source | abs yaw | mean NME % | failure@0.08 % | mean NME by box % |\n|---:|---|---|---:|---:|---:|---:|")
            for c in 0..<report.clips {
                let names = report.clipImage[c].split(separator: "+").map { (String($0) as NSString).lastPathComponent }.joined(separator: " + ")
                print(String(format: "| %d | %@ | %@ | %@ | %@ | %.1f | %@ |", c + 1, names,
                             report.clipSource[c], report.clipAbsYaw[c].map { String(format: "%.0f°", $0) } ?? "",
                             Self.percent(report.clipMeanNME[c], unit: ""), 100 * report.clipFailure008[c], Self.percent(report.clipMeanNMEBox[c], unit: "")))
            }
        }
    }

    /// One row per frame: `index,x0,y0,…,x67,y67` (3 decimals), or `index,` for a frame without points.
    static func writeLandmarkRows(_ frames: [[Point]?], to url: URL) throws {
        let rows = frames.enumerated().map { t, p in "\(t)," + (p.map { $0.map { String(format: "%.3f,%.3f", $0.x, $0.y) }.joined(separator: ",") } ?? "") }
        try (rows.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }
}
