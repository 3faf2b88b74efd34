// caikit's gRPC messages ↔ SPServer's requests and SPGeneration's results. Request parameters go
// through the same name/type/range checks as an HTTP body (TaskRequest.fromParameters), so the
// two transports accept and refuse the same values.

import SPGeneration
import SPJSON
import SPServer

/// The fields shared by `TextGenerationTaskRequest` and `ServerStreamingTextGenerationTaskRequest`
/// (the same 20 fields, the same numbers), so both convert through one function.
protocol TextGenerationFields {
    var text: String { get }
    var hasMaxNewTokens: Bool { get }
    var maxNewTokens: Int64 { get }
    var hasMinNewTokens: Bool { get }
    var minNewTokens: Int64 { get }
    var hasTruncateInputTokens: Bool { get }
    var truncateInputTokens: Int64 { get }
    var hasDecodingMethod: Bool { get }
    var decodingMethod: String { get }
    var hasTopK: Bool { get }
    var topK: Int64 { get }
    var hasTopP: Bool { get }
    var topP: Double { get }
    var hasTypicalP: Bool { get }
    var typicalP: Double { get }
    var hasTemperature: Bool { get }
    var temperature: Double { get }
    var hasRepetitionPenalty: Bool { get }
    var repetitionPenalty: Double { get }
    var hasMaxTime: Bool { get }
    var maxTime: Double { get }
    var hasExponentialDecayLengthPenalty: Bool { get }
    var exponentialDecayLengthPenalty: CaikitDataModel_CaikitNlp_ExponentialDecayLengthPenalty { get }
    var stopSequences: [String] { get }
    var hasSeed: Bool { get }
    var seed: UInt64 { get }
    var hasPreserveInputText: Bool { get }
    var preserveInputText: Bool { get }
    var hasInputTokens: Bool { get }
    var inputTokens: Bool { get }
    var hasGeneratedTokens: Bool { get }
    var generatedTokens: Bool { get }
    var hasTokenLogprobs: Bool { get }
    var tokenLogprobs: Bool { get }
    var hasTokenRanks: Bool { get }
    var tokenRanks: Bool { get }
    var hasIncludeStopSequence: Bool { get }
    var includeStopSequence: Bool { get }
}

extension Caikit_Runtime_Nlp_TextGenerationTaskRequest: TextGenerationFields {}
extension Caikit_Runtime_Nlp_ServerStreamingTextGenerationTaskRequest: TextGenerationFields {}

extension TextGenerationFields {
    /// caikit's parameter names and values for the fields that are set (unset optional fields take
    /// the module defaults, as caikit drops them before calling `run()`).
    var parameterMembers: JSONObject {
        var m = JSONObject()
        func int(_ has: Bool, _ name: String, _ v: Int64) {
            // An int64 beyond Int's range cannot occur on 64-bit Linux; keep it exact as a double otherwise.
            if has { m.append(name, Int(exactly: v).map(JSONValue.int) ?? .double(Double(v))) }
        }
        func double(_ has: Bool, _ name: String, _ v: Double) { if has { m.append(name, .double(v)) } }
        func bool(_ has: Bool, _ name: String, _ v: Bool) { if has { m.append(name, .bool(v)) } }
        int(hasMaxNewTokens, "max_new_tokens", maxNewTokens)
        int(hasMinNewTokens, "min_new_tokens", minNewTokens)
        int(hasTruncateInputTokens, "truncate_input_tokens", truncateInputTokens)
        if hasDecodingMethod { m.append("decoding_method", .string(decodingMethod)) }
        int(hasTopK, "top_k", topK)
        double(hasTopP, "top_p", topP)
        double(hasTypicalP, "typical_p", typicalP)
        double(hasTemperature, "temperature", temperature)
        double(hasRepetitionPenalty, "repetition_penalty", repetitionPenalty)
        double(hasMaxTime, "max_time", maxTime)
        if hasExponentialDecayLengthPenalty {
            let d = exponentialDecayLengthPenalty
            m.append("exponential_decay_length_penalty", .object([
                ("start_index", Int(exactly: d.startIndex).map(JSONValue.int) ?? .double(Double(d.startIndex))),
                ("decay_factor", .double(d.decayFactor)),
            ]))
        }
        if !stopSequences.isEmpty { m.append("stop_sequences", .array(stopSequences.map(JSONValue.string))) }
        // uint64 seeds above Int.max travel as their exact digits, which TaskRequest reads as uint64.
        if hasSeed { m.append("seed", Int(exactly: seed).map(JSONValue.int) ?? .largeInt(String(seed))) }
        bool(hasPreserveInputText, "preserve_input_text", preserveInputText)
        bool(hasInputTokens, "input_tokens", inputTokens)
        bool(hasGeneratedTokens, "generated_tokens", generatedTokens)
        bool(hasTokenLogprobs, "token_logprobs", tokenLogprobs)
        bool(hasTokenRanks, "token_ranks", tokenRanks)
        bool(hasIncludeStopSequence, "include_stop_sequence", includeStopSequence)
        return m
    }

    /// The request as the HTTP routes see it.
    /// - Throws: ``CaikitError`` (422 → INVALID_ARGUMENT) for a value caikit's schema refuses.
    func taskRequest(modelId: String?) throws -> TaskRequest {
        try TaskRequest.fromParameters(modelId: modelId, inputs: text, parameters: parameterMembers)
    }
}

extension CaikitDataModel_Nlp_FinishReason {
    init(_ r: FinishReason) { self = Self(rawValue: r.rawValue) ?? .UNRECOGNIZED(r.rawValue) }
}

extension CaikitDataModel_Common_ProducerId {
    init(_ p: ProducerId) {
        self.init()
        name = p.name
        version = p.version
    }
}

extension CaikitDataModel_Nlp_GeneratedToken {
    init(_ t: GeneratedToken) {
        self.init()
        text = t.text
        if let l = t.logprob { logprob = l }
        if let r = t.rank { rank = Int64(r) }
    }
}

extension CaikitDataModel_Nlp_GeneratedTextResult {
    /// caikit's `GeneratedTextResult.to_proto()`: unset optionals are proto3 zero values.
    init(_ r: GeneratedTextResult) {
        self.init()
        generatedText = r.generatedText
        generatedTokens = Int64(r.generatedTokens)
        finishReason = .init(r.finishReason)
        producerID = .init(r.producerId)
        inputTokenCount = Int64(r.inputTokenCount)
        seed = r.seed ?? 0
        tokens = (r.tokens ?? []).map(CaikitDataModel_Nlp_GeneratedToken.init)
        inputTokens = (r.inputTokens ?? []).map(CaikitDataModel_Nlp_GeneratedToken.init)
    }
}

extension CaikitDataModel_Nlp_GeneratedTextStreamResult {
    init(_ r: GeneratedTextStreamResult) {
        self.init()
        generatedText = r.generatedText
        tokens = (r.tokens ?? []).map(CaikitDataModel_Nlp_GeneratedToken.init)
        var d = CaikitDataModel_Nlp_TokenStreamDetails()
        d.finishReason = .init(r.details.finishReason)
        d.generatedTokens = UInt32(clamping: r.details.generatedTokens)
        d.seed = r.details.seed ?? 0
        d.inputTokenCount = Int64(r.details.inputTokenCount)
        details = d
        producerID = .init(r.producerId)
        inputTokens = (r.inputTokens ?? []).map(CaikitDataModel_Nlp_GeneratedToken.init)
    }
}
