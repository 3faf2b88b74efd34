// GET /openapi.json serves caikit's own contract, byte for byte the committed api/openapi.json.

import Foundation
import HummingbirdTesting
@testable import SPServer
import Testing

@Suite struct OpenAPITests {
    @Test func servesTheCommittedDocument() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        let committed = try Data(contentsOf: URL(fileURLWithPath: ServerFixture.repoRoot + "/api/openapi.json"))
        #expect(HTTPServer.openAPIDocument == Array(committed), "rerun scripts/generate_grpc.sh after changing api/openapi.json")
        try await withServer(f.config()) { client, _ in
            let r = try await client.get("/openapi.json")
            #expect(r.status == .ok && r.headers[.contentType] == "application/json")
            #expect(Array(r.body.readableBytesView) == Array(committed))
            // What caikit-nlp-client reads: the text-generation request schema's parameters.
            let spec = r.object
            let paths = spec["paths"] as? [String: Any]
            #expect(paths?["/api/v1/task/text-generation"] != nil && paths?["/api/v1/task/server-streaming-text-generation"] != nil)
        }
    }
}
