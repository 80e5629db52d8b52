import Foundation

/// Speed of the engine on this machine: `wingtrack bench nn`.
public struct NetworkBenchmark: Codable, Sendable {
    public var blas_core: String
    /// Which of wingtrack's own kernels the batch-1 passes ran, with which instructions (`OwnKernels`), or "off".
    public var own_kernels: String
    /// The arithmetic of the batch-1 passes timed in `cnn6_forward_ms` … : "int8" or "f32" (`Int8Arithmetic`).
    public var arithmetic: String
    /// The same passes in f32 (equal to the above when `arithmetic` is "f32").
    public var cnn6_forward_ms_f32: Double
    public var cnn7_forward_ms_f32: Double
    public var sgemm_peak_gflops: Double
    public var sgemm_peak_gflops_1thread: Double
    public var cnn6_forward_ms: Double
    public var cnn7_forward_ms: Double
    public var cnn6_forward_gflops: Double
    public var cnn7_forward_gflops: Double
    /// Forward at batch 1 with the second half of every layer on a helper thread (`ForwardSplit`).
    public var cnn6_forward_ms_2threads: Double
    public var cnn7_forward_ms_2threads: Double
    public var cnn6_train_samples_per_s: Double
    public var cnn7_train_samples_per_s: Double
    public var cnn6_train_gflops: Double
    public var cnn7_train_gflops: Double
    /// Per-layer forward milliseconds at batch 1, one thread: [network: [(layer, ms)]].
    public var layers: [String: [LayerTime]]
    public var threads: Int
    /// The two networks timed (names and widths): the models folder's, or the paper's without one.
    public var cnn6_spec: String
    public var cnn7_spec: String

    public struct LayerTime: Codable, Sendable { public var layer: String; public var ms: Double }

    /// Runs every measurement for about `secondsPerItem` each, on networks of the shapes `cnn6` and
    /// `cnn7` (with fixed random weights).
    public static func run(secondsPerItem: Double = 3, cnn6: NetworkSpec = .cnn6, cnn7: NetworkSpec = .cnn7) -> NetworkBenchmark {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        BLAS.threads = 1
        let peak1 = sgemmGFLOPS(seconds: secondsPerItem / 2)
        BLAS.threads = cores
        let peak = sgemmGFLOPS(seconds: secondsPerItem / 2)
        BLAS.threads = 1
        let (f6, l6) = forwardTime(cnn6, seconds: secondsPerItem)
        let (f7, l7) = forwardTime(cnn7, seconds: secondsPerItem)
        let integer = Int8Arithmetic.enabled, arithmetic = Int8Arithmetic.name
        Int8Arithmetic.enabled = false
        let f6f = integer ? forwardTime(cnn6, seconds: secondsPerItem).0 : f6
        let f7f = integer ? forwardTime(cnn7, seconds: secondsPerItem).0 : f7
        Int8Arithmetic.enabled = integer
        let helper = ForwardSplit(helperThread: true)
        let (f6p, l6p) = forwardTime(cnn6, seconds: secondsPerItem, split: helper)
        let (f7p, l7p) = forwardTime(cnn7, seconds: secondsPerItem, split: helper)
        if ProcessInfo.processInfo.environment["WINGTRACK_BENCH_LAYERS"] != nil {
            for spec in [cnn6, cnn7] {
                print("\(spec.name) inference steps, 1 thread, \(arithmetic) (ms): "
                      + predictSteps(spec, seconds: secondsPerItem).map { String(format: "%@ %.3f", $0.layer, $0.ms) }.joined(separator: ", "))
            }
            for (net, l) in [("cnn6", l6p), ("cnn7", l7p)] {
                print("\(net) per layer, halves on 2 threads (ms): " + l.map { String(format: "%@ %.3f", $0.layer, $0.ms) }.joined(separator: ", "))
            }
        }
        let t6 = trainRate(cnn6, seconds: secondsPerItem * 2, workers: cores)
        let t7 = trainRate(cnn7, seconds: secondsPerItem * 2, workers: cores)
        BLAS.threads = cores
        let mac6 = Double(cnn6.multiplyAdds), mac7 = Double(cnn7.multiplyAdds)
        return NetworkBenchmark(blas_core: BLAS.coreName, own_kernels: OwnKernels.summary(), arithmetic: arithmetic,
                                cnn6_forward_ms_f32: f6f, cnn7_forward_ms_f32: f7f, sgemm_peak_gflops: peak, sgemm_peak_gflops_1thread: peak1,
                                cnn6_forward_ms: f6, cnn7_forward_ms: f7,
                                cnn6_forward_gflops: 2 * mac6 / (f6 * 1e6), cnn7_forward_gflops: 2 * mac7 / (f7 * 1e6),
                                cnn6_forward_ms_2threads: f6p, cnn7_forward_ms_2threads: f7p,
                                cnn6_train_samples_per_s: t6, cnn7_train_samples_per_s: t7,
                                cnn6_train_gflops: 6 * mac6 * t6 / 1e9, cnn7_train_gflops: 6 * mac7 * t7 / 1e9,
                                layers: ["cnn6": l6, "cnn7": l7], threads: cores,
                                cnn6_spec: cnn6.summary, cnn7_spec: cnn7.summary)
    }

    /// A readable table of the figures.
    public var table: String {
        var s = "OpenBLAS core: \(blas_core); cores: \(threads); own batch-1 kernels: \(own_kernels)\n"
        s += String(format: "sgemm 1024³ peak: %.0f GFLOP/s (1 thread), %.0f GFLOP/s (%d threads)\n", sgemm_peak_gflops_1thread, sgemm_peak_gflops, threads)
        s += "networks: \(cnn6_spec); \(cnn7_spec)\n"
        s += "inference arithmetic: \(arithmetic)\(arithmetic == "int8" ? " (each forward also timed in f32)" : "")\n"
        for (net, ms, gflops, f32) in [("CNN-6", cnn6_forward_ms, cnn6_forward_gflops, cnn6_forward_ms_f32), ("CNN-7", cnn7_forward_ms, cnn7_forward_gflops, cnn7_forward_ms_f32)] {
            s += String(format: "%@ forward, batch 1, 1 thread: %.2f ms %@ (%.0f GOP/s)", net, ms, arithmetic, gflops)
            s += arithmetic == "int8" ? String(format: "; f32 %.2f ms\n", f32) : "\n"
        }
        s += String(format: "forward, batch 1, halves on 2 threads (%@): CNN-6 %.2f ms, CNN-7 %.2f ms\n", arithmetic, cnn6_forward_ms_2threads, cnn7_forward_ms_2threads)
        s += String(format: "CNN-6 training, batch 64, %d threads: %.0f samples/s (%.0f GFLOP/s)\n", threads, cnn6_train_samples_per_s, cnn6_train_gflops)
        s += String(format: "CNN-7 training, batch 64, %d threads: %.1f samples/s (%.0f GFLOP/s)\n", threads, cnn7_train_samples_per_s, cnn7_train_gflops)
        for net in ["cnn6", "cnn7"] {
            s += "\(net) per layer, f32 (ms): " + (layers[net] ?? []).filter { $0.ms >= 0.005 }.map { String(format: "%@ %.3f", $0.layer, $0.ms) }.joined(separator: ", ") + "\n"
        }
        return s
    }

    static func sgemmGFLOPS(seconds: Double) -> Double {
        let n = 1024
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var reps = 0
        let t0 = Date()
        repeat {
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                BLAS.sgemm(m: n, n: n, k: n, a: ap.baseAddress!, lda: n, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
            }}}
            reps += 1
        } while Date().timeIntervalSince(t0) < seconds
        return 2 * Double(n * n * n) * Double(reps) / Date().timeIntervalSince(t0) / 1e9
    }

    /// A network of `spec` with fixed random weights rounded to half floats, as the shipped models
    /// store them (so the layers take the paths they take when tracking, `HalfWeightMatrix`), and a
    /// fixed random input image.
    static func timedNetwork(_ spec: NetworkSpec) -> (Sequential, Tensor) {
        let net = spec.build(seed: 3)
        for p in net.parameters { p.value = p.value.map { Float(Float16($0)) } }
        var rng = SeededGenerator(seed: 5)
        let x = Tensor(shape: [1, 3, spec.inputSize, spec.inputSize], data: (0..<(3 * spec.inputSize * spec.inputSize)).map { _ in Float.random(in: -0.5...0.5, using: &rng) })
        return (net, x)
    }

    /// Median time of `predict` (the inference forward pass, convolutions fused with their pooling,
    /// in the arithmetic of `Int8Arithmetic.enabled`) and mean per-layer times of `forward` (f32)
    /// layer by layer, at batch 1 (BLAS on one thread; the layers' halves on `split`), on
    /// `timedNetwork`.
    static func forwardTime(_ spec: NetworkSpec, seconds: Double, split: ForwardSplit = .serial) -> (Double, [LayerTime]) {
        let (net, x) = timedNetwork(spec)
        net.use(split)
        for _ in 0..<3 { _ = net.predict(x); _ = net.forward(x) }
        var totals: [Double] = []
        var per = [Double](repeating: 0, count: net.layers.count)
        let t0 = Date()
        repeat {
            let s = DispatchTime.now().uptimeNanoseconds
            _ = net.predict(x)
            totals.append(Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6)
            var h = x
            for (i, l) in net.layers.enumerated() {
                let a = DispatchTime.now().uptimeNanoseconds
                h = l.forward(h)
                per[i] += Double(DispatchTime.now().uptimeNanoseconds - a) / 1e6
            }
        } while Date().timeIntervalSince(t0) < seconds || totals.count < 5
        totals.sort()
        return (totals[totals.count / 2], zip(net.layers, per).map { LayerTime(layer: $0.name, ms: $1 / Double(totals.count)) })
    }

    /// Mean time of each step of `predict` (a convolution fused with its pooling counts as one step,
    /// named after the convolution) at batch 1 on one thread, on `timedNetwork`.
    static func predictSteps(_ spec: NetworkSpec, seconds: Double) -> [LayerTime] {
        let (net, x) = timedNetwork(spec)
        var totals: [String: Double] = [:], order: [String] = []
        var runs = 0
        let t0 = Date()
        repeat {
            var last = DispatchTime.now().uptimeNanoseconds
            _ = net.predict(x) { layer in
                let now = DispatchTime.now().uptimeNanoseconds
                if runs == 0 { order.append(layer.name) }
                totals[layer.name, default: 0] += Double(now - last) / 1e6
                last = now
            }
            runs += 1
        } while Date().timeIntervalSince(t0) < seconds || runs < 5
        return order.map { LayerTime(layer: $0, ms: totals[$0]! / Double(runs)) }
    }

    /// Samples per second of forward + backward + SGD step at batch 64, the way `wingtrack train`
    /// runs it: the batch cut into `workers` shards (`DataParallel`), BLAS on one thread in each.
    static func trainRate(_ spec: NetworkSpec, seconds: Double, workers: Int) -> Double {
        BLAS.threads = 1
        let net = spec.build(seed: 3)
        let parallel = DataParallel(network: net, replicas: (1..<max(1, workers)).map { _ in spec.build(seed: nil) })
        let opt = SGD(net.parameters, momentum: 0.9, nesterov: true, weightDecay: 5e-4)
        let B = 64
        var rng = SeededGenerator(seed: 9)
        let x = Tensor(shape: [B, 3, spec.inputSize, spec.inputSize], data: (0..<(B * 3 * spec.inputSize * spec.inputSize)).map { _ in Float.random(in: -0.5...0.5, using: &rng) })
        let targets = [Float](repeating: Float(spec.inputSize) / 2, count: B * 2 * spec.landmarkCount)
        let positive = [Bool](repeating: true, count: B)
        func step() {
            parallel.zeroGrad()
            let out = parallel.forward(x)
            let r = landmarkObjective(outputs: out, targets: targets, positive: positive, loss: .wing(w: 10, epsilon: 2), faceWeight: 1)
            parallel.backward(r.gradient)
            clipGradientNorm(net.parameters, maxNorm: 20)
            opt.step(lr: 1e-4)
            parallel.syncReplicas()
        }
        step()
        if ProcessInfo.processInfo.environment["WINGTRACK_BENCH_LAYERS"] != nil {
            // One worker's share: its shard on one thread.
            let shard = x.rows(0..<(B / parallel.workers))
            var fw = [Double](repeating: 0, count: net.layers.count), bw = fw
            var h = shard
            for (i, l) in net.layers.enumerated() { let a = Date(); h = l.forward(h); fw[i] = Date().timeIntervalSince(a) * 1e3 }
            var g = landmarkObjective(outputs: h, targets: Array(targets.prefix(shard.batch * 2 * spec.landmarkCount)),
                                      positive: Array(positive.prefix(shard.batch)), loss: .l2, faceWeight: 1).gradient
            for (i, l) in net.layers.enumerated().reversed() { let a = Date(); g = l.backward(g, needInputGradient: i > 0); bw[i] = Date().timeIntervalSince(a) * 1e3 }
            print("\(spec.name), batch \(shard.batch) on one thread:")
            for (i, l) in net.layers.enumerated() { print(String(format: "  %@ fwd %.1f ms bwd %.1f ms", l.name, fw[i], bw[i])) }
        }
        var n = 0
        let t0 = Date()
        repeat { step(); n += 1 } while Date().timeIntervalSince(t0) < seconds
        return Double(n * B) / Date().timeIntervalSince(t0)
    }
}
