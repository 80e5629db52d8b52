import Foundation
import FaceGeometry
import WingNN

/// One line of training progress.
public struct TrainingProgress: Codable, Sendable {
    public var step: Int
    public var epoch: Int
    public var samplesSeen: Int
    public var samplesPerSecond: Double
    public var loss: Float
    public var faceLoss: Float
    /// Mean global gradient norm (before capping) since the last report.
    public var gradientNorm: Float
    public var learningRate: Float
    public var valNME: Float?
    public var bestValNME: Float?
    public var elapsedSeconds: Double
    public var etaSeconds: Double

    public var line: String {
        var s = String(format: "epoch %d  step %d  %.1fk samples  %.0f samples/s  loss %.3f (face %.3f)  |g| %.0f  lr %.5f",
                       epoch, step, Double(samplesSeen) / 1000, samplesPerSecond, loss, faceLoss, gradientNorm, learningRate)
        if let v = valNME { s += String(format: "  val NME %.2f%%", 100 * v) }
        if let b = bestValNME { s += String(format: " (best %.2f%%)", 100 * b) }
        s += String(format: "  ETA %.0fm", etaSeconds / 60)
        return s
    }
}

/// Trains one landmark network on a `FaceDataset`: mini-batch SGD (Nesterov) with a cosine schedule,
/// weight decay, gradient-norm capping, the output bias started at the mean shape, validation each
/// epoch, best-model keeping and periodic checkpoints (`best.wtm`, `last.wtm` + `last.state`).
public final class Trainer {
    public let config: TrainingConfig
    public let network: Sequential
    public let train: SampleGenerator
    public let validation: SampleGenerator?
    public let outDirectory: URL
    /// Order of training faces for one epoch (PDB-balanced when enabled, then with the repeated
    /// sources of `config.sourceRepeats` listed that many times).
    public let epochIndices: [Int]
    public private(set) var poseBalancing: PoseBalancing?
    public private(set) var meanShape: [Float] = []
    public private(set) var step = 0
    public private(set) var bestValNME: Float = .infinity
    private let optimizer: SGD
    private var provenance: [String: String]
    /// Output block (labelling convention) of each training and validation face.
    private let headOfFace: [Int]
    private let valHeads: [Int]?
    /// Answers positive crops when `config.distillation` is set (used on the batch thread only).
    private let teacher: Teacher?

    /// Each face's output block: the index of its source's convention in `spec.conventions` (0 for a
    /// network without conventions). Throws for a source whose convention has no block.
    static func heads(of ds: FaceDataset, spec: NetworkSpec) throws -> [Int] {
        try ds.records.map { r in
            guard let k = LabellingConvention.block(of: r.source, in: spec) else {
                throw DatasetError(message: "source '\(r.source)' (convention \(LabellingConvention.of(source: r.source))) has no output block among \(spec.conventions)")
            }
            return k
        }
    }

    public init(config: TrainingConfig, trainSet: FaceDataset, valSet: FaceDataset?, outDirectory: URL,
                provenance: [String: String] = [:]) throws {
        self.config = config
        self.outDirectory = outDirectory
        self.provenance = provenance
        network = config.network.build(seed: config.seed)
        headOfFace = try Trainer.heads(of: trainSet, spec: config.network)
        valHeads = try valSet.map { try Trainer.heads(of: $0, spec: config.network) }
        var gen = SampleGenerator(dataset: trainSet, policy: config.policy)
        gen.photometric = config.photometric
        gen.flip = config.flip
        gen.negativeFraction = config.negativeFraction
        gen.smallestPartNegative = config.smallestPartNegative ?? gen.smallestPartNegative
        train = gen
        validation = valSet.map { SampleGenerator(dataset: $0, policy: config.policy) }
        teacher = try config.distillation.map { try Teacher($0, dataset: trainSet, policy: config.policy, normalization: gen.normalization) }
        var balanced = Array(0..<trainSet.count)
        if config.poseBalancing {
            let pdb = PoseBalancing(shapes: trainSet.records.map(\.landmarks), yaw: trainSet.records.map(\.yawDegrees),
                                    bins: config.poseBins)
            poseBalancing = pdb
            balanced = pdb.balancedIndices
        }
        epochIndices = try Trainer.repeated(balanced, sources: trainSet.records.map(\.source), repeats: config.sourceRepeats ?? [:])
        optimizer = SGD(network.parameters, momentum: config.momentum, nesterov: true, weightDecay: config.weightDecay)
        try FileManager.default.createDirectory(at: outDirectory, withIntermediateDirectories: true)
        initialiseOutputBias()
    }

    /// `indices` with every face of a source in `repeats` listed that many times in all (K ≥ 1).
    /// Throws for a source that no face has or a count below 1, so a typo cannot pass unnoticed.
    static func repeated(_ indices: [Int], sources: [String], repeats: [String: Int]) throws -> [Int] {
        let known = Set(sources)
        for (source, k) in repeats.sorted(by: { $0.key < $1.key }) {
            guard known.contains(source) else {
                throw DatasetError(message: "source '\(source)' to repeat has no training faces (sources: \(known.sorted().joined(separator: ", ")))")
            }
            guard k >= 1 else { throw DatasetError(message: "source '\(source)': repeat count \(k) must be at least 1") }
        }
        guard !repeats.isEmpty else { return indices }
        return indices.flatMap { i in Array(repeating: i, count: repeats[sources[i]] ?? 1) }
    }

    /// Mean target of nominal crops, in input pixels: the starting bias of the coordinate outputs.
    private func initialiseOutputBias() {
        var rng = SeededGenerator(seed: config.seed ^ 0xB1A5)
        var acc = [Double](repeating: 0, count: 136)
        let n = min(train.dataset.count, 2000)
        for i in 0..<n {
            let s = train.sample(i * train.dataset.count / n, rng: &rng, augment: false, perturb: false)
            for j in 0..<136 { acc[j] += Double(s.target[j]) }
        }
        meanShape = acc.map { Float($0 / Double(n)) }
        guard let fc = network.layers.last as? Dense else { return }
        for h in 0..<config.network.headCount { for j in 0..<136 { fc.bias.value[h * 136 + j] = meanShape[j] } }
    }

    var schedule: LearningRateSchedule {
        LearningRateSchedule(base: config.learningRate, shape: .cosine(totalSteps: config.totalSteps, minimum: config.learningRate * 0.01),
                             warmupSteps: config.warmupSteps)
    }

    /// The k-th training batch: crops of the epoch's faces (a fresh permutation per epoch), negatives
    /// among them, targets from the ground truth (blended with the teacher's answers when distilling).
    func makeBatch(_ k: Int) -> Batch {
        let B = config.batchSize, S = config.policy.inputSize
        var rng = SeededGenerator(seed: config.seed &* 1_000_003 &+ UInt64(k))
        var inputs = Tensor(zeros: [B, 3, S, S])
        var targets = [Float](repeating: 0, count: B * 136)
        var positive = [Bool](repeating: true, count: B)
        var heads = [Int](repeating: 0, count: B)
        let perEpoch = epochIndices.count
        for b in 0..<B {
            let flat = k * B + b
            // A fresh permutation per epoch: deterministic from (seed, epoch).
            let epoch = flat / perEpoch
            let pos = flat % perEpoch
            let idx = epochIndices[Trainer.permuted(pos, count: perEpoch, seed: config.seed &+ UInt64(epoch))]
            let neg = Float.random(in: 0..<1, using: &rng) < config.negativeFraction
            let s = train.sample(idx, rng: &rng, negative: neg)
            inputs.data.replaceSubrange((b * 3 * S * S)..<((b + 1) * 3 * S * S), with: s.input)
            let target = if let teacher, s.positive { teacher.target(groundTruth: s.target, input: s.input, face: idx) } else { s.target }
            targets.replaceSubrange((b * 136)..<((b + 1) * 136), with: target)
            positive[b] = s.positive
            heads[b] = headOfFace[idx]
        }
        return Batch(inputs: inputs, targets: targets, positive: positive, heads: heads)
    }

    /// Position `i` of a pseudo-random permutation of 0..<count (a bijection: affine map modulo count
    /// with a multiplier coprime to count).
    static func permuted(_ i: Int, count: Int, seed: UInt64) -> Int {
        var rng = SeededGenerator(seed: seed)
        var a = Int(rng.next() % UInt64(count)) | 1
        while gcd(a, count) != 1 { a += 2 }
        let b = Int(rng.next() % UInt64(count))
        return (a * i + b) % count
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    /// Mean inter-ocular NME of the network on the validation set (fixed perturbations, no augmentation).
    public func validate() -> Float? {
        guard let validation else { return nil }
        let errors = Evaluator.networkErrors(network, generator: validation, seed: 7, heads: valHeads)
        return Metrics.mean(errors)
    }

    /// Runs until the sample budget is spent. `report` receives a progress line every `reportSeconds`
    /// and after each validation.
    public func run(reportSeconds: Double = 15, report: (TrainingProgress) -> Void) throws {
        // One shard of each batch per thread, each with single-threaded BLAS (`DataParallel`).
        let threads = config.threads > 0 ? config.threads : ProcessInfo.processInfo.activeProcessorCount
        BLAS.threads = 1
        let parallel = DataParallel(network: network, replicas: (1..<max(1, threads)).map { _ in config.network.build(seed: nil) })
        let startStep = step
        let queue = BatchQueue { k in self.makeBatch(startStep + k) }
        defer { queue.stop() }
        let start = Date()
        var lastReport = start, lastCheckpoint = start
        var lossAcc: Double = 0, faceAcc: Double = 0, normAcc: Double = 0, lossN = 0
        var samplesSinceReport = 0
        let stepsPerEpoch = max(1, epochIndices.count / config.batchSize)
        while step < config.totalSteps {
            let batch = queue.next()
            parallel.zeroGrad()
            let out = parallel.forward(batch.inputs)
            let r = landmarkObjective(outputs: out, targets: batch.targets, positive: batch.positive,
                                      head: config.network.conventions.isEmpty ? nil : batch.heads,
                                      loss: config.loss, faceWeight: config.faceWeight)
            guard r.total.isFinite else {
                throw DatasetError(message: "training diverged at step \(step) (loss \(r.total)); lower --lr or raise --clip")
            }
            parallel.backward(r.gradient)
            normAcc += Double(clipGradientNorm(network.parameters, maxNorm: config.gradientClip > 0 ? config.gradientClip : .infinity))
            optimizer.step(lr: schedule.rate(at: step))
            parallel.syncReplicas()
            step += 1
            lossAcc += Double(r.landmarkLoss); faceAcc += Double(r.faceLoss); lossN += 1
            samplesSinceReport += config.batchSize
            let now = Date()
            let endOfEpoch = step % stepsPerEpoch == 0 || step == config.totalSteps
            var val: Float? = nil
            if endOfEpoch {
                val = validate()
                if let v = val, v < bestValNME {
                    bestValNME = v
                    try save(name: "best.wtm", half: false, extra: ["val_nme_io": String(format: "%.5f", v)])
                }
            }
            if endOfEpoch || now.timeIntervalSince(lastReport) >= reportSeconds {
                let elapsed = now.timeIntervalSince(start)
                let rate = Double(samplesSinceReport) / max(1e-9, now.timeIntervalSince(lastReport))
                let remaining = Double((config.totalSteps - step) * config.batchSize) / max(rate, 1e-9)
                report(TrainingProgress(step: step, epoch: step / stepsPerEpoch, samplesSeen: step * config.batchSize,
                                        samplesPerSecond: rate, loss: Float(lossAcc / Double(max(1, lossN))),
                                        faceLoss: Float(faceAcc / Double(max(1, lossN))),
                                        gradientNorm: Float(normAcc / Double(max(1, lossN))), learningRate: schedule.rate(at: step),
                                        valNME: val, bestValNME: bestValNME.isFinite ? bestValNME : nil,
                                        elapsedSeconds: elapsed, etaSeconds: remaining))
                lastReport = now; lossAcc = 0; faceAcc = 0; normAcc = 0; lossN = 0; samplesSinceReport = 0
            }
            if now.timeIntervalSince(lastCheckpoint) >= config.checkpointMinutes * 60 || step == config.totalSteps {
                try checkpoint()
                lastCheckpoint = now
            }
        }
    }

    /// The header stored with this run's weights.
    public func header(extra: [String: String] = [:]) -> ModelHeader {
        var p = provenance
        p["loss"] = config.loss.description
        p["pose_balancing"] = config.poseBalancing ? "K=\(config.poseBins)" : "off"
        p["samples_seen"] = String(step * config.batchSize)
        p["steps"] = String(step)
        p["policy"] = String(data: (try? JSONEncoder().encode(config.policy)) ?? Data(), encoding: .utf8)
        for (k, v) in extra { p[k] = v }
        return ModelHeader(spec: config.network, input: train.normalization, meanShape: meanShape, provenance: p)
    }

    func save(name: String, half: Bool, extra: [String: String] = [:]) throws {
        try ModelFile.save(network, header: header(extra: extra), halfPrecision: half, to: outDirectory.appendingPathComponent(name))
    }

    /// Writes `last.wtm`, `last.velocity` (optimiser state, binary) and `last.state` (step, best NME, config).
    public func checkpoint() throws {
        try save(name: "last.wtm", half: false)
        try TensorBlob.write(optimizer.velocity, to: outDirectory.appendingPathComponent("last.velocity"))
        let state = TrainerState(step: step, bestValNME: bestValNME.isFinite ? bestValNME : nil, config: config)
        let data = try JSONEncoder().encode(state)
        let url = outDirectory.appendingPathComponent("last.state")
        let tmp = outDirectory.appendingPathComponent(".last.state.tmp")
        try data.write(to: tmp)
        guard rename(tmp.path, url.path) == 0 else { throw DatasetError(message: "\(url.path): cannot write the training state") }
    }

    /// Starts from the weights in `url`, a model file of the same architecture. A network without conventions may start a run with them:
    /// every block of the output layer then starts as its one block (the face logit is kept). A wider
    /// network of the same depth may start a narrower run: it is cut down by `ModelFile.Loaded.narrowed(to:)`.
    public func loadWeights(_ url: URL) throws {
        var loaded = try ModelFile.load(url)
        if loaded.header.spec.conventions != config.network.conventions, let blocks = loaded.widened(to: config.network.conventions) { loaded = blocks }
        if loaded.header.spec != config.network, let narrow = loaded.narrowed(to: config.network) { loaded = narrow }
        guard loaded.header.spec == config.network else {
            throw DatasetError(message: "\(url.path): architecture (\(loaded.header.spec.summary)) differs from this run's (\(config.network.summary))")
        }
        for (dst, src) in zip(network.parameters, loaded.network.parameters) { dst.value = src.value }
    }

    /// Continues from `last.wtm` + `last.state` in the run folder.
    public func resume() throws {
        let loaded = try ModelFile.load(outDirectory.appendingPathComponent("last.wtm"))
        guard loaded.header.spec == config.network else {
            throw DatasetError(message: "\(outDirectory.path)/last.wtm: architecture (\(loaded.header.spec.summary)) differs from this run's (\(config.network.summary))")
        }
        for (dst, src) in zip(network.parameters, loaded.network.parameters) { dst.value = src.value }
        let stateURL = outDirectory.appendingPathComponent("last.state")
        guard let data = FileManager.default.contents(atPath: stateURL.path),
              let state = try? JSONDecoder().decode(TrainerState.self, from: data) else {
            throw DatasetError(message: "\(stateURL.path): missing or unreadable training state")
        }
        let velocity = try TensorBlob.read(outDirectory.appendingPathComponent("last.velocity"),
                                           counts: network.parameters.map(\.count))
        optimizer.restore(velocity: velocity)
        step = state.step
        bestValNME = state.bestValNME ?? .infinity
        meanShape = loaded.header.meanShape
    }
}

/// What `--resume` needs besides the weights.
struct TrainerState: Codable {
    var step: Int
    var bestValNME: Float?
    var config: TrainingConfig
}
