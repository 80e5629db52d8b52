import Foundation
import FaceGeometry
import WingTrain
import WingTracker

/// One network's view of a dataset's faces inside the two-stage pipeline, as at inference: per face
/// and box draw, the detector-like box (`EvaluationBox`; draws after the first move it by up to ±5 %
/// more) → stage 1: CNN-6 on its crop; stage 2: CNN-6, then CNN-7 on the upright crop from CNN-6's
/// landmarks. A row holds the network's last hidden layer, the truth and its output in that crop's
/// pixels. `evaluate --features` writes stage-2 rows; `refit` fits output blocks on them.
struct PipelineRow {
    var face: Int, draw: Int
    /// The network's last hidden layer (the output layer's input).
    var hidden: [Float]
    /// The true points in crop pixels, all x then all y.
    var truth: [Float]
    /// The network's block of the face's convention (as `truth`), then its face logit.
    var output: [Float]
    /// With `mirrored` (stage 2): the same block's answer for the crop mirrored, mirrored back (as `truth`).
    var mirroredOutput: [Float]?

    /// Calls `body` with each face's rows, draw 0 of every face first. Stage 2 needs CNN-7 in
    /// `localizer`; `answerIn(i)` sets the convention face `i` is answered in.
    static func forEach(_ localizer: Localizer, stage: Int, _ ds: FaceDataset, draws: Int, seed: UInt64, jitter: Float,
                        mirrored: Bool = false, answerIn: (Int) -> Void, _ body: (PipelineRow) throws -> Void) rethrows {
        precondition(stage == 1 || localizer.stage2 != nil, "stage-2 rows need CNN-7")
        for draw in 0..<draws {
            for i in 0..<ds.count {
                var box = EvaluationBox.detectorLike(ds.records[i].landmarks, seed: seed &+ UInt64(i), jitter: jitter)
                if draw > 0 { box = EvaluationBox.redrawn(box, seed: seed &+ UInt64(draw * 1_000_003 + i)) }
                answerIn(i)
                let row = ds.withImage(i) { image -> PipelineRow in
                    let f = stage == 1 ? localizer.stage1Features(image, box: box)
                                       : localizer.stage2Features(image, from: localizer.coarse(image, box: box).0, mirrored: mirrored)!
                    let truth = ds.records[i].landmarks.map { f.imageToCrop.apply($0) }
                    return PipelineRow(face: i, draw: draw, hidden: f.hidden, truth: truth.map(\.x) + truth.map(\.y), output: f.output,
                                       mirroredOutput: f.mirroredOutput)
                }
                try body(row)
            }
        }
    }
}
