import Foundation

/// How raw 8-bit pixels become network inputs: value = pixel · scale + offset.
public struct InputNormalization: Codable, Equatable, Sendable {
    public var scale: Float
    public var offset: Float
    public init(scale: Float, offset: Float) { self.scale = scale; self.offset = offset }
    /// pixel/255 − 0.5: the convention of every wingtrack model so far.
    public static let centeredUnit = InputNormalization(scale: 1 / 255, offset: -0.5)
}

/// Everything a model file says besides its tensors.
public struct ModelHeader: Codable, Equatable, Sendable {
    public struct TensorEntry: Codable, Equatable, Sendable {
        public var name: String
        /// "f32" or "f16".
        public var dtype: String
        public var shape: [Int]
    }
    public var spec: NetworkSpec
    public var input: InputNormalization
    /// Mean shape in network-input pixels, all x then all y (2L values).
    public var meanShape: [Float]
    /// Free-form training provenance: data, loss, samples seen, validation NME, command.
    public var provenance: [String: String]
    public var tensors: [TensorEntry]
    /// Per output block (`spec.headCount` of them), 2L values (all x then all y, input pixels) added to
    /// the answer of the crop mirrored left–right once it is mirrored back: the mirrored pass's mean
    /// error on the training faces, which `wingtrack refit` measures and flip-averaging removes. Nil (files
    /// without the key): no correction.
    public var mirrorOffsets: [[Float]]?

    public init(spec: NetworkSpec, input: InputNormalization, meanShape: [Float], provenance: [String: String],
                tensors: [TensorEntry] = [], mirrorOffsets: [[Float]]? = nil) {
        self.spec = spec; self.input = input; self.meanShape = meanShape; self.provenance = provenance; self.tensors = tensors
        self.mirrorOffsets = mirrorOffsets
    }
}

/// A model file error; the message names the file and what check failed.
public struct ModelFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

/// The model file format, version 1 (little-endian):
///
/// ```
/// "WTNN"  u32 version  u32 headerBytes  header (JSON: ModelHeader)
/// tensor data, in header order, each f32 or f16, row-major
/// u64 FNV-1a checksum of every byte before it
/// ```
/// The loader checks magic, version, checksum, that every tensor the architecture needs is present
/// once with the right shape, and that no unknown tensor is present.
public enum ModelFile {
    public static let magic: [UInt8] = Array("WTNN".utf8)
    public static let version: UInt32 = 1

    /// A trained network together with its header.
    public struct Loaded {
        public var header: ModelHeader
        public var network: Sequential
        public init(header: ModelHeader, network: Sequential) { self.header = header; self.network = network }

        /// The same network with the same weights (shared, not copied) and buffers of its own, for
        /// running on another thread.
        public func twin() -> Loaded {
            let net = header.spec.build(seed: nil)
            for (t, p) in zip(net.parameters, network.parameters) { t.value = p.value }
            return Loaded(header: header, network: net)
        }
    }

    /// Writes `network`'s parameters with `header` (its `tensors` list is filled in) to `url`,
    /// atomically (temporary file, then rename).
    public static func save(_ network: Sequential, header: ModelHeader, halfPrecision: Bool, to url: URL) throws {
        var header = header
        let params = network.parameters
        header.tensors = params.map { .init(name: $0.name, dtype: halfPrecision ? "f16" : "f32", shape: $0.shape) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        var bytes = [UInt8]()
        bytes.append(contentsOf: magic)
        appendLE(&bytes, version)
        appendLE(&bytes, UInt32(json.count))
        bytes.append(contentsOf: json)
        for p in params {
            if halfPrecision {
                for v in p.value { appendLE(&bytes, Float16(v).bitPattern) }
            } else {
                for v in p.value { appendLE(&bytes, v.bitPattern) }
            }
        }
        appendLE(&bytes, fnv1a(bytes))
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(bytes).write(to: tmp)
            // POSIX rename replaces atomically (Foundation's replaceItemAt crashes on Linux when the target exists).
            guard rename(tmp.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw ModelFileError(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads and checks a model file, builds its network and fills it with the stored weights (f16 → f32).
    public static func load(_ url: URL) throws -> Loaded {
        let path = url.path
        func fail(_ r: String) -> ModelFileError { ModelFileError(path: path, reason: r) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw fail(FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 20, Array(bytes[0..<4]) == magic else { throw fail("not a wingtrack model file (bad magic)") }
        let ver: UInt32 = readLE(bytes, 4)
        guard ver == version else { throw fail("model format version \(ver), this build reads version \(version)") }
        let stored: UInt64 = readLE(bytes, bytes.count - 8)
        guard fnv1a(bytes[0..<(bytes.count - 8)]) == stored else { throw fail("checksum mismatch (file corrupt or truncated)") }
        let headerLen = Int(readLE(bytes, 8) as UInt32)
        guard 12 + headerLen <= bytes.count - 8 else { throw fail("header length \(headerLen) exceeds the file") }
        let header: ModelHeader
        do { header = try JSONDecoder().decode(ModelHeader.self, from: Data(bytes[12..<(12 + headerLen)])) }
        catch { throw fail("header is not valid: \(error)") }
        let network = header.spec.build(seed: nil)
        var byName = [String: Parameter]()
        for p in network.parameters { byName[p.name] = p }
        var seen = Set<String>()
        var offset = 12 + headerLen
        for entry in header.tensors {
            guard let p = byName[entry.name] else { throw fail("tensor '\(entry.name)' is not part of architecture \(header.spec.name)") }
            guard seen.insert(entry.name).inserted else { throw fail("tensor '\(entry.name)' appears twice") }
            guard entry.shape == p.shape else { throw fail("tensor '\(entry.name)' has shape \(entry.shape), expected \(p.shape)") }
            let width: Int
            switch entry.dtype { case "f32": width = 4; case "f16": width = 2
            default: throw fail("tensor '\(entry.name)' has unknown dtype '\(entry.dtype)'") }
            let n = p.count
            guard offset + n * width <= bytes.count - 8 else { throw fail("tensor '\(entry.name)' runs past the end of the file") }
            bytes.withUnsafeBytes { raw in
                p.value.withUnsafeMutableBufferPointer { v in
                    if width == 4 {
                        for j in 0..<n { v[j] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * j, as: UInt32.self))) }
                    } else {
                        halfToFloat.withUnsafeBufferPointer { table in
                            for j in 0..<n { v[j] = table[Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 2 * j, as: UInt16.self)))] }
                        }
                    }
                }
            }
            guard p.value.allSatisfy(\.isFinite) else { throw fail("tensor '\(entry.name)' holds a non-finite value") }
            offset += n * width
        }
        if let missing = network.parameters.first(where: { !seen.contains($0.name) }) {
            throw fail("tensor '\(missing.name)' is missing")
        }
        guard offset == bytes.count - 8 else { throw fail("\(bytes.count - 8 - offset) unexpected bytes after the last tensor") }
        guard header.meanShape.count == 2 * header.spec.landmarkCount else {
            throw fail("mean shape has \(header.meanShape.count) values, expected \(2 * header.spec.landmarkCount)")
        }
        if let m = header.mirrorOffsets {
            guard m.count == header.spec.headCount, m.allSatisfy({ $0.count == 2 * header.spec.landmarkCount }) else {
                throw fail("mirror offsets have \(m.map(\.count)) values, expected \(header.spec.headCount) blocks of \(2 * header.spec.landmarkCount)")
            }
        }
        return Loaded(header: header, network: network)
    }

    /// Every f16 bit pattern as f32 (256 KB, built on first use): a lookup is several times faster than
    /// the conversion call the compiler emits without F16C.
    static let halfToFloat: [Float] = (0...UInt16.max).map { Float(Float16(bitPattern: $0)) }

    static func appendLE<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func readLE<T: FixedWidthInteger>(_ bytes: [UInt8], _ at: Int) -> T {
        var v: T = 0
        for i in 0..<MemoryLayout<T>.size { v |= T(bytes[at + i]) << (8 * i) }
        return v
    }

    /// 64-bit FNV-1a hash: the checksum of model files (and of other binary files the project writes).
    public static func fnv1a<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }
}
