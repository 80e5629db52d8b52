import Foundation
internal import CFFmpeg

/// Encodes frames into a video file: H.264 (libx264, yuv420p) in MP4 (`+faststart`), MOV or MKV by
/// extension, falling back to MPEG-4 part 2 when libx264 is missing. RGB frames are converted to
/// yuv420p; `YUV420Image` samples are encoded as they are. Frames keep their own timestamps
/// (variable frame rate survives). Optionally copies the first audio stream of a source file packet
/// for packet.
///
/// Writes to a hidden temporary file beside the target and renames it on `finish()`; a writer
/// released without `finish()` (or after a failure) deletes its temporary file. Not thread-safe.
public final class VideoWriter {
    public struct Options: Sendable {
        /// x264's constant rate factor, 0 (lossless) … 51; lower is better and bigger. 23 (x264's own
        /// default): on decoded yuv420p frames, closer to the input than the RGB route at 20 was, in
        /// fewer bytes and less encoder time (docs/performance.md).
        public var crf: Int = 23
        /// One of `VideoWriter.x264Presets`; faster presets encode with less CPU into bigger files.
        public var preset: String = "veryfast"
        /// Encoder threads: 0 = FFmpeg chooses (all cores); nil = one thread for frames of up to
        /// `oneThreadMaxPixels`, FFmpeg's choice above.
        public var threads: Int? = nil
        /// The size rule of `threads` = nil. On two cores beside the tracker's networks one thread
        /// measured fastest up to 1280×720 with f32 networks, and below 1280×720 with int8 ones
        /// (which leave x264 more of the second core); FFmpeg's choice above (docs/performance.md).
        public var oneThreadMaxPixels = 1280 * 720

        /// The encoder threads for a `width`×`height` video (`threads`, or its size rule).
        public func encoderThreads(width: Int, height: Int) -> Int {
            threads ?? (width * height <= oneThreadMaxPixels ? 1 : 0)
        }
        /// Frame rate hint for rate control (timestamps still decide timing).
        public var frameRate: Double = 30
        /// Copy the first audio stream of this file, if the container accepts its codec.
        public var audioSource: URL? = nil
        /// Colour tags to store (the input's, for an overlay); nil stores none.
        public var colourTags: ColourTags? = nil
        /// Display rotation to store (clockwise degrees a player applies: 0, 90, 180, 270).
        public var displayRotation: Int = 0
        public init() {}
    }

    /// libx264's presets, fastest first.
    public static let x264Presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]

    public let url: URL
    public let width: Int, height: Int
    /// Encoded size (even), may exceed width/height by one.
    public let codedWidth: Int, codedHeight: Int
    /// Things the user should know: codec fallback, padding, dropped audio.
    public private(set) var notes: [String] = []
    public private(set) var framesWritten = 0
    public private(set) var audioPacketsWritten = 0
    public var codecName: String { codec.map { String(cString: $0.pointee.name) } ?? "?" }

    private let temporaryURL: URL
    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private var codecContext: UnsafeMutablePointer<AVCodecContext>?
    private var codec: UnsafePointer<AVCodec>?
    private var stream: UnsafeMutablePointer<AVStream>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var sws: OpaquePointer?
    /// The context `sws` had when its colour matrices were last set (a new context needs them again).
    private var swsMatricesSet: OpaquePointer?
    /// The stream's matrix tag (FFmpeg's code; 2 = unspecified), for the RGB conversion.
    private var matrixCode: Int32 = 2
    private var lastPts: Int64 = Int64.min
    private var finished = false
    private var headerWritten = false
    private let timeBase = AVRational(num: 1, den: 90_000)
    private let frameDuration: Int64
    // Audio passthrough.
    private var audioInput: UnsafeMutablePointer<AVFormatContext>?
    private var audioInStream: Int32 = -1
    private var audioOutStream: UnsafeMutablePointer<AVStream>?
    private var audioPacket: UnsafeMutablePointer<AVPacket>?
    private var audioDone = true

    /// Creates the output (under a temporary name). Throws `MediaError` naming `url` on failure.
    public init(url: URL, width: Int, height: Int, options: Options = Options()) throws {
        guard width > 0, height > 0, width <= 16384, height <= 16384 else {
            throw MediaError(.write, path: url.path, reason: "cannot encode a \(width)x\(height) video")
        }
        self.url = url
        self.width = width; self.height = height
        codedWidth = width + (width & 1); codedHeight = height + (height & 1)
        frameDuration = Int64((90_000 / max(1, options.frameRate)).rounded())
        let ext = url.pathExtension.lowercased()
        temporaryURL = url.deletingLastPathComponent().appendingPathComponent(".\(url.deletingPathExtension().lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp.\(ext)")
        if codedWidth != width || codedHeight != height {
            notes.append("odd size \(width)x\(height) padded to \(codedWidth)x\(codedHeight) for yuv420p")
        }
        do { try open(options: options, ext: ext) } catch { release(); removeTemporary(); throw error }
    }

    deinit {
        release()
        if !finished { removeTemporary() }
    }

    private func removeTemporary() { try? FileManager.default.removeItem(at: temporaryURL) }

    /// Abandons the output now: frees the encoder and deletes the temporary file (deinit does the same,
    /// but its timing is not guaranteed when other threads held the writer). No-op after `finish()`.
    public func discard() {
        guard !finished else { return }
        release()
        removeTemporary()
    }

    private func open(options: Options, ext: String) throws {
        let path = url.path
        let muxer: String
        switch ext {
        case "mp4", "m4v": muxer = "mp4"
        case "mov": muxer = "mov"
        case "mkv": muxer = "matroska"
        default: throw MediaError(.write, path: path, reason: "unsupported output extension '.\(ext)' (use .mp4, .mov or .mkv)")
        }
        try check(avformat_alloc_output_context2(&formatContext, nil, muxer, temporaryURL.path), .write, path: path, "cannot create the \(muxer) muxer")
        guard let fmt = formatContext else { throw MediaError(.write, path: path, reason: "cannot create the muxer") }
        codec = avcodec_find_encoder_by_name("libx264")
        if codec == nil {
            codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4)
            notes.append("libx264 is not available: writing MPEG-4 part 2 instead of H.264")
        }
        guard let codec else { throw MediaError(.write, path: path, reason: "no H.264 or MPEG-4 encoder in this FFmpeg") }
        guard let st = avformat_new_stream(fmt, nil), let ctx = avcodec_alloc_context3(codec) else {
            throw MediaError(.write, path: path, reason: "out of memory")
        }
        stream = st; codecContext = ctx
        ctx.pointee.width = Int32(codedWidth)
        ctx.pointee.height = Int32(codedHeight)
        ctx.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        ctx.pointee.time_base = timeBase
        ctx.pointee.framerate = av_d2q(options.frameRate, 100_000)
        ctx.pointee.thread_count = Int32(options.encoderThreads(width: width, height: height))
        matrixCode = options.colourTags?.matrix ?? 2
        if let tags = options.colourTags {
            ctx.pointee.color_primaries = AVColorPrimaries(rawValue: UInt32(bitPattern: tags.primaries))
            ctx.pointee.color_trc = AVColorTransferCharacteristic(rawValue: UInt32(bitPattern: tags.transfer))
            ctx.pointee.colorspace = AVColorSpace(rawValue: UInt32(bitPattern: tags.matrix))
        }
        if fmt.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        var opts: OpaquePointer?
        defer { av_dict_free(&opts) }
        if String(cString: codec.pointee.name) == "libx264" {
            av_dict_set(&opts, "crf", String(options.crf), 0)
            av_dict_set(&opts, "preset", options.preset, 0)
        } else {
            ctx.pointee.bit_rate = Int64(codedWidth * codedHeight) * 4
        }
        try check(avcodec_open2(ctx, codec, &opts), .write, path: path, "cannot open the video encoder")
        try check(avcodec_parameters_from_context(st.pointee.codecpar, ctx), .write, path: path, "encoder parameters")
        st.pointee.time_base = timeBase
        if options.displayRotation % 360 != 0 {
            try check(wt_stream_set_display_rotation(st, Double(options.displayRotation)), .write, path: path, "cannot store the rotation")
        }
        if let src = options.audioSource { openAudio(src, into: fmt) }
        if fmt.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            try check(avio_open(&fmt.pointee.pb, temporaryURL.path, AVIO_FLAG_WRITE), .write, path: path, "cannot create the file")
        }
        var muxOpts: OpaquePointer?
        defer { av_dict_free(&muxOpts) }
        if muxer == "mp4" || muxer == "mov" { av_dict_set(&muxOpts, "movflags", "+faststart", 0) }
        try check(avformat_write_header(fmt, &muxOpts), .write, path: path, "cannot write the header")
        headerWritten = true
        frame = av_frame_alloc()
        packet = av_packet_alloc()
        guard let frame else { throw MediaError(.write, path: path, reason: "out of memory") }
        frame.pointee.width = Int32(codedWidth)
        frame.pointee.height = Int32(codedHeight)
        frame.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        try check(av_frame_get_buffer(frame, 0), .write, path: path, "cannot allocate a frame")
    }

    /// Adds an output stream copying the source's first audio stream; notes why when it cannot.
    private func openAudio(_ src: URL, into fmt: UnsafeMutablePointer<AVFormatContext>) {
        var inCtx: UnsafeMutablePointer<AVFormatContext>?
        guard avformat_open_input(&inCtx, src.path, nil, nil) >= 0, let inCtx else { notes.append("audio not copied: cannot open \(src.lastPathComponent)"); return }
        audioInput = inCtx
        guard avformat_find_stream_info(inCtx, nil) >= 0 else { notes.append("audio not copied: cannot read \(src.lastPathComponent)"); return }
        let idx = av_find_best_stream(inCtx, AVMEDIA_TYPE_AUDIO, -1, -1, nil, 0)
        guard idx >= 0 else { return }   // no audio: nothing to copy, nothing to say
        let inStream = inCtx.pointee.streams[Int(idx)]!
        let codecID = inStream.pointee.codecpar.pointee.codec_id
        guard avformat_query_codec(fmt.pointee.oformat, codecID, FF_COMPLIANCE_NORMAL) == 1 else {
            notes.append("audio not copied: \(String(cString: avcodec_get_name(codecID))) is not accepted by this container")
            return
        }
        guard let out = avformat_new_stream(fmt, nil), avcodec_parameters_copy(out.pointee.codecpar, inStream.pointee.codecpar) >= 0 else {
            notes.append("audio not copied: cannot create the stream"); return
        }
        out.pointee.codecpar.pointee.codec_tag = 0
        out.pointee.time_base = inStream.pointee.time_base
        audioInStream = idx
        audioOutStream = out
        audioPacket = av_packet_alloc()
        audioDone = false
    }

    /// Copies source audio packets with presentation time up to `seconds` (all of them when nil).
    private func pumpAudio(upTo seconds: Double?) throws {
        guard !audioDone, let inCtx = audioInput, let pkt = audioPacket, let out = audioOutStream, let fmt = formatContext else { return }
        let inTB = inCtx.pointee.streams[Int(audioInStream)]!.pointee.time_base
        while true {
            if av_read_frame(inCtx, pkt) < 0 { audioDone = true; return }
            if pkt.pointee.stream_index != audioInStream { av_packet_unref(pkt); continue }
            let ts = pkt.pointee.pts != wt_nopts_value() ? Double(pkt.pointee.pts) * av_q2d(inTB) : nil
            av_packet_rescale_ts(pkt, inTB, out.pointee.time_base)
            pkt.pointee.stream_index = out.pointee.index
            pkt.pointee.pos = -1
            let r = av_interleaved_write_frame(fmt, pkt)
            av_packet_unref(pkt)
            try check(r, .write, path: url.path, "cannot write audio")
            audioPacketsWritten += 1
            if let seconds, let ts, ts > seconds { return }
        }
    }

    /// Encodes one frame shown at `timestamp` seconds. Timestamps must increase; a frame whose
    /// timestamp rounds onto the previous one is moved one tick (1/90000 s) later. A frame of another
    /// size than the writer's (a stream whose resolution changes midway) is scaled to the writer's.
    public func write(_ image: PixelBuffer, timestamp: Double) throws {
        guard let frame else { return }
        guard image.width > 0, image.height > 0, image.data.count >= image.rowBytes * image.height else {
            throw MediaError(.write, path: url.path, reason: "empty or inconsistent frame \(image.width)x\(image.height)")
        }
        let path = url.path
        try check(av_frame_make_writable(frame), .write, path: path, "frame not writable")
        let sameSize = image.width == width && image.height == height
        let src = !sameSize || (codedWidth == width && codedHeight == height) ? image : padded(image)
        // A cached context: rebuilt only when the source format or size changes.
        sws = sws_getCachedContext(sws, Int32(src.width), Int32(src.height), src.format == .rgb24 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_BGR24,
                                   Int32(codedWidth), Int32(codedHeight), AV_PIX_FMT_YUV420P, SWS_BILINEAR, nil, nil, nil)
        guard sws != nil else { throw MediaError(.write, path: path, reason: "cannot convert a \(src.width)x\(src.height) frame") }
        // The matrix the stream is tagged with (untagged: BT.601, as readers assume), so that a
        // player shows the colours that were written.
        if swsMatricesSet != sws {
            setColourMatrices(of: sws!, output: matrixCode)
            swsMatricesSet = sws
        }
        scalePacked(src, with: sws, into: frame)
        try encode(timestamp: timestamp)
    }

    /// Encodes yuv420p samples shown at `timestamp` seconds, as `write(_:timestamp:)` does with RGB.
    /// Samples of the writer's size go to the encoder as they are (no colour conversion, so none of
    /// its rounding); another size is scaled to the writer's.
    public func write(_ planes: YUV420Image, timestamp: Double) throws {
        guard let frame else { return }
        try check(av_frame_make_writable(frame), .write, path: url.path, "frame not writable")
        let sameSize = planes.width == codedWidth && planes.height == codedHeight
        if !sameSize {
            sws = sws_getCachedContext(sws, Int32(planes.width), Int32(planes.height), AV_PIX_FMT_YUV420P,
                                       Int32(codedWidth), Int32(codedHeight), AV_PIX_FMT_YUV420P, SWS_BILINEAR, nil, nil, nil)
            guard sws != nil else { throw MediaError(.write, path: url.path, reason: "cannot scale a \(planes.width)x\(planes.height) frame") }
        }
        planes.luma.withUnsafeBufferPointer { y in planes.cb.withUnsafeBufferPointer { u in planes.cr.withUnsafeBufferPointer { v in
            let src: [UnsafePointer<UInt8>?] = [y.baseAddress, u.baseAddress, v.baseAddress, nil]
            let srcStrides: [Int32] = [Int32(planes.width), Int32(planes.chromaWidth), Int32(planes.chromaWidth), 0]
            withUnsafeMutablePointer(to: &frame.pointee.data) { dd in
                withUnsafeMutablePointer(to: &frame.pointee.linesize) { dl in
                    dd.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
                        dl.withMemoryRebound(to: Int32.self, capacity: 8) { dstStrides in
                            if sameSize {
                                for (p, (pw, ph)) in [(planes.width, planes.height), (planes.chromaWidth, planes.chromaHeight),
                                                      (planes.chromaWidth, planes.chromaHeight)].enumerated() {
                                    for row in 0..<ph {
                                        (dst[p]! + row * Int(dstStrides[p])).update(from: src[p]! + row * pw, count: pw)
                                    }
                                }
                            } else {
                                _ = sws_scale(sws, src, srcStrides, 0, Int32(planes.height), dst, dstStrides)
                            }
                        }
                    }
                }
            }
        }}}
        try encode(timestamp: timestamp)
    }

    /// Encodes a decoded frame: its yuv420p samples as they are when it carries them (`Frame.planes`),
    /// else its RGB picture.
    public func write(_ frame: Frame) throws {
        if let planes = frame.planes { try write(planes, timestamp: frame.timestamp) } else { try write(frame.image, timestamp: frame.timestamp) }
    }

    /// Sends the filled `frame` to the encoder at `timestamp`, then writes what comes out.
    private func encode(timestamp: Double) throws {
        guard let frame, let ctx = codecContext else { return }
        var pts = timestamp.isFinite && abs(timestamp) < 1e9 ? Int64((timestamp * 90_000).rounded()) : lastPts + 1
        if pts <= lastPts { pts = lastPts + 1 }
        lastPts = pts
        frame.pointee.pts = pts
        try check(avcodec_send_frame(ctx, frame), .write, path: url.path, "encoding failed")
        try drainPackets()
        try pumpAudio(upTo: timestamp)
        framesWritten += 1
    }

    private func drainPackets() throws {
        guard let ctx = codecContext, let pkt = packet, let st = stream, let fmt = formatContext else { return }
        while true {
            let r = avcodec_receive_packet(ctx, pkt)
            if r == wt_averror_eagain() || r == wt_averror_eof() { return }
            try check(r, .write, path: url.path, "encoding failed")
            // Muxers drop the last frame of a packet with zero duration: give each one a frame's length.
            if pkt.pointee.duration <= 0 { pkt.pointee.duration = frameDuration }
            av_packet_rescale_ts(pkt, ctx.pointee.time_base, st.pointee.time_base)
            pkt.pointee.stream_index = st.pointee.index
            let w = av_interleaved_write_frame(fmt, pkt)
            av_packet_unref(pkt)
            try check(w, .write, path: url.path, "cannot write video")
        }
    }

    /// Flushes the encoder, copies the remaining audio, writes the trailer and renames the file into place.
    public func finish() throws {
        guard !finished, let ctx = codecContext, let fmt = formatContext else { return }
        do {
            try check(avcodec_send_frame(ctx, nil), .write, path: url.path, "encoder flush failed")
            try drainPackets()
            try pumpAudio(upTo: nil)
            try check(av_write_trailer(fmt), .write, path: url.path, "cannot finish the file")
            if fmt.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 { avio_closep(&fmt.pointee.pb) }
            try AtomicFile.rename(temporaryURL, to: url)
            finished = true
        } catch {
            release(); removeTemporary()
            throw error
        }
        release()
    }

    private func padded(_ image: PixelBuffer) -> PixelBuffer {
        var out = PixelBuffer(width: codedWidth, height: codedHeight, format: image.format)
        for y in 0..<codedHeight {
            let sy = min(y, height - 1)
            let srcRow = sy * image.rowBytes, dstRow = y * out.rowBytes
            out.data.replaceSubrange(dstRow..<(dstRow + image.rowBytes), with: image.data[srcRow..<(srcRow + image.rowBytes)])
            if codedWidth > width {
                for c in 0..<3 { out.data[dstRow + width * 3 + c] = image.data[srcRow + (width - 1) * 3 + c] }
            }
        }
        return out
    }

    private func release() {
        if sws != nil { sws_freeContext(sws); sws = nil }
        if frame != nil { av_frame_free(&frame) }
        if packet != nil { av_packet_free(&packet) }
        if audioPacket != nil { av_packet_free(&audioPacket) }
        if audioInput != nil { avformat_close_input(&audioInput) }
        if codecContext != nil { avcodec_free_context(&codecContext) }
        if let fmt = formatContext {
            if fmt.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0, fmt.pointee.pb != nil { avio_closep(&fmt.pointee.pb) }
            avformat_free_context(fmt)
            formatContext = nil
        }
    }
}
