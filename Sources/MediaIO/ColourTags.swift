/// How a stream's samples map to colours: its colour primaries, transfer characteristic and
/// matrix, as FFmpeg's numeric codes (ISO/IEC 23091-2; 2 = unspecified). `VideoReader` reads them
/// from the input and `VideoWriter` stores them on the overlay, so that a player shows the overlay's
/// frames in the input's colours.
public struct ColourTags: Sendable, Equatable {
    public var primaries: Int32 = 2
    public var transfer: Int32 = 2
    public var matrix: Int32 = 2
    public init() {}
    public init(primaries: Int32, transfer: Int32, matrix: Int32) {
        self.primaries = primaries; self.transfer = transfer; self.matrix = matrix
    }
}
