import ArgumentParser
import Foundation
import FaceDetect
import MediaIO
import WingNN
import WingTracker
import WingTrain

/// `wingtrack track`: the product — landmarks for every frame of every input video.
struct TrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "track",
        abstract: "Track 68 facial landmarks through videos: NAME.csv, NAME.overlay.mp4 and NAME.json per video, summary.json per run.")

    /// The most faces `--max-faces` accepts (each costs the networks once per frame).
    static let maxFacesLimit = 16

    static let videoExtensions: Set<String> = ["mp4", "mov", "mkv", "avi", "m4v", "webm", "mpg", "mpeg", "wmv", "flv", "3gp", "ts", "mts"]

    @Argument(help: "Video files, folders (searched recursively by video extension) or @list.txt (one path per line).")
    var inputs: [String]
    @Option(name: .shortAndLong, help: "Output folder (created if missing).") var output = "out"
    @Option(help: ArgumentHelp(ModelsLocation.help)) var models: String?
    @Flag(help: "Skip the overlay video.") var noVideo = false
    @OptionGroup var tracking: TrackingOptions
    @Option(help: "Faces followed at once, each under its own face_id (the CSV gets this many rows per frame). Each tracked face costs the networks again.")
    var maxFaces = 1
    @Option(help: "With --max-faces above 1: while a face id has no face, look for a new one on frames 0, 1, 2, 4, 8, … of its wait, then on every N-th frame (frontal faces only; one such search of a 1280×720 frame takes about 40 ms).")
    var newFaceInterval = 30
    @OptionGroup var overlay: OverlayOptions
    @OptionGroup var arithmetic: PrecisionOption
    @Option(help: "Process only shard i of n (1-based), e.g. 2/8: a deterministic slice of the sorted inputs.") var shard: String?
    @Flag(help: "Skip inputs whose outputs are already complete.") var resume = false
    @Option(help: "Videos processed at the same time, each with its own decode, track and encode threads (default: the number of CPU cores, at most the number of inputs).")
    var jobs: Int?

    func validate() throws {
        if let shard { _ = try parseShard(shard) }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        guard (1...TrackCommand.maxFacesLimit).contains(maxFaces) else { throw ValidationError("--max-faces must be between 1 and \(TrackCommand.maxFacesLimit)") }
        guard newFaceInterval >= 1 else { throw ValidationError("--new-face-interval must be at least 1") }
    }

    func parseShard(_ s: String) throws -> (Int, Int) {
        let p = s.split(separator: "/").compactMap { Int($0) }
        guard p.count == 2, p[1] >= 1, (1...p[1]).contains(p[0]) else { throw ValidationError("--shard must be i/n with 1 ≤ i ≤ n, got '\(s)'") }
        return (p[0], p[1])
    }

    /// Expands files, folders and @lists into a sorted, de-duplicated list of video paths.
    func expandInputs() throws -> [URL] {
        var out: [URL] = []
        for item in inputs {
            if item.hasPrefix("@") {
                let list = String(item.dropFirst())
                guard let text = try? String(contentsOfFile: list, encoding: .utf8) else {
                    throw ValidationError("\(list): cannot read the input list")
                }
                out += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty && !$0.hasPrefix("#") }.map { URL(fileURLWithPath: $0) }
                continue
            }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: item, isDirectory: &isDir), isDir.boolValue {
                let base = URL(fileURLWithPath: item)
                let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)
                while let u = e?.nextObject() as? URL {
                    if TrackCommand.videoExtensions.contains(u.pathExtension.lowercased()) { out.append(u) }
                }
            } else {
                out.append(URL(fileURLWithPath: item))   // missing files are reported per item
            }
        }
        var seen = Set<String>()
        return out.map(\.standardizedFileURL).filter { seen.insert($0.path).inserted }.sorted { $0.path < $1.path }
    }

    /// Output names: the file name without extension, or the path with '/' → '__' when names collide.
    static func outputNames(_ urls: [URL]) -> [String] {
        let base = urls.map { $0.deletingPathExtension().lastPathComponent }
        var counts: [String: Int] = [:]
        for b in base { counts[b, default: 0] += 1 }
        return zip(urls, base).map { u, b in
            counts[b]! == 1 ? b : u.deletingPathExtension().path.split(separator: "/").joined(separator: "__")
        }
    }

    func run() throws {
        arithmetic.apply()
        BLAS.threads = 1
        var urls = try expandInputs()
        var names = TrackCommand.outputNames(urls)
        if let shard {
            let (i, n) = try parseShard(shard)
            let keep = urls.indices.filter { $0 % n == i - 1 }
            urls = keep.map { urls[$0] }; names = keep.map { names[$0] }
        }
        guard !urls.isEmpty else { throw ValidationError("no video inputs found in \(inputs.joined(separator: " "))") }
        let modelsURL = ModelsLocation.resolve(models)
        // The networks (checked once, before anything is written) and the detector's cascades load at
        // the same time, once; the workers get twins (shared weights) and copies.
        var loadedLocalizer: Result<Localizer, Error>?, loadedDetector: Result<FaceDetector, Error>?
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            if i == 0 { loadedLocalizer = Result { try tracking.localizer(modelsURL) } }
            else { loadedDetector = Result { try FaceDetector.standard() } }
        }
        let firstLocalizer = try loadedLocalizer!.get(), firstDetector = try loadedDetector!.get()
        let headPose = try ModelsLocation.headPose(in: modelsURL)
        let outDir = URL(fileURLWithPath: output)
        do { try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true) }
        catch { throw MediaError(.write, path: outDir.path, reason: "cannot create the output folder") }
        guard FileManager.default.isWritableFile(atPath: outDir.path) else {
            throw MediaError(.write, path: outDir.path, reason: "output folder is not writable")
        }
        let options = tracking.trackerOptions

        struct Item: Codable { var input: String; var status: String; var error: String?; var frames: Int?; var successRate: Double?; var fps: Double? }
        var slots = [Item?](repeating: nil, count: urls.count)
        let t0 = Date()
        let isTTY = isatty(STDERR_FILENO) != 0
        let lock = NSLock()
        var next = 0, finished = 0, framesDone = 0
        var lastReport = Date()   // first line after one interval, when the rates mean something
        /// One status line: a bar over inputs with frames/s and ETA (on a terminal it rewrites itself).
        func report(_ current: String, currentLeft: Int = 0) {
            let now = Date()
            guard now.timeIntervalSince(lastReport) >= (isTTY ? 0.5 : 10) else { return }
            lastReport = now
            let elapsed = now.timeIntervalSince(t0)
            let fps = Double(framesDone) / max(elapsed, 1e-3)
            // Videos left at the mean time per finished video; with one video, its frames left at the current rate.
            let eta = finished > 0 ? elapsed / Double(finished) * Double(urls.count - finished)
                : (urls.count == 1 && currentLeft > 0 && fps > 0 ? Double(currentLeft) / fps : .nan)
            let width = 20, filled = urls.count > 0 ? width * finished / urls.count : 0
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line = String(format: "[%@] %d/%d videos, %.0f frames/s, ETA %@ — %@", bar, finished, urls.count, fps,
                              eta.isFinite ? String(format: "%.0f s", eta) : "?", current)
            FileHandle.standardError.write(Data((isTTY ? "\r\(line)\u{1B}[K" : line + "\n").utf8))
        }
        func say(_ line: String) {
            if isTTY { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            printError(line)
        }
        Interruption.install()
        // `--jobs` workers, each with its own networks and detector, take the next input in turn.
        // One video keeps about 1.3 of 2 cores busy (the tracking thread is the bottleneck), so by default
        // there is one worker per core: docs/tracking.md measures 1.46× (overlay) and 1.88× (no overlay).
        let workers = max(1, min(jobs ?? ProcessInfo.processInfo.activeProcessorCount, urls.count))
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let localizer = w == 0 ? firstLocalizer : firstLocalizer.twin()
            if tracking.convention == nil { localizer.convention = LabellingConvention.ibug300W }
            let detector = w == 0 ? firstDetector : firstDetector.copy()
            SpareCore.use(localizer: localizer, detector: detector, workers: workers)
            let helper = SpareCore.helper(for: localizer, maxFaces: maxFaces, pairedFrames: options.pairedFrames, workers: workers)
            while true {
                lock.lock()
                let k = next; next += 1
                lock.unlock()
                guard k < urls.count, Interruption.signal == nil else { return }
                let (url, name) = (urls[k], names[k])
                var job = VideoJob(input: url, outputDirectory: outDir, name: name)
                job.writeOverlay = !noVideo
                job.trackerOptions = options
                job.maxFaces = maxFaces
                job.newFaceInterval = newFaceInterval
                job.headPose = headPose
                job.overlayOptions = overlay.writerOptions(integerNetworks: Int8Arithmetic.enabled)
                job.isCancelled = { Interruption.signal != nil }
                if resume && job.isComplete {
                    lock.lock(); slots[k] = Item(input: url.path, status: "skipped (complete)"); finished += 1; lock.unlock()
                    continue
                }
                var seen = 0
                do {
                    let s = try job.run(localizer: localizer, detector: detector, helper: helper) { n, total in
                        lock.lock()
                        framesDone += n - seen; seen = n
                        report("\(url.lastPathComponent): frame \(n)" + (total > 0 ? " of ~\(total)" : ""), currentLeft: max(0, total - n))
                        lock.unlock()
                    }
                    lock.lock()
                    finished += 1
                    say(String(format: "[%d/%d] %@: %d frames, %.1f %% tracked, %.1f fps", finished, urls.count, url.path, s.frames, 100 * s.successRate, s.processingFps))
                    slots[k] = Item(input: url.path, status: "done", frames: s.frames, successRate: s.successRate, fps: s.processingFps)
                    lock.unlock()
                } catch is VideoJob.Cancelled {
                    lock.lock()
                    say("\(url.path): interrupted; its partial outputs were removed")
                    slots[k] = Item(input: url.path, status: "interrupted")
                    lock.unlock()
                } catch {
                    lock.lock()
                    finished += 1
                    say("wingtrack: error: \(error)")
                    slots[k] = Item(input: url.path, status: "failed", error: "\(error)")
                    lock.unlock()
                }
            }
        }
        if isTTY { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let items = zip(urls, slots).map { url, slot in slot ?? Item(input: url.path, status: "not started") }
        let failed = items.filter { $0.status == "failed" }.count
        struct Summary: Codable {
            var inputs: Int; var done: Int; var skipped: Int; var failed: Int; var interrupted: Bool; var seconds: Double; var items: [Item]
        }
        let signal = Interruption.signal
        let summary = Summary(inputs: items.count, done: items.filter { $0.status == "done" }.count,
                              skipped: items.filter { $0.status.hasPrefix("skipped") }.count, failed: failed,
                              interrupted: signal != nil, seconds: Date().timeIntervalSince(t0), items: items)
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(summary), to: outDir.appendingPathComponent("summary.json"))
        printError("outputs in \(outDir.path) (\(summary.done) done, \(summary.skipped) skipped, \(failed) failed"
                   + (signal != nil ? ", interrupted: run again with --resume to finish)" : ")"))
        if let signal { throw ExitCode(128 + signal) }
        if failed > 0 { throw ExitCode(1) }
    }
}
