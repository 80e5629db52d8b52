internal import COpenBLAS

/// The only door to OpenBLAS. Row-major SGEMM / SGEMV (and DGEMM) and the library's runtime settings.
public enum BLAS {
    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, all row-major.
    @inline(__always)
    static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                      alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int,
                      beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The float64 twin of `sgemm`, for closed-form fits (`RidgeProblem`).
    @inline(__always)
    static func dgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                      a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                      beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y[m] = alpha · A[m×n] · x + beta · y (or with Aᵀ), row-major.
    @inline(__always)
    static func sgemv(trans: Bool = false, m: Int, n: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                      x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda),
                    x, 1, beta, y, 1)
    }

    /// Threads OpenBLAS uses for one call. Batch-1 inference wants 1; training wants all cores.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// The kernel family OpenBLAS chose at load time, e.g. "Haswell", "SkylakeX", "Zen", "Prescott".
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's build description (version, DYNAMIC_ARCH, …).
    public static var config: String { String(cString: openblas_get_config()) }

    /// What the CPU can run, a bit set: 1 = AVX2+FMA, 2 = AVX-512 (F/BW/VL/DQ), 4 = F16C.
    public static var cpuSIMDLevel: Int32 { wt_cpu_simd_level() }
}
