import ArgumentParser
import Foundation
import FaceGeometry
import WingNN
import WingTrain
import WingTracker

/// `wingtrack fit-pose`: fits the yaw of `models/head_pose.json` (`HeadPoseFit`) on the shapes the
/// two-stage pipeline answers, in the labelling convention `track` answers in, for the training faces
/// with a measured yaw; then measures it on the `--report-split` faces with a yaw.
struct FitPoseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fit-pose",
        abstract: "Fit the head-pose yaw regression on the pipeline's landmarks of faces with a measured yaw, and measure it.",
        discussion: "Only faces with a yaw_deg in landmarks.csv are used (faces68: AFLW2000-3D). The ridge strength is chosen on one training subject in five held out; the report split is never used to choose anything.")

    @Option(help: "Dataset folder (landmarks.csv + images).") var data: String
    @Option(help: "Split the fit uses.") var split = "train"
    @Option(help: "Split the error is reported on.") var reportSplit = "val"
    @Option(help: ArgumentHelp(ModelsLocation.help)) var models: String?
    @Option(help: "Box draws per training face (the first is evaluate's box, the others move it by up to ±5 % more).") var draws = 2
    @Option(help: "Seed of the box perturbations.") var seed: UInt64 = 7
    @Option(help: "Use only the first N faces with a yaw of each split (quick runs).") var limit: Int?
    @Flag(help: "JSON output (the fit's outcome and the report).") var json = false
    @Option(help: "Where to write the head-pose file (.json).") var out: String?
    @Option(help: "Measure this head-pose file on the report split instead of fitting one.") var evaluate: String?

    func validate() throws {
        guard (out == nil) != (evaluate == nil) else { throw ValidationError("give either --out FILE (fit) or --evaluate FILE (measure)") }
        guard draws >= 1 else { throw ValidationError("--draws must be at least 1") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    /// Yaw errors on the report split.
    struct Report: Codable {
        var faces = 0
        var meanAbsError = 0.0, medianAbsError = 0.0
        /// Mean absolute error per |yaw| bin of the truth (`EvaluationReport.yawBins`) and its face count.
        var byAbsYaw: [String: Double] = [:], facesByAbsYaw: [String: Int] = [:]
    }

    func run() throws {
        Int8Arithmetic.enabled = false   // the fitted file must not depend on this CPU
        BLAS.threads = 1
        let dir = URL(fileURLWithPath: data)
        let modelsURL = ModelsLocation.resolve(models)
        let localizer = try Localizer(modelsDirectory: modelsURL, requireStage2: false)
        localizer.convention = localizer.conventions.contains(LabellingConvention.ibug300W) ? LabellingConvention.ibug300W : nil
        SpareCore.use(localizer: localizer)
        func faces(_ split: String) throws -> (FaceDataset, [Int]) {
            let ds = try FaceDataset(directory: dir, splits: [split])
            var idx = ds.records.indices.filter { ds.records[$0].yawDegrees != nil }
            if let limit { idx = Array(idx.prefix(limit)) }
            guard !idx.isEmpty else { throw ValidationError("\(dir.appendingPathComponent("landmarks.csv").path): no face of split '\(split)' has a yaw_deg") }
            return (ds, idx)
        }
        /// The pipeline's answer from a detector-like box (draw 0 is evaluate's box).
        func shape(_ ds: FaceDataset, _ i: Int, draw: Int) -> [Point] {
            ds.withImage(i) { view in
                var box = EvaluationBox.detectorLike(ds.records[i].landmarks, seed: seed &+ UInt64(i), jitter: 0.1)
                if draw > 0 { box = EvaluationBox.redrawn(box, seed: seed &+ UInt64(i) &* 31 &+ UInt64(draw)) }
                return localizer.localize(view, box: box).landmarks
            }
        }
        /// The yaw errors of `pose` on the report split's faces with a yaw (evaluate's boxes).
        func measure(_ pose: HeadPose) throws -> Report {
            let (val, valIdx) = try faces(reportSplit)
            var report = Report()
            var errors: [Double] = [], bins: [String: [Double]] = [:]
            for i in valIdx {
                let truth = Double(val.records[i].yawDegrees!)
                let e = abs(Double(pose.yaw(shape(val, i, draw: 0))) - truth)
                errors.append(e)
                bins[EvaluationReport.yawBin(Float(truth)), default: []].append(e)
            }
            report.faces = errors.count
            report.meanAbsError = errors.reduce(0, +) / Double(errors.count)
            report.medianAbsError = errors.sorted()[errors.count / 2]
            report.byAbsYaw = bins.mapValues { $0.reduce(0, +) / Double($0.count) }
            report.facesByAbsYaw = bins.mapValues(\.count)
            return report
        }
        let t0 = Date()
        if let evaluate {
            let pose = try HeadPose.load(URL(fileURLWithPath: evaluate))
            try show(nil, measure(pose))
            return
        }
        let (train, trainIdx) = try faces(split)
        printError("fit-pose: \(trainIdx.count) faces of split '\(split)' × \(draws) box draws through \(localizer.networks)…")
        var rows = HeadPoseFit.Rows()
        for i in trainIdx {
            for d in 0..<draws { rows.append(shape(train, i, draw: d), yaw: train.records[i].yawDegrees!, subject: train.records[i].subject) }
        }
        let provenance = ["data": dir.lastPathComponent, "split": split, "faces": "\(trainIdx.count)", "draws": "\(draws)",
                          "networks": localizer.networks, "convention": localizer.answerConvention,
                          "command": "wingtrack " + CommandLine.arguments.dropFirst().joined(separator: " ")]
        guard var (pose, outcome) = HeadPoseFit.fit(rows, provenance: provenance) else {
            throw ValidationError("fit-pose: too few subjects in split '\(split)' to hold one in five out")
        }

        let report = try measure(pose)
        pose.provenance["relative_lambda"] = String(format: "%g", outcome.relativeLambda)
        pose.provenance["held_out_mae_deg"] = String(format: "%.2f", outcome.chosenHeldOutMAE)
        pose.provenance["\(reportSplit)_mae_deg"] = String(format: "%.2f", report.meanAbsError)
        pose.provenance["\(reportSplit)_faces"] = "\(report.faces)"
        try pose.save(URL(fileURLWithPath: out!))
        outcome.heldOutMAE = outcome.heldOutMAE.mapValues { ($0 * 100).rounded() / 100 }
        try show(outcome, report)
        printError(String(format: "fit-pose: wrote %@ (%.0f s)", out!, Date().timeIntervalSince(t0)))
    }

    /// Prints the fit's outcome (when fitting) and the report, as text or JSON.
    func show(_ outcome: HeadPoseFit.Outcome?, _ report: Report) throws {
        if json {
            struct Both: Codable { var fit: HeadPoseFit.Outcome?; var report: Report }
            let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(Both(fit: outcome, report: report)), as: UTF8.self))
            return
        }
        if let outcome {
            print(String(format: "fit: %d rows (%d held out), relative λ %g, held-out yaw error %.2f°", outcome.rows, outcome.heldOutRows,
                         outcome.relativeLambda, outcome.chosenHeldOutMAE))
        }
        print(String(format: "%@: %d faces, mean |yaw error| %.2f°, median %.2f°", reportSplit, report.faces, report.meanAbsError, report.medianAbsError))
        for b in EvaluationReport.yawBins where report.facesByAbsYaw[b] != nil {
            print(String(format: "  |yaw| %@°: %d faces, mean error %.2f°", b, report.facesByAbsYaw[b]!, report.byAbsYaw[b]!))
        }
    }
}
