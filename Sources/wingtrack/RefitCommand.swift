import ArgumentParser
import Foundation
import WingNN
import WingTrain
import WingTracker
import FaceGeometry

extension HeadRefit.StrengthRule: ExpressibleByArgument {}

/// `wingtrack refit`: a network's output blocks refitted in closed form on the crops the two-stage
/// pipeline itself makes of the training faces (`HeadRefit`), written as a new model file. CNN-6 sees
/// the detector-like boxes' crops; CNN-7 the upright crops from CNN-6's landmarks.
struct RefitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "refit",
        abstract: "Refit a network's output blocks by ridge regression on its last hidden layer, over the crops the two-stage pipeline makes of the training faces.",
        discussion: "Works on CNN-6 (its crops from detector-like boxes) and CNN-7 (its upright crops from CNN-6's landmarks; CNN-6 comes from the models folder). Each labelling convention's block is fitted on its own sources' faces (a one-block network: on all faces, unless --convention-heads first makes it a block per convention); the ridge strength is chosen on one training subject in five held out. For CNN-7 it then measures each block's mirror offset, the mean error of its answer on the mirrored crop, which --flip-average removes (--mirror-only: only that, every weight kept). Measure the result with `wingtrack evaluate --models` on a folder holding it as cnn6.wtm or cnn7.wtm.")

    @Argument(help: "The CNN-6 or CNN-7 model file to refit (.wtm).") var model: String
    @Option(help: "Dataset folder (landmarks.csv + images).") var data: String
    @Option(help: "Split whose faces the fit uses (never the one you report).") var split = "train"
    @Option(help: ArgumentHelp("When refitting CNN-7: folder with the cnn6.wtm that makes its crops (default: as for track).")) var models: String?
    @Option(help: "Box draws per face (the first is evaluate's box, the others move it by up to ±5 % more).") var draws = 2
    @Option(help: "Seed of the box perturbations.") var seed: UInt64 = 7
    @Option(help: "Box perturbation: ± this fraction of the side in shift and in scale.") var jitter: Float = 0.10
    @Option(help: "Use only the first N faces of the split (quick runs).") var limit: Int?
    @Option(help: "How the ridge strength is chosen on the held-out subjects: one-se (the strongest within one standard error of the lowest mean NME: steadier outputs, docs/experiments.md) or best (the lowest).")
    var strength: HeadRefit.StrengthRule = .oneStandardError
    @Flag(help: "CNN-7 only: keep the output blocks as they are and fit only the mirror offsets (the mirrored pass's mean error, which --flip-average removes).")
    var mirrorOnly = false
    @Flag(help: "A one-block network only: first give it one output block per labelling convention of the split's faces (each starting as its one block, the face logit kept), then refit each block on its own sources' faces.")
    var conventionHeads = false
    @Flag(help: "Write the weights in half precision (as shipped).") var f16 = false
    @Option(help: "Where to write the refitted model (.wtm).") var out: String

    func validate() throws {
        guard draws >= 1 else { throw ValidationError("--draws must be at least 1") }
        guard jitter >= 0, jitter < 1 else { throw ValidationError("--jitter must be in [0, 1)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if conventionHeads, mirrorOnly { throw ValidationError("--convention-heads refits the blocks it makes; it cannot go with --mirror-only") }
    }

    func run() throws {
        Int8Arithmetic.enabled = false   // the refitted file must not depend on this CPU
        BLAS.threads = 1
        var target = try ModelFile.load(URL(fileURLWithPath: model))
        if conventionHeads, !target.header.spec.conventions.isEmpty {
            throw ValidationError("\(model): --convention-heads needs a one-block network; this one already has blocks \(target.header.spec.conventions.joined(separator: ", "))")
        }
        let inputSize = target.header.spec.inputSize
        let stage = inputSize == NetworkSpec.cnn6.inputSize ? 1 : inputSize == NetworkSpec.cnn7.inputSize ? 2 : 0
        guard stage > 0, target.network.layers.last is Dense else {
            throw ValidationError("\(model): neither a stage-1 nor a stage-2 network (input \(inputSize) px; CNN-6 takes \(NetworkSpec.cnn6.inputSize), CNN-7 \(NetworkSpec.cnn7.inputSize))")
        }
        // Flip-averaging mirrors CNN-7's 68-point crop only.
        let mirrors = stage == 2 && target.header.spec.landmarkCount == Landmarks68.count
        if mirrorOnly, !mirrors { throw ValidationError("\(model): --mirror-only is for CNN-7 with 68 points (flip-averaging mirrors its crop)") }
        let ds = try FaceDataset(directory: URL(fileURLWithPath: data), splits: [split], limit: limit)
        if conventionHeads {
            // A network with blocks was refused above and FaceDataset refuses an empty split, so this widens.
            guard let wide = target.widened(to: LabellingConvention.ordered(ds.records.map(\.source))) else {
                throw ValidationError("\(model): --convention-heads could not widen this network")
            }
            target = wide
            printError("refit: output blocks \(wide.header.spec.conventions.joined(separator: ", ")), each starting as the one block")
        }
        let spec = target.header.spec, last = target.network.layers.last as! Dense
        // Stage 2 sees the crops the shipped (or given) CNN-6 makes.
        let stage1 = stage == 1 ? target : try ModelFile.load(ModelsLocation.resolve(models).appendingPathComponent("cnn6.wtm"))
        let localizer = Localizer(stage1: stage1, stage2: stage == 2 ? target : nil)
        SpareCore.use(localizer: localizer)

        let t0 = Date()
        let faces = Faces(localizer: localizer, ds: ds, stage: stage, spec: spec)
        var header = target.header
        if !mirrorOnly {
            header.provenance["refit"] = try refitBlocks(of: last, faces)
            header.provenance["refit_mirror_command"] = nil   // any earlier mirror-only record no longer applies
        }
        if mirrors {
            (header.mirrorOffsets, header.provenance["refit_mirror"]) = try fitMirrorOffsets(faces)
        }
        // A mirror-only refit keeps the record of the blocks' refit.
        header.provenance[mirrorOnly ? "refit_mirror_command" : "refit_command"] = "wingtrack " + CommandLine.arguments.dropFirst().joined(separator: " ")
        try ModelFile.save(target.network, header: header, halfPrecision: f16, to: URL(fileURLWithPath: out))
        printError(String(format: "refit: wrote %@ (%.0f s)", out, Date().timeIntervalSince(t0)))
    }

    /// What both phases read: the pipeline over the split's faces, and which block each face belongs to.
    struct Faces {
        let localizer: Localizer, ds: FaceDataset, stage: Int, spec: NetworkSpec
        /// One block per convention; a one-block network has one block for every face.
        var blocks: [String] { spec.conventions.isEmpty ? ["mixed"] : spec.conventions }
        var coordinates: Int { 2 * spec.landmarkCount }
        func block(of face: Int) -> Int? { LabellingConvention.block(of: ds.records[face].source, in: spec) }
        /// Each face's rows in its own convention (`PipelineRow.forEach`).
        func forEachRow(draws: Int, seed: UInt64, jitter: Float, mirrored: Bool = false, _ body: (PipelineRow) -> Void) {
            PipelineRow.forEach(localizer, stage: stage, ds, draws: draws, seed: seed, jitter: jitter, mirrored: mirrored,
                                answerIn: { i in localizer.convention = LabellingConvention.of(source: ds.records[i].source) }, body)
        }
    }

    /// Refits each block of `last` in place (`HeadRefit.fit`, then `apply`), prints a table and returns
    /// the record for the header.
    private func refitBlocks(of last: Dense, _ f: Faces) throws -> String? {
        let t0 = Date()
        var rows = f.blocks.map { _ in HeadRefit.Rows(hiddenCount: last.inFeatures, coordinateCount: f.coordinates) }
        printError("refit: \(f.ds.count) faces of split '\(split)' × \(draws) box draws through \(f.stage == 1 ? "CNN-6" : "CNN-6 and CNN-7")…")
        f.forEachRow(draws: draws, seed: seed, jitter: jitter) { r in
            guard let b = f.block(of: r.face) else { return }
            rows[b].append(hidden: r.hidden, truth: r.truth, output: Array(r.output.prefix(f.coordinates)), subject: f.ds.records[r.face].subject)
        }
        printError(String(format: "refit: rows in %.0f s; fitting", Date().timeIntervalSince(t0)))
        BLAS.threads = 0
        defer { BLAS.threads = 1 }
        var outcomes: [HeadRefit.Outcome] = []
        print("| block | rows | held-out rows | held-out NME as trained | refitted | ridge λ |")
        print("|---|---:|---:|---:|---:|---:|")
        for (b, convention) in f.blocks.enumerated() {
            guard let (solution, outcome) = HeadRefit.fit(rows[b], convention: convention, rule: strength) else {
                print("| \(convention) | \(rows[b].count) | — | — | not refitted (needs rows of held-out and other subjects) | — |")
                continue
            }
            HeadRefit.apply(solution, to: last, block: b)
            outcomes.append(outcome)
            print(String(format: "| %@ | %d | %d | %.2f %% | %.2f %% | %@ |", convention, outcome.rows, outcome.heldOutRows,
                         100 * outcome.heldOutBefore, 100 * outcome.heldOutAfter, outcome.lambda.map { String(format: "%g", $0) } ?? "offset only"))
        }
        return String(data: try JSONEncoder().encode(outcomes), encoding: .utf8)
    }

    /// The mirror offsets of CNN-7's blocks as they now are (`HeadRefit.mirrorOffset`), from the same
    /// faces and boxes, each crop and its mirror; prints a table and returns them with the record.
    private func fitMirrorOffsets(_ f: Faces) throws -> ([[Float]], String?) {
        let t0 = Date()
        printError("refit: mirror offsets: \(f.ds.count) faces × \(draws) box draws, each crop and its mirror…")
        var plain = f.blocks.map { _ in HeadRefit.Rows(hiddenCount: 0, coordinateCount: f.coordinates) }
        var mirrored = plain
        f.forEachRow(draws: draws, seed: seed, jitter: jitter, mirrored: true) { r in
            guard let b = f.block(of: r.face), let m = r.mirroredOutput else { return }
            let subject = f.ds.records[r.face].subject
            plain[b].append(hidden: [], truth: r.truth, output: Array(r.output.prefix(f.coordinates)), subject: subject)
            mirrored[b].append(hidden: [], truth: r.truth, output: m, subject: subject)
        }
        printError(String(format: "refit: mirror rows in %.0f s", Date().timeIntervalSince(t0)))
        var offsets = [[Float]](repeating: [Float](repeating: 0, count: f.coordinates), count: f.blocks.count)
        var outcomes: [HeadRefit.MirrorOutcome] = []
        print("| block | rows | held-out rows | held-out NME, flip-averaged | with its mirror offset | kept |")
        print("|---|---:|---:|---:|---:|---|")
        for (b, convention) in f.blocks.enumerated() {
            guard let (offset, outcome) = HeadRefit.mirrorOffset(plain: plain[b], mirrored: mirrored[b], convention: convention) else {
                print("| \(convention) | \(plain[b].count) | — | — | no offset (needs rows of held-out and other subjects) | no |")
                continue
            }
            offsets[b] = offset
            outcomes.append(outcome)
            print(String(format: "| %@ | %d | %d | %.2f %% | %.2f %% | %@ |", convention, outcome.rows, outcome.heldOutRows,
                         100 * outcome.heldOutBefore, 100 * outcome.heldOutAfter, outcome.kept ? "yes" : "no"))
        }
        return (offsets, String(data: try JSONEncoder().encode(outcomes), encoding: .utf8))
    }
}
