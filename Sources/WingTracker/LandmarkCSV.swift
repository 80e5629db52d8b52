import Foundation

/// The per-video landmark table, in OpenFace FeatureExtraction's column layout:
/// `frame,face_id,timestamp,confidence,success,x_0..x_67,y_0..y_67,box_x,box_y,box_w,box_h`.
///
/// One row per decoded frame and face id (ids 0 ..< maxFaces, in order); `frame` is 1-based, `timestamp` is the presentation time in seconds,
/// coordinates are continuous image coordinates (pixel centres at +0.5) with 3 decimals. A frame
/// without a tracked face has `success` 0, its confidence, and empty landmark and box fields.
public enum LandmarkCSV {
    public static let landmarkCount = 68

    public static var header: String {
        var cols = ["frame", "face_id", "timestamp", "confidence", "success"]
        cols += (0..<landmarkCount).map { "x_\($0)" }
        cols += (0..<landmarkCount).map { "y_\($0)" }
        cols += ["box_x", "box_y", "box_w", "box_h"]
        return cols.joined(separator: ",")
    }

    /// One row (no newline).
    public static func row(frame: Int, faceID: Int, timestamp: Double, observation o: Tracker.Observation) -> String {
        var s = "\(frame),\(faceID),\(String(format: "%.6f", timestamp)),\(String(format: "%.4f", o.confidence)),\(o.success ? 1 : 0)"
        if let pts = o.landmarks, let b = o.box, o.success {
            for p in pts { s += String(format: ",%.3f", p.x) }
            for p in pts { s += String(format: ",%.3f", p.y) }
            s += String(format: ",%.3f,%.3f,%.3f,%.3f", b.minX, b.minY, b.width, b.height)
        } else {
            s += String(repeating: ",", count: 2 * landmarkCount + 4)
        }
        return s
    }
}
