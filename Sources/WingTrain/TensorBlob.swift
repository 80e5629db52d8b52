import Foundation
import WingNN

/// A list of float arrays in one binary file: `u64 count` then per array `u64 length` + f32 values,
/// then a u64 FNV-1a checksum of everything before. Used for optimiser state in checkpoints.
enum TensorBlob {
    static func write(_ arrays: [[Float]], to url: URL) throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(arrays.reduce(16) { $0 + 8 + 4 * $1.count })
        func put(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        put(UInt64(arrays.count))
        for a in arrays {
            put(UInt64(a.count))
            a.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        put(ModelFile.fnv1a(bytes))
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try Data(bytes).write(to: tmp)
        guard rename(tmp.path, url.path) == 0 else { throw DatasetError(message: "\(url.path): cannot write") }
    }

    /// Reads arrays whose lengths must equal `counts`.
    static func read(_ url: URL, counts: [Int]) throws -> [[Float]] {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw DatasetError(message: "\(url.path): missing") }
        let bytes = [UInt8](data)
        func get(_ at: Int) -> UInt64 { var v: UInt64 = 0; for i in 0..<8 { v |= UInt64(bytes[at + i]) << (8 * i) }; return v }
        guard bytes.count >= 16, ModelFile.fnv1a(bytes[0..<(bytes.count - 8)]) == get(bytes.count - 8) else {
            throw DatasetError(message: "\(url.path): checksum mismatch (corrupt or truncated)")
        }
        guard Int(get(0)) == counts.count else { throw DatasetError(message: "\(url.path): \(get(0)) arrays, expected \(counts.count)") }
        var at = 8
        var out: [[Float]] = []
        for c in counts {
            guard at + 8 <= bytes.count - 8, Int(get(at)) == c, at + 8 + 4 * c <= bytes.count - 8 else {
                throw DatasetError(message: "\(url.path): array \(out.count) does not have \(c) values")
            }
            at += 8
            out.append(bytes[at..<(at + 4 * c)].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) })
            at += 4 * c
        }
        return out
    }
}
