import XCTest
@testable import WingTracker

/// The detector's schedule while no face is tracked (`Tracker.searches(onLostFrame:maxInterval:)`).
final class SearchScheduleTests: XCTestCase {
    /// Written out by hand: every frame for 30 frames, every 2nd for the next 30, every 4th for the
    /// next 60, then every 8th (the default cap).
    func testDefaultScheduleThinsOutAsTheLossGoesOn() {
        func expected(_ n: Int) -> Bool {
            switch n {
            case 0..<30: return true
            case 30..<60: return n % 2 == 0
            case 60..<120: return n % 4 == 0
            default: return n % 8 == 0
            }
        }
        for n in 0..<1000 { XCTAssertEqual(Tracker.searches(onLostFrame: n, maxInterval: 8), expected(n), "lost frame \(n)") }
        let searched = (0..<300).filter { Tracker.searches(onLostFrame: $0, maxInterval: 8) }.count
        XCTAssertEqual(searched, 30 + 15 + 15 + 23)
    }

    /// A waiting id (multi-face): frames 0, 1, 2, 4, 8, 16, then every 30th; with interval 1, every frame.
    func testWaitingIDSearchesSoonThenSparsely() {
        XCTAssertEqual((0..<200).filter { Tracker.waitSearches(onFrame: $0, interval: 30) }, [0, 1, 2, 4, 8, 16, 30, 60, 90, 120, 150, 180])
        XCTAssertTrue((0..<100).allSatisfy { Tracker.waitSearches(onFrame: $0, interval: 1) })
        XCTAssertEqual((0..<100).filter { Tracker.waitSearches(onFrame: $0, interval: 5) }, [0, 1, 2, 4] + Array(stride(from: 5, to: 100, by: 5)))
    }

    /// Interval 1 is the old behaviour (every frame); a cap that is not a power of two is reached and
    /// kept; the longest wait between searches never exceeds the cap.
    func testCapIsRespected() {
        XCTAssertTrue((0..<500).allSatisfy { Tracker.searches(onLostFrame: $0, maxInterval: 1) })
        XCTAssertEqual((60..<90).filter { Tracker.searches(onLostFrame: $0, maxInterval: 3) }, Array(stride(from: 60, to: 90, by: 3)))
        for cap in [2, 3, 5, 8, 15] {
            let hits = (0..<2000).filter { Tracker.searches(onLostFrame: $0, maxInterval: cap) }
            XCTAssertEqual(zip(hits.dropFirst(), hits).map { $0 - $1 }.max(), cap, "cap \(cap)")
        }
    }
}
