// The process group data-parallel training runs in: a rank, a size, a sum-allreduce and a
// broadcast. `OpenMPI` (the only caller of MPI) implements it over MPI_COMM_WORLD; tests run ranks
// as threads of one process. Nothing here knows about models.

import Foundation

/// A fixed group of processes (ranks `0..<size`) that train one prompt together.
///
/// Every rank must make the same calls in the same order (MPI's collective rule); a rank that
/// cannot go on says so through the status slots of the step's allreduce instead of leaving.
public protocol Collective: AnyObject, Sendable {
    /// This process's rank, `0..<size`; rank 0 alone writes files and reports progress.
    var rank: Int { get }
    /// Ranks in the group.
    var size: Int { get }
    /// Replaces `values` on every rank by their elementwise sum over the ranks (same count on every rank).
    func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// Replaces `bytes` on every rank by rank `root`'s (same count on every rank).
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int) throws
}

extension Collective {
    /// Sums `values` over the ranks.
    public func allreduceSum(_ values: inout [Float]) throws {
        try values.withUnsafeMutableBufferPointer { try allreduceSum($0) }
    }

    /// Rank `root`'s `data` on every rank (any length; the length is broadcast first).
    public func broadcast(_ data: Data, root: Int = 0) throws -> Data {
        var n = UInt64(data.count).littleEndian
        try withUnsafeMutableBytes(of: &n) { try broadcast($0, root: root) }
        var bytes = rank == root ? [UInt8](data) : [UInt8](repeating: 0, count: Int(UInt64(littleEndian: n)))
        if !bytes.isEmpty { try bytes.withUnsafeMutableBytes { try broadcast($0, root: root) } }
        return Data(bytes)
    }

    /// Every rank's `message` (nil: nothing to say), each cut to 240 UTF-8 bytes: how a failing
    /// rank's reason reaches rank 0. One allreduce of `size × 256` floats.
    public func gatherMessages(_ message: String?) throws -> [String?] {
        let slot = 256
        var buf = [Float](repeating: 0, count: size * slot)
        if let m = message {
            let bytes = Array(m.utf8.prefix(240))
            buf[rank * slot] = 1
            for (i, b) in bytes.enumerated() { buf[rank * slot + 1 + i] = Float(b) }
        }
        try allreduceSum(&buf)
        return (0..<size).map { r in
            guard buf[r * slot] != 0 else { return nil }
            let bytes = (1..<slot).map { UInt8(clamping: Int(buf[r * slot + $0])) }.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// Why a distributed run stopped.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// `--distributed` without an MPI launcher around the process.
    case notLaunched(hint: String)
    /// The MPI library could not be loaded or lacks a symbol.
    case library(name: String, reason: String, hint: String)
    /// An MPI call returned an error code.
    case call(name: String, code: Int32)
    /// One or more ranks could not go on; every rank throws this after the step's allreduce, rank 0
    /// reports it. `messages[r]` is rank r's reason.
    case rankFailed(ranks: [Int], size: Int, epoch: Int, step: Int, messages: [String])
    /// The option cannot run distributed (the field and why).
    case unsupported(field: String, hint: String)
    /// Every rank stopped for the same reason (they all saw the same reduced values).
    case stopped(reason: String)

    public var description: String {
        switch self {
        case .notLaunched(let hint): return "--distributed: this process was not started by an MPI launcher; \(hint)"
        case .library(let name, let reason, let hint): return "cannot use MPI (\(name)): \(reason); \(hint)"
        case .call(let name, let code): return "\(name) failed with MPI error \(code)"
        case .rankFailed(let ranks, let size, let epoch, let step, let messages):
            let which = zip(ranks, messages).map { "rank \($0) of \(size): \($1)" }.joined(separator: "; ")
            return "distributed training stopped at epoch \(epoch), micro-batch \(step): \(which)"
                + "; the prompt saved after the last whole epoch is kept (resume with --state-file/--resume)"
        case .unsupported(let field, let hint): return "\(field) is not supported in distributed training: \(hint)"
        case .stopped(let reason): return "distributed training stopped on every rank: \(reason)"
        }
    }

    /// True for errors every rank throws together (only rank 0 needs to print them; no rank is left waiting).
    public var isAgreed: Bool {
        switch self {
        case .rankFailed, .stopped: return true
        default: return false
        }
    }
}

/// Which rows of an optimizer step's micro-batches one rank runs.
///
/// The step's global batch is its micro-batches' rows laid end to end (micro-batch order, then row
/// order); rank `r` of `n` takes the contiguous rows `⌊r·R/n⌋ ..< ⌊(r+1)·R/n⌋`, so shards differ by
/// at most one row and the order never depends on timing. A rank runs its rows micro-batch by
/// micro-batch (a piece never spans two micro-batches, whose losses are normalised separately).
public struct ShardPlan: Sendable, Equatable {
    /// One piece: rows `rows` of micro-batch `batch` (its index within the step).
    public struct Piece: Sendable, Equatable {
        public var batch: Int
        public var rows: Range<Int>
    }

    /// The rank's pieces, in micro-batch order.
    public let pieces: [Piece]

    /// The shard of rank `rank` of `size` over micro-batches of `batchSizes` rows.
    public init(batchSizes: [Int], rank: Int, size: Int) {
        precondition(size >= 1 && rank >= 0 && rank < size && batchSizes.allSatisfy { $0 >= 0 }, "invalid shard request")
        let total = batchSizes.reduce(0, +)
        let lo = rank * total / size, hi = (rank + 1) * total / size
        var pieces: [Piece] = [], offset = 0
        for (i, b) in batchSizes.enumerated() {
            let a = max(lo, offset), e = min(hi, offset + b)
            if a < e { pieces.append(Piece(batch: i, rows: (a - offset)..<(e - offset))) }
            offset += b
        }
        self.pieces = pieces
    }

    /// Rows this rank runs.
    public var rowCount: Int { pieces.reduce(0) { $0 + $1.rows.count } }
}

extension Batch {
    /// Rows `rows` of the batch (same padded length, so each row computes exactly as in the whole batch).
    public func rows(_ rows: Range<Int>) -> Batch {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= batchSize, "rows \(rows) of a batch of \(batchSize)")
        func cut(_ a: [Int], _ w: Int) -> [Int] { Array(a[(rows.lowerBound * w)..<(rows.upperBound * w)]) }
        var b = Batch(batchSize: rows.count, length: length, inputIds: cut(inputIds, length),
                      attentionMask: cut(attentionMask, length), labels: cut(labels, targetLength),
                      targetLength: targetLength, exampleIndices: Array(exampleIndices[rows]))
        if !taskIds.isEmpty { b.taskIds = Array(taskIds[rows]) }
        return b
    }
}
