import ArgumentParser
import WingNN

/// `--precision`: the arithmetic of the networks' convolutions at inference, for the commands that
/// run them (`track`, `evaluate`, `evaluate-tracking`, `bench`). `train`, `refit` and `fit-pose` always compute
/// in f32, so the files they write do not depend on the CPU they ran on.
struct PrecisionOption: ParsableArguments {
    @Option(help: "Arithmetic of the networks' convolutions: int8 (default where the CPU has AVX-512 VNNI: CNN-7 about 3.5× faster, the same mean NME to ±0.01 points; docs/performance.md) or f32.")
    var precision: String?

    func validate() throws {
        guard let precision else { return }
        guard ["int8", "f32"].contains(precision) else { throw ValidationError("--precision must be int8 or f32") }
        if precision == "int8", !Int8Arithmetic.supported {
            throw ValidationError("--precision int8 needs AVX-512 VNNI, which this CPU does not have (use f32)")
        }
    }

    /// Switches the networks to the chosen arithmetic (the default: int8 where supported).
    func apply() {
        Int8Arithmetic.enabled = precision.map { $0 == "int8" } ?? Int8Arithmetic.supported
    }
}
