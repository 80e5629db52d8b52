import Foundation
internal import CFFmpeg

/// Packet-level facts of one stream of a file (no decoding): for checks such as audio passthrough.
public struct StreamSummary: Sendable, Equatable {
    public enum Kind: String, Sendable { case video, audio, other }
    public var kind: Kind
    public var codec: String
    public var packets: Int
    /// Sum of packet durations in seconds.
    public var duration: Double

    /// Reads every packet of `url` and summarises each stream.
    public static func read(_ url: URL) throws -> [StreamSummary] {
        var fmt: UnsafeMutablePointer<AVFormatContext>?
        try check(avformat_open_input(&fmt, url.path, nil, nil), .cannotOpen, path: url.path, "cannot open as media")
        defer { avformat_close_input(&fmt) }
        try check(avformat_find_stream_info(fmt, nil), .cannotOpen, path: url.path, "cannot read stream info")
        let n = Int(fmt!.pointee.nb_streams)
        var out: [StreamSummary] = (0..<n).map { i in
            let par = fmt!.pointee.streams[i]!.pointee.codecpar.pointee
            let kind: Kind = par.codec_type == AVMEDIA_TYPE_VIDEO ? .video : (par.codec_type == AVMEDIA_TYPE_AUDIO ? .audio : .other)
            return StreamSummary(kind: kind, codec: String(cString: avcodec_get_name(par.codec_id)), packets: 0, duration: 0)
        }
        var pkt = av_packet_alloc()
        defer { av_packet_free(&pkt) }
        while av_read_frame(fmt, pkt) >= 0 {
            let i = Int(pkt!.pointee.stream_index)
            out[i].packets += 1
            out[i].duration += Double(pkt!.pointee.duration) * av_q2d(fmt!.pointee.streams[i]!.pointee.time_base)
            av_packet_unref(pkt)
        }
        return out
    }
}
