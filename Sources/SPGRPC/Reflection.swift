// gRPC server reflection (grpc.reflection.v1alpha.ServerReflection and grpc.reflection.v1, the same
// protocol under two package names) over the committed descriptors: what caikit-nlp-client and
// grpcurl use to find caikit's message types. grpc-swift's own reflection service is not available
// here, so this is a small implementation of the protocol.

import Foundation
import GRPCCore
import SwiftProtobuf

/// What a reflection client asks, independent of the protocol version.
enum ReflectionQuery: Equatable {
    case fileByName(String)
    case fileContainingSymbol(String)
    case fileContainingExtension(type: String, number: Int32)
    case extensionNumbers(type: String)
    case listServices
    /// No `message_request` set.
    case empty
}

/// The answer to a ``ReflectionQuery``.
enum ReflectionAnswer: Equatable {
    case files([Data])
    case extensionNumbers(type: String, numbers: [Int32])
    case services([String])
    /// A gRPC status code and message (NOT_FOUND for an unknown file or symbol).
    case error(code: Int32, message: String)
}

/// Answers reflection queries from a ``DescriptorIndex`` and the list of services served.
public struct ReflectionResolver: Sendable {
    let index: DescriptorIndex
    /// Fully-qualified names of the services this server serves (reflection included).
    public let services: [String]

    public init(index: DescriptorIndex, services: [String]) {
        self.index = index
        self.services = services.sorted()
    }

    func answer(_ query: ReflectionQuery) -> ReflectionAnswer {
        let notFound = Int32(RPCError.Code.notFound.rawValue)
        switch query {
        case .listServices:
            return .services(services)
        case .fileByName(let name):
            guard let files = index.closure(ofFile: name) else { return .error(code: notFound, message: "File not found: \(name)") }
            return .files(files)
        case .fileContainingSymbol(let symbol):
            guard let file = index.file(containingSymbol: symbol), let files = index.closure(ofFile: file) else {
                return .error(code: notFound, message: "Symbol not found: \(symbol)")
            }
            return .files(files)
        case .fileContainingExtension(let type, let number):
            guard let file = index.file(containingExtension: number, of: type), let files = index.closure(ofFile: file) else {
                return .error(code: notFound, message: "Extension not found: \(type)(\(number))")
            }
            return .files(files)
        case .extensionNumbers(let type):
            guard let numbers = index.extensionNumbers(of: type) else {
                return .error(code: notFound, message: "Type not found: \(type)")
            }
            return .extensionNumbers(type: type, numbers: numbers)
        case .empty:
            return .error(code: Int32(RPCError.Code.invalidArgument.rawValue), message: "no message_request set")
        }
    }
}
