import Foundation

/// Which of wingtrack's own batch-1 kernels (`CKernels`) run on this CPU, and with which vector
/// instructions: one line for `info --blas` and `bench nn`.
public enum OwnKernels {
    /// The vector instructions a kernel is built for.
    public enum InstructionSet: String, Sendable {
        case avx2 = "AVX2/FMA/F16C"
        case avx512 = "AVX-512"
    }

    /// The widest set this CPU runs (`BLAS.cpuSIMDLevel`): AVX-512 F/BW/VL/DQ with its register state
    /// (every such CPU also has F16C), else AVX2 + FMA + F16C, else nil (the layers use SGEMM).
    public static let supported: InstructionSet? = {
        let level = BLAS.cpuSIMDLevel
        if level & 2 != 0 { return .avx512 }
        if level & 1 != 0, level & 4 != 0 { return .avx2 }
        return nil
    }()

    /// The set the kernels use: `supported`, narrowed by the environment variable
    /// `WINGTRACK_OWN_KERNELS` (`off`: SGEMM everywhere; `avx2`: AVX2 on an AVX-512 CPU), for
    /// measuring one against the other; tests may narrow it too (both sets give the same bits).
    nonisolated(unsafe) public static var instructionSet: InstructionSet? = {
        switch ProcessInfo.processInfo.environment["WINGTRACK_OWN_KERNELS"] {
        case "off": return nil
        case "avx2": return supported == nil ? nil : .avx2
        default: return supported
        }
    }()

    /// Which kernels are on, and with which instructions, for the batch-1 passes.
    public static func summary() -> String {
        guard let set = instructionSet else { return "off" }
        var parts: [String] = []
        if HalfWeightMatrix.enabled { parts.append("half-float weight products for f16 models") }
        if Conv2D.directKernelEnabled { parts.append("direct 3×3 RGB layers") }
        return parts.isEmpty ? "off" : "\(set.rawValue) (\(parts.joined(separator: ", ")))"
    }

    public static func explanation() -> String {
        guard supported != nil else { return "own batch-1 kernels: off (this CPU has neither AVX-512 nor AVX2/FMA/F16C): those layers use SGEMM" }
        guard instructionSet != nil else { return "own batch-1 kernels: off (WINGTRACK_OWN_KERNELS=off): those layers use SGEMM" }
        return "own batch-1 kernels: " + summary()
    }
}
