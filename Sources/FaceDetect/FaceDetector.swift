import Foundation
import FaceGeometry

/// Finds faces for (re-)acquisition: a frontal cascade, optionally a profile cascade on the image and
/// its mirror; overlapping hits are merged; boxes are calibrated to the landmarks' bounding square
/// (the box convention the landmark networks were trained on).
public final class FaceDetector: @unchecked Sendable {
    public struct Detection: Sendable, Codable {
        /// Calibrated face box: the expected bounding square of the 68 landmarks.
        public var box: Box
        /// The cascade's own square, in pixels.
        public var raw: PixelRect
        /// Neighbour count of the grouped hit (higher = surer).
        public var score: Int
        /// "frontal", "profile-left" or "profile-right" (the side the face turns to, in the image),
        /// "frontal-rotated" for a hit in the rotated image.
        public var kind: String
        /// In-plane roll of the face in radians (non-zero only for rotated searches).
        public var roll: Float = 0
    }

    /// Map from a cascade's square to the landmarks' bounding square, in units of the square's side:
    /// centre += (dx, dy)·side, side ·= scale.
    public struct Calibration: Codable, Sendable, Equatable {
        public var dx: Float, dy: Float, scale: Float
        public var fittedOn: String
        public init(dx: Float, dy: Float, scale: Float, fittedOn: String) {
            self.dx = dx; self.dy = dy; self.scale = scale; self.fittedOn = fittedOn
        }
        public static let identity = Calibration(dx: 0, dy: 0, scale: 1, fittedOn: "none")
        public func apply(_ r: PixelRect) -> Box {
            let side = Float(max(r.width, r.height))
            let c = Point(Float(r.x) + Float(r.width) / 2, Float(r.y) + Float(r.height) / 2)
            return Box(center: c + Point(dx * side, dy * side), side: side * scale)
        }
    }

    public var frontal: CascadeDetector
    public var profile: CascadeDetector?
    public var frontalCalibration: Calibration
    public var profileCalibration: Calibration

    public init(frontal: Cascade, profile: Cascade?, frontalCalibration: Calibration = .identity, profileCalibration: Calibration = .identity) {
        self.frontal = CascadeDetector(cascade: frontal)
        self.profile = profile.map { CascadeDetector(cascade: $0) }
        self.frontalCalibration = frontalCalibration
        self.profileCalibration = profileCalibration
    }

    /// A detector of the same cascades and calibrations (without parsing them again) with settings of
    /// its own, as `init` sets them: one per worker thread.
    public func copy() -> FaceDetector {
        FaceDetector(frontal: frontal.cascade, profile: profile?.cascade,
                     frontalCalibration: frontalCalibration, profileCalibration: profileCalibration)
    }

    /// The cascade files shipped with wingtrack (OpenCV's, Intel licence in their headers).
    public static func bundledCascade(_ name: String) throws -> Cascade {
        guard let url = Bundle.module.url(forResource: name, withExtension: "xml", subdirectory: "Cascades") else {
            throw Cascade.LoadError(path: "Cascades/\(name).xml", reason: "not in the bundle")
        }
        return try Cascade(contentsOf: url)
    }

    /// The shipped calibration of a cascade, if one was fitted.
    public static func bundledCalibration(_ name: String) -> Calibration? {
        guard let url = Bundle.module.url(forResource: "calibration", withExtension: "json", subdirectory: "Cascades"),
              let data = try? Data(contentsOf: url),
              let all = try? JSONDecoder().decode([String: Calibration].self, from: data) else { return nil }
        return all[name]
    }

    public static let defaultFrontal = "haarcascade_frontalface_alt2"
    public static let defaultProfile = "haarcascade_profileface"

    /// The default detector: shipped frontal (and profile) cascades with their fitted calibrations.
    public static func standard(profile: Bool = true, frontal: String = defaultFrontal) throws -> FaceDetector {
        try FaceDetector(frontal: bundledCascade(frontal), profile: profile ? bundledCascade(defaultProfile) : nil,
                         frontalCalibration: bundledCalibration(frontal) ?? .identity,
                         profileCalibration: bundledCalibration(defaultProfile) ?? .identity)
    }

    /// Threads scanning pyramid levels at once, for every cascade (detections do not depend on it).
    public var threads: Int {
        get { frontal.threads }
        set { frontal.threads = newValue; profile?.threads = newValue }
    }

    /// Coarse-to-fine scan depth for every cascade (`CascadeDetector.refineDepth`; nil: exhaustive).
    public var refineDepth: Int? {
        get { frontal.refineDepth }
        set { frontal.refineDepth = newValue; profile?.refineDepth = newValue }
    }

    /// Sets the smallest and largest face side searched, in pixels.
    public func setSizeRange(min: Int?, max: Int?) {
        frontal.minSize = min; frontal.maxSize = max
        profile?.minSize = min; profile?.maxSize = max
    }

    /// Faces in `image` (optionally only in `region`), best first: frontal and (if loaded) profile on
    /// both sides.
    public func detect(_ image: GreyImage, region: PixelRect? = nil) -> [Detection] {
        merged(detectFrontal(image, region: region) + detectProfiles(image, region: region))
    }

    /// The frontal cascade alone.
    public func detectFrontal(_ image: GreyImage, region: PixelRect? = nil) -> [Detection] {
        frontal.detect(image, region: region).map {
            Detection(box: frontalCalibration.apply($0.rect), raw: $0.rect, score: $0.neighbors, kind: "frontal")
        }
    }

    /// The profile cascade on the image (faces turned to the image's right) and on its mirror (the
    /// others); empty when no profile cascade is loaded.
    public func detectProfiles(_ image: GreyImage, region: PixelRect? = nil) -> [Detection] {
        guard let profile else { return [] }
        var all = profile.detect(image, region: region).map {
            Detection(box: profileCalibration.apply($0.rect), raw: $0.rect, score: $0.neighbors, kind: "profile-right")
        }
        let mirroredRegion = region.map { PixelRect(x: image.width - $0.x - $0.width, y: $0.y, width: $0.width, height: $0.height) }
        all += profile.detect(image.mirrored(), region: mirroredRegion).map { d in
            let r = PixelRect(x: image.width - d.rect.x - d.rect.width, y: d.rect.y, width: d.rect.width, height: d.rect.height)
            var b = profileCalibration.apply(PixelRect(x: d.rect.x, y: d.rect.y, width: d.rect.width, height: d.rect.height))
            b = Box(minX: Float(image.width) - b.maxX, minY: b.minY, maxX: Float(image.width) - b.minX, maxY: b.maxY)
            return Detection(box: b, raw: r, score: d.neighbors, kind: "profile-left")
        }
        return merged(all)
    }

    /// The frontal cascade on the image rotated by `degrees` (counter-clockwise on screen) about the
    /// centre of `region` (or of the image), for faces rolled by about that much. Boxes are mapped
    /// back into the image; `roll` carries the angle (radians, the image convention of
    /// `SimilarityTransform`: a face rolled clockwise on screen has a positive roll).
    public func detectRotated(_ image: GreyImage, degrees: Float, region: PixelRect? = nil) -> [Detection] {
        let r = region ?? PixelRect(x: 0, y: 0, width: image.width, height: image.height)
        // The rotated view covers the region's circumscribed square, so nothing of the region is cut.
        let side = Int((Float(r.width * r.width + r.height * r.height)).squareRoot().rounded(.up))
        let centre = Point(Float(r.x) + Float(r.width) / 2, Float(r.y) + Float(r.height) / 2)
        let angle = degrees * .pi / 180
        // view → image: rotate the view by `angle` about its centre and place it at `centre`.
        let viewToImage = SimilarityTransform(scale: 1, angle: angle, tx: 0, ty: 0)
        let half = Float(side) / 2
        let offset = centre - viewToImage.apply(Point(half, half))
        let map = SimilarityTransform(a: viewToImage.a, b: viewToImage.b, tx: offset.x, ty: offset.y)
        let view = image.warped(side: side, viewToImage: map)
        return detectFrontal(view).map { d in
            var out = d
            let c = map.apply(d.box.center)
            out.box = Box(center: c, side: d.box.squareSide)
            let rc = map.apply(Point(Float(d.raw.x) + Float(d.raw.width) / 2, Float(d.raw.y) + Float(d.raw.height) / 2))
            out.raw = PixelRect(x: Int(rc.x) - d.raw.width / 2, y: Int(rc.y) - d.raw.height / 2, width: d.raw.width, height: d.raw.height)
            out.kind = "frontal-rotated"
            out.roll = angle
            return out
        }
    }

    /// Merges overlaps: keeps the strongest of any pair with IoU > 0.3; best first.
    func merged(_ detections: [Detection]) -> [Detection] {
        let all = detections.sorted { $0.score > $1.score }
        var kept: [Detection] = []
        for d in all where !kept.contains(where: { $0.box.iou(d.box) > 0.3 }) { kept.append(d) }
        return kept
    }
}
