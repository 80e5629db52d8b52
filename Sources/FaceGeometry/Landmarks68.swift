/// The 68-point iBUG scheme: jaw 0–16, brows 17–26, nose 27–35, eyes 36–47, mouth 48–67.
public enum Landmarks68 {
    public static let count = 68

    /// After mirroring an image horizontally, new point i is old point `flip[i]` (with x' = W − x).
    public static let flip: [Int] = [16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
                                     26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
                                     27, 28, 29, 30, 35, 34, 33, 32, 31,
                                     45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,
                                     54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,
                                     64, 63, 62, 61, 60, 67, 66, 65]

    /// Named groups, for per-group errors and for drawing contours.
    public static let groups: [(name: String, range: Range<Int>)] = [
        ("jaw", 0..<17), ("brows", 17..<27), ("nose", 27..<36), ("eyes", 36..<48), ("mouth", 48..<68),
    ]

    /// Polylines of the face contour for overlays: (indices, closed).
    public static let contours: [(indices: [Int], closed: Bool)] = [
        (Array(0...16), false), (Array(17...21), false), (Array(22...26), false),
        (Array(27...30), false), (Array(31...35), false),
        (Array(36...41), true), (Array(42...47), true),
        (Array(48...59), true), (Array(60...67), true),
    ]

    /// Outer eye corners (inter-ocular normalisation).
    public static let outerEyeCorners = (36, 45)

    /// Mirrors a shape in an image `width` wide: x' = width − x, with the point permutation.
    public static func flipped(_ shape: [Point], width: Float) -> [Point] {
        precondition(shape.count == count, "flipped: need 68 points")
        return flip.map { Point(width - shape[$0].x, shape[$0].y) }
    }

    /// Centres of the two eyes (mean of 36–41 and 42–47): the subject's right eye first (image left).
    public static func eyeCentres(_ s: [Point]) -> (Point, Point) {
        (centroid(s[36...41]), centroid(s[42...47]))
    }

    /// In-plane roll in radians: the rotation that best maps `meanShape` onto the 68 points (least
    /// squares over all of them, after centring; positive turns the image x axis towards y). For a
    /// frontal face it agrees with the eye line's angle; unlike the eye line it stays meaningful in
    /// profile, where the two eyes' annotated centres nearly coincide (docs/experiments.md).
    public static func roll(_ s: [Point]) -> Float {
        precondition(s.count == count, "roll: need 68 points")
        return Procrustes.fit(from: meanShape, to: s).angle
    }

    /// The angle of the line from the image-left eye centre to the image-right one (radians).
    public static func eyeLineRoll(_ s: [Point]) -> Float {
        let (l, r) = eyeCentres(s)
        return atan2(r.y - l.y, r.x - l.x)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
