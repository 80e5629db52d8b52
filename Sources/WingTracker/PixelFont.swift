import MediaIO

/// A 3×5 pixel font for overlay labels: digits, '.', '-', ' ' and the letters of "ID".
/// Each glyph is five rows of three bits, most significant bit on the left.
enum PixelFont {
    static let glyphs: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7], "4": [5, 5, 7, 1, 1],
        "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
        ".": [0, 0, 0, 0, 2], "-": [0, 0, 7, 0, 0], " ": [0, 0, 0, 0, 0], "I": [7, 2, 2, 2, 7], "D": [6, 5, 5, 5, 6],
    ]

    /// Width in pixels of `text` at `scale` (4 font pixels per character including the gap).
    static func width(_ text: String, scale: Int) -> Int { text.count * 4 * scale - scale }

    /// Draws `text` with its top-left corner at (x, y); each font pixel is a `scale`×`scale` square.
    /// Characters without a glyph are drawn as blanks.
    static func draw<C: OverlayCanvas>(_ text: String, x: Int, y: Int, scale: Int, color: (UInt8, UInt8, UInt8), on img: inout C) {
        let ink = img.ink(color)
        for (k, ch) in text.enumerated() {
            guard let rows = glyphs[ch] else { continue }
            for (r, bits) in rows.enumerated() {
                for c in 0..<3 where bits & (4 >> UInt8(c)) != 0 {
                    for dy in 0..<scale { for dx in 0..<scale {
                        img.paint(x + (4 * k + c) * scale + dx, y + r * scale + dy, ink)
                    }}
                }
            }
        }
    }
}
