import Foundation
import WingNN

/// Distillation settings: a trained network whose answers become part of the targets.
public struct Distillation: Codable, Equatable, Sendable {
    /// Path of the teacher's model file.
    public var teacher: String
    /// Share of the teacher's answer in each face's target (0…1); the rest is the ground truth.
    public var weight: Float

    public init(teacher: String, weight: Float) { self.teacher = teacher; self.weight = weight }
}

/// A trained network that answers every positive training crop; its answer, blended with the ground
/// truth, is the crop's target. Why: a narrower network learns the answers of a steadier, wider one
/// (docs/experiments.md, "Schedule 24"). The teacher runs in the product's arithmetic (8-bit integers
/// where the CPU has them), at batch 1 on the thread that prepares batches. Not thread-safe.
struct Teacher {
    let model: ModelFile.Loaded
    let weight: Float
    /// The teacher's output block for each training face (its source's labelling convention).
    let blockOfFace: [Int]

    /// Loads the teacher and checks that it answers the crops `policy` cuts, normalised as
    /// `normalization`, for every source of `dataset`. Throws a message naming the file otherwise.
    init(_ settings: Distillation, dataset: FaceDataset, policy: CropPolicy, normalization: InputNormalization) throws {
        let url = URL(fileURLWithPath: settings.teacher)
        guard settings.weight >= 0, settings.weight <= 1 else {
            throw DatasetError(message: "\(url.path): teacher weight \(settings.weight) must be in [0, 1]")
        }
        model = try ModelFile.load(url)
        let spec = model.header.spec
        guard spec.inputSize == policy.inputSize, spec.landmarkCount == 68 else {
            throw DatasetError(message: "\(url.path): a teacher must take \(policy.inputSize)-pixel crops and give 68 points; it is \(spec.summary)")
        }
        guard model.header.input == normalization else {
            throw DatasetError(message: "\(url.path): the teacher's input normalisation differs from this run's")
        }
        do { blockOfFace = try Trainer.heads(of: dataset, spec: spec) }
        catch { throw DatasetError(message: "\(url.path): the teacher: \(error)") }
        weight = settings.weight
        model.network.useIntegerArithmetic(Int8Arithmetic.supported)
    }

    /// `groundTruth` (2·68 values, all x then all y, in input pixels) blended with the teacher's answer
    /// on `input` (`[3, S, S]`, normalised) in face `face`'s block.
    func target(groundTruth: [Float], input: [Float], face: Int) -> [Float] {
        let S = model.header.spec.inputSize
        let out = model.network.predict(Tensor(shape: [1, 3, S, S], data: input)).data
        let b = blockOfFace[face] * 136
        return (0..<136).map { j in (1 - weight) * groundTruth[j] + weight * out[b + j] }
    }
}
