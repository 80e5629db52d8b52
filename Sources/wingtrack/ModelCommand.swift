import ArgumentParser
import Foundation
import WingNN

/// `wingtrack model`: inspect a model file, or rewrite it in half precision for shipping.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "model", abstract: "Show a model file's header, or convert it (--f16 OUT).")

    @Argument(help: "Model file (.wtm).") var file: String
    @Option(help: "Write a half-precision copy here.") var f16: String?

    func run() throws {
        let m = try ModelFile.load(URL(fileURLWithPath: file))
        let h = m.header
        print("\(file): \(h.spec.name), input \(h.spec.inputSize)x\(h.spec.inputSize)x\(h.spec.inputChannels), conv \(h.spec.convChannels), fc \(h.spec.hiddenUnits), \(h.spec.landmarkCount) landmarks\(h.spec.faceLogit ? " + face logit" : "")")
        print("  labelling conventions: \(h.spec.conventions.isEmpty ? "one block, its training sources' mixed" : h.spec.conventions.joined(separator: ", ") + " (one block each)")")
        print("  tensors: \(h.tensors.count) (\(Set(h.tensors.map(\.dtype)).sorted().joined(separator: ", "))), parameters: \(m.network.parameters.reduce(0) { $0 + $1.count })")
        if let m = h.mirrorOffsets {
            let size = m.map { o in
                let L = o.count / 2
                return (0..<L).map { (o[$0] * o[$0] + o[L + $0] * o[L + $0]).squareRoot() }.reduce(0, +) / Float(max(1, L))
            }
            print("  mirror offsets (flip-averaging): mean length per block \(size.map { String(format: "%.2f", $0) }.joined(separator: ", ")) px")
        }
        for k in h.provenance.keys.sorted() { print("  \(k): \(h.provenance[k]!)") }
        if let f16 {
            try ModelFile.save(m.network, header: h, halfPrecision: true, to: URL(fileURLWithPath: f16))
            print("wrote \(f16) (f16)")
        }
    }
}
