import ArgumentParser
import Foundation
import WingNN
import WingTrain

/// `wingtrack train`: trains CNN-6 or CNN-7 on a faces68-format folder.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train CNN-6 or CNN-7 on a faces68-format dataset.")

    enum Net: String, ExpressibleByArgument { case cnn6, cnn7 }
    enum LossName: String, ExpressibleByArgument { case wing, l1, l2, smoothL1 = "smooth-l1", rwing }

    @Option(help: "Dataset folder (landmarks.csv + images).") var data: String
    @Option(help: "Network: cnn6 or cnn7.") var net: Net = .cnn6
    @Option(help: "Loss: wing, l1, l2, smooth-l1, rwing.") var loss: LossName = .wing
    @Option(help: "Wing/RWing width w (input pixels).") var w: Float = 10
    @Option(help: "Wing/RWing curvature ε.") var epsilon: Float = 2
    @Option(help: "RWing dead zone r (input pixels).") var r: Float = 0.5
    @Flag(inversion: .prefixedNo, help: "Pose-based data balancing.") var pdb = true
    @Option(help: "PDB histogram bins.") var bins = 9
    @Option(help: "Training samples in total (the budget).") var samples = 600_000
    @Option(help: "Mini-batch size.") var batch = 64
    @Option(help: "Base learning rate (cosine schedule to 1% of it).") var lr: Float = 1e-2
    @Option(help: "Warm-up steps.") var warmup = 0
    @Option(help: "Weight decay.") var weightDecay: Float = 5e-4
    @Option(help: "Gradient-norm cap (0 = none).") var clip: Float = 20
    @Option(help: "Fraction of negative (non-face) crops.") var negatives: Float = 0.1
    @Option(help: "Smallest side of the part-of-the-face negatives, as a fraction of the face box (their largest is 0.45).") var smallestPartNegative = SampleGenerator.defaultSmallestPartNegative
    @Option(help: "Probability of an occluding rectangle (flat colour or noise) over a training crop; the targets stay the true points.") var occlusion: Float = 0
    @Option(help: "Probability of glasses (a frame, clear or dark lenses) drawn over a training face's eyes; the targets stay the true points.") var glasses: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Divide every layer's width by this (quick experiments).") var widthDivisor = 1
    @Option(help: "Use only the first N training faces (quick experiments).") var limit: Int?
    @Option(help: "Minutes between checkpoints.") var checkpointMinutes: Double = 3
    @Option(help: "Training split name.") var trainSplit = "train"
    @Option(help: "Validation split name ('' for none).") var valSplit = "val"
    @Option(help: "Threads (0 = all cores); each batch is cut into one shard per thread.") var threads = 0
    @Option(help: "Output folder for best.wtm, last.wtm, last.state, log.jsonl.") var out: String
    @Flag(help: "Continue from OUT/last.wtm and OUT/last.state.") var resume = false
    @Flag(help: "One output block per labelling convention of the training sources (300-W, YouTube-Faces, AFLW2000-3D in faces68), each trained on its own sources only; with --init-from a one-block network, every block starts as that block (docs/experiments.md).")
    var conventionHeads = false
    @Option(name: .customLong("repeat-source"), help: ArgumentHelp("Show a source's faces K times per epoch, each with its own augmentation (repeatable), e.g. helen_train=3.", valueName: "SOURCE=K"))
    var repeatSource: [String] = []
    @Option(help: "Start from these weights (e.g. a shipped f16 model) with a fresh optimiser and schedule; a wider network of the same depth is cut down to --width-divisor's widths (its strongest units kept).") var initFrom: String?
    @Option(help: "Distil: a trained model (e.g. models/cnn7.wtm) whose answers on each training crop are blended into the targets; it runs in the product's arithmetic.") var teacher: String?
    @Option(help: "With --teacher: the teacher's share of each target (0…1), the rest the ground truth.") var teacherWeight: Float = 0.7
    @Option(help: "Write this many augmented training crops with their target points to OUT/samples/*.png, then stop.") var dumpSamples = 0

    func validate() throws {
        guard samples > 0, batch > 0, lr > 0, bins > 0 else { throw ValidationError("--samples, --batch, --lr and --bins must be positive") }
        guard negatives >= 0, negatives < 1 else { throw ValidationError("--negatives must be in [0, 1)") }
        guard occlusion >= 0, occlusion <= 1 else { throw ValidationError("--occlusion must be in [0, 1]") }
        guard glasses >= 0, glasses <= 1 else { throw ValidationError("--glasses must be in [0, 1]") }
        guard smallestPartNegative > 0, smallestPartNegative <= 0.45 else { throw ValidationError("--smallest-part-negative must be in (0, 0.45]") }
        guard teacherWeight >= 0, teacherWeight <= 1 else { throw ValidationError("--teacher-weight must be in [0, 1]") }
        _ = try sourceRepeats()
    }

    /// `--repeat-source` values as source → count.
    func sourceRepeats() throws -> [String: Int] {
        var out: [String: Int] = [:]
        for item in repeatSource {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let k = Int(parts[1]), k >= 1 else {
                throw ValidationError("--repeat-source '\(item)': expected SOURCE=K with K a whole number ≥ 1")
            }
            guard out[parts[0]] == nil else { throw ValidationError("--repeat-source: '\(parts[0])' given twice") }
            out[parts[0]] = k
        }
        return out
    }

    func run() throws {
        Int8Arithmetic.enabled = false   // validation, and so the chosen checkpoint, must not depend on this CPU
        let dataURL = URL(fileURLWithPath: data)
        let outURL = URL(fileURLWithPath: out)
        let lossValue: LandmarkLoss = switch loss {
        case .wing: .wing(w: w, epsilon: epsilon)
        case .l1: .l1
        case .l2: .l2
        case .smoothL1: .smoothL1
        case .rwing: .rectifiedWing(w: w, epsilon: epsilon, r: r)
        }
        var spec: NetworkSpec = net == .cnn6 ? .cnn6 : .cnn7
        if widthDivisor > 1 {
            spec.name += "/\(widthDivisor)"
            spec.convChannels = spec.convChannels.map { max(1, $0 / widthDivisor) }
            spec.hiddenUnits = max(1, spec.hiddenUnits / widthDivisor)
        }
        var config = TrainingConfig(network: spec, policy: net == .cnn6 ? .stage1 : .stage2, loss: lossValue)
        config.poseBalancing = pdb; config.poseBins = bins; config.sampleBudget = samples; config.batchSize = batch
        config.learningRate = lr; config.warmupSteps = warmup; config.weightDecay = weightDecay; config.gradientClip = clip
        config.negativeFraction = negatives; config.smallestPartNegative = smallestPartNegative == SampleGenerator.defaultSmallestPartNegative ? nil : smallestPartNegative
        config.photometric.occlusion = occlusion; config.photometric.glasses = glasses; config.seed = seed; config.checkpointMinutes = checkpointMinutes; config.threads = threads
        let repeats = try sourceRepeats()
        config.sourceRepeats = repeats.isEmpty ? nil : repeats
        config.distillation = teacher.map { Distillation(teacher: $0, weight: teacherWeight) }

        let t0 = Date()
        let trainSet = try FaceDataset(directory: dataURL, splits: [trainSplit], limit: limit)
        if conventionHeads {
            config.network.conventions = LabellingConvention.ordered(trainSet.records.map(\.source))
            printError("output blocks: \(config.network.conventions.joined(separator: ", "))")
        }
        let valSet = valSplit.isEmpty ? nil : try FaceDataset(directory: dataURL, splits: [valSplit])
        printError(String(format: "loaded %d train and %d val faces in %.1f s", trainSet.count, valSet?.count ?? 0, Date().timeIntervalSince(t0)))
        let command = CommandLine.arguments.dropFirst().joined(separator: " ")
        let trainer = try Trainer(config: config, trainSet: trainSet, valSet: valSet, outDirectory: outURL,
                                  provenance: ["data": dataURL.lastPathComponent, "train_split": trainSplit,
                                               "command": "wingtrack \(command)", "trained_with": "wingtrack train"])
        if let d = config.distillation { printError(String(format: "distilling: targets %.2f × %@'s answers + %.2f × the ground truth", d.weight, d.teacher, 1 - d.weight)) }
        if let pdb = trainer.poseBalancing {
            printError("PDB: component \(pdb.component), yaw correlation \(pdb.yawCorrelation.map { String(format: "%.3f", $0) } ?? "n/a"), bins \(pdb.binCounts) → \(pdb.balancedIndices.count) samples per epoch")
        }
        if let r = config.sourceRepeats {
            printError("repeated sources: \(r.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")) → \(trainer.epochIndices.count) samples per epoch")
        }
        if dumpSamples > 0 {
            try SampleDump.write(trainer.train, count: dumpSamples, seed: seed, to: outURL.appendingPathComponent("samples"))
            return
        }
        if let initFrom {
            try trainer.loadWeights(URL(fileURLWithPath: initFrom))
            printError("initialised from \(initFrom)")
        }
        if resume {
            try trainer.resume()
            printError("resumed at step \(trainer.step)")
        }
        let log = outURL.appendingPathComponent("log.jsonl")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        try trainer.run { p in
            printError(p.line)
            if let d = try? JSONEncoder().encode(p) { try? handle.write(contentsOf: d + Data("\n".utf8)) }
        }
        printError(String(format: "done: %d steps, best val NME %.2f%%, in %@", trainer.step, 100 * trainer.bestValNME, outURL.path))
    }
}
