import Foundation
import XCTest

/// Asserts |a − b| ≤ atol + rtol·|b| element-wise; on failure reports the count, the largest
/// difference and the first bad index.
public func assertClose(_ a: [Float], _ b: [Float], rtol: Float = 1e-5, atol: Float = 1e-6, _ what: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    guard a.count == b.count else {
        XCTFail("\(what): sizes differ, \(a.count) vs \(b.count)", file: file, line: line); return
    }
    var worst: Float = 0, firstBad: Int? = nil
    for i in a.indices {
        let d = abs(a[i] - b[i])
        worst = max(worst, d)
        if !(d <= atol + rtol * abs(b[i])), firstBad == nil { firstBad = i }
    }
    if let i = firstBad {
        XCTFail("\(what): \(a.count) values, max |diff| \(worst), first bad index \(i): \(a[i]) vs \(b[i])", file: file, line: line)
    }
}

/// The shared data folder beside the checkout (`../shared`), or nil when it is absent.
public func sharedDataDirectory(file: StaticString = #filePath) -> URL? {
    var url = URL(fileURLWithPath: "\(file)")
    for _ in 0..<6 {
        url.deleteLastPathComponent()
        let candidate = url.deletingLastPathComponent().appendingPathComponent("shared/data")
        if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("faces68/landmarks.csv").path) { return candidate }
    }
    return nil
}

/// Skips the current test with a clear message when `../shared/data` is absent.
public func requireSharedData(file: StaticString = #filePath) throws -> URL {
    guard let url = sharedDataDirectory(file: file) else {
        throw XCTSkip("../shared/data is not beside this checkout (a user's clone has none); CI has it")
    }
    return url
}

/// A fresh empty temporary folder, removed by the test case's teardown.
public func temporaryDirectory(_ testCase: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("wingtrack-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}
