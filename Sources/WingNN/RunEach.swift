import Foundation

/// Runs `body(0)`, …, `body(count − 1)` — at the same time on `count` threads when `parallel`, else
/// one after the other on this thread — and returns the results in that order. Each call must use
/// its own network or localiser (they are not thread-safe); the results do not depend on `parallel`.
public func runEach<T>(_ count: Int, parallel: Bool, _ body: (Int) -> T) -> [T] {
    guard parallel && count > 1 else { return (0..<count).map(body) }
    let slots = Slots<T>(count: count)
    DispatchQueue.concurrentPerform(iterations: count) { slots[$0] = body($0) }
    return slots.values
}

/// One result slot per call of `runEach`, each written by one thread.
private final class Slots<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    subscript(i: Int) -> T? {
        get { lock.lock(); defer { lock.unlock() }; return slots[i] }
        set { lock.lock(); slots[i] = newValue; lock.unlock() }
    }
    var values: [T] { lock.lock(); defer { lock.unlock() }; return slots.map { $0! } }
}
