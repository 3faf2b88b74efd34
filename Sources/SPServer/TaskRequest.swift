// The request bodies of caikit's task routes, checked the way caikit's pydantic models check them
// (`extra="forbid"`, typed fields, null = unset) and turned into `GenerationParameters`.

import Foundation
import SPGeneration
import SPJSON

/// A decoded `POST /api/v1/task/…` body: `{"model_id", "inputs", "parameters"}`.
public struct TaskRequest: Sendable {
    /// caikit `model_id` (nil when absent: caikit answers 400 "Please provide model_id in payload").
    public var modelId: String?
    /// caikit `inputs` (the task's required `text`).
    public var inputs: String
    /// caikit `parameters`, with caikit's defaults for what is absent or null.
    public var parameters: GenerationParameters
    /// The first parameter value outside its domain (caikit raises it from `run()`, after the model
    /// lookup, as a 400).
    public var parameterError: GenerationError?

    /// The parameter names of `TextGenerationTask` (the union over caikit-nlp's modules) and their types.
    static let parameterTypes: [(String, FieldType)] = [
        ("max_new_tokens", .int), ("min_new_tokens", .int), ("truncate_input_tokens", .int),
        ("decoding_method", .string), ("top_k", .int), ("top_p", .float), ("typical_p", .float),
        ("temperature", .float), ("repetition_penalty", .float), ("max_time", .float),
        ("exponential_decay_length_penalty", .decay), ("stop_sequences", .strings), ("seed", .int),
        ("preserve_input_text", .bool), ("input_tokens", .bool), ("generated_tokens", .bool),
        ("token_logprobs", .bool), ("token_ranks", .bool), ("include_stop_sequence", .bool),
    ]

    enum FieldType { case int, float, string, bool, strings, decay }

    public init(modelId: String?, inputs: String, parameters: GenerationParameters = GenerationParameters(),
                parameterError: GenerationError? = nil) {
        self.modelId = modelId
        self.inputs = inputs
        self.parameters = parameters
        self.parameterError = parameterError
    }

    /// A request from another transport (gRPC) whose parameters arrive as caikit's parameter
    /// names and JSON values: the same type and range checks as an HTTP body's `parameters`.
    /// - Throws: ``CaikitError`` 422 for a name or type caikit's schema refuses.
    public static func fromParameters(modelId: String?, inputs: String, parameters members: JSONObject) throws -> TaskRequest {
        var issues: [SchemaIssue] = []
        var valueError: GenerationError?
        let p = parameters(members, issues: &issues, valueError: &valueError)
        if !issues.isEmpty { throw CaikitError.validation(issues) }
        return TaskRequest(modelId: modelId, inputs: inputs, parameters: p, parameterError: valueError)
    }

    /// Decodes a body; `hasParameters` is false for tokenization (no `parameters` field).
    /// - Throws: ``CaikitError`` 422 (schema: malformed JSON, wrong types, unknown or missing
    ///   fields). Values outside their domain are kept in ``parameterError``.
    public static func decode(_ body: [UInt8], hasParameters: Bool) throws -> TaskRequest {
        let root: JSONValue
        do {
            // Integer fields are Python ints: digits beyond Int stay exact (a uint64 seed).
            root = try JSONParser.parse(body, exactIntegers: true)
        } catch let JSONError.syntax(_, offset, reason) {
            throw CaikitError.validation([SchemaIssue(type: "json_invalid", location: [], message: "Invalid JSON: \(reason) at byte \(offset)",
                                                      input: nil)])
        }
        guard case .object(let top) = root else {
            throw CaikitError.validation([SchemaIssue(type: "model_type", location: [], message: "Input should be an object",
                                                      input: root)])
        }
        var issues: [SchemaIssue] = []
        var modelId: String?, inputs: String?, params = JSONObject()
        let allowed = hasParameters ? ["model_id", "inputs", "parameters"] : ["model_id", "inputs"]
        for (k, v) in top {
            guard allowed.contains(k) else {
                issues.append(SchemaIssue(type: "extra_forbidden", location: [k], message: "Extra inputs are not permitted", input: v))
                continue
            }
            if v == .null { continue }
            switch k {
            case "model_id", "inputs":
                guard case .string(let s) = v else { issues.append(.string([k], v)); continue }
                if k == "model_id" { modelId = s } else { inputs = s }
            default:
                guard case .object(let m) = v else {
                    issues.append(SchemaIssue(type: "model_type", location: [k], message: "Input should be an object", input: v))
                    continue
                }
                params = m
            }
        }
        if inputs == nil, !top.contains(where: { $0.0 == "inputs" && $0.1 != .null }) {
            issues.append(SchemaIssue(type: "missing", location: ["inputs"], message: "Field required", input: root))
        }
        var valueError: GenerationError?
        let p = parameters(params, issues: &issues, valueError: &valueError)
        if !issues.isEmpty { throw CaikitError.validation(issues) }
        return TaskRequest(modelId: modelId, inputs: inputs ?? "", parameters: p, parameterError: valueError)
    }

    /// Type-checks `parameters` (collecting schema issues) and range-checks its values (keeping the first error).
    static func parameters(_ members: JSONObject, issues: inout [SchemaIssue],
                           valueError: inout GenerationError?) -> GenerationParameters {
        var p = GenerationParameters()
        func keep(_ body: () throws -> Void) {
            do {
                try body()
            } catch {
                let e = error as? GenerationError ?? .invalidParameter(field: "parameters", value: "", reason: "\(error)", code: nil)
                if valueError == nil { valueError = e }
            }
        }
        for (k, v) in members {
            let loc = ["parameters", k]
            guard let type = parameterTypes.first(where: { $0.0 == k })?.1 else {
                issues.append(SchemaIssue(type: "extra_forbidden", location: loc, message: "Extra inputs are not permitted", input: v))
                continue
            }
            if v == .null { continue }
            switch type {
            case .int:
                guard let i = integer(v) else { issues.append(.int(loc, v)); continue }
                keep { try assignInt(k, i, to: &p) }
            case .float:
                guard let d = number(v) else { issues.append(.float(loc, v)); continue }
                switch k {
                case "top_p": p.topP = d
                case "typical_p": p.typicalP = d
                case "temperature": p.temperature = d
                case "repetition_penalty": p.repetitionPenalty = d
                default: p.maxTime = d
                }
            case .string:
                guard case .string(let s) = v else { issues.append(.string(loc, v)); continue }
                keep { p.decodingMethod = try DecodingMethod.parse(s) }
            case .bool:
                guard let b = boolean(v) else { issues.append(.bool(loc, v)); continue }
                switch k {
                case "preserve_input_text": p.preserveInputText = b
                case "input_tokens": p.inputTokens = b
                case "generated_tokens": p.returnTokens = b
                case "token_logprobs": p.tokenLogprobs = b
                case "token_ranks": p.tokenRanks = b
                default: p.includeStopSequence = b
                }
            case .strings:
                guard case .array(let items) = v else {
                    issues.append(SchemaIssue(type: "list_type", location: loc, message: "Input should be a valid list", input: v))
                    continue
                }
                var out: [String] = []
                for (n, item) in items.enumerated() {
                    if case .string(let s) = item { out.append(s) } else { issues.append(.string(loc + ["\(n)"], item)) }
                }
                p.stopSequences = out
            case .decay:
                if let d = decay(v, loc, &issues) { p.exponentialDecayLengthPenalty = d }
            }
        }
        return p
    }

    static func assignInt(_ k: String, _ i: BigInt, to p: inout GenerationParameters) throws {
        if k == "seed" {
            guard case .small(let v) = i, v >= 0 else {
                if case .huge(let u) = i { p.seed = u; return }
                let reason = i.isNegative ? "must be ≥ 0 (caikit's seed is a uint64)" : "must be ≤ 18446744073709551615 (caikit's seed is a uint64)"
                throw GenerationError.invalidParameter(field: "seed", value: "\(i)", reason: reason, code: nil)
            }
            p.seed = UInt64(v)
            return
        }
        guard case .small(let v64) = i, let v = Int(exactly: v64), abs(v) <= Int(Int32.max) else {
            throw GenerationError.invalidParameter(field: k, value: "\(i)", reason: "out of range", code: nil)
        }
        switch k {
        case "max_new_tokens": p.maxNewTokens = v
        case "min_new_tokens": p.minNewTokens = v
        case "truncate_input_tokens": p.truncateInputTokens = v
        default: p.topK = v
        }
    }

    static func decay(_ v: JSONValue, _ loc: [String], _ issues: inout [SchemaIssue]) -> ExponentialDecayLengthPenalty? {
        guard case .object(let m) = v else {
            issues.append(SchemaIssue(type: "model_type", location: loc, message: "Input should be an object", input: v))
            return nil
        }
        var start: Int?, factor: Double?, ok = true
        for (k, x) in m {
            switch k {
            case "start_index":
                if case .small(let s64)? = integer(x), let s = Int(exactly: s64) { start = s } else { issues.append(.int(loc + [k], x)); ok = false }
            case "decay_factor":
                if let d = number(x) { factor = d } else { issues.append(.float(loc + [k], x)); ok = false }
            default:
                issues.append(SchemaIssue(type: "extra_forbidden", location: loc + [k], message: "Extra inputs are not permitted", input: x))
                ok = false
            }
        }
        for (k, present) in [("start_index", start != nil), ("decay_factor", factor != nil)] where !present && ok {
            issues.append(SchemaIssue(type: "missing", location: loc + [k], message: "Field required", input: v))
            ok = false
        }
        guard ok, let start, let factor else { return nil }
        return ExponentialDecayLengthPenalty(startIndex: start, decayFactor: factor)
    }

    /// An integer as pydantic's lax JSON mode takes one: a JSON integer, a float with no fraction,
    /// or a numeric string (``integer(numericString:)``).
    /// `beyond`: an integer outside Int64 and UInt64 (its digits), refused as out of range.
    enum BigInt: CustomStringConvertible {
        case small(Int64), huge(UInt64), beyond(String)
        var description: String {
            switch self { case .small(let v): "\(v)"; case .huge(let v): "\(v)"; case .beyond(let t): t }
        }
        var isNegative: Bool {
            switch self { case .small(let v): v < 0; case .huge: false; case .beyond(let t): t.hasPrefix("-") }
        }
    }

    static func integer(_ v: JSONValue) -> BigInt? {
        switch v {
        case .int(let i): return .small(Int64(i))
        case .bool(let b): return .small(b ? 1 : 0)  // pydantic's lax bool → int
        case .string(let s): return integer(numericString: s)
        // Integer digits beyond Int (the parser keeps them exact): a uint64, or out of every range.
        case .largeInt(let t): return UInt64(t).map(BigInt.huge) ?? .beyond(t)
        // A float with no fraction (1e3, 5.0): pydantic takes it as the int.
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: return .small(Int64(d))
        case .double(let d) where d.rounded() == d && d.isFinite: return d > 0 && d < 18446744073709551616.0 ? .huge(UInt64(d)) : .beyond("\(d)")
        default: return nil
        }
    }

    static func number(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .bool(let b): return b ? 1 : 0  // pydantic's lax bool → float
        case .double(let d): return d
        case .largeInt(let t): return Double(t)
        case .string(let s): return number(numericString: s)
        default: return nil
        }
    }

    /// pydantic's lax JSON → bool (pydantic-core `validate_bool`): `true`/`false`; the integers 0
    /// and 1 (and the floats 0.0, 1.0); the strings "0", "f", "n", "no", "off", "false" and "1",
    /// "t", "y", "on", "yes", "true" in any case, not stripped.
    static func boolean(_ v: JSONValue) -> Bool? {
        switch v {
        case .bool(let b): return b
        case .int(let i) where i == 0 || i == 1: return i == 1
        case .double(let d) where d == 0 || d == 1: return d == 1
        case .string(let s):
            switch s.lowercased() {
            case "0", "f", "n", "no", "off", "false": return false
            case "1", "t", "y", "on", "yes", "true": return true
            default: return nil
            }
        default: return nil
        }
    }

    /// pydantic's lax str → int (pydantic-core `str_as_int`): surrounding whitespace stripped, an
    /// optional sign, decimal digits, optionally followed by `.` and zeros only ("5.0" is 5).
    static func integer(numericString s: String) -> BigInt? {
        var t = Substring(s.trimmingCharacters(in: .whitespacesAndNewlines))
        if let dot = t.lastIndex(of: "."), t[t.index(after: dot)...].allSatisfy({ $0 == "0" }) { t = t[..<dot] }
        var digits = t
        let negative = digits.first == "-"
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if let v = Int64(String(digits)) { return .small(negative ? -v : v) }
        if !negative, let u = UInt64(String(digits)) { return .huge(u) }
        return .beyond((negative ? "-" : "") + digits)  // a Python int all the same: out of range
    }

    /// pydantic's lax str → float (Rust's `f64` parsing of the stripped string): decimal and
    /// exponent forms, `inf`/`infinity`/`nan` in any case; no hexadecimal.
    static func number(numericString s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !t.isEmpty, !t.lowercased().contains("x"), t.allSatisfy({ $0.isASCII }) else { return nil }
        let body = t.hasPrefix("+") || t.hasPrefix("-") ? t.dropFirst() : Substring(t)
        switch body.lowercased() {
        case "inf", "infinity": return t.hasPrefix("-") ? -.infinity : .infinity
        case "nan": return .nan
        default: break
        }
        guard body.allSatisfy({ $0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "+" || $0 == "-" }) else { return nil }
        return Double(t)
    }
}

extension SchemaIssue {
    static func int(_ loc: [String], _ v: JSONValue) -> SchemaIssue {
        if case .string = v {
            return SchemaIssue(type: "int_parsing", location: loc,
                               message: "Input should be a valid integer, unable to parse string as an integer", input: v)
        }
        if case .double = v {
            return SchemaIssue(type: "int_from_float", location: loc,
                               message: "Input should be a valid integer, got a number with a fractional part", input: v)
        }
        return SchemaIssue(type: "int_type", location: loc, message: "Input should be a valid integer", input: v)
    }
    static func float(_ loc: [String], _ v: JSONValue) -> SchemaIssue {
        if case .string = v {
            return SchemaIssue(type: "float_parsing", location: loc,
                               message: "Input should be a valid number, unable to parse string as a number", input: v)
        }
        return SchemaIssue(type: "float_type", location: loc, message: "Input should be a valid number", input: v)
    }
    static func string(_ loc: [String], _ v: JSONValue) -> SchemaIssue {
        SchemaIssue(type: "string_type", location: loc, message: "Input should be a valid string", input: v)
    }
    static func bool(_ loc: [String], _ v: JSONValue) -> SchemaIssue {
        switch v {
        case .string, .int, .largeInt:
            return SchemaIssue(type: "bool_parsing", location: loc,
                               message: "Input should be a valid boolean, unable to interpret input", input: v)
        case .double(let d) where d.rounded() == d:
            return SchemaIssue(type: "bool_parsing", location: loc,
                               message: "Input should be a valid boolean, unable to interpret input", input: v)
        default:
            return SchemaIssue(type: "bool_type", location: loc, message: "Input should be a valid boolean", input: v)
        }
    }
}
