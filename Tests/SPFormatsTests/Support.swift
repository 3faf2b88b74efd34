// Shared helpers: fixture paths, temporary directories, error-case matching, a small SHA-256.

import Foundation
import SPJSON
import Testing
@testable import SPFormats

/// Path of a committed fixture under `Fixtures/` (written by scripts/reference/*.py).
func fixturePath(_ relative: String) throws -> String {
    guard let root = Bundle.module.resourceURL?.appendingPathComponent("Fixtures") else {
        throw FormatError.invalidArgument("test bundle has no Fixtures directory")
    }
    return root.appendingPathComponent(relative).path
}

/// Bytes of a committed fixture.
func fixtureBytes(_ relative: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: try fixturePath(relative))))
}

/// A parsed JSON fixture.
func fixtureJSON(_ relative: String) throws -> JSONValue {
    try JSONParser.parse(try fixtureBytes(relative), file: relative)
}

/// A fresh temporary directory, removed when the returned object is released.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "spformats-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` inside the directory and returns the full path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted() ?? [] }
}

/// The case name of a `FormatError` (`"overlap"`, `"truncated"`, …).
func caseName(_ e: Error) -> String {
    guard let f = e as? FormatError else { return "not a FormatError: \(type(of: e))" }
    return Mirror(reflecting: f).children.first?.label ?? "\(f)"
}

/// Runs `body`, expecting a `FormatError` of case `expected`; returns the error for further checks.
@discardableResult
func expectFormatError(_ expected: String, sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () throws -> Void) -> FormatError? {
    do {
        try body()
        Issue.record("expected FormatError.\(expected), nothing was thrown", sourceLocation: sourceLocation)
    } catch {
        #expect(caseName(error) == expected, "got \(error)", sourceLocation: sourceLocation)
        return error as? FormatError
    }
    return nil
}

// JSON fixture accessors (fail the test rather than crash on a malformed fixture).
extension JSONValue {
    subscript(key: String) -> JSONValue {
        if case .object(let o) = self, let v = o[key] { return v }
        return .null
    }
    var array: [JSONValue] { if case .array(let a) = self { return a }; return [] }
    var string: String { if case .string(let s) = self { return s }; return "" }
    var int: Int { if case .int(let i) = self { return i }; if case .double(let d) = self { return Int(d) }; return -1 }
    var double: Double {
        if case .double(let d) = self { return d }
        if case .int(let i) = self { return Double(i) }
        return .nan
    }
    var ints: [Int] { array.map(\.int) }
}

/// Little-endian bytes of an integer.
func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

/// SHA-256 (FIPS 180-4), to compare dequantized tensors with the hashes the reference script wrote.
struct SHA256 {
    private var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    /// Hex digest of `count` bytes at `p`.
    static func hex(_ p: UnsafeRawPointer, count: Int) -> String {
        var s = SHA256()
        let full = count / 64
        for b in 0..<full { s.block(p + 64 * b) }
        var tail = [UInt8](UnsafeRawBufferPointer(start: p + 64 * full, count: count - 64 * full))
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        tail += le(UInt64(count) * 8).reversed()
        tail.withUnsafeBytes { t in for b in 0..<(t.count / 64) { s.block(t.baseAddress! + 64 * b) } }
        return s.h.map { String(format: "%08x", $0) }.joined()
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { hex($0.baseAddress!, count: $0.count) } }

    private mutating func block(_ p: UnsafeRawPointer) {
        var w = [UInt32](repeating: 0, count: 64)
        for i in 0..<16 { w[i] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        for i in 16..<64 {
            let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
            let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
        for i in 0..<64 {
            let t1 = hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ SHA256.k[i] &+ w[i]
            let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
            (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
    }
}
