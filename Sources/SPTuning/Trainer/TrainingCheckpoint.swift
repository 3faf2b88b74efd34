// The resume-exact training state, saved after every epoch: the prompt, AdamW's moments and step,
// the epoch / micro-batch / optimizer-step counters, the loss log and the epoch summaries. The
// shuffle order of an epoch depends only on (seed, epoch, count) (`EpochShuffler`) and the schedule
// only on the optimizer-step counter, so these are the whole RNG and schedule state: a run resumed
// from a checkpoint takes the same steps as one that was never interrupted.
//
// File layout (one file, written atomically by `AtomicFile.write`):
//   "SPCKPT01"                         8 bytes magic
//   u64 little-endian N                JSON header length
//   N bytes of JSON                    counters, shape, log, epochs, fingerprint
//   3 × count float32 little-endian    prompt[T, D], exp_avg[T, D], exp_avg_sq[T, D]

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
    /// The prompt `[T, D]`, then AdamW's `exp_avg` and `exp_avg_sq`, each `T·D` float32.
    public var prompt: [Float], expAvg: [Float], expAvgSq: [Float]
    /// The per-micro-batch loss log so far.
    public var log: [TrainingLogEntry]
    /// One summary per whole epoch.
    public var epochs: [EpochSummary]

    static let magic = Array("SPCKPT01".utf8)

    /// Creates a checkpoint.
    public init(fingerprint: String, nextEpoch: Int, optimizerSteps: Int, globalStep: Int, adamSteps: Int,
                shape: [Int], prompt: [Float], expAvg: [Float], expAvgSq: [Float], log: [TrainingLogEntry],
                epochs: [EpochSummary]) {
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
    }

    private struct Header: Codable {
        var fingerprint: String
        var nextEpoch, optimizerSteps, globalStep, adamSteps: Int
        var shape: [Int]
        var log: [Log]
        var epochs: [Epoch]
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
            })
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]   // the same state gives the same bytes
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = try enc.encode(header)
        var out = Data(Self.magic)
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
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else { throw bad("wrong magic") }
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
        let count = h.shape[0] * h.shape[1]
        guard bytes.count - jsonEnd == 12 * count else {
            throw bad("\(bytes.count - jsonEnd) tensor bytes for 3 × \(h.shape) float32")
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
            })
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
    /// the schedule, the seed and the prompt's shape (FNV-1a over them).
    public func checkpointFingerprint(promptShape: [Int]) -> String {
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
        return "v1-" + String(h, radix: 16)
    }
}
