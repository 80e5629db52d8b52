internal import CKernels

extension Dense {
    /// Most inputs of an 8-bit product: no 32-bit sum can overflow (255 · 127 · 65,536 < 2³¹).
    static let int8MaxInputs = 65_536

    /// Inference of one input `[1, in]` (what `Sequential.predict` calls): with `integerArithmetic` (by
    /// default `Int8Arithmetic.enabled`) the product is computed in 8-bit integers (`wt_int8_dense`: the
    /// input quantised to bytes over its range including 0, the weights per output row, sums exact),
    /// its halves by output rows on `split`;
    /// then the bias and the ReLU as `forward` adds them. Otherwise, or for an input that is not finite,
    /// it is `forward`. Keeps nothing for `backward`.
    public func predict(_ x: Tensor) -> Tensor {
        guard x.shape == [1, inFeatures], Int8Arithmetic.supported, integerArithmetic ?? Int8Arithmetic.enabled, inFeatures <= Dense.int8MaxInputs else { return forward(x) }
        let dwords = Int(wt_int8_dense_input_dwords(Int32(inFeatures)))
        if int8Input.count != dwords { int8Input = [UInt32](repeating: 0, count: dwords) }
        var scale: Float = 0, zero: Int32 = 0
        let quantised = x.data.withUnsafeBufferPointer { xp in
            int8Input.withUnsafeMutableBufferPointer { wt_int8_dense_quantise(xp.baseAddress!, Int32(inFeatures), $0.baseAddress!, &scale, &zero) }
        }
        guard quantised != 0 else { return forward(x) }
        int8Weights.update(weight, .dense, rows: outFeatures, columns: inFeatures)
        var y = Tensor(zeros: [1, outFeatures])
        let (rows, k) = (Int32(outFeatures), Int32(inFeatures))
        // Halves on whole blocks of 16 rows.
        let mid = Int32((outFeatures / 2 + 15) / 16 * 16)
        y.data.withUnsafeMutableBufferPointer { yp in
        int8Input.withUnsafeBufferPointer { qp in
        int8Weights.packed.withUnsafeBufferPointer { wp in
        int8Weights.scales.withUnsafeBufferPointer { sp in
        int8Weights.weightSums.withUnsafeBufferPointer { wsp in
            let (q, w, s, ws, out) = (qp.baseAddress!, wp.baseAddress!, sp.baseAddress!, wsp.baseAddress!, yp.baseAddress!)
            split.run({ wt_int8_dense(q, k, w, s, ws, rows, scale, zero, 0, min(mid, rows), out) },
                      { if mid < rows { wt_int8_dense(q, k, w, s, ws, rows, scale, zero, mid, rows, out) } })
            addBiasAndActivation(yp, batch: 1)
        }}}}}
        return y
    }
}
