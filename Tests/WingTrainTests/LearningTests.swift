import Foundation
import XCTest
import TestSupport
import FaceGeometry
import WingNN
@testable import WingTrain

/// A real learning check: a few hundred steps of a narrow CNN-6 on a small subset of faces68 lower
/// the training loss and the NME measurably. (Escaping the mean shape on the full task takes a
/// full-width network a few thousand samples; here the task is kept small enough for seconds:
/// 128 faces, mild perturbation, measured on the same faces.)
final class LearningTests: XCTestCase {
    func testShortTrainingRunLearns() throws {
        let data = try requireSharedData().appendingPathComponent("faces68")
        let train = try FaceDataset(directory: data, splits: ["train"], sources: ["helen_train"], limit: 128)
        let spec = NetworkSpec(name: "cnn6/4", inputSize: 64, convChannels: [8, 16, 32, 64, 128], hiddenUnits: 256)
        var policy = CropPolicy.stage1
        policy.rotationDegrees = 0; policy.scaleJitter = 0.03; policy.shiftJitter = 0.03
        var config = TrainingConfig(network: spec, policy: policy, loss: .wing(w: 10, epsilon: 2))
        config.poseBalancing = false
        config.batchSize = 32
        config.sampleBudget = 32 * 400
        config.learningRate = 1e-2
        config.checkpointMinutes = 100
        config.threads = 1
        config.gradientClip = 0
        config.learningRate = 1e-3
        config.negativeFraction = 0
        config.photometric = .none
        let trainer = try Trainer(config: config, trainSet: train, valSet: train, outDirectory: try temporaryDirectory(self))
        let before = try XCTUnwrap(trainer.validate())
        var losses: [Float] = []
        try trainer.run(reportSeconds: 0) { losses.append($0.loss) }
        let after = try XCTUnwrap(trainer.validate())
        print(String(format: "short run: val NME %.2f%% → %.2f%%, loss %.0f → %.0f", 100 * before, 100 * after, losses.first ?? 0, losses.last ?? 0))
        XCTAssertLessThan(after, before * 0.8, "validation NME did not drop by 20 %")
        XCTAssertLessThan(Metrics.mean(Array(losses.suffix(20))), Metrics.mean(Array(losses.prefix(20))) * 0.8)
    }
}
