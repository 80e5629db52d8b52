import ArgumentParser
import Foundation
import FaceGeometry
import WingNN
import WingTrain
import WingTracker
import MediaIO

/// `wingtrack evaluate`: accuracy of the shipped (or given) networks on a faces68-format folder.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate",
        abstract: "Measure landmark accuracy: the two-stage pipeline from a perturbed detector-like box, and each network alone.")

    @Option(help: "Dataset folder (landmarks.csv + images).") var data: String
    @Option(help: "Split to evaluate.") var split = "val"
    @Option(help: ArgumentHelp(ModelsLocation.help)) var models: String?
    @Option(help: "Seed of the box perturbations.") var seed: UInt64 = 7
    @Option(help: "Box perturbation: ± this fraction of the side in shift and in scale.") var jitter: Float = 0.10
    @Flag(help: "JSON output (the two-stage report, with each network alone under 'networks_alone').") var json = false
    @Option(help: "Also write a Markdown table here.") var report: String?
    @Option(help: "Also write CED curves (SVG) here.") var svg: String?
    @Flag(help: "Also measure CNN-6's residual as stage 2 sees it: the upright crop from CNN-6's landmarks against the crop from the truth (centre shift ÷ side, side ratio, roll difference), the distribution CNN-7's training perturbation should cover.")
    var stage2Residual = false
    @Flag(help: "Also measure the face score (the tracker's test of a find): per face, the two-stage score from its box and from boxes that are not a face (beside it, a small part of it 0.15–0.3 of its side, a part 0.3–0.45, far too large); the share at or above the tracker's threshold (--threshold) and at 0.9.")
    var faceScore = false
    @Option(help: "Face score threshold for --face-score (the tracker's --threshold).") var threshold: Float = Tracker.Options().scoreThreshold
    @Option(help: "Also write, per face, the starting box and our NME here (CSV: image,source,box_cx,box_cy,box_side,nme), so other tools can start from the same boxes.")
    var boxes: String?
    @Flag(help: ArgumentHelp(TrackingOptions.flipAverageHelp)) var flipAverage = false
    @Option(help: "For networks with one output block per labelling convention: answer in this one for every face (default: each face's own source convention, as the paper measures each dataset with its own model).")
    var convention: String?
    @Option(help: ArgumentHelp("Instead of the reports, write per face CNN-7's last hidden layer on the two-stage crop, the truth and CNN-7's output in crop pixels (float32 rows of 1024 + 136 + 137: the block of the face's convention and the face logit), and FILE.csv naming each row's image, source and subject (Scripts/convention_study.py reads them).", valueName: "FILE"))
    var features: String?
    @Option(help: "With --features: box draws per face (the first is the report's box, the others move it by up to ±5 % more).")
    var featureDraws = 1
    @Option(name: .customLong("compare"), help: ArgumentHelp("Instead of the models folder, evaluate these CNN-6 weight files alone, side by side, from the same boxes (repeatable; e.g. --compare wing=runs/a/best.wtm). Table, JSON (keyed by label) and SVG list them in order.", valueName: "label=file"))
    var compare: [String] = []
    @OptionGroup var arithmetic: PrecisionOption

    /// `--compare` as (label, file) pairs; nil for a malformed one.
    var comparisons: [(label: String, file: String)?] {
        compare.map { c in
            let parts = c.split(separator: "=", maxSplits: 1).map(String.init)
            return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty ? (parts[0], parts[1]) : nil
        }
    }

    func validate() throws {
        if let bad = zip(compare, comparisons).first(where: { $0.1 == nil }) {
            throw ValidationError("--compare \(bad.0): expected LABEL=FILE")
        }
        guard featureDraws >= 1 else { throw ValidationError("--feature-draws must be at least 1") }
        if !compare.isEmpty, features != nil { throw ValidationError("--features needs the models folder, not --compare") }
        if !compare.isEmpty, flipAverage { throw ValidationError("--flip-average needs the models folder's CNN-7, not --compare") }
        if !compare.isEmpty, faceScore { throw ValidationError("--face-score needs the models folder, not --compare") }
        guard (0...1).contains(threshold) else { throw ValidationError("--threshold must be between 0 and 1") }
        if !compare.isEmpty, stage2Residual { throw ValidationError("--stage2-residual needs the models folder, not --compare") }
    }

    func run() throws {
        arithmetic.apply()
        BLAS.threads = 1
        let ds = try FaceDataset(directory: URL(fileURLWithPath: data), splits: [split])
        func boxFor(_ i: Int) -> Box { EvaluationBox.detectorLike(ds.records[i].landmarks, seed: seed &+ UInt64(i), jitter: jitter) }
        func view<R>(_ i: Int, _ body: (PixelView) -> R) -> R { ds.withImage(i, body) }
        /// `--boxes`: per face, the starting box and the first report's NME.
        func writeBoxes(_ errors: [Float]) throws {
            guard let boxes else { return }
            var rows = ["image,source,box_cx,box_cy,box_side,nme"]
            for i in 0..<ds.count {
                let b = boxFor(i)
                rows.append(String(format: "%@,%@,%.3f,%.3f,%.3f,%.6f", ds.records[i].image, ds.records[i].source, b.center.x, b.center.y, b.squareSide, errors[i]))
            }
            try (rows.joined(separator: "\n") + "\n").write(toFile: boxes, atomically: true, encoding: .utf8)
        }
        var reports: [EvaluationReport] = []
        let t0 = Date()
        if !compare.isEmpty {
            // Each weights file as stage 1 alone, from the same boxes.
            for case let (label, file)? in comparisons {
                let loaded = try ModelFile.load(URL(fileURLWithPath: file))
                guard loaded.header.spec.inputSize == NetworkSpec.cnn6.inputSize else {
                    throw ValidationError("\(file): not a stage-1 network (input \(loaded.header.spec.inputSize) px, CNN-6 takes \(NetworkSpec.cnn6.inputSize))")
                }
                let alone = Localizer(stage1: loaded, stage2: nil)
                reports.append(EvaluationReport(method: label, dataset: ds) { i in view(i) { alone.localize($0, box: boxFor(i)).landmarks } })
            }
            try emit(reports, ds, seconds: Date().timeIntervalSince(t0))
            try writeBoxes(reports[0].errors)
            return
        }
        let modelsURL = ModelsLocation.resolve(models)
        let localizer = try Localizer(modelsDirectory: modelsURL, requireStage2: false)
        SpareCore.use(localizer: localizer)
        try TrackingOptions.check(localizer, flipAverage: flipAverage, convention: convention, models: modelsURL)
        localizer.flipAverage = flipAverage
        TrackingOptions.noteSourcesWithoutBlock(ds.records.map(\.source), localizer, convention: convention)
        /// Each face's convention (or the one asked for), set before its localisation.
        func answerIn(_ i: Int) { localizer.convention = convention ?? LabellingConvention.of(source: ds.records[i].source) }
        if let features {
            guard localizer.stage2 != nil else { throw ValidationError("--features needs CNN-7 (cnn7.wtm) in the models folder") }
            try writeFeatures(localizer, ds, answerIn: answerIn, to: features)
            return
        }
        if localizer.stage2 != nil {
            reports.append(EvaluationReport(method: flipAverage ? "two-stage, flip-average" : "two-stage", dataset: ds) { i in answerIn(i); return view(i) { localizer.localize($0, box: boxFor(i)).landmarks } })
        }
        let cnn6Only = Localizer(stage1: localizer.stage1, stage2: nil)
        reports.append(EvaluationReport(method: "cnn6 alone", dataset: ds) { i in view(i) { cnn6Only.localize($0, box: boxFor(i)).landmarks } })
        if localizer.stage2 != nil {
            // CNN-7 alone from the ground-truth upright box, perturbed like its training crops.
            reports.append(EvaluationReport(method: flipAverage ? "cnn7 alone (GT box), flip-average" : "cnn7 alone (GT box)", dataset: ds) { i in
                var rng = SeededGenerator(seed: seed &+ UInt64(i))
                let truth = ds.records[i].landmarks
                let jittered = SimilarityTransform(scale: 1 + 0.03 * Float.random(in: -1...1, using: &rng),
                                                   angle: 5 * .pi / 180 * Float.random(in: -1...1, using: &rng), tx: 0, ty: 0)
                let c = centroid(truth)
                let shape = truth.map { jittered.apply($0 - c) + c }
                answerIn(i)
                return view(i) { localizer.refine($0, from: shape).landmarks }
            })
        }
        if stage2Residual {
            var shift: [Float] = [], scale: [Float] = [], roll: [Float] = []
            for i in 0..<ds.count {
                let coarse = view(i) { cnn6Only.localize($0, box: boxFor(i)).landmarks }
                let p = FaceCrop.around(coarse, boxScale: 1, upright: true)
                let t = FaceCrop.around(ds.records[i].landmarks, boxScale: 1, upright: true)
                shift.append(p.center.distance(to: t.center) / t.side)
                scale.append(abs(log(p.side / t.side)))
                var d = (p.angle - t.angle) * 180 / .pi
                d = d - 360 * (d / 360).rounded()
                roll.append(abs(d))
            }
            func pct(_ v: [Float], _ q: Float) -> Float { let s = v.sorted(); return s[min(s.count - 1, Int(q * Float(s.count)))] }
            print("CNN-6 residual for stage 2 (\(ds.count) faces, from the same perturbed boxes): percentiles 50 / 90 / 95 / 99")
            print(String(format: "  centre shift ÷ side   %.3f / %.3f / %.3f / %.3f", pct(shift, 0.5), pct(shift, 0.9), pct(shift, 0.95), pct(shift, 0.99)))
            print(String(format: "  |log side ratio|      %.3f / %.3f / %.3f / %.3f", pct(scale, 0.5), pct(scale, 0.9), pct(scale, 0.95), pct(scale, 0.99)))
            print(String(format: "  |roll difference| °   %.1f / %.1f / %.1f / %.1f", pct(roll, 0.5), pct(roll, 0.9), pct(roll, 0.95), pct(roll, 0.99)))
        }
        let scores = faceScore ? FaceScoreReport(faces: ds.count, faceBox: boxFor, truth: { ds.records[$0].landmarks }, localize: { i, box in
            answerIn(i)
            return view(i) { let r = localizer.localize($0, box: box); return (r.faceScore, r.landmarks) }
        }, seed: seed, threshold: threshold, sure: Tracker.sureScore) : nil
        try emit(reports, ds, seconds: Date().timeIntervalSince(t0), faceScores: scores)
        try writeBoxes(reports[0].errors)
    }

    /// Prints the reports (table, or JSON: with `--compare` keyed by label, else the first report at the
    /// top level and the others under `networks_alone`), and writes `--report` and `--svg`.
    private func emit(_ reports: [EvaluationReport], _ ds: FaceDataset, seconds: Double, faceScores: FaceScoreReport? = nil) throws {
        func object(_ r: EvaluationReport) throws -> [String: Any] {
            var o = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]
            o.removeValue(forKey: "errors")
            return o
        }
        if json {
            var top: [String: Any]
            if compare.isEmpty {
                top = try object(reports[0])
                var alone: [String: Any] = [:]
                for r in reports.dropFirst() { alone[r.method] = try object(r) }
                top["networks_alone"] = alone
            } else {
                top = ["order": reports.map(\.method)]
                for r in reports { top[r.method] = try object(r) }
            }
            if let faceScores { top["face_score"] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(faceScores)) }
            top["split"] = split
            top["seconds"] = seconds
            print(String(data: try JSONSerialization.data(withJSONObject: top, options: [.prettyPrinted, .sortedKeys]), encoding: .utf8)!)
        } else {
            print(EvaluationReport.markdownHeader)
            for r in reports { r.markdownRows().forEach { print($0) } }
            if let faceScores { print(""); faceScores.markdown().forEach { print($0) } }
            print(String(format: "(%d faces of split '%@', %.1f s, %@ arithmetic)", ds.count, split, seconds, Int8Arithmetic.name))
        }
        if let report {
            let md = ([EvaluationReport.markdownHeader] + reports.flatMap { $0.markdownRows() }
                      + (faceScores.map { [""] + $0.markdown() } ?? [])).joined(separator: "\n") + "\n"
            try md.write(toFile: report, atomically: true, encoding: .utf8)
        }
        if let svg {
            try CEDPlot.svg(reports.map { ($0.method, $0.errors) }, title: "CED on \(split) (\(ds.count) faces)")
                .write(toFile: svg, atomically: true, encoding: .utf8)
        }
    }

    /// `--features`: per face and box draw (`PipelineRow`, stage 2), CNN-7's hidden layer, the truth and its
    /// output; rows in FILE (float32), their image and source in FILE.csv. Both are written under
    /// temporary names and renamed when complete.
    private func writeFeatures(_ localizer: Localizer, _ ds: FaceDataset, answerIn: (Int) -> Void, to path: String) throws {
        var blob = Data(), rows = ["row,image,source,subject,draw"]
        PipelineRow.forEach(localizer, stage: 2, ds, draws: featureDraws, seed: seed, jitter: jitter, answerIn: answerIn) { r in
            (r.hidden + r.truth + r.output).withUnsafeBytes { blob.append(contentsOf: $0) }
            let rec = ds.records[r.face]
            rows.append("\(rows.count - 1),\(rec.image),\(rec.source),\(rec.subject),\(r.draw)")
        }
        try AtomicFile.write(blob, to: URL(fileURLWithPath: path))
        try AtomicFile.write(Data((rows.joined(separator: "\n") + "\n").utf8), to: URL(fileURLWithPath: path + ".csv"))
    }
}
