import ArgumentParser
import Foundation
import WingNN

/// `wingtrack bench`: speed measurements that anyone can rerun.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks: nn (network forward and training speed).")

    enum What: String, ExpressibleByArgument { case nn }
    @Argument(help: "What to measure: nn.") var what: What = .nn
    @Flag(help: "JSON output.") var json = false
    @Option(help: "Seconds per measurement.") var seconds: Double = 3

    func run() throws {
        let r = NetworkBenchmark.run(secondsPerItem: seconds)
        if json {
            let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(data: try enc.encode(r), encoding: .utf8)!)
        } else {
            print(r.table)
        }
    }
}
