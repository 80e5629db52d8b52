import WingNN

/// The annotation styles of the 68 points that faces68 mixes (its README): 300-W (AFW, HELEN),
/// YouTube-Faces (the Udacity set) and AFLW2000-3D (3-D landmarks projected). A network with one
/// output block per convention (`NetworkSpec.conventions`) learns each style from its own sources
/// instead of a compromise (docs/experiments.md, "labelling conventions").
public enum LabellingConvention {
    /// The iBUG 300-W style, which dlib and OpenFace follow: the tracker's default.
    public static let ibug300W = "300-W"

    /// Known sources and their conventions; any other source is a convention of its own.
    public static let bySource: [String: String] = [
        "afw": ibug300W, "helen_train": ibug300W, "helen_test": ibug300W, "lfpw": ibug300W, "ibug": ibug300W,
        "udacity": "YouTube-Faces", "aflw2000": "AFLW2000-3D",
    ]

    public static func of(source: String) -> String { bySource[source] ?? source }

    /// The output block a network of `spec` answers a face of `source` in: its convention's index in
    /// `spec.conventions`, 0 for a one-block network, nil when the convention has no block.
    public static func block(of source: String, in spec: NetworkSpec) -> Int? {
        spec.conventions.isEmpty ? 0 : spec.conventions.firstIndex(of: of(source: source))
    }

    /// The conventions of `sources`, 300-W first, then by name.
    public static func ordered(_ sources: some Sequence<String>) -> [String] {
        Set(sources.map(of)).sorted { a, b in a == ibug300W || (b != ibug300W && a < b) }
    }
}
