import Foundation
internal import CFFmpeg

/// Still images through FFmpeg's own decoders and encoders (JPEG, PNG, anything FFmpeg reads).
public enum ImageIO {
    /// Decodes the first picture of an image file into packed pixels.
    public static func read(_ url: URL, format: PixelBuffer.Format = .rgb24) throws -> PixelBuffer {
        let reader: VideoReader
        do { reader = try VideoReader(url: url, format: format, threads: 1) }
        catch let e as MediaError { throw MediaError(.badImage, path: e.path, reason: e.reason) }
        guard let frame = reader.nextFrame() else {
            throw MediaError(.badImage, path: url.path, reason: "no decodable picture")
        }
        return frame.image
    }

    /// Encodes `image` as PNG and writes it atomically to `url`.
    public static func writePNG(_ image: PixelBuffer, to url: URL) throws {
        try AtomicFile.write(encode(image, codecID: AV_CODEC_ID_PNG, pixelFormat: AV_PIX_FMT_RGB24, quality: nil, path: url.path), to: url)
    }

    /// Encodes `image` as baseline JPEG (`quality` 2 = best … 31 = worst, FFmpeg's qscale) and writes it atomically.
    public static func writeJPEG(_ image: PixelBuffer, quality: Int = 3, to url: URL) throws {
        try AtomicFile.write(encode(image, codecID: AV_CODEC_ID_MJPEG, pixelFormat: AV_PIX_FMT_YUVJ444P, quality: quality, path: url.path), to: url)
    }

    private static func encode(_ image: PixelBuffer, codecID: AVCodecID, pixelFormat: AVPixelFormat, quality: Int?, path: String) throws -> Data {
        guard let codec = avcodec_find_encoder(codecID) else {
            throw MediaError(.write, path: path, reason: "FFmpeg has no \(String(cString: avcodec_get_name(codecID))) encoder")
        }
        var ctx = avcodec_alloc_context3(codec)
        var frame = av_frame_alloc()
        var pkt = av_packet_alloc()
        defer { avcodec_free_context(&ctx); av_frame_free(&frame); av_packet_free(&pkt) }
        guard let ctx, let frame, let pkt else { throw MediaError(.write, path: path, reason: "out of memory") }
        ctx.pointee.width = Int32(image.width)
        ctx.pointee.height = Int32(image.height)
        ctx.pointee.pix_fmt = pixelFormat
        ctx.pointee.time_base = AVRational(num: 1, den: 1)
        if let quality {
            ctx.pointee.flags |= AV_CODEC_FLAG_QSCALE
            ctx.pointee.global_quality = Int32(quality) * FF_QP2LAMBDA
        }
        try check(avcodec_open2(ctx, codec, nil), .write, path: path, "cannot open the image encoder")
        frame.pointee.width = Int32(image.width)
        frame.pointee.height = Int32(image.height)
        frame.pointee.format = pixelFormat.rawValue
        if let quality { frame.pointee.quality = Int32(quality) * FF_QP2LAMBDA }
        try check(av_frame_get_buffer(frame, 0), .write, path: path, "cannot allocate a frame")
        let sws = sws_getContext(Int32(image.width), Int32(image.height), image.format == .rgb24 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_BGR24,
                                 Int32(image.width), Int32(image.height), pixelFormat, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nil, nil, nil)
        defer { sws_freeContext(sws) }
        scalePacked(image, with: sws, into: frame)
        try check(avcodec_send_frame(ctx, frame), .write, path: path, "image encoding failed")
        try check(avcodec_send_frame(ctx, nil), .write, path: path, "image encoding failed")
        var out = Data()
        while avcodec_receive_packet(ctx, pkt) == 0 {
            out.append(pkt.pointee.data, count: Int(pkt.pointee.size))
            av_packet_unref(pkt)
        }
        return out
    }
}

/// Writes whole files under a temporary name in the same folder, then renames.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let tmp = temporaryURL(for: url)
        do {
            try data.write(to: tmp)
            try rename(tmp, to: url)
        } catch let e as MediaError {
            try? FileManager.default.removeItem(at: tmp); throw e
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw MediaError(.write, path: url.path, reason: "cannot write: \((error as NSError).localizedDescription)")
        }
    }

    /// A hidden temporary name beside `url`, unique to this process.
    public static func temporaryURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
    }

    /// Moves `tmp` onto `url`, replacing what is there.
    public static func rename(_ tmp: URL, to url: URL) throws {
        if Foundation.rename(tmp.path, url.path) != 0 {
            throw MediaError(.write, path: url.path, reason: "cannot rename into place: \(String(cString: strerror(errno)))")
        }
    }
}
