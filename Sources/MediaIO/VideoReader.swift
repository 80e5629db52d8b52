import Foundation
internal import CFFmpeg

/// What a video file holds, as `wingtrack info` prints it.
public struct VideoInfo: Codable, Equatable, Sendable {
    /// Size as displayed (after rotation).
    public var width: Int
    public var height: Int
    /// Clockwise rotation applied to the coded frames to display them: 0, 90, 180 or 270.
    public var rotation: Int
    public var codec: String
    public var pixelFormat: String
    /// Average frame rate (`avg_frame_rate`), 0 when unknown.
    public var fps: Double
    /// Nominal frame rate (`r_frame_rate`), 0 when unknown.
    public var nominalFps: Double
    /// Seconds; 0 when unknown.
    public var duration: Double
    /// From the container, else duration × fps; 0 when unknown.
    public var estimatedFrameCount: Int
    public var hasAudio: Bool

    /// The frame rate to give an encoder re-encoding this video: `fps`, or 30 when unknown.
    public var encodingFrameRate: Double { fps > 0 ? fps : 30 }
}

/// Decodes the best video stream of a file into upright packed RGB (or BGR) frames and, when asked
/// (`keepPlanes`), also hands out the decoded yuv420p samples as they are (`Frame.planes`).
///
/// Decoding errors inside the stream are counted in `decodeErrors` and skipped; a read error or a
/// truncated file ends the stream after the last decodable frame. Not thread-safe: one owner at a time.
public final class VideoReader {
    public let url: URL
    public private(set) var info = VideoInfo(width: 0, height: 0, rotation: 0, codec: "", pixelFormat: "", fps: 0,
                                             nominalFps: 0, duration: 0, estimatedFrameCount: 0, hasAudio: false)
    public let outputFormat: PixelBuffer.Format
    /// Whether frames also carry the decoded samples (`Frame.planes`) when they are 8-bit
    /// limited-range 4:2:0 of even size and need no rotation.
    public let keepsPlanes: Bool
    /// Whether every frame carries packed pixels, or only those without planes (`Frame.image`
    /// converts a planes-only frame when asked).
    public let rgbFrames: RGBFrames
    public enum RGBFrames: Sendable { case always, onlyWithoutPlanes }
    /// Why the last frame carried no planes although `keepsPlanes` asked for them (nil when it did).
    public private(set) var planesRefusal: String?
    /// The video stream's colour tags (unspecified when it has none).
    public private(set) var colourTags = ColourTags()
    /// Packets or frames the decoder rejected so far.
    public private(set) var decodeErrors = 0
    /// Frames returned so far.
    public private(set) var framesDecoded = 0

    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private var codecContext: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private let packing = PackedConversion()
    private var streamIndex: Int32 = -1
    private var timeBase: Double = 0
    private var draining = false
    private var finished = false
    private var lastTimestamp: Double?

    /// Opens `url`. Throws `MediaError` naming the file: missing, not media, no video stream, no decoder.
    /// - Parameter threads: decoder threads (0 = FFmpeg chooses).
    /// - Parameter keepPlanes: also hand out the decoded yuv420p samples where they can be encoded
    ///   again as they are (`Frame.planes`); costs a copy of them per frame.
    /// - Parameter rgbFrames: `.onlyWithoutPlanes` skips the packed conversion of frames that carry
    ///   planes (for readers of the samples, such as the tracker's crops).
    public init(url: URL, format: PixelBuffer.Format = .rgb24, threads: Int = 0, keepPlanes: Bool = false,
                rgbFrames: RGBFrames = .always) throws {
        self.url = url
        self.outputFormat = format
        self.keepsPlanes = keepPlanes
        self.rgbFrames = rgbFrames
        let path = url.path
        av_log_set_level(AV_LOG_QUIET)
        var fmt: UnsafeMutablePointer<AVFormatContext>?
        if !FileManager.default.fileExists(atPath: path) {
            throw MediaError(.cannotOpen, path: path, reason: "no such file")
        }
        try check(avformat_open_input(&fmt, path, nil, nil), .cannotOpen, path: path, "cannot open as media")
        formatContext = fmt
        do {
            try check(avformat_find_stream_info(fmt, nil), .cannotOpen, path: path, "cannot read stream info")
            var decoder: UnsafePointer<AVCodec>?
            let idx = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
            if idx < 0 || decoder == nil {
                let reason = idx == wt_averror_decoder_not_found() ? "no decoder for the video codec" : "no video stream"
                throw MediaError(.noVideoStream, path: path, reason: reason)
            }
            streamIndex = idx
            let stream = fmt!.pointee.streams[Int(idx)]!
            guard let ctx = avcodec_alloc_context3(decoder) else { throw MediaError(.codec, path: path, reason: "out of memory") }
            codecContext = ctx
            try check(avcodec_parameters_to_context(ctx, stream.pointee.codecpar), .codec, path: path, "bad codec parameters")
            ctx.pointee.thread_count = Int32(threads)
            ctx.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
            ctx.pointee.pkt_timebase = stream.pointee.time_base
            try check(avcodec_open2(ctx, decoder, nil), .codec, path: path, "cannot open the decoder")
            packet = av_packet_alloc()
            frame = av_frame_alloc()
            timeBase = av_q2d(stream.pointee.time_base)

            // Display rotation (FFmpeg stores counter-clockwise degrees); we apply the clockwise inverse.
            // A damaged display matrix gives NaN: treat it as no rotation.
            var rot = Self.safeInt(-wt_stream_display_rotation(stream))
            rot = ((rot % 360) + 360) % 360
            rot = (rot + 45) / 90 * 90 % 360
            let par = stream.pointee.codecpar.pointee
            let (w, h) = (Int(par.width), Int(par.height))
            let avg = stream.pointee.avg_frame_rate, nominal = stream.pointee.r_frame_rate
            let fps = avg.den > 0 ? av_q2d(avg) : 0
            var duration = 0.0
            if stream.pointee.duration > 0 { duration = Double(stream.pointee.duration) * timeBase }
            else if fmt!.pointee.duration > 0 { duration = Double(fmt!.pointee.duration) / Double(AV_TIME_BASE) }
            var count = Int(stream.pointee.nb_frames)
            if count <= 0, fps > 0 { count = Self.safeInt(duration * fps) }
            var hasAudio = false
            for i in 0..<Int(fmt!.pointee.nb_streams) where fmt!.pointee.streams[i]!.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO {
                hasAudio = true
            }
            // Codes FFmpeg has no name for (a damaged header) count as unspecified.
            colourTags = ColourTags(primaries: av_color_primaries_name(par.color_primaries) != nil ? Int32(par.color_primaries.rawValue) : 2,
                                    transfer: av_color_transfer_name(par.color_trc) != nil ? Int32(par.color_trc.rawValue) : 2,
                                    matrix: av_color_space_name(par.color_space) != nil ? Int32(par.color_space.rawValue) : 2)
            let pixName = av_get_pix_fmt_name(AVPixelFormat(rawValue: par.format)).map { String(cString: $0) } ?? "unknown"
            info = VideoInfo(width: rot % 180 == 0 ? w : h, height: rot % 180 == 0 ? h : w, rotation: rot,
                             codec: String(cString: avcodec_get_name(par.codec_id)), pixelFormat: pixName,
                             fps: fps, nominalFps: nominal.den > 0 ? av_q2d(nominal) : 0,
                             duration: duration, estimatedFrameCount: max(0, count), hasAudio: hasAudio)
        } catch {
            release()
            throw error
        }
    }

    deinit { release() }

    private func release() {
        if frame != nil { av_frame_free(&frame) }
        if packet != nil { av_packet_free(&packet) }
        if codecContext != nil { avcodec_free_context(&codecContext) }
        if formatContext != nil { avformat_close_input(&formatContext) }
    }

    /// `x` rounded, or 0 when it is not finite; clamped to ±2⁵⁰ (container fields can hold anything).
    static func safeInt(_ x: Double) -> Int {
        x.isFinite ? Int(max(-0x1p50, min(0x1p50, x.rounded()))) : 0
    }

    /// The next upright frame, or nil at the end of the stream (or after unrecoverable damage).
    public func nextFrame() -> Frame? {
        guard !finished, let ctx = codecContext, let frame, let packet else { return nil }
        while true {
            let r = avcodec_receive_frame(ctx, frame)
            if r == 0 {
                defer { av_frame_unref(frame) }
                if let f = convert(frame) { return f }
                decodeErrors += 1
                continue
            }
            if r == wt_averror_eof() { finished = true; return nil }
            if r != wt_averror_eagain() {
                decodeErrors += 1
                if draining { finished = true; return nil }
            }
            if draining { finished = true; return nil }
            // Feed the decoder.
            let rr = av_read_frame(formatContext, packet)
            if rr < 0 {
                if rr != wt_averror_eof() { decodeErrors += 1 }
                draining = true
                avcodec_send_packet(ctx, nil)
                continue
            }
            defer { av_packet_unref(packet) }
            if packet.pointee.stream_index != streamIndex { continue }
            let s = avcodec_send_packet(ctx, packet)
            if s < 0, s != wt_averror_eagain() { decodeErrors += 1 }
        }
    }

    private func convert(_ f: UnsafeMutablePointer<AVFrame>) -> Frame? {
        let (w, h) = (Int(f.pointee.width), Int(f.pointee.height))
        guard w > 0, h > 0 else { return nil }
        let planes = keepsPlanes ? planes(of: f) : nil
        var image: PixelBuffer?
        if planes == nil || rgbFrames == .always {
            let data = withUnsafePointer(to: &f.pointee.data) { srcData in
                withUnsafePointer(to: &f.pointee.linesize) { srcLines in
                    srcData.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { sp in
                        srcLines.withMemoryRebound(to: Int32.self, capacity: 8) { lp in
                            packing.convert(data: sp, lines: lp, width: w, height: h, pixelFormat: AVPixelFormat(rawValue: f.pointee.format),
                                            colourSpace: f.pointee.colorspace, fullRange: f.pointee.color_range == AVCOL_RANGE_JPEG, to: outputFormat)
                        }
                    }
                }
            }
            guard let data else { return nil }
            image = PixelBuffer(width: w, height: h, format: outputFormat, data: data)
            if info.rotation != 0 { image = image!.rotated(clockwise: info.rotation) }
        }
        var ts: Double
        let pts = f.pointee.best_effort_timestamp
        let fromPts = Double(pts) * timeBase
        // A damaged time base or timestamp: continue from the last one at the nominal rate.
        if pts != wt_nopts_value(), fromPts.isFinite, abs(fromPts) < 1e9 { ts = fromPts }
        else if let last = lastTimestamp { ts = last + (info.fps > 0 && info.fps < 1e4 ? 1 / info.fps : 1.0 / 30) }
        else { ts = 0 }
        lastTimestamp = ts
        defer { framesDecoded += 1 }
        return Frame(index: framesDecoded, timestamp: ts, packed: image, planes: planes)
    }

    /// A copy of the frame's samples when it is 8-bit limited-range yuv420p of even size shown
    /// without rotation; else nil, with the cause in `planesRefusal`.
    private func planes(of f: UnsafeMutablePointer<AVFrame>) -> YUV420Image? {
        let (w, h) = (Int(f.pointee.width), Int(f.pointee.height))
        let format = AVPixelFormat(rawValue: f.pointee.format)
        if info.rotation != 0 { planesRefusal = "the input is shown rotated by \(info.rotation)°" }
        else if format != AV_PIX_FMT_YUV420P {
            planesRefusal = "the input's frames are \(av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "of an unknown format"), not yuv420p"
        }
        else if f.pointee.color_range == AVCOL_RANGE_JPEG { planesRefusal = "the input's samples are full range" }
        else if w % 2 != 0 || h % 2 != 0 { planesRefusal = "the input's frames are \(w)×\(h), an odd size" }
        else { planesRefusal = nil }
        guard planesRefusal == nil else { return nil }
        func copy(_ plane: Int, _ pw: Int, _ ph: Int) -> [UInt8]? {
            let stride = withUnsafePointer(to: &f.pointee.linesize) { $0.withMemoryRebound(to: Int32.self, capacity: 8) { Int($0[plane]) } }
            let base = withUnsafePointer(to: &f.pointee.data) { $0.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { $0[plane] } }
            guard let base, stride >= pw else { return nil }
            return [UInt8](unsafeUninitializedCapacity: pw * ph) { out, n in
                for y in 0..<ph { (out.baseAddress! + y * pw).update(from: base + y * stride, count: pw) }
                n = pw * ph
            }
        }
        guard let y = copy(0, w, h), let cb = copy(1, w / 2, h / 2), let cr = copy(2, w / 2, h / 2) else {
            planesRefusal = "the decoder's planes have an unusual layout (negative or short strides)"
            return nil
        }
        return YUV420Image(width: w, height: h, matrix: f.pointee.colorspace == AVCOL_SPC_BT709 ? .bt709 : .bt601, luma: y, cb: cb, cr: cr)
    }
}
