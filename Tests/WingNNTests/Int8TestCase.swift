import XCTest
@testable import WingNN

/// Base of the tests of the 8-bit paths: skipped on CPUs without AVX-512 VNNI (inference stays f32
/// there, which the other tests check); the arithmetic switched on for each test and back to its
/// default after.
class Int8TestCase: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Int8Arithmetic.supported, "this CPU has no AVX-512 VNNI: inference stays f32, checked by the other tests")
        Int8Arithmetic.enabled = true
    }

    override func tearDown() { Int8Arithmetic.enabled = Int8Arithmetic.supported }
}
