// caikit-nlp's examples/evaluate_model.py as a service: generate for every test record in batches
// (caikit run() parameters), then score the predictions against the targets with SPEval's metrics.

import Foundation
import SPEval
import SPGeneration
import SPTuning

/// How a generated text is turned into the answer the classification metrics compare.
public enum AnswerExtraction: String, Sendable, CaseIterable {
    /// The generated text, surrounding whitespace removed, compared with the target as is.
    case text
    /// The first run of letters, lower-cased, compared with the lower-cased target (how `softprompt
    /// demo` scores its sentiment labels).
    case firstWord = "first-word"
    /// caikit-nlp's examples/evaluate_model.py: prediction and target read as numbers (`float()`);
    /// a prediction that is not a number counts as -1.0; every target must be one.
    case number

    /// The answer in `prediction`.
    public func answer(_ prediction: String) -> String {
        switch self {
        case .text: return prediction
        case .firstWord:
            return prediction.lowercased().split(whereSeparator: { !$0.isLetter }).first.map(String.init) ?? ""
        case .number: return "\(Self.number(prediction) ?? -1.0)"
        }
    }

    /// A decimal number as Python's `float()` reads plain numbers (surrounding whitespace allowed).
    static func number(_ s: String) -> Double? {
        Double(s.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The label a target stands for.
    public func label(_ target: String) -> String {
        switch self {
        case .text: return target
        case .firstWord: return target.lowercased()
        case .number: return Self.number(target).map { "\($0)" } ?? target
        }
    }
}

/// One scored test record.
public struct EvaluatedRecord: Sendable, Equatable {
    public var input: String
    public var target: String
    /// The generated text, surrounding whitespace removed.
    public var prediction: String
    /// ``prediction`` as ``AnswerExtraction`` reads it.
    public var answer: String
}

/// The metrics of an evaluation.
public struct EvaluationMetrics: Sendable, Equatable {
    /// Records scored.
    public var count: Int
    /// `accuracy_score(labels, answers)`.
    public var accuracy: Double
    /// `matthews_corrcoef(labels, answers)`.
    public var matthewsCorrelation: Double
    /// `exact_match(predictions, targets)`: the whole stripped prediction equals the target.
    public var exactMatch: Double
    /// ROUGE F-measures of predictions against targets (means over records).
    public var rouge: RougeResult

    /// Scores `records`.
    public init(_ records: [EvaluatedRecord], extraction: AnswerExtraction) throws {
        let answers = records.map(\.answer), labels = records.map { extraction.label($0.target) }
        let predictions = records.map(\.prediction), targets = records.map(\.target)
        count = records.count
        accuracy = try ClassificationMetrics.accuracy(predictions: answers, references: labels)
        matthewsCorrelation = try ClassificationMetrics.matthewsCorrelation(predictions: answers, references: labels)
        exactMatch = try ClassificationMetrics.exactMatch(predictions: predictions, references: targets)
        rouge = try Rouge.compute(predictions: predictions, references: targets)
    }
}

/// Batched evaluation of a prompt (or a base model) on test records.
public struct PromptEvaluation {
    public let service: GenerationService
    /// caikit `run()` parameters of every generation.
    public var parameters: GenerationParameters
    /// Records generated together in one left-padded batch.
    public var batchSize: Int
    public var extraction: AnswerExtraction

    /// Creates an evaluation.
    /// - Throws: ``ServiceError/invalidRequest(field:reason:hint:)`` for a batch size below 1.
    public init(service: GenerationService, parameters: GenerationParameters, batchSize: Int = 8,
                extraction: AnswerExtraction = .text) throws {
        guard batchSize >= 1 else {
            throw ServiceError.invalidRequest(field: "batch_size", reason: "must be ≥ 1, got \(batchSize)", hint: "use 8")
        }
        self.service = service
        self.parameters = parameters
        self.batchSize = batchSize
        self.extraction = extraction
    }

    /// Generates for every record, in order, calling `progress(done, total)` after each batch.
    /// - Throws: ``ServiceError/invalidRequest(field:reason:hint:)`` for no records; generation errors.
    public func generate(_ records: [TrainRecord], cancel: CancellationFlag = CancellationFlag(),
                         progress: (Int, Int) -> Void = { _, _ in }) throws -> [EvaluatedRecord] {
        guard !records.isEmpty else {
            throw ServiceError.invalidRequest(field: "test_data", reason: "holds no records", hint: "pass a file with input/output records")
        }
        if extraction == .number, let bad = records.firstIndex(where: { AnswerExtraction.number($0.output) == nil }) {
            throw ServiceError.invalidRequest(
                field: "test_data", reason: "record \(bad) has target \(records[bad].output.debugDescription), not a number",
                hint: "--answer number needs numeric targets (as caikit's evaluate_model.py); use --answer text")
        }
        var out: [EvaluatedRecord] = []
        out.reserveCapacity(records.count)
        for start in stride(from: 0, to: records.count, by: batchSize) {
            if cancel.isCancelled { break }
            let rows = Array(records[start..<min(start + batchSize, records.count)])
            let results = try service.run(batch: rows.map(\.input), parameters: parameters)
            for (r, g) in zip(rows, results) {
                let prediction = g.generatedText.trimmingCharacters(in: .whitespacesAndNewlines)
                out.append(EvaluatedRecord(input: r.input, target: r.output, prediction: prediction,
                                           answer: extraction.answer(prediction)))
            }
            progress(out.count, records.count)
        }
        return out
    }

    /// Generates and scores.
    public func evaluate(_ records: [TrainRecord], cancel: CancellationFlag = CancellationFlag(),
                         progress: (Int, Int) -> Void = { _, _ in }) throws -> (records: [EvaluatedRecord], metrics: EvaluationMetrics) {
        let scored = try generate(records, cancel: cancel, progress: progress)
        return (scored, try EvaluationMetrics(scored, extraction: extraction))
    }
}
