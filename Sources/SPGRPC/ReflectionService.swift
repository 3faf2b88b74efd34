// The two reflection services (v1alpha, which caikit-nlp-client and older grpcurl use, and v1):
// a bidirectional stream, one response per request, each echoing its request.

import Foundation
import GRPCCore

/// The committed descriptor set (Generated/CaikitDescriptorSet.swift).
enum CaikitDescriptors {
    /// The index over every dumped caikit proto, the well-known types they import and the
    /// reflection protos.
    static func index() throws -> DescriptorIndex {
        guard let data = Data(base64Encoded: CaikitDescriptorSet.base64) else {
            throw DescriptorIndex.Unreadable(reason: "not base64")
        }
        return try DescriptorIndex(descriptorSet: data)
    }
}

/// `grpc.reflection.v1alpha.ServerReflection`.
struct ReflectionV1Alpha: Grpc_Reflection_V1alpha_ServerReflection.SimpleServiceProtocol {
    typealias Request = Grpc_Reflection_V1alpha_ServerReflectionRequest
    typealias Response = Grpc_Reflection_V1alpha_ServerReflectionResponse
    let resolver: ReflectionResolver

    func serverReflectionInfo(request: RPCAsyncSequence<Request, any Error>, response: RPCWriter<Response>,
                              context: ServerContext) async throws {
        for try await r in request { try await response.write(Self.respond(r, resolver)) }
    }

    static func respond(_ r: Request, _ resolver: ReflectionResolver) -> Response {
        let query: ReflectionQuery
        switch r.messageRequest {
        case .fileByFilename(let n)?: query = .fileByName(n)
        case .fileContainingSymbol(let s)?: query = .fileContainingSymbol(s)
        case .fileContainingExtension(let x)?: query = .fileContainingExtension(type: x.containingType, number: x.extensionNumber)
        case .allExtensionNumbersOfType(let t)?: query = .extensionNumbers(type: t)
        case .listServices?: query = .listServices
        case nil: query = .empty
        }
        var out = Response()
        out.validHost = r.host
        out.originalRequest = r
        switch resolver.answer(query) {
        case .files(let files):
            var f = Grpc_Reflection_V1alpha_FileDescriptorResponse()
            f.fileDescriptorProto = files
            out.fileDescriptorResponse = f
        case .extensionNumbers(let type, let numbers):
            var e = Grpc_Reflection_V1alpha_ExtensionNumberResponse()
            e.baseTypeName = type
            e.extensionNumber = numbers
            out.allExtensionNumbersResponse = e
        case .services(let names):
            var l = Grpc_Reflection_V1alpha_ListServiceResponse()
            l.service = names.map { var s = Grpc_Reflection_V1alpha_ServiceResponse(); s.name = $0; return s }
            out.listServicesResponse = l
        case .error(let code, let message):
            var e = Grpc_Reflection_V1alpha_ErrorResponse()
            e.errorCode = code
            e.errorMessage = message
            out.errorResponse = e
        }
        return out
    }
}

/// `grpc.reflection.v1.ServerReflection`: the same protocol under the stable package name.
struct ReflectionV1: Grpc_Reflection_V1_ServerReflection.SimpleServiceProtocol {
    typealias Request = Grpc_Reflection_V1_ServerReflectionRequest
    typealias Response = Grpc_Reflection_V1_ServerReflectionResponse
    let resolver: ReflectionResolver

    func serverReflectionInfo(request: RPCAsyncSequence<Request, any Error>, response: RPCWriter<Response>,
                              context: ServerContext) async throws {
        for try await r in request {
            // The two packages' messages have the same fields and numbers: convert through the wire.
            let alpha = try ReflectionV1Alpha.Request(serializedBytes: try r.serializedBytes() as [UInt8])
            let answer = ReflectionV1Alpha.respond(alpha, resolver)
            try await response.write(try Response(serializedBytes: try answer.serializedBytes() as [UInt8]))
        }
    }
}
