extension ModelFile.Loaded {
    /// This network cut down to the narrower `spec` (same depth, input, landmarks and output blocks;
    /// each conv block and the hidden layer no wider than here), or nil if `spec` is not such a shape.
    ///
    /// Each layer keeps the units whose incoming weights have the largest L1 norm (filter pruning,
    /// Li et al. 2017, "Pruning Filters for Efficient ConvNets"), in their original order, and the
    /// next layer keeps only the inputs that come from them (for the first dense layer: every
    /// position of a kept channel). The output layer keeps every output. The result is a damaged
    /// copy, a start for training against the wide network's answers (`wingtrack train --init-from
    /// WIDE --width-divisor 2 --teacher WIDE`), not a network to ship as it is.
    public func narrowed(to spec: NetworkSpec) -> ModelFile.Loaded? {
        let wide = header.spec
        guard spec != wide, spec.inputSize == wide.inputSize, spec.inputChannels == wide.inputChannels,
              spec.landmarkCount == wide.landmarkCount, spec.faceLogit == wide.faceLogit,
              spec.conventions == wide.conventions, spec.convChannels.count == wide.convChannels.count,
              spec.hiddenUnits <= wide.hiddenUnits, zip(spec.convChannels, wide.convChannels).allSatisfy({ $0 <= $1 })
        else { return nil }
        let narrow = spec.build(seed: nil)
        let src = network.parameters, dst = narrow.parameters
        // Parameters come in (weight, bias) pairs: each conv layer, then fc1, then fc2.
        var keptInputs = Array(0..<wide.inputChannels)   // input channels of the current layer that survive
        let widths = wide.convChannels + [wide.hiddenUnits, wide.outputCount]
        let targets = spec.convChannels + [spec.hiddenUnits, spec.outputCount]
        for layer in 0..<widths.count {
            let weight = src[2 * layer], bias = src[2 * layer + 1]
            let outs = widths[layer], perOut = weight.count / outs
            // Columns of one output's weight row that survive: a conv's are input channel × k×k, the first
            // dense layer's are channel × position of the final map, fc2's are hidden units (span 1).
            let span = perOut / (layer == 0 ? wide.inputChannels : widths[layer - 1])
            let columns = keptInputs.flatMap { c in (c * span)..<((c + 1) * span) }
            let kept: [Int]
            if targets[layer] == outs {
                kept = Array(0..<outs)
            } else {
                let norms = (0..<outs).map { o in (0..<perOut).reduce(Float(0)) { $0 + abs(weight.value[o * perOut + $1]) } }
                kept = (0..<outs).sorted { norms[$0] > norms[$1] }.prefix(targets[layer]).sorted()
            }
            dst[2 * layer].value = kept.flatMap { o in columns.map { weight.value[o * perOut + $0] } }
            dst[2 * layer + 1].value = kept.map { bias.value[$0] }
            keptInputs = kept
        }
        var header = self.header
        header.spec = spec
        header.tensors = []   // filled in again when saved
        return ModelFile.Loaded(header: header, network: narrow)
    }
}
