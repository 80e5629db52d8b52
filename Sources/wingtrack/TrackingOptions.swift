import ArgumentParser
import Foundation
import WingTracker
import WingTrain

/// The tracker's options, shared by `track` and `evaluate-tracking`. The defaults were chosen by
/// measurement (docs/tracking.md): constant-velocity seeding cut the mean NME on the ground-truth
/// clips from 7.01 % to 6.40 % and halved failures; One-Euro (2 Hz, β 1) then cost 0.03 points of NME
/// and cut jitter by 7 % there and by 10–25 % on the real clips.
struct TrackingOptions: ParsableArguments {
    @Option(help: "Landmark smoothing: none or one-euro.") var smooth = "one-euro"
    @Option(help: "One-Euro cut-off at rest, Hz (with --smooth one-euro).") var smoothCutoff = 2.0
    @Option(help: "One-Euro speed coefficient, per px/s (with --smooth one-euro).") var smoothBeta = 1.0
    @Option(help: "CNN-6 policy: every-frame or acquisition-only (needs CNN-7; without it CNN-6 runs every frame).")
    var stage1 = Tracker.Stage1Policy.everyFrame.rawValue
    @Flag(inversion: .prefixedNo, help: "Refine with CNN-7 when the models folder has it (--no-stage2: CNN-6 alone, several times faster, less accurate; docs/tracking.md).")
    var stage2 = true
    @Flag(help: ArgumentHelp(TrackingOptions.flipAverageHelp)) var flipAverage = false
    static let flipAverageHelp = "Also run CNN-7 on the mirrored crop and average both answers: more accurate and steadier (most on turned faces), about 30 % fewer frames per second on two cores (docs/tracking.md)."
    @Option(help: "Labelling convention to answer in, for networks with one output block per convention (default: 300-W for track, each face's own for evaluate-tracking; `wingtrack model` lists a file's).")
    var convention: String?
    @Option(help: "Face score below which the face counts as lost.") var threshold: Float = Tracker.Options().scoreThreshold
    @Flag(inversion: .prefixedNo, help: "Seed each frame from the previous landmarks moved at their last velocity.")
    var constantVelocity = true
    @Option(help: "While no face is found: search every frame for 30 frames, then every 2nd, 4th, … frame, at most every N-th (1 = every frame; a 720p search takes about 0.5 s).")
    var maxSearchInterval = 8
    @Flag(inversion: .prefixedNo, help: "Follow one face two frames at a time, the second seeded two frames ahead, so one video runs on two cores at once: the same accuracy, 11–17 % more frames per second, but 10–20 % more frame-to-frame noise on fast-moving faces (docs/tracking.md). Several faces (--max-faces) always go frame by frame.")
    var pairedFrames = false

    func validate() throws {
        guard ["none", "one-euro"].contains(smooth) else { throw ValidationError("--smooth must be none or one-euro") }
        guard Tracker.Stage1Policy(rawValue: stage1) != nil else { throw ValidationError("--stage1 must be every-frame or acquisition-only") }
        guard smoothCutoff > 0, smoothBeta >= 0 else { throw ValidationError("--smooth-cutoff must be positive and --smooth-beta not negative") }
        guard (0...1).contains(threshold) else { throw ValidationError("--threshold must be between 0 and 1") }
        guard maxSearchInterval >= 1 else { throw ValidationError("--max-search-interval must be at least 1") }
        guard !(flipAverage && !stage2) else { throw ValidationError("--flip-average mirrors CNN-7's crop; it cannot go with --no-stage2") }
    }

    var trackerOptions: Tracker.Options {
        var o = Tracker.Options()
        o.scoreThreshold = threshold
        o.stage1 = Tracker.Stage1Policy(rawValue: stage1)!
        o.constantVelocity = constantVelocity
        o.maxSearchInterval = maxSearchInterval
        o.pairedFrames = pairedFrames
        o.smoothing = smooth == "one-euro" ? OneEuroFilter(minCutoff: smoothCutoff, beta: smoothBeta) : nil
        return o
    }

    /// The networks from `dir` (CNN-7 only if present and wanted).
    func localizer(_ dir: URL) throws -> Localizer {
        let loaded = try Localizer(modelsDirectory: dir, requireStage2: false)
        let chosen = stage2 ? loaded : Localizer(stage1: loaded.stage1, stage2: nil)
        try TrackingOptions.check(chosen, flipAverage: flipAverage, convention: convention, models: dir)
        chosen.flipAverage = flipAverage
        chosen.convention = convention
        return chosen
    }

    /// Usage errors naming the file: `--flip-average` without CNN-7, or a `--convention` CNN-7 does
    /// not answer in.
    static func check(_ localizer: Localizer, flipAverage: Bool, convention: String?, models dir: URL) throws {
        let cnn7 = dir.appendingPathComponent("cnn7.wtm").path
        if flipAverage, localizer.stage2 == nil { throw ValidationError("--flip-average needs CNN-7, and \(cnn7) does not exist") }
        if let convention, localizer.stage2 != nil, !localizer.conventions.contains(convention) {
            throw ValidationError("--convention \(convention): \(cnn7) answers in \(localizer.conventions.isEmpty ? "one mixed convention only" : localizer.conventions.joined(separator: ", "))")
        }
    }

    /// One stderr note per dataset source whose labelling convention has no block of its own in
    /// CNN-7 (when answering each face in its source's convention): it is answered in the first block.
    static func noteSourcesWithoutBlock(_ sources: some Sequence<String>, _ localizer: Localizer, convention: String?) {
        guard convention == nil, let spec = localizer.stage2?.header.spec, let first = spec.conventions.first else { return }
        let blocks = spec.conventions
        for source in Set(sources).sorted() where LabellingConvention.block(of: source, in: spec) == nil {
            printError("note: source '\(source)' has no labelling convention of its own in CNN-7 (blocks: \(blocks.joined(separator: ", "))); its faces are answered in \(first) (--convention to choose)")
        }
    }

    var summary: [String: String] {
        trackerOptions.summary.merging(["stage2": "\(stage2)", "flip_average": "\(flipAverage)", "convention": convention ?? "per face"]) { a, _ in a }
    }
}
