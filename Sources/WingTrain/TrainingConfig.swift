import WingNN

/// Everything that defines a training run; stored in the run folder and in the model's provenance.
public struct TrainingConfig: Codable, Equatable, Sendable {
    public var network: NetworkSpec
    public var policy: CropPolicy
    public var loss: LandmarkLoss
    public var poseBalancing = true
    public var poseBins = 9
    public var batchSize = 64
    /// Samples to train on in total (the budget); the cosine schedule spans it.
    public var sampleBudget = 600_000
    public var learningRate: Float = 1e-2
    public var warmupSteps = 0
    public var momentum: Float = 0.9
    public var weightDecay: Float = 5e-4
    /// Global gradient-norm cap (0 = none).
    public var gradientClip: Float = 20
    /// Weight of the face-logit cross-entropy.
    public var faceWeight: Float = 1
    public var negativeFraction: Float = 0.1
    /// Smallest side of the part-of-the-face negatives (fraction of the face side); nil =
    /// `SampleGenerator.defaultSmallestPartNegative`, so that older configs read and compare alike.
    public var smallestPartNegative: Float?
    /// Faces of these sources appear this many times per epoch (after pose balancing), each time
    /// with its own augmentation draw; nil or a missing source means once.
    public var sourceRepeats: [String: Int]?
    /// Targets blended with a teacher network's answers (nil: the ground truth alone).
    public var distillation: Distillation?
    public var seed: UInt64 = 1
    public var checkpointMinutes: Double = 3
    public var photometric = Photometric()
    public var flip = true
    /// Threads (0 = all cores): each batch is cut into that many shards, one per thread (`DataParallel`).
    public var threads = 0

    public init(network: NetworkSpec, policy: CropPolicy, loss: LandmarkLoss) {
        self.network = network; self.policy = policy; self.loss = loss
    }

    public var totalSteps: Int { (sampleBudget + batchSize - 1) / batchSize }
}
