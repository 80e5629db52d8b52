import Foundation

/// How a batch-1 forward pass shares its work between two threads.
///
/// At batch 1 every convolution and dense layer cuts its work into the same two halves (output rows
/// or output channels, chosen by the layer's shape alone), whatever the split: `.serial` runs the
/// halves one after the other on the calling thread, a split made with `helperThread: true` runs the
/// second half at the same time on a thread of its own. Results are therefore bit-identical either
/// way, so a tool can use the helper when a core is free without changing its output.
///
/// One split serves one calling thread at a time (a network is not thread-safe anyway).
public final class ForwardSplit: @unchecked Sendable {
    /// No helper thread: both halves on the caller.
    public static let serial = ForwardSplit(helperThread: false)

    private let helper: Helper?

    public init(helperThread: Bool) {
        helper = helperThread ? Helper() : nil
    }

    deinit { helper?.stop() }

    /// Whether the halves run concurrently.
    public var isParallel: Bool { helper != nil }

    /// Runs `first` on the calling thread and `second` on the helper (or after `first`), and returns
    /// when both are done. When the helper has not picked `second` up by the time `first` is done
    /// (its core is busy, e.g. with the video encoder), the caller runs `second` itself.
    public func run(_ first: () -> Void, _ second: () -> Void) {
        guard let helper else { first(); second(); return }
        withoutActuallyEscaping(second) { job in
            helper.offer(job)
            first()
            if helper.takeBack() { job() } else { helper.waitUntilDone() }
        }
    }

    /// A thread that runs the job it is offered, unless the caller takes it back first.
    private final class Helper: @unchecked Sendable {
        private enum State { case idle, offered, running }
        private let lock = NSLock()
        private let wake = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        private var state = State.idle
        private var job: (() -> Void)?
        private var quit = false

        init() {
            let t = Thread { [self] in loop() }
            t.name = "wingtrack.forward-split"
            t.start()
        }

        private func loop() {
            while true {
                wake.wait()   // a wake-up whose job was taken back finds nothing offered
                lock.lock()
                if quit { lock.unlock(); return }
                guard state == .offered else { lock.unlock(); continue }
                state = .running
                lock.unlock()
                runJob()
                lock.lock(); state = .idle; job = nil; lock.unlock()
                done.signal()   // the caller's closure must have no reference left here
            }
        }

        /// Runs the offered job; its local reference ends with this call.
        private func runJob() { job!() }

        func offer(_ j: @escaping () -> Void) {
            lock.lock(); job = j; state = .offered; lock.unlock()
            wake.signal()
        }

        /// True when the job had not started: it is withdrawn and the caller must run it.
        func takeBack() -> Bool {
            lock.lock(); defer { lock.unlock() }
            guard state == .offered else { return false }
            state = .idle; job = nil
            return true
        }

        func waitUntilDone() { done.wait() }

        func stop() { lock.lock(); quit = true; lock.unlock(); wake.signal() }
    }
}
