// The committed file descriptors (api/protos + api/reflection, compiled by protoc into
// Generated/Descriptors.swift), indexed the way a reflection client asks for them: by file name,
// by fully-qualified symbol, by extension.

import Foundation
import SwiftProtobuf

/// A descriptor pool over serialized `FileDescriptorProto`s.
public struct DescriptorIndex: Sendable {
    /// Serialized descriptors by file name (`caikit_data_model_nlp.proto`, …).
    let serialized: [String: Data]
    /// Each file's direct imports.
    let dependencies: [String: [String]]
    /// Fully-qualified symbol (no leading dot) → the file declaring it: messages (nested too),
    /// enums, services, methods, extensions.
    let symbols: [String: String]
    /// `extendee full name` → `[field number: file]`.
    let extensions: [String: [Int32: String]]

    /// Errors reading the embedded descriptor set (a broken build, never outside input).
    public struct Unreadable: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { "embedded descriptor set: \(reason); rerun scripts/generate_grpc.sh" }
    }

    /// Indexes a serialized `FileDescriptorSet`.
    /// - Throws: ``Unreadable`` when it does not decode.
    public init(descriptorSet bytes: Data) throws {
        let set: Google_Protobuf_FileDescriptorSet
        do { set = try Google_Protobuf_FileDescriptorSet(serializedBytes: bytes) } catch {
            throw Unreadable(reason: "\(error)")
        }
        var serialized: [String: Data] = [:], deps: [String: [String]] = [:]
        var symbols: [String: String] = [:], extensions: [String: [Int32: String]] = [:]
        for file in set.file {
            do { serialized[file.name] = try file.serializedBytes() } catch { throw Unreadable(reason: "\(file.name): \(error)") }
            deps[file.name] = file.dependency
            let prefix = file.package.isEmpty ? "" : file.package + "."
            func addMessage(_ m: Google_Protobuf_DescriptorProto, _ scope: String) {
                let name = scope + m.name
                symbols[name] = file.name
                for f in m.field { symbols[name + "." + f.name] = file.name }
                for e in m.enumType { symbols[name + "." + e.name] = file.name }
                for n in m.nestedType { addMessage(n, name + ".") }
                for x in m.extension { addExtension(x, name + ".") }
            }
            func addExtension(_ x: Google_Protobuf_FieldDescriptorProto, _ scope: String) {
                symbols[scope + x.name] = file.name
                let extendee = x.extendee.hasPrefix(".") ? String(x.extendee.dropFirst()) : x.extendee
                extensions[extendee, default: [:]][x.number] = file.name
            }
            for m in file.messageType { addMessage(m, prefix) }
            for e in file.enumType { symbols[prefix + e.name] = file.name }
            for s in file.service {
                symbols[prefix + s.name] = file.name
                for method in s.method { symbols[prefix + s.name + "." + method.name] = file.name }
            }
            for x in file.extension { addExtension(x, prefix) }
        }
        self.serialized = serialized
        dependencies = deps
        self.symbols = symbols
        self.extensions = extensions
    }

    /// The file and every file it imports, transitively (the file first), serialized.
    /// - Returns: nil for an unknown file.
    public func closure(ofFile name: String) -> [Data]? {
        guard serialized[name] != nil else { return nil }
        var seen: Set<String> = [], order: [String] = []
        var stack = [name]
        while let next = stack.popLast() {
            guard seen.insert(next).inserted else { continue }
            order.append(next)
            for d in (dependencies[next] ?? []).reversed() where !seen.contains(d) { stack.append(d) }
        }
        return order.compactMap { serialized[$0] }
    }

    /// The file declaring a fully-qualified symbol (a leading dot is accepted).
    public func file(containingSymbol symbol: String) -> String? {
        symbols[symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol]
    }

    /// The file declaring extension `number` of `type`.
    public func file(containingExtension number: Int32, of type: String) -> String? {
        extensions[type]?[number]
    }

    /// The extension numbers known for `type` (sorted), or nil when `type` is not a known message.
    public func extensionNumbers(of type: String) -> [Int32]? {
        guard symbols[type] != nil else { return nil }
        return (extensions[type] ?? [:]).keys.sorted()
    }

    /// Whether a file of that name is in the pool.
    public func contains(file name: String) -> Bool { serialized[name] != nil }
}
