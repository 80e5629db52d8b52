import Foundation

/// SIGINT / SIGTERM during a batch: the first one asks the run to stop cleanly (the video in flight is
/// discarded with its temporary files, `summary.json` records what completed, the exit code is
/// 128 + the signal); a second one exits at once.
enum Interruption {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var received: Int32?
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// The first signal received, if any.
    static var signal: Int32? { lock.lock(); defer { lock.unlock() }; return received }

    /// Starts listening (idempotent).
    static func install() {
        lock.lock(); defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            Foundation.signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                lock.lock()
                let first = received == nil
                if first { received = sig }
                lock.unlock()
                if first {
                    FileHandle.standardError.write(Data("\nwingtrack: \(sig == SIGINT ? "interrupted" : "terminated"); finishing cleanly (again to stop at once)\n".utf8))
                } else {
                    _exit(128 + sig)
                }
            }
            source.resume()
            sources.append(source)
        }
    }
}
