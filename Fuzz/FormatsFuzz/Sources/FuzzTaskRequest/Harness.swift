// libFuzzer entry point: `softprompt serve`'s request decoder on arbitrary bytes must return a
// request or throw caikit's schema error (422); a decoded request's parameter check must return or
// throw a GenerationError; every error body must be caikit's JSON `{"details", "code", "id"}`
// (parsed back here). No trap, no other error type.

import SPGeneration
import SPJSON
import SPServer

func checkBody(_ e: CaikitError, _ codes: Set<Int>) {
    precondition(codes.contains(e.code), "unexpected status \(e.code): \(e.details)")
    guard case .object(let o)? = try? JSONParser.parse(Array(e.body.utf8)) else { preconditionFailure("error body is not a JSON object: \(e.body)") }
    let keys = o.map(\.0)
    precondition(keys.contains("details") && keys.contains("code") && keys.contains("id"), "error body keys \(keys)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTaskRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    for hasParameters in [true, false] {
        let request: TaskRequest
        do {
            request = try TaskRequest.decode(bytes, hasParameters: hasParameters)
        } catch let e as CaikitError {
            checkBody(e, [422])
            continue
        } catch {
            preconditionFailure("unexpected error type \(error)")
        }
        if let e = request.parameterError { checkBody(CaikitError.from(e), [400]) }
        do {
            try request.parameters.validate()
        } catch let e as GenerationError {
            checkBody(CaikitError.from(e), [400])
        } catch {
            preconditionFailure("unexpected error type \(error)")
        }
    }
    return 0
}
