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
    /// The first `count` HELEN training faces (300-W style).
    func helenFaces(_ count: Int) throws -> FaceDataset {
        try FaceDataset(directory: requireSharedData().appendingPathComponent("faces68"), splits: ["train"], sources: ["helen_train"], limit: count)
    }

    /// Stage-1 crops with mild perturbation, so that a small network learns in seconds.
    var mildStage1: CropPolicy {
        var policy = CropPolicy.stage1
        policy.rotationDegrees = 0; policy.scaleJitter = 0.03; policy.shiftJitter = 0.03
        return policy
    }

    func testShortTrainingRunLearns() throws {
        let train = try helenFaces(128)
        let spec = NetworkSpec(name: "cnn6/4", inputSize: 64, convChannels: [8, 16, 32, 64, 128], hiddenUnits: 256)
        var config = TrainingConfig(network: spec, policy: mildStage1, loss: .wing(w: 10, epsilon: 2))
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

    /// Convention heads: training on 300-W faces only moves the 300-W block and leaves the other
    /// block exactly as it started (no weight decay here); a one-block model widens into every block.
    func testEachConventionBlockLearnsFromItsOwnSourcesOnly() throws {
        let train = try helenFaces(64)
        var spec = NetworkSpec(name: "cnn6/8", inputSize: 64, convChannels: [4, 8, 16, 32, 64], hiddenUnits: 32)
        let dir = try temporaryDirectory(self)
        // A one-block model to start from.
        let plain = spec.build(seed: 4)
        let start = dir.appendingPathComponent("plain.wtm")
        try ModelFile.save(plain, header: ModelHeader(spec: spec, input: .centeredUnit, meanShape: [Float](repeating: 0, count: 136), provenance: [:]),
                           halfPrecision: false, to: start)
        spec.conventions = ["300-W", "YouTube-Faces"]
        var config = TrainingConfig(network: spec, policy: mildStage1, loss: .wing(w: 10, epsilon: 2))
        config.poseBalancing = false; config.batchSize = 16; config.sampleBudget = 16 * 60
        config.learningRate = 1e-3; config.weightDecay = 0; config.checkpointMinutes = 100; config.threads = 1
        config.negativeFraction = 0.2; config.photometric = .none
        let trainer = try Trainer(config: config, trainSet: train, valSet: train, outDirectory: dir.appendingPathComponent("run"))
        try trainer.loadWeights(start)
        let fc = try XCTUnwrap(trainer.network.layers.last as? Dense), old = try XCTUnwrap(plain.layers.last as? Dense)
        let (C, hidden) = (136, 32)
        XCTAssertEqual(fc.bias.value.count, 2 * C + 1)
        XCTAssertEqual(Array(fc.bias.value[0..<C]), Array(old.bias.value[0..<C]))
        XCTAssertEqual(Array(fc.bias.value[C..<(2 * C)]), Array(old.bias.value[0..<C]))
        XCTAssertEqual(fc.bias.value[2 * C], old.bias.value[C])
        XCTAssertEqual(Array(fc.weight.value[(C * hidden)..<(2 * C * hidden)]), Array(old.weight.value[0..<(C * hidden)]))
        XCTAssertEqual(Array(fc.weight.value[(2 * C * hidden)...]), Array(old.weight.value[(C * hidden)...]))

        let otherBlock = (Array(fc.weight.value[(C * hidden)..<(2 * C * hidden)]), Array(fc.bias.value[C..<(2 * C)]))
        let ownBlock = Array(fc.bias.value[0..<C]), logit = fc.bias.value[2 * C]
        let before = try XCTUnwrap(trainer.validate())
        try trainer.run(reportSeconds: 1000) { _ in }
        XCTAssertEqual(Array(fc.weight.value[(C * hidden)..<(2 * C * hidden)]), otherBlock.0, "the YouTube-Faces block moved")
        XCTAssertEqual(Array(fc.bias.value[C..<(2 * C)]), otherBlock.1, "the YouTube-Faces block moved")
        XCTAssertNotEqual(Array(fc.bias.value[0..<C]), ownBlock, "the 300-W block did not learn")
        XCTAssertNotEqual(fc.bias.value[2 * C], logit, "the face logit did not learn")
        XCTAssertLessThan(try XCTUnwrap(trainer.validate()), before)
    }

    /// Weights of another width are refused, the message naming the file and both shapes.
    func testWeightsOfAnotherWidthAreRefusedByName() throws {
        let train = try helenFaces(8)
        let narrow = NetworkSpec(name: "cnn6/8", inputSize: 64, convChannels: [4, 8, 16, 32, 64], hiddenUnits: 32)
        var wider = narrow; wider.convChannels = [8, 8, 16, 32, 64]
        let dir = try temporaryDirectory(self)
        let file = dir.appendingPathComponent("narrow.wtm")
        try ModelFile.save(narrow.build(seed: 1), header: ModelHeader(spec: narrow, input: .centeredUnit, meanShape: [Float](repeating: 0, count: 136), provenance: [:]),
                           halfPrecision: false, to: file)
        let trainer = try Trainer(config: TrainingConfig(network: wider, policy: mildStage1, loss: .l1), trainSet: train, valSet: nil,
                                  outDirectory: dir.appendingPathComponent("run"))
        XCTAssertThrowsError(try trainer.loadWeights(file)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(file.path), message)
            XCTAssertTrue(message.contains("conv 4-8-16-32-64") && message.contains("conv 8-8-16-32-64"), message)
        }
    }

    /// Distillation: each positive crop's target is (1 − w) × its ground truth + w × the teacher's
    /// answer on that very crop (run here separately from the teacher's file, in the same arithmetic);
    /// negatives keep their zero targets; the crops are the ones an undistilled run draws.
    func testDistilledTargetsBlendTheTeachersAnswers() throws {
        let train = try helenFaces(16)
        var spec = NetworkSpec(name: "cnn6/8", inputSize: 64, convChannels: [4, 8, 16, 32, 64], hiddenUnits: 32)
        let dir = try temporaryDirectory(self)
        var teacherSpec = spec
        teacherSpec.convChannels = [16, 16, 16, 32, 64]
        teacherSpec.conventions = ["300-W", "YouTube-Faces"]
        let teacherFile = dir.appendingPathComponent("teacher.wtm")
        let teacherNet = teacherSpec.build(seed: 8)
        let fc = try XCTUnwrap(teacherNet.layers.last as? Dense)
        for j in 0..<(2 * 136) { fc.bias.value[j] = Float(20 + j % 30) }   // answers near a shape, not near 0
        try ModelFile.save(teacherNet, header: ModelHeader(spec: teacherSpec, input: .centeredUnit, meanShape: [Float](repeating: 0, count: 136), provenance: [:]),
                           halfPrecision: false, to: teacherFile)
        var config = TrainingConfig(network: spec, policy: mildStage1, loss: .wing(w: 10, epsilon: 2))
        config.poseBalancing = false; config.batchSize = 12; config.negativeFraction = 0.3; config.threads = 1
        let plain = try Trainer(config: config, trainSet: train, valSet: nil, outDirectory: dir.appendingPathComponent("plain"))
        config.distillation = Distillation(teacher: teacherFile.path, weight: 0.25)
        let distilled = try Trainer(config: config, trainSet: train, valSet: nil, outDirectory: dir.appendingPathComponent("distilled"))
        let a = plain.makeBatch(3), b = distilled.makeBatch(3)
        XCTAssertEqual(a.inputs.data, b.inputs.data)
        XCTAssertEqual(a.positive, b.positive)
        XCTAssertTrue(a.positive.contains(true) && a.positive.contains(false), "want both kinds in the batch")
        let teacher = try ModelFile.load(teacherFile).network
        teacher.useIntegerArithmetic(Int8Arithmetic.supported)
        let S = 64, plane = 3 * S * S
        for k in 0..<config.batchSize {
            let got = Array(b.targets[(k * 136)..<((k + 1) * 136)]), truth = Array(a.targets[(k * 136)..<((k + 1) * 136)])
            guard a.positive[k] else { XCTAssertEqual(got, truth, "negative \(k)"); continue }
            let out = teacher.predict(Tensor(shape: [1, 3, S, S], data: Array(b.inputs.data[(k * plane)..<((k + 1) * plane)]))).data
            let expected = (0..<136).map { 0.75 * truth[$0] + 0.25 * out[$0] }   // HELEN: the 300-W block, the first
            assertClose(got, expected, rtol: 1e-6, atol: 1e-4, "sample \(k)")
            XCTAssertGreaterThan(zip(got, truth).map { abs($0 - $1) }.max()!, 1, "sample \(k): the teacher changed nothing")
        }
        spec.inputSize = 128
        var wrong = TrainingConfig(network: spec, policy: .stage2, loss: .l1)
        wrong.distillation = Distillation(teacher: teacherFile.path, weight: 0.5)
        XCTAssertThrowsError(try Trainer(config: wrong, trainSet: train, valSet: nil, outDirectory: dir.appendingPathComponent("wrong"))) { error in
            XCTAssertTrue("\(error)".contains(teacherFile.path) && "\(error)".contains("128"), "\(error)")
        }
    }
}
