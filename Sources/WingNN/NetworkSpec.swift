/// The architecture of a landmark regressor of the paper's family (CNN-6, CNN-7):
/// blocks of [3×3 conv s1 p1 → ReLU → 2×2 max-pool s2], then FC `hiddenUnits` + ReLU, then FC to
/// `2·landmarkCount` coordinates (all x, then all y, in input pixels) plus one face logit when `faceLogit`.
public struct NetworkSpec: Codable, Equatable, Sendable {
    public var name: String
    /// Square input side in pixels.
    public var inputSize: Int
    public var inputChannels: Int
    /// Output channels of each conv block.
    public var convChannels: [Int]
    public var hiddenUnits: Int
    public var landmarkCount: Int
    public var faceLogit: Bool
    /// Labelling conventions the network answers in, one block of 2L outputs each, in this order
    /// (empty: one block, the conventions of its training data mixed). Files without the key have none.
    public var conventions: [String]

    public init(name: String, inputSize: Int, inputChannels: Int = 3, convChannels: [Int], hiddenUnits: Int,
                landmarkCount: Int = 68, faceLogit: Bool = true, conventions: [String] = []) {
        self.name = name; self.inputSize = inputSize; self.inputChannels = inputChannels
        self.convChannels = convChannels; self.hiddenUnits = hiddenUnits
        self.landmarkCount = landmarkCount; self.faceLogit = faceLogit; self.conventions = conventions
    }

    enum CodingKeys: String, CodingKey { case name, inputSize, inputChannels, convChannels, hiddenUnits, landmarkCount, faceLogit, conventions }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), inputSize: try c.decode(Int.self, forKey: .inputSize),
                  inputChannels: try c.decode(Int.self, forKey: .inputChannels), convChannels: try c.decode([Int].self, forKey: .convChannels),
                  hiddenUnits: try c.decode(Int.self, forKey: .hiddenUnits), landmarkCount: try c.decode(Int.self, forKey: .landmarkCount),
                  faceLogit: try c.decode(Bool.self, forKey: .faceLogit),
                  conventions: try c.decodeIfPresent([String].self, forKey: .conventions) ?? [])
    }

    /// Blocks of 2L landmark outputs (one per convention, at least one).
    public var headCount: Int { max(1, conventions.count) }

    /// CNN-6: 64×64×3, five blocks 32–64–128–256–512 → 2×2×512, FC 1024, FC 2L+1.
    public static let cnn6 = NetworkSpec(name: "cnn6", inputSize: 64, convChannels: [32, 64, 128, 256, 512], hiddenUnits: 1024)
    /// CNN-7: 128×128×3, six blocks 64–64–128–256–512–512 → 2×2×512, FC 1024, FC 2L+1.
    public static let cnn7 = NetworkSpec(name: "cnn7", inputSize: 128, convChannels: [64, 64, 128, 256, 512, 512], hiddenUnits: 1024)

    /// Values the network outputs per sample: 2L coordinates per head (+1 face logit, last).
    public var outputCount: Int { headCount * 2 * landmarkCount + (faceLogit ? 1 : 0) }
    /// Spatial side after the last pooling.
    public var finalSide: Int { convChannels.reduce(inputSize) { side, _ in side / 2 } }
    public var flattenedFeatures: Int { (convChannels.last ?? inputChannels) * finalSide * finalSide }

    /// One line naming the shape, e.g. "cnn7 128×128, conv 64-64-128-256-512-512, FC 1024, 3 blocks".
    public var summary: String {
        "\(name) \(inputSize)×\(inputSize), conv " + convChannels.map(String.init).joined(separator: "-")
            + ", FC \(hiddenUnits), \(headCount) block\(headCount == 1 ? "" : "s")"
    }

    /// Multiply-adds of one forward pass.
    public var multiplyAdds: Int {
        var side = inputSize, cin = inputChannels, total = 0
        for c in convChannels { total += side * side * c * cin * 9; side /= 2; cin = c }
        return total + flattenedFeatures * hiddenUnits + hiddenUnits * outputCount
    }

    /// Builds the network with He-initialised weights from `seed`, or with zero weights when `seed` is
    /// nil (to be filled from a model file: drawing millions of normal samples costs a start-up
    /// its longest part). ReLUs are fused into the conv and FC layers (the same function as
    /// separate `ReLU` layers, one pass less).
    public func build(seed: UInt64? = 1) -> Sequential {
        var rng = seed.map { SeededGenerator(seed: $0) }
        func weights(_ count: Int, fanIn: Int) -> [Float]? {
            guard rng != nil else { return nil }
            return heNormal(count: count, fanIn: fanIn, rng: &rng!)
        }
        var layers: [Layer] = []
        var cin = inputChannels
        for (i, c) in convChannels.enumerated() {
            layers.append(Conv2D(name: "conv\(i + 1)", inChannels: cin, outChannels: c, relu: true, weights: weights(c * cin * 9, fanIn: cin * 9)))
            layers.append(MaxPool2D(name: "pool\(i + 1)"))
            cin = c
        }
        layers.append(Flatten())
        layers.append(Dense(name: "fc1", inFeatures: flattenedFeatures, outFeatures: hiddenUnits, relu: true,
                            weights: weights(hiddenUnits * flattenedFeatures, fanIn: flattenedFeatures)))
        layers.append(Dense(name: "fc2", inFeatures: hiddenUnits, outFeatures: outputCount,
                            weights: weights(outputCount * hiddenUnits, fanIn: hiddenUnits)))
        return Sequential(layers)
    }
}
