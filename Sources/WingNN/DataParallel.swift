/// A training step's forward and backward passes on several threads, by cutting the batch into
/// contiguous shards.
///
/// Shard 0 runs on `network`, shard i on replica i with its own activations and gradients, each
/// with single-threaded BLAS (set `BLAS.threads = 1`). Every part of every layer then runs in
/// parallel — im2col, ReLU masks, pooling as well as the products — where BLAS's own threads share
/// only the products.
///
/// One step keeps the meaning of a full-batch step: `forward` returns the whole batch's outputs in
/// order, the caller computes its objective over all of them (so averages are over the full batch),
/// and `backward` leaves in `network`'s gradients the sum over the shards (added in shard order) —
/// the full batch's gradient up to float rounding. After the optimiser has changed `network`'s
/// weights, `syncReplicas()` copies them to the replicas.
public final class DataParallel {
    public let network: Sequential
    private let replicas: [Sequential]
    /// Batch rows of each shard in the last `forward`.
    private var shards: [Range<Int>] = []

    /// - Parameters: `replicas` have `network`'s architecture (their weights are overwritten here);
    ///   one shard per network, so `replicas.count + 1` threads.
    public init(network: Sequential, replicas: [Sequential]) {
        for r in replicas {
            precondition(network.parameters.map(\.shape) == r.parameters.map(\.shape),
                         "DataParallel: a replica's architecture differs from the network's")
        }
        self.network = network
        self.replicas = replicas
        syncReplicas()
    }

    /// Threads (shards) a step uses.
    public var workers: Int { replicas.count + 1 }

    private func net(_ i: Int) -> Sequential { i == 0 ? network : replicas[i - 1] }

    /// Zeroes every copy's gradients.
    public func zeroGrad() {
        for i in 0..<workers { net(i).zeroGrad() }
    }

    /// Outputs `[N, …]` of the batch `x` `[N, …]`; shard i is rows ⌊i·N/k⌋ ..< ⌊(i+1)·N/k⌋.
    public func forward(_ x: Tensor) -> Tensor {
        let N = x.batch, k = min(workers, N)
        shards = (0..<k).map { ($0 * N / k)..<(($0 + 1) * N / k) }
        guard k > 1 else { return network.forward(x) }
        let inputs = shards.map { x.rows($0) }
        let outputs = runEach(k, parallel: true) { net($0).forward(inputs[$0]) }
        return Tensor(shape: [N] + outputs[0].shape.dropFirst(), data: outputs.flatMap(\.data))
    }

    /// Back-propagates the gradient `[N, …]` of the last `forward`'s outputs; `network`'s parameter
    /// gradients receive the sum over the whole batch.
    public func backward(_ dOut: Tensor) {
        precondition(dOut.batch == shards.last?.upperBound ?? 0, "DataParallel: backward without its forward")
        guard shards.count > 1 else { network.backward(dOut); return }
        let grads = shards.map { dOut.rows($0) }
        _ = runEach(shards.count, parallel: true) { net($0).backward(grads[$0]) }
        let params = replicas.prefix(shards.count - 1).map(\.parameters)
        for (j, p) in network.parameters.enumerated() {
            p.grad.withUnsafeMutableBufferPointer { g in
                for r in params {
                    r[j].grad.withUnsafeBufferPointer { h in for i in g.indices { g[i] += h[i] } }
                }
            }
        }
    }

    /// Copies `network`'s weights into every replica (in place).
    public func syncReplicas() {
        let source = network.parameters
        for r in replicas {
            for (p, q) in zip(source, r.parameters) {
                p.value.withUnsafeBufferPointer { src in
                    q.value.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: src.baseAddress!, count: src.count) }
                }
            }
        }
    }
}
