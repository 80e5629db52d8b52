internal import CKernels

/// A layer's weight matrix `[rows, K]` kept as half floats for batch-1 products, when every weight
/// is exactly a half float (the shipped models are stored f16, so theirs are): the products then use
/// the layer's own weights, read from half the memory, and sum in f32 like SGEMM (in another order).
///
/// At batch 1 the small-spatial convolutions and the dense layers are bound by streaming their
/// weights, which OpenBLAS also copies into its packed layout on every call; this matrix is packed
/// once, when the weights change (`Parameter.version`). Needs AVX-512 or AVX2/FMA/F16C
/// (`OwnKernels.supported`); elsewhere, and for weights that are not all half floats (training), the
/// layers use SGEMM.
final class HalfWeightMatrix {
    /// Off: every layer uses SGEMM (for measuring one against the other).
    nonisolated(unsafe) static var enabled = OwnKernels.instructionSet != nil

    let rows: Int, columns: Int
    private var packed: [UInt16]

    /// The packed copy of `weights` (row-major `[rows, columns]`), or nil when it cannot be used:
    /// the kernel is off or unsupported, or some weight is not exactly a half float.
    init?(_ weights: [Float], rows: Int, columns: Int) {
        guard HalfWeightMatrix.enabled, weights.count == rows * columns else { return nil }
        self.rows = rows; self.columns = columns
        packed = [UInt16](repeating: 0, count: Int(wt_half_packed_count(Int32(rows), Int32(columns))))
        let exact = weights.withUnsafeBufferPointer { w in
            packed.withUnsafeMutableBufferPointer { wt_half_pack(w.baseAddress!, Int32(rows), Int32(columns), $0.baseAddress!) }
        }
        guard exact != 0 else { return nil }
    }

    /// c[r, j] = Σ_i W[r, i] · b[i, j] for rows `rs` and j < n; b is `[columns, n]` row-major, row r
    /// of c starts at `c + r·ldc`. Bit-identical whatever `rs` (halves on two threads included).
    func multiply(rows rs: Range<Int>, b: UnsafePointer<Float>, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(rs.lowerBound >= 0 && rs.upperBound <= rows && n >= 1)
        packed.withUnsafeBufferPointer {
            let (w, m, k, r0, r1) = ($0.baseAddress!, Int32(rows), Int32(columns), Int32(rs.lowerBound), Int32(rs.upperBound))
            switch OwnKernels.instructionSet {
            case .avx512: wt_half_gemm_avx512(w, m, k, r0, r1, b, Int32(n), c, Int32(ldc))
            case .avx2: wt_half_gemm_avx2(w, m, k, r0, r1, b, Int32(n), c, Int32(ldc))
            case nil: preconditionFailure("HalfWeightMatrix: no instruction set for the kernel")
            }
        }
    }
}

/// A `HalfWeightMatrix` of a parameter, rebuilt when the parameter changes (or `enabled` does).
struct HalfWeightCache {
    private var matrix: HalfWeightMatrix?
    private var builtFor: (version: Int, enabled: Bool)?

    /// The parameter's matrix `[rows, columns]` in half floats, or nil (see `HalfWeightMatrix.init`).
    mutating func matrix(of p: Parameter, rows: Int, columns: Int) -> HalfWeightMatrix? {
        if builtFor?.version != p.version || builtFor?.enabled != HalfWeightMatrix.enabled {
            matrix = HalfWeightMatrix(p.value, rows: rows, columns: columns)
            builtFor = (p.version, HalfWeightMatrix.enabled)
        }
        return matrix
    }
}
