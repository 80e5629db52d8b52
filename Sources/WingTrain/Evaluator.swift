import FaceGeometry
import WingNN

/// Error measurements of networks on a dataset.
public enum Evaluator {
    /// Inter-ocular NME of `network` alone on every face of `generator`'s dataset, from crops with the
    /// generator's box perturbation drawn from `seed` (the same crops on every call), no augmentation.
    /// `heads`: each face's output block (labelling convention); block 0 when nil.
    public static func networkErrors(_ network: Sequential, generator: SampleGenerator, seed: UInt64,
                                     batchSize: Int = 64, perturb: Bool = true, heads: [Int]? = nil) -> [Float] {
        let S = generator.policy.inputSize, n = generator.dataset.count
        var errors: [Float] = []
        errors.reserveCapacity(n)
        var start = 0
        while start < n {
            let cnt = min(batchSize, n - start)
            var inputs = Tensor(zeros: [cnt, 3, S, S])
            var targets: [[Float]] = []
            for b in 0..<cnt {
                var rng = SeededGenerator(seed: seed &+ UInt64(start + b))
                let s = generator.sample(start + b, rng: &rng, augment: false, perturb: perturb)
                inputs.data.replaceSubrange((b * 3 * S * S)..<((b + 1) * 3 * S * S), with: s.input)
                targets.append(s.target)
            }
            let out = network.forward(inputs)
            let D = out.itemCount
            for b in 0..<cnt {
                let base = b * D + 136 * (heads?[start + b] ?? 0)
                let o = Array(out.data[base..<(base + 136)])
                errors.append(Metrics.nmeInterOcular(points(o), points(targets[b])))
            }
            start += cnt
        }
        return errors
    }

    /// All-x-then-all-y values as points.
    public static func points(_ v: [Float]) -> [Point] {
        let L = v.count / 2
        return (0..<L).map { Point(v[$0], v[L + $0]) }
    }
}
