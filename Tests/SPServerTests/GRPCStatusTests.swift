import GRPCCore
import SPServer
import Testing

@testable import SPGRPC

/// caikit's status table, HTTP status → gRPC code.
@Suite struct GRPCStatusTests {
    @Test func caikitTable() {
        let table: [(Int, RPCError.Code)] = [
            (400, .invalidArgument), (422, .invalidArgument), (413, .invalidArgument), (404, .notFound),
            (429, .resourceExhausted), (499, .cancelled), (501, .unimplemented), (504, .deadlineExceeded),
            (401, .unauthenticated), (403, .permissionDenied), (500, .internalError),
        ]
        for (http, code) in table {
            #expect(CaikitError(code: http, details: "x").grpcCode == code, "HTTP \(http)")
        }
    }

    @Test func rpcErrorCarriesDetailsAndId() {
        let e = CaikitError(code: 404, details: "Model 'nope' not loaded")
        let r = e.rpcError
        #expect(r.code == .notFound)
        #expect(r.message == "Model 'nope' not loaded")
        #expect(r.metadata[stringValues: "error-id"].map { $0 } == [e.id])
    }
}
