import Foundation
import FaceGeometry

/// The per-video landmark table, in OpenFace FeatureExtraction's column layout:
/// `frame,face_id,timestamp,confidence,success,x_0..x_67,y_0..y_67,box_x,box_y,box_w,box_h,roll_deg,yaw_deg`.
///
/// One row per decoded frame and face id (ids 0 ..< maxFaces, in order); `frame` is 1-based,
/// `timestamp` is the presentation time in seconds, coordinates are continuous image coordinates
/// (pixel centres at +0.5) with 3 decimals. A frame without a tracked face has `success` 0, its
/// confidence, and empty landmark, box and pose fields. `roll_deg` and `yaw_deg` are the head pose
/// of the landmarks (`HeadPose`), 2 decimals; `yaw_deg` is empty without a head-pose file.
public enum LandmarkCSV {
    public static let landmarkCount = 68

    public static var header: String {
        var cols = ["frame", "face_id", "timestamp", "confidence", "success"]
        cols += (0..<landmarkCount).map { "x_\($0)" }
        cols += (0..<landmarkCount).map { "y_\($0)" }
        cols += ["box_x", "box_y", "box_w", "box_h", "roll_deg", "yaw_deg"]
        return cols.joined(separator: ",")
    }

    /// One row (no newline); roll against the mean shape, yaw from `headPose` (empty without one).
    public static func row(frame: Int, faceID: Int, timestamp: Double, observation o: Tracker.Observation, headPose: HeadPose? = nil) -> String {
        var s = "\(frame),\(faceID),\(String(format: "%.6f", timestamp)),"
        FixedDecimal.append(o.confidence, decimals: 4, to: &s)
        s += o.success ? ",1" : ",0"
        if let pts = o.landmarks, let b = o.box, o.success {
            s.reserveCapacity(s.utf8.count + 12 * (2 * pts.count + 6))
            for p in pts { s += ","; FixedDecimal.append(p.x, decimals: 3, to: &s) }
            for p in pts { s += ","; FixedDecimal.append(p.y, decimals: 3, to: &s) }
            for v in [b.minX, b.minY, b.width, b.height] { s += ","; FixedDecimal.append(v, decimals: 3, to: &s) }
            s += ","; FixedDecimal.append(HeadPose.roll(pts), decimals: 2, to: &s); s += ","
            if let headPose { FixedDecimal.append(headPose.yaw(pts), decimals: 2, to: &s) }
        } else {
            s += String(repeating: ",", count: 2 * landmarkCount + 6)
        }
        return s
    }
}
