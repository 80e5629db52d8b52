import Foundation
import XCTest
@testable import WingTracker

/// The CSV's fast number text against Foundation's `String(format: "%.Nf")`, character for character.
final class FixedDecimalTests: XCTestCase {
    func text(_ x: Float, _ decimals: Int) -> String {
        var s = ""
        FixedDecimal.append(x, decimals: decimals, to: &s)
        return s
    }

    func testMatchesPrintfOnRandomValues() {
        var rng = SystemRandomNumberGenerator()
        for decimals in 0...4 {
            for range in [Float(-1)...1, -2000...2000, -1e6...1e6, 0...0.01] {
                for _ in 0..<20_000 {
                    let x = Float.random(in: range, using: &rng)
                    XCTAssertEqual(text(x, decimals), String(format: "%.\(decimals)f", x), "\(x), \(decimals) decimals")
                }
            }
        }
    }

    /// Ties (exact halves at the last digit round to even, as printf does), negative values that
    /// round to zero, −0, integers, large and non-finite values.
    func testMatchesPrintfOnEdgeCases() {
        var cases: [Float] = [0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, -0.0625, 0.0625, 1.0625, 2.4375, 1e-7, -1e-7, -0.0004, -0.00049,
                              255, 1280, -1, 12345.678, 3e9, -3e9, 1e20, .infinity, -.infinity, .nan, .greatestFiniteMagnitude,
                              .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        cases += (0..<4096).map { Float($0) / 4096 - 0.5 }   // every multiple of 2⁻¹² in [−0.5, 0.5): many ties
        for decimals in 0...4 {
            for x in cases {
                XCTAssertEqual(text(x, decimals), String(format: "%.\(decimals)f", x), "\(x), \(decimals) decimals")
            }
        }
    }
}
