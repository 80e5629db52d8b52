/// Which of wingtrack's own batch-1 kernels (`CKernels`) run on this CPU: one line for `info --blas`
/// and `bench nn`.
public enum OwnKernels {
    /// Whether this CPU runs them: AVX-512 F/BW/VL/DQ with its register state (`BLAS.cpuSIMDLevel`;
    /// every such CPU also has the F16C conversions the half-float kernel uses).
    public static let supported = BLAS.cpuSIMDLevel & 2 != 0

    /// Whether the half-float weight products and the direct first-layer kernel are on.
    public static var active: Bool { HalfWeightMatrix.enabled && Conv2D.directKernelEnabled }

    public static func explanation() -> String {
        active ? "own batch-1 kernels: AVX-512 (half-float weight products for f16 models, direct 3×3 RGB layers)"
               : "own batch-1 kernels: off (no AVX-512 on this CPU): those layers use SGEMM"
    }
}
