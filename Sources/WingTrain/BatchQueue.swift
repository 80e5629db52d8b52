import Foundation
import WingNN

/// A batch of network inputs and targets.
public struct Batch: @unchecked Sendable {
    public var inputs: Tensor
    public var targets: [Float]
    public var positive: [Bool]
    /// Each sample's output block (labelling convention).
    public var heads: [Int]
}

/// Generates training batches on a background thread into a bounded queue, so that data
/// preparation overlaps the BLAS work. `next()` blocks until a batch is ready.
final class BatchQueue: @unchecked Sendable {
    private let lock = NSCondition()
    private var ready: [Batch] = []
    private let capacity: Int
    private var stopped = false
    private var thread: Thread?

    /// - Parameter make: builds the k-th batch (called in order on the background thread).
    init(capacity: Int = 3, make: @escaping @Sendable (Int) -> Batch) {
        self.capacity = capacity
        let t = Thread { [self] in  // strong: the thread keeps the queue alive until it sees `stop()`
            var k = 0
            while true {
                let b = make(k)
                k += 1
                lock.lock()
                while ready.count >= capacity && !stopped { lock.wait() }
                if stopped { lock.unlock(); return }
                ready.append(b)
                lock.signal()
                lock.unlock()
            }
        }
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    func next() -> Batch {
        lock.lock()
        while ready.isEmpty { lock.wait() }
        let b = ready.removeFirst()
        lock.broadcast()
        lock.unlock()
        return b
    }

    func stop() {
        lock.lock(); stopped = true; lock.broadcast(); lock.unlock()
    }
}
