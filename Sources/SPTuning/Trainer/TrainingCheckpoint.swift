// The resume-exact training state, saved after every epoch: the prompt, AdamW's moments and step,
// the epoch / micro-batch / optimizer-step counters, the loss log and the epoch summaries. The
// shuffle order of an epoch depends only on (seed, epoch, count) (`EpochShuffler`) and the schedule
// only on the optimizer-step counter, so these are the whole RNG and schedule state: a run resumed
// from a checkpoint takes the same steps as one that was never interrupted.
//
// File layout (one file, written atomically by `AtomicFile.write`):
//   "SPCKPT01" | "SPCKPT02"            8 bytes magic: 01 a plain prompt, 02 a multitask prompt
//   u64 little-endian N                JSON header length
//   N bytes of JSON                    counters, shape, log, epochs, fingerprint; 02 adds
//                                      "multitask": {"numTasks": K, "numRanks": r}
//   3 × count float32 little-endian    01: prompt[T, D], exp_avg[T, D], exp_avg_sq[T, D]
//                                      02: [P | U | V] (count = T·D + K·T·r + K·r·D, `MultitaskLayout`),
//                                          then AdamW's exp_avg and exp_avg_sq over the same buffer
// A plain prompt is still written as version 01 (the bytes older SoftPrompt builds wrote and read).

import Foundation
import SPPrompt

/// Everything a run needs to continue after its last whole epoch, bit for bit.
///
/// ```swift
/// let outcome = try run.run(initialPrompt: p, resume: try TrainingCheckpoint.read(from: url)) { ... }
/// ```
public struct TrainingCheckpoint: Sendable {
    /// Identifies the run (data, batching, schedule, seed, prompt shape); a checkpoint of another
    /// run is refused.
    public var fingerprint: String
    /// The epoch to run next (the number of whole epochs done).
    public var nextEpoch: Int
    /// Optimizer steps taken (the schedule's position).
    public var optimizerSteps: Int
    /// Micro-batches run (the log's step counter).
    public var globalStep: Int
    /// AdamW's step count (torch's `state["step"]`).
    public var adamSteps: Int
    /// The prompt's shape `[T, D]`.
    public var shape: [Int]
    /// The prompt `[T, D]`, then AdamW's `exp_avg` and `exp_avg_sq`, each `T·D` float32; for a
    /// multitask prompt each is the flat `[P | U | V]` buffer of ``MultitaskLayout`` instead.
    public var prompt: [Float], expAvg: [Float], expAvgSq: [Float]
    /// A multitask prompt's task count K and rank r (nil: plain prompt tuning).
    public var multitask: MultitaskShape?
    /// The per-micro-batch loss log so far.
    public var log: [TrainingLogEntry]
    /// One summary per whole epoch.
    public var epochs: [EpochSummary]

    /// K and r of a multitask checkpoint.
    public struct MultitaskShape: Sendable, Equatable, Codable {
        /// `num_tasks` K.
        public var numTasks: Int
        /// `num_ranks` r.
        public var numRanks: Int
        /// Creates the shape.
        public init(numTasks: Int, numRanks: Int) {
            self.numTasks = numTasks
            self.numRanks = numRanks
        }
    }

    static let magic = Array("SPCKPT01".utf8)
    static let magicMultitask = Array("SPCKPT02".utf8)

    /// The number of float32 values each of the three buffers holds (nil for a shape that is not
    /// `[T, D]` with positive sizes, or a multitask shape without positive K and r).
    public var parameterCount: Int? {
        guard shape.count == 2, shape[0] > 0, shape[1] > 0 else { return nil }
        guard let m = multitask else { return shape[0] * shape[1] }
        guard m.numTasks > 0, m.numRanks > 0 else { return nil }
        return MultitaskLayout(rows: shape[0], tokenDim: shape[1], numTasks: m.numTasks, numRanks: m.numRanks).count
    }

    /// Creates a checkpoint.
    public init(fingerprint: String, nextEpoch: Int, optimizerSteps: Int, globalStep: Int, adamSteps: Int,
                shape: [Int], prompt: [Float], expAvg: [Float], expAvgSq: [Float], log: [TrainingLogEntry],
                epochs: [EpochSummary], multitask: MultitaskShape? = nil) {
        self.fingerprint = fingerprint
        self.nextEpoch = nextEpoch
        self.optimizerSteps = optimizerSteps
        self.globalStep = globalStep
        self.adamSteps = adamSteps
        self.shape = shape
        self.prompt = prompt
        self.expAvg = expAvg
        self.expAvgSq = expAvgSq
        self.log = log
        self.epochs = epochs
        self.multitask = multitask
    }

    private struct Header: Codable {
        var fingerprint: String
        var nextEpoch, optimizerSteps, globalStep, adamSteps: Int
        var shape: [Int]
        var log: [Log]
        var epochs: [Epoch]
        var multitask: MultitaskShape?
    }
    private struct Log: Codable { var epoch, step: Int; var value: Double; var timestamp: String }
    private struct Epoch: Codable {
        var epoch: Int
        var trainLoss: Double
        var validationLoss, validationAccuracy: Double?
        var seconds, tokensPerSecond: Double
    }

    /// The file's bytes (layout above).
    public func encode() throws -> Data {
        let header = Header(
            fingerprint: fingerprint, nextEpoch: nextEpoch, optimizerSteps: optimizerSteps, globalStep: globalStep,
            adamSteps: adamSteps, shape: shape,
            log: log.map { Log(epoch: $0.epoch, step: $0.step, value: $0.value, timestamp: $0.timestamp) },
            epochs: epochs.map {
                Epoch(epoch: $0.epoch, trainLoss: $0.trainLoss, validationLoss: $0.validationLoss,
                      validationAccuracy: $0.validationAccuracy, seconds: $0.seconds, tokensPerSecond: $0.tokensPerSecond)
            }, multitask: multitask)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]   // the same state gives the same bytes
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = try enc.encode(header)
        var out = Data(multitask == nil ? Self.magic : Self.magicMultitask)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for a in [prompt, expAvg, expAvgSq] {
            a.withUnsafeBufferPointer { b in
                for v in b { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
            }
        }
        return out
    }

    /// Parses ``encode()``'s bytes; `path` names the file in errors.
    /// - Throws: `TuningError.badFile` for anything that is not a whole, consistent checkpoint.
    public static func decode(_ data: Data, path: String) throws -> TrainingCheckpoint {
        func bad(_ reason: String) -> TuningError {
            .badFile(file: path, reason: "\(reason); not a SoftPrompt training checkpoint (delete it to train from the start)")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 16, [magic, magicMultitask].contains(Array(bytes[0..<8])) else { throw bad("wrong magic") }
        let version2 = Array(bytes[0..<8]) == magicMultitask
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[8 + i]) << (8 * UInt64(i)) }
        guard n <= UInt64(bytes.count - 16) else { throw bad("header length \(n) past the end") }
        let jsonEnd = 16 + Int(n)
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let h: Header
        do { h = try dec.decode(Header.self, from: Data(bytes[16..<jsonEnd])) } catch { throw bad("bad header: \(error)") }
        guard h.shape.count == 2, h.shape.allSatisfy({ $0 > 0 && $0 < 1 << 24 }) else { throw bad("bad shape \(h.shape)") }
        guard h.nextEpoch >= 0, h.optimizerSteps >= 0, h.globalStep >= 0, h.adamSteps >= 0 else { throw bad("negative counter") }
        var count = h.shape[0] * h.shape[1]
        guard version2 == (h.multitask != nil) else {
            throw bad(version2 ? "a version 02 (multitask) checkpoint without its multitask shape" : "a version 01 checkpoint with a multitask shape")
        }
        if let m = h.multitask {
            guard m.numTasks > 0, m.numRanks > 0, m.numTasks < 1 << 16, m.numRanks < 1 << 16 else {
                throw bad("bad multitask shape K \(m.numTasks), r \(m.numRanks)")
            }
            count = MultitaskLayout(rows: h.shape[0], tokenDim: h.shape[1], numTasks: m.numTasks, numRanks: m.numRanks).count
        }
        guard (bytes.count - jsonEnd) % 12 == 0, (bytes.count - jsonEnd) / 12 == count else {
            throw bad("\(bytes.count - jsonEnd) tensor bytes for 3 × \(count) float32")
        }
        func floats(_ k: Int) -> [Float] {
            let base = jsonEnd + 4 * count * k
            return (0..<count).map { i in
                let o = base + 4 * i
                let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
                return Float(bitPattern: bits)
            }
        }
        return TrainingCheckpoint(
            fingerprint: h.fingerprint, nextEpoch: h.nextEpoch, optimizerSteps: h.optimizerSteps, globalStep: h.globalStep,
            adamSteps: h.adamSteps, shape: h.shape, prompt: floats(0), expAvg: floats(1), expAvgSq: floats(2),
            log: h.log.map { TrainingLogEntry(epoch: $0.epoch, step: $0.step, value: $0.value, timestamp: $0.timestamp) },
            epochs: h.epochs.map {
                EpochSummary(epoch: $0.epoch, trainLoss: $0.trainLoss, validationLoss: $0.validationLoss,
                             validationAccuracy: $0.validationAccuracy, seconds: $0.seconds, tokensPerSecond: $0.tokensPerSecond)
            }, multitask: h.multitask)
    }

    /// Writes the checkpoint to `url` atomically (a kill leaves the old file or the new one).
    public func write(to url: URL) throws { try AtomicFile.write(encode(), to: url) }

    /// Reads a checkpoint written by ``write(to:)``.
    public static func read(from url: URL) throws -> TrainingCheckpoint {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TuningError.io(path: url.path, reason: "cannot read the training checkpoint: \(error.localizedDescription)")
        }
        return try decode(data, path: url.path)
    }
}

extension TuningRun {
    /// What a checkpoint must match to resume this run: the tokenized training data, the batching,
    /// the schedule, the seed and the prompt's shape (FNV-1a over them); for a multitask prompt
    /// also K, r and every record's task id (`v2-`; a plain prompt's fingerprint is unchanged).
    public func checkpointFingerprint(promptShape: [Int], multitask: TrainingCheckpoint.MultitaskShape? = nil) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ v: Int) {
            var x = UInt64(bitPattern: Int64(v))
            for _ in 0..<8 { h = (h ^ (x & 0xff)) &* 0x100_0000_01b3; x >>= 8 }
        }
        let p = parameters
        for v in [train.count, validation.count, p.batchSize, p.accumulateSteps, p.numEpochs, Int(truncatingIfNeeded: p.seed),
                  p.maxSourceLength, p.maxTargetLength] + promptShape { mix(v) }
        mix(Int(truncatingIfNeeded: p.learningRate.bitPattern))
        for e in train + validation {
            mix(e.inputIds.count)
            for t in e.inputIds { mix(t) }
            for t in e.labels { mix(t) }
        }
        guard let m = multitask else { return "v1-" + String(h, radix: 16) }
        for v in [m.numTasks, m.numRanks] { mix(v) }
        for ids in [tasks?.train ?? [], tasks?.validation ?? []] {
            mix(ids.count)
            for t in ids { mix(t) }
        }
        return "v2-" + String(h, radix: 16)
    }
}
