import Foundation
import FaceGeometry
import WingTrain
import WingTracker

/// CNN-7's view of a dataset's faces through the two-stage pipeline, as at inference: per face and
/// box draw, CNN-6 from the detector-like box (`EvaluationBox`, draws after the first moved by up
/// to ±5 % more), then CNN-7 on the upright crop from CNN-6's landmarks — its last hidden layer, the
/// truth and its output in that crop's pixels. `evaluate --features` writes these rows; `refit`
/// fits output blocks on them.
struct StageTwoRow {
    var face: Int, draw: Int
    /// CNN-7's last hidden layer (the output layer's input).
    var hidden: [Float]
    /// The true points in crop pixels, all x then all y.
    var truth: [Float]
    /// CNN-7's block of the face's convention (as `truth`), then its face logit.
    var output: [Float]

    /// Calls `body` with each face's rows, draw 0 of every face first. `localizer` needs CNN-7;
    /// `answerIn(i)` sets the convention face `i` is answered in.
    static func forEach(_ localizer: Localizer, _ ds: FaceDataset, draws: Int, seed: UInt64, jitter: Float,
                        answerIn: (Int) -> Void, _ body: (StageTwoRow) throws -> Void) rethrows {
        for draw in 0..<draws {
            for i in 0..<ds.count {
                var box = EvaluationBox.detectorLike(ds.records[i].landmarks, seed: seed &+ UInt64(i), jitter: jitter)
                if draw > 0 { box = EvaluationBox.redrawn(box, seed: seed &+ UInt64(draw * 1_000_003 + i)) }
                answerIn(i)
                let row = ds.withImage(i) { image -> StageTwoRow in
                    let (shape, _) = localizer.coarse(image, box: box)
                    let f = localizer.stage2Features(image, from: shape)!
                    let truth = ds.records[i].landmarks.map { f.imageToCrop.apply($0) }
                    return StageTwoRow(face: i, draw: draw, hidden: f.hidden, truth: truth.map(\.x) + truth.map(\.y), output: f.output)
                }
                try body(row)
            }
        }
    }
}
