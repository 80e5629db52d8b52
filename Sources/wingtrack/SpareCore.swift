import Foundation
import FaceDetect
import WingNN
import WingTracker

/// The one place that decides how a worker uses a core nobody else needs: its networks run each
/// layer's two halves at once (`ForwardSplit`), its detector scans two pyramid levels at once, and
/// with several faces two faces are followed at once, with paired frames two frames.
/// Outputs are the same either way (docs/performance.md, docs/tracking.md).
enum SpareCore {
    /// Gives `localizer` a helper thread and `detector` two threads when each of `workers` concurrent
    /// workers has a second core to itself. Networks in 8-bit integers (`Int8Arithmetic.enabled`,
    /// set before this is called) do not split their layers in halves: a half takes 0.03–0.3 ms,
    /// about what waking the helper costs (source_s18 without overlay, seven alternating pairs:
    /// 154–214 fps without, mean 184, against 154–193, mean 174); the helper still runs
    /// `--flip-average`'s mirrored pass (125–139 fps against 96–119 without it; docs/performance.md).
    static func use(localizer: Localizer, detector: FaceDetector? = nil, workers: Int = 1) {
        guard 2 * workers <= ProcessInfo.processInfo.activeProcessorCount else { return }
        localizer.use(ForwardSplit(helperThread: true), layerHalves: !Int8Arithmetic.enabled)
        detector?.threads = 2
    }

    /// A second localiser (same weights) so that two tracked faces, or two paired frames of one face,
    /// run at once, when each worker has a second core; nil otherwise (docs/tracking.md).
    static func helper(for localizer: Localizer, maxFaces: Int, pairedFrames: Bool, workers: Int = 1) -> Localizer? {
        guard maxFaces > 1 || pairedFrames, 2 * workers <= ProcessInfo.processInfo.activeProcessorCount else { return nil }
        return localizer.twin()
    }
}
