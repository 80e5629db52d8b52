/// Widening a one-block network into one output block per labelling convention.
extension ModelFile.Loaded {
    /// The same network with one output block per entry of `conventions`, each a copy of this
    /// network's one block (its mirror offset too, if it has one), the face logit after them; every
    /// other layer shares this network's values. Nil when this network already has convention blocks
    /// or `conventions` is empty.
    /// Why: a network trained on every face in one block is the start for per-convention blocks, by
    /// training (`wingtrack train --convention-heads --init-from`) or in closed form (`wingtrack refit
    /// --convention-heads`); docs/experiments.md.
    public func widened(to conventions: [String]) -> ModelFile.Loaded? {
        guard header.spec.conventions.isEmpty, !conventions.isEmpty else { return nil }
        var header = self.header
        header.spec.conventions = conventions
        let spec = header.spec
        let net = spec.build(seed: nil)
        let C = 2 * spec.landmarkCount, H = spec.headCount
        for (dst, src) in zip(net.parameters, network.parameters) {
            guard dst.count != src.count else { dst.value = src.value; continue }
            // The output layer: rows [block 0 …, block H−1, face logit] from [the one block, face logit].
            let per = dst.shape.count == 2 ? dst.shape[1] : 1
            var v = [Float](repeating: 0, count: dst.count)
            for h in 0..<H { v.replaceSubrange((h * C * per)..<((h + 1) * C * per), with: src.value[0..<(C * per)]) }
            if spec.faceLogit { v.replaceSubrange((H * C * per)..<((H * C + 1) * per), with: src.value[(C * per)..<((C + 1) * per)]) }
            dst.value = v
        }
        header.mirrorOffsets = header.mirrorOffsets.map { offsets in [[Float]](repeating: offsets[0], count: H) }
        header.tensors = []   // filled in again when saved
        return ModelFile.Loaded(header: header, network: net)
    }
}
