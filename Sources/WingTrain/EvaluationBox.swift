import FaceGeometry
import WingNN

/// The detector-like boxes `evaluate` and `evaluate-tracking` start from, so every command and run
/// starts each face alike: the landmarks' bounding square moved and rescaled by up to ± `jitter` of
/// its side, drawn from `seed` (commands pass their seed plus the face's index).
public enum EvaluationBox {
    public static func detectorLike(_ landmarks: [Point], seed: UInt64, jitter: Float) -> Box {
        var rng = SeededGenerator(seed: seed)
        let (centre, side, _) = FaceCrop.around(landmarks, boxScale: 1, upright: false)
        let s = side * (1 + jitter * unit(&rng))
        return Box(center: centre + Point(unit(&rng), unit(&rng)) * (jitter * side), side: s)
    }

    /// `box` moved and rescaled by up to ± `jitter` of its side more, drawn from `seed` (more rows
    /// per face for `evaluate --features` and `refit`).
    public static func redrawn(_ box: Box, seed: UInt64, jitter: Float = 0.05) -> Box {
        var rng = SeededGenerator(seed: seed)
        let shift = Point(unit(&rng), unit(&rng)) * (jitter * box.squareSide)
        return Box(center: box.center + shift, side: box.squareSide * (1 + jitter * unit(&rng)))
    }

    private static func unit(_ rng: inout SeededGenerator) -> Float { Float.random(in: -1...1, using: &rng) }
}
