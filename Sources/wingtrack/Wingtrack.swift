import ArgumentParser
import Foundation
import WingNN

/// The command-line entry point: `wingtrack <subcommand>`.
@main
struct Wingtrack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wingtrack",
        abstract: "Facial-landmark tracking for video files (Wing loss, two-stage CNN-6/CNN-7).",
        subcommands: [TrackCommand.self, InfoCommand.self, TrainCommand.self, EvaluateCommand.self, EvaluateTrackingCommand.self, DetectCommand.self, BenchCommand.self, ModelCommand.self, RefitCommand.self, FitPoseCommand.self])

    static func main() {
        // Must come before any BLAS work: may restart the process with the right OpenBLAS kernel.
        BLASRuntime.ensureFastKernels()
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            // Help and version exit 0 as usual; every usage error exits 2, with ArgumentParser's message.
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            printError(fullMessage(for: error))
            Foundation.exit(2)
        }
        do {
            try command.run()
        } catch let e as ExitCode {
            exit(withError: e)
        } catch let e as ValidationError {
            printError("wingtrack: error: \(e.message)")
            Foundation.exit(2)
        } catch where exitCode(for: error) == .success {
            // `--help` and `help SUBCOMMAND` arrive here as ArgumentParser's built-in help command.
            exit(withError: error)
        } catch {
            // One clear line naming the file and the cause; exit 1.
            FileHandle.standardError.write(Data("wingtrack: error: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }
}

/// Writes one line to standard error.
func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}
