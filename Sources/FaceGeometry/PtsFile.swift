import Foundation

/// Parser for 300-W `.pts` files: `version: …`, `n_points: N`, `{`, N lines `x y`, `}`.
/// Values are 1-based pixel centres; the parser returns project coordinates (−0.5).
public enum PtsFile {
    public struct ParseError: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public static func parse(_ text: String) throws -> [Point] {
        var lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        lines.removeAll { $0.isEmpty }
        guard let nLine = lines.first(where: { $0.hasPrefix("n_points") }),
              let n = Int(nLine.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") else {
            throw ParseError(reason: "missing 'n_points:' line")
        }
        guard let open = lines.firstIndex(of: "{"), let close = lines.lastIndex(of: "}"), close > open else {
            throw ParseError(reason: "missing '{' … '}' block")
        }
        let body = lines[(open + 1)..<close]
        guard body.count == n else { throw ParseError(reason: "n_points says \(n), found \(body.count) point lines") }
        return try body.map { line in
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count == 2, let x = Float(parts[0]), let y = Float(parts[1]) else {
                throw ParseError(reason: "bad point line '\(line)'")
            }
            return Point(x - 0.5, y - 0.5)
        }
    }
}

