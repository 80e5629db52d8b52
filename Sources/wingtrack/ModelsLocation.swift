import Foundation
import FaceGeometry

/// Where the networks are read from when `--models` is not given.
///
/// In order: `$WINGTRACK_MODELS`; `models/` in the current folder; `models/` beside the executable;
/// `../share/wingtrack/models` from the executable (an installed layout); the repository's `models/`
/// when the executable sits in its `.build/<config>/`. The first folder holding `cnn6.wtm` wins;
/// if none does, the current folder's `models/` is named in the error.
enum ModelsLocation {
    static func resolve(_ option: String?) -> URL {
        if let option { return URL(fileURLWithPath: option) }
        if let env = ProcessInfo.processInfo.environment["WINGTRACK_MODELS"], !env.isEmpty { return URL(fileURLWithPath: env) }
        let cwd = URL(fileURLWithPath: "models")
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [cwd, exe.appendingPathComponent("models"),
                          exe.appendingPathComponent("../share/wingtrack/models").standardizedFileURL,
                          exe.appendingPathComponent("../../models").standardizedFileURL,
                          exe.appendingPathComponent("../../../models").standardizedFileURL]
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("cnn6.wtm").path) } ?? cwd
    }

    /// The models folder's `head_pose.json` (the yaw regression), nil when the folder has none; a
    /// file that is there but unusable is an error naming it.
    static func headPose(in dir: URL) throws -> HeadPose? {
        let url = dir.appendingPathComponent("head_pose.json")
        return FileManager.default.fileExists(atPath: url.path) ? try HeadPose.load(url) : nil
    }

    static let help = "Folder with cnn6.wtm, cnn7.wtm and head_pose.json (default: $WINGTRACK_MODELS, ./models, or the models/ shipped beside the executable)."
}
