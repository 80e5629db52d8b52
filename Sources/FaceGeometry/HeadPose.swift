import Foundation

/// Head pose from 68 landmarks, in degrees.
///
/// - **Roll** (in-plane): `Landmarks68.roll` in degrees, positive clockwise on screen (the image x
///   axis turned towards y, which points down). Geometry alone: no model.
/// - **Yaw** (turn left/right): a linear regression on the 136 coordinates of the points aligned to
///   the reference shape (translation, scale and roll removed), fitted by `wingtrack fit-pose` on
///   faces with a measured yaw. AFLW2000-3D's sign: positive when the face turns towards the image's
///   left (its nose points left). The reference shape is mirror-symmetric and the fit sees every face
///   mirrored too, so a mirrored face gets the opposite yaw.
///
/// Stored as JSON (`models/head_pose.json`).
public struct HeadPose: Codable, Sendable {
    public static let format = "wingtrack-head-pose 1"
    public var format = HeadPose.format
    /// The shape the points are aligned to: 68 points, x then y per point.
    public var reference: [Float]
    /// Yaw = offset + Σ weights[i] · aligned[i] over the aligned shape's x0, y0, x1, y1, … (degrees).
    public var yawWeights: [Float]
    public var yawOffset: Float
    /// How the fit was made and what it measured (data, faces, ridge strength, val error).
    public var provenance: [String: String]

    public init(reference: [Point], yawWeights: [Float], yawOffset: Float, provenance: [String: String]) {
        self.reference = reference.flatMap { [$0.x, $0.y] }
        self.yawWeights = yawWeights; self.yawOffset = yawOffset; self.provenance = provenance
    }

    public var referenceShape: [Point] { stride(from: 0, to: reference.count, by: 2).map { Point(reference[$0], reference[$0 + 1]) } }

    /// Roll of 68 points in degrees (positive clockwise on screen): `Landmarks68.roll`.
    public static func roll(_ points: [Point]) -> Float { Landmarks68.roll(points) * 180 / .pi }

    /// `points` mapped onto `reference` by their Procrustes fit: x0, y0, x1, y1, … (the yaw's features).
    public static func aligned(_ points: [Point], to reference: [Point]) -> [Float] {
        Procrustes.fit(from: points, to: reference).apply(points).flatMap { [$0.x, $0.y] }
    }

    /// Yaw in degrees, clamped to ±90.
    public func yaw(_ points: [Point]) -> Float {
        let x = Self.aligned(points, to: referenceShape)
        var y = yawOffset
        for (w, v) in zip(yawWeights, x) { y += w * v }
        return max(-90, min(90, y))
    }

    /// The mirror image of `shape` about x = 0 with the 68-point left/right renumbering.
    public static func mirrored(_ shape: [Point]) -> [Point] { Landmarks68.flipped(shape, width: 0) }

    /// `shape` made mirror-symmetric: the mean of it and its mirror image (centred on x = 0 first).
    public static func symmetrised(_ shape: [Point]) -> [Point] {
        let c = centroid(shape)
        let centred = shape.map { $0 - c }
        return zip(centred, mirrored(centred)).map { ($0 + $1) * 0.5 }
    }

    /// Reads a head-pose file; errors name the file and what is wrong.
    public static func load(_ url: URL) throws -> HeadPose {
        let fail = { (why: String) in HeadPoseFileError(description: "\(url.path): \(why)") }
        guard let data = FileManager.default.contents(atPath: url.path) else { throw fail("cannot read the head-pose file") }
        let pose: HeadPose
        do { pose = try JSONDecoder().decode(HeadPose.self, from: data) } catch { throw fail("not a head-pose file (\(error))") }
        guard pose.format == format else { throw fail("format '\(pose.format)', expected '\(format)'") }
        guard pose.reference.count == 2 * Landmarks68.count, pose.yawWeights.count == 2 * Landmarks68.count else {
            throw fail("needs 136 reference and 136 yaw values, has \(pose.reference.count) and \(pose.yawWeights.count)")
        }
        guard (pose.reference + pose.yawWeights + [pose.yawOffset]).allSatisfy(\.isFinite) else { throw fail("holds a value that is not finite") }
        return pose
    }

    /// Writes the file (pretty JSON, keys sorted).
    public func save(_ url: URL) throws {
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(self).write(to: url, options: .atomic)
    }
}

/// A head-pose file that cannot be used, with the file and the cause.
public struct HeadPoseFileError: Error, CustomStringConvertible {
    public var description: String
}
