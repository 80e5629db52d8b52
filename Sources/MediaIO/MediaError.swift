internal import CFFmpeg

/// A media failure, always naming the file and the cause.
public struct MediaError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// The file is missing, unreadable, or not a container FFmpeg knows.
        case cannotOpen
        /// The container has no video stream (e.g. audio only).
        case noVideoStream
        /// No decodable frame at all.
        case noFrames
        /// The codec cannot be opened.
        case codec
        /// Encoding or writing the output failed.
        case write
        /// The image cannot be decoded.
        case badImage
    }
    public let kind: Kind
    public let path: String
    public let reason: String

    public init(_ kind: Kind, path: String, reason: String) { self.kind = kind; self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}

/// FFmpeg's text for an error code (`av_strerror`).
func ffmpegErrorText(_ code: Int32) -> String {
    var buf = [CChar](repeating: 0, count: 256)
    av_strerror(code, &buf, buf.count)
    return String(cString: buf)
}

/// Every FFmpeg status goes through here: a negative code becomes a `MediaError` with FFmpeg's text.
@discardableResult
func check(_ code: Int32, _ kind: MediaError.Kind, path: String, _ what: @autoclosure () -> String) throws -> Int32 {
    if code < 0 { throw MediaError(kind, path: path, reason: "\(what()): \(ffmpegErrorText(code))") }
    return code
}

/// Converts packed pixels into the planes of `frame` (already allocated in `sws`'s output format).
func scalePacked(_ image: PixelBuffer, with sws: OpaquePointer?, into frame: UnsafeMutablePointer<AVFrame>) {
    image.data.withUnsafeBufferPointer { sp in
        var srcPlanes: [UnsafePointer<UInt8>?] = [sp.baseAddress, nil, nil, nil]
        var srcStrides: [Int32] = [Int32(image.rowBytes), 0, 0, 0]
        withUnsafeMutablePointer(to: &frame.pointee.data) { dd in
            withUnsafeMutablePointer(to: &frame.pointee.linesize) { dl in
                dd.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dp in
                    dl.withMemoryRebound(to: Int32.self, capacity: 8) { lp in
                        _ = sws_scale(sws, &srcPlanes, &srcStrides, 0, Int32(image.height), dp, lp)
                    }
                }
            }
        }
    }
}
