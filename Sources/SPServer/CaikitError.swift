// caikit runtime's HTTP error bodies and status mapping (caikit/runtime/http_server/http_server.py
// `_handle_exception`, request_validation_exception_handler; names.py STATUS_CODE_TO_HTTP).

import Foundation
import SPGeneration
import SPJSON
import SPService

/// An error answered as caikit's JSON `{"details", "code", "id"}` (422 adds `additional_info`).
public struct CaikitError: Error, Sendable, CustomStringConvertible {
    /// HTTP status (caikit's mapping: INVALID_ARGUMENT 400, NOT_FOUND 404, RESOURCE_EXHAUSTED 429, …).
    public var code: Int
    /// Human-readable message; it names the field and carries a hint where we can give one.
    public var details: String
    /// pydantic's error list for a 422 (request body does not match the schema).
    public var additionalInfo: [JSONValue]?
    /// caikit's error id: `uuid4().hex`.
    public var id: String

    public init(code: Int, details: String, additionalInfo: [JSONValue]? = nil) {
        self.code = code
        self.details = details
        self.additionalInfo = additionalInfo
        id = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    public var description: String { "\(code): \(details)" }

    /// The body, written as caikit writes it: `json.dumps` for handled errors, Starlette's compact
    /// `JSONResponse` for a 422 validation error.
    public var body: String {
        if let info = additionalInfo {
            return JSONValue.object([("details", .string(details)), ("additional_info", .array(info)),
                                     ("code", .int(code)), ("id", .string(id))]).starletteJSON
        }
        return JSONValue.object([("details", .string(details)), ("code", .int(code)), ("id", .string(id))])
            .dumps()
    }

    /// INVALID_ARGUMENT.
    public static func badRequest(_ details: String) -> CaikitError { CaikitError(code: 400, details: details) }
    /// NOT_FOUND, worded as caikit's model manager words it.
    public static func modelNotLoaded(_ id: String, reason: String? = nil) -> CaikitError {
        CaikitError(code: 404, details: "Model '\(id)' not loaded" + (reason.map { ": \($0)" } ?? ""))
    }
    /// RESOURCE_EXHAUSTED.
    public static func busy(_ details: String) -> CaikitError { CaikitError(code: 429, details: details) }

    /// A request-schema failure (pydantic's `RequestValidationError`): 422, the first message as
    /// `details`, every error in `additional_info`.
    public static func validation(_ errors: [SchemaIssue]) -> CaikitError {
        CaikitError(code: 422, details: errors.first?.message ?? "invalid request", additionalInfo: errors.map(\.json))
    }

    /// How caikit maps what a module raised: parameter errors (ValueError/TypeError) → 400,
    /// anything else → 500 (`INTERNAL`, `str(e)`).
    public static func from(_ error: any Error) -> CaikitError {
        switch error {
        case let e as CaikitError: return e
        case let e as GenerationError:
            switch e {
            case .badPromptDirectory, .promptMismatch, .model: return CaikitError(code: 500, details: "\(e)")
            default: return .badRequest("\(e)")
            }
        case let e as ServiceError: return .badRequest("\(e)")
        default: return CaikitError(code: 500, details: "Unhandled exception: \(error)")
        }
    }
}

/// One pydantic-style validation error: `type`, `loc`, `msg`, `input`.
public struct SchemaIssue: Sendable, Equatable {
    public var type: String
    public var location: [String]
    public var message: String
    public var input: JSONValue?

    public init(type: String, location: [String], message: String, input: JSONValue?) {
        self.type = type
        self.location = location
        self.message = message
        self.input = input
    }

    var json: JSONValue {
        var m: JSONObject = [("type", .string(type)), ("loc", .array(location.map(JSONValue.string))),
                                        ("msg", .string(message))]
        if let input { m.append("input", Self.finite(input)) }
        return .object(m)
    }

    /// The echoed input with non-finite numbers (a JSON `1e999` reads as infinity) as Python's
    /// `repr` strings ("inf", "-inf", "nan"), so that the error body stays strict JSON (Starlette
    /// writes with `allow_nan=False`). Found by the request fuzzer.
    static func finite(_ v: JSONValue) -> JSONValue {
        switch v {
        case .double(let d) where !d.isFinite: return .string(d.isNaN ? "nan" : d > 0 ? "inf" : "-inf")
        case .array(let a): return .array(a.map(finite))
        case .object(let o): return .object(JSONObject(o.map { ($0.0, finite($0.1)) }))
        default: return v
        }
    }
}
