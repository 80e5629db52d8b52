import Foundation

/// A first-in-first-out queue of at most `capacity` items between two threads: `push` waits while it
/// is full, `pop` waits while it is empty. `close()` ends it: later pushes are dropped, pops drain
/// what is left and then return nil. Either side may close (the consumer closes to cancel).
final class BoundedQueue<Element>: @unchecked Sendable {
    /// Popped slots are emptied at once, so the queue holds no reference to an item it handed out
    /// (the consumer may then change a frame's pixels in place, without a copy).
    private var items: [Element?] = []
    private var head = 0
    private let capacity: Int
    private var closed = false
    private let condition = NSCondition()

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Adds `item`, waiting for room; returns false (dropping it) when the queue is closed.
    @discardableResult
    func push(_ item: Element) -> Bool {
        condition.lock(); defer { condition.unlock() }
        while items.count - head >= capacity && !closed { condition.wait() }
        guard !closed else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The oldest item, waiting for one; nil once the queue is closed and empty.
    func pop() -> Element? {
        condition.lock(); defer { condition.unlock() }
        while items.count == head && !closed { condition.wait() }
        guard items.count > head else { return nil }
        let item = items[head]
        items[head] = nil
        head += 1
        if head > 64 && head * 2 > items.count { items.removeFirst(head); head = 0 }
        condition.broadcast()
        return item
    }

    func close() {
        condition.lock(); closed = true; condition.broadcast(); condition.unlock()
    }
}
