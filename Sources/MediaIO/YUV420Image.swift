/// An 8-bit 4:2:0 picture in the layout H.264 encodes (yuv420p): a luma plane of width × height and
/// two chroma planes (Cb, Cr) of half the width and half the height, rows packed without padding,
/// limited range (luma 16–235, chroma 16–240). Width and height are even.
///
/// `VideoReader` hands these out beside the RGB picture (`Frame.planes`) so that the overlay can be
/// drawn on the decoded samples and encoded without converting the frame to RGB and back.
public struct YUV420Image: Sendable, Equatable {
    /// The RGB ↔ YUV matrix of the samples (ITU-R BT.601 or BT.709).
    public enum Matrix: String, Sendable {
        case bt601, bt709
        /// The luma weights of red and blue: E'Y = kr·R + (1 − kr − kb)·G + kb·B.
        public var weights: (kr: Double, kb: Double) { self == .bt709 ? (0.2126, 0.0722) : (0.299, 0.114) }
    }

    public let width: Int, height: Int
    public var matrix: Matrix
    /// `width × height` luma samples, top row first.
    public var luma: [UInt8]
    /// `chromaWidth × chromaHeight` samples each.
    public var cb: [UInt8], cr: [UInt8]

    public var chromaWidth: Int { width / 2 }
    public var chromaHeight: Int { height / 2 }

    public init(width: Int, height: Int, matrix: Matrix, luma: [UInt8], cb: [UInt8], cr: [UInt8]) {
        precondition(width > 0 && height > 0 && width % 2 == 0 && height % 2 == 0, "YUV420Image: \(width)x\(height) is not even")
        precondition(luma.count == width * height && cb.count == width * height / 4 && cr.count == cb.count, "YUV420Image: plane sizes")
        self.width = width; self.height = height; self.matrix = matrix
        self.luma = luma; self.cb = cb; self.cr = cr
    }

    /// A uniform picture of the limited-range samples `(y, cb, cr)`.
    public init(width: Int, height: Int, matrix: Matrix = .bt601, filledWith s: (UInt8, UInt8, UInt8) = (16, 128, 128)) {
        self.init(width: width, height: height, matrix: matrix, luma: [UInt8](repeating: s.0, count: width * height),
                  cb: [UInt8](repeating: s.1, count: width * height / 4), cr: [UInt8](repeating: s.2, count: width * height / 4))
    }

    /// The limited-range (Y, Cb, Cr) samples of an 8-bit RGB colour under `matrix`:
    /// E'Y = Kr·R + (1 − Kr − Kb)·G + Kb·B on [0, 1], Y = 16 + 219·E'Y,
    /// Cb = 128 + 224·(B − E'Y) / (2 − 2Kb), Cr = 128 + 224·(R − E'Y) / (2 − 2Kr), rounded.
    public static func samples(r: UInt8, g: UInt8, b: UInt8, matrix: Matrix) -> (UInt8, UInt8, UInt8) {
        let (kr, kb) = matrix.weights
        let (R, G, B) = (Double(r) / 255, Double(g) / 255, Double(b) / 255)
        let ey = kr * R + (1 - kr - kb) * G + kb * B
        func q(_ v: Double) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }
        return (q(16 + 219 * ey), q(128 + 224 * (B - ey) / (2 - 2 * kb)), q(128 + 224 * (R - ey) / (2 - 2 * kr)))
    }
}
