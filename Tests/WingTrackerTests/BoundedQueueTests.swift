import XCTest
@testable import WingTracker

final class BoundedQueueTests: XCTestCase {
    /// Everything pushed by one thread arrives once, in order, and never more than `capacity` wait.
    func testOrderAndCapacityAcrossThreads() {
        let q = BoundedQueue<Int>(capacity: 3)
        let done = DispatchGroup()
        done.enter()
        Thread {
            for i in 0..<20_000 { q.push(i) }
            q.close()
            done.leave()
        }.start()
        var got: [Int] = []
        while let v = q.pop() { got.append(v) }
        done.wait()
        XCTAssertEqual(got, Array(0..<20_000))
    }

    /// A popped item is the consumer's alone: the queue keeps no reference to it (so a frame's pixels
    /// can be drawn on in place, and popped frames are freed at once).
    func testPoppedItemsAreNotRetained() {
        final class Box {}
        let q = BoundedQueue<Box>(capacity: 3)
        weak var first: Box?
        do {
            let b = Box()
            first = b
            q.push(b)
            q.push(Box())
        }
        var popped = q.pop()
        XCTAssertTrue(popped === first)
        XCTAssertTrue(isKnownUniquelyReferenced(&popped!))
        popped = nil
        XCTAssertNil(first, "the queue still holds a popped item")
        XCTAssertNotNil(q.pop())
    }

    /// Closing from the consumer side releases a producer blocked on a full queue; its push reports
    /// the drop.
    func testConsumerCloseReleasesABlockedProducer() {
        let q = BoundedQueue<Int>(capacity: 1)
        XCTAssertTrue(q.push(1))
        let released = expectation(description: "blocked push returns")
        Thread {
            XCTAssertFalse(q.push(2))
            released.fulfill()
        }.start()
        Thread.sleep(forTimeInterval: 0.05)
        q.close()
        wait(for: [released], timeout: 5)
        XCTAssertEqual(q.pop(), 1, "items pushed before the close still drain")
        XCTAssertNil(q.pop())
    }
}
