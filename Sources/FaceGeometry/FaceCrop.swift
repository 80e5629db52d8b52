/// The square crop around a 68-point shape that both training and tracking use.
public enum FaceCrop {
    /// Centre, side and angle of the crop: the landmarks' bounding square (axis-aligned, or in the
    /// face's upright frame when `upright`: rolled by the eye line) scaled by `boxScale`.
    public static func around(_ shape: [Point], boxScale: Float, upright: Bool) -> (center: Point, side: Float, angle: Float) {
        let angle: Float = upright ? Landmarks68.roll(shape) : 0
        let c0 = centroid(shape)
        let toUpright = SimilarityTransform(scale: 1, angle: -angle, tx: 0, ty: 0)
        let box = Box(bounding: shape.map { toUpright.apply($0 - c0) })
        return (toUpright.inverse.apply(box.center) + c0, box.squareSide * boxScale, angle)
    }
}
