#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes sure OpenBLAS runs kernels that match the CPU.
///
/// OpenBLAS 0.3.21 picks its kernel family when the library loads and falls back to slow SSE3
/// kernels ("Prescott") on CPUs it does not know (4–5× slower on new Xeons). The choice can only
/// be changed by `OPENBLAS_CORETYPE` in the environment *before* the library loads, so
/// `ensureFastKernels` re-executes the process once with that variable set when the CPU
/// supports a better family than the one loaded. A value the user set is always respected.
public enum BLASRuntime {
    /// Kernel families OpenBLAS names that use AVX-512.
    static let avx512Cores: Set<String> = ["SkylakeX", "Cooperlake", "SapphireRapids"]
    /// Kernel families that use at least AVX2 + FMA.
    static let avx2Cores: Set<String> = avx512Cores.union(["Haswell", "Zen"])

    /// The environment variable that marks the re-executed process (prevents loops).
    static let reexecMarker = "WINGTRACK_BLAS_REEXEC"

    /// The core family the CPU deserves, or nil if the loaded one is already right.
    /// - Parameters: `loaded` is OpenBLAS's core name; `simdLevel` is `BLAS.cpuSIMDLevel`.
    public static func betterCore(loaded: String, simdLevel: Int32) -> String? {
        if simdLevel & 2 != 0, !avx512Cores.contains(loaded) { return "SkylakeX" }
        if simdLevel & 1 != 0, !avx2Cores.contains(loaded) { return "Haswell" }
        return nil
    }

    /// Why the current kernel runs — one line for `info --blas` and `--verbose`.
    public static func explanation() -> String {
        let core = BLAS.coreName
        let env = environmentValue("OPENBLAS_CORETYPE")
        let level = BLAS.cpuSIMDLevel
        let cpu = level & 2 != 0 ? "AVX-512 + AVX2/FMA" : (level & 1 != 0 ? "AVX2/FMA" : "no AVX2")
        if environmentValue(reexecMarker) != nil {
            return "OpenBLAS core \(core): OpenBLAS chose a weaker kernel for this CPU (\(cpu)); wingtrack set OPENBLAS_CORETYPE=\(env ?? "?") and restarted itself"
        }
        if let env {
            return "OpenBLAS core \(core): OPENBLAS_CORETYPE=\(env) was set by the user and is respected (CPU: \(cpu))"
        }
        return "OpenBLAS core \(core): chosen by OpenBLAS, matches the CPU (\(cpu))"
    }

    /// Re-executes the process with `OPENBLAS_CORETYPE` set when OpenBLAS loaded a kernel weaker than
    /// the CPU supports. Returns normally when nothing needs doing (or the re-exec failed).
    public static func ensureFastKernels() {
        guard environmentValue("OPENBLAS_CORETYPE") == nil,
              environmentValue(reexecMarker) == nil,
              let core = betterCore(loaded: BLAS.coreName, simdLevel: BLAS.cpuSIMDLevel) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(reexecMarker, "1", 1)
        let args = CommandLine.arguments
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cargs.append(nil)
        execv("/proc/self/exe", &cargs)
        // execv returned: keep running on the slow kernel rather than fail.
        unsetenv(reexecMarker)
        unsetenv("OPENBLAS_CORETYPE")
    }
}

/// `getenv` as an optional String.
func environmentValue(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}
