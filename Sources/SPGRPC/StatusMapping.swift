// caikit's error mapping on the gRPC side: the runtime raises CaikitRuntimeException(grpc_code)
// and the HTTP server maps that code to a status (caikit/runtime/names.py STATUS_CODE_TO_HTTP).
// SPServer's errors carry the HTTP status, so the gRPC handlers map back along the same table.

import GRPCCore
import SPServer

extension CaikitError {
    /// The gRPC status caikit uses for this error's HTTP status (INVALID_ARGUMENT 400,
    /// NOT_FOUND 404, RESOURCE_EXHAUSTED 429, …; 422 schema errors and 413 bodies are
    /// INVALID_ARGUMENT too, anything unlisted is INTERNAL as caikit's unhandled errors are).
    public var grpcCode: RPCError.Code {
        switch code {
        case 400, 413, 415, 422: .invalidArgument
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .notFound
        case 409: .alreadyExists
        case 429: .resourceExhausted
        case 499: .cancelled
        case 501: .unimplemented
        case 503: .unavailable
        case 504: .deadlineExceeded
        default: .internalError
        }
    }

    /// The error as a gRPC status: caikit's code, the same `details` text the HTTP body carries,
    /// and the error id in the `error-id` trailing metadata.
    public var rpcError: RPCError {
        RPCError(code: grpcCode, message: details, metadata: ["error-id": .string(id)])
    }
}
