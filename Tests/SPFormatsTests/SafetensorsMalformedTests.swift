// Every malformed safetensors header gives a typed FormatError, never a crash.

import Foundation
import Testing
@testable import SPFormats

@Suite struct SafetensorsMalformedTests {
    /// `u64 n` + `json` + `data` zero bytes.
    func file(_ json: String, data: Int = 0, length: UInt64? = nil) -> [UInt8] {
        let j = Array(json.utf8)
        return le(length ?? UInt64(j.count)) + j + [UInt8](repeating: 0, count: data)
    }

    func parse(_ bytes: [UInt8]) throws {
        _ = try bytes.withUnsafeBytes { try SafetensorsHeader.parse($0, name: "bad.safetensors") }
    }

    func t(_ name: String = "t", dtype: String = "F32", shape: String = "[2]", offsets: String = "[0,8]") -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
    }

    static let cases: [(String, String, Int, UInt64?, String)] = [
        // (label, header JSON, data bytes, stored length override, expected case)
        ("header past EOF", "{}", 0, 1000, "truncated"),
        ("header over 100 MB", "{}", 0, 100_000_001, "invalidHeader"),
        ("zero-length header", "", 0, nil, "invalidHeader"),
        ("not an object", "[1,2]", 0, nil, "invalidHeader"),
        ("bad JSON", "{\"t\":", 0, nil, "invalidJSON"),
        ("trailing text", "{} x", 0, nil, "invalidJSON"),
        ("unterminated string", "{\"t", 0, nil, "invalidJSON"),
        ("bad escape", "{\"\\q\":1}", 0, nil, "invalidJSON"),
        ("lone surrogate", "{\"\\ud800\":1}", 0, nil, "invalidJSON"),
        ("raw control char", "{\"a\u{01}\":1}", 0, nil, "invalidJSON"),
        ("entry not an object", "{\"t\":3}", 0, nil, "invalidHeader"),
        ("dtype missing", "{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, nil, "invalidHeader"),
        ("dtype not a string", "{\"t\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, nil, "invalidHeader"),
        ("unknown dtype", "{\"t\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, nil, "unknownDType"),
        ("lowercase dtype", "{\"t\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, nil, "unknownDType"),
        ("shape missing", "{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, nil, "invalidHeader"),
        ("negative dim", "{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, nil, "invalidHeader"),
        ("float dim", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, nil, "invalidHeader"),
        ("shape not array", "{\"t\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,4]}}", 4, nil, "invalidHeader"),
        ("offsets missing", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, nil, "invalidHeader"),
        ("three offsets", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8, nil, "invalidHeader"),
        ("begin after end", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8, nil, "invalidHeader"),
        ("offset past data", "{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, nil, "offsetsOutOfRange"),
        ("huge offset", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}", 4, nil,
         "invalidHeader"),
        ("wrong size", "{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, nil, "sizeMismatch"),
        ("wrong size for dtype", "{\"t\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16, nil,
         "sizeMismatch"),
        ("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, nil, "overlap"),
        ("same range twice", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, nil, "overlap"),
        ("hole", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, nil, "unindexedBytes"),
        ("trailing data", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, nil, "unindexedBytes"),
        ("data but no tensors", "{}", 4, nil, "unindexedBytes"),
        ("shape overflow", "{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4,
         nil, "shapeOverflow"),
        ("bit-size overflow", "{\"t\":{\"dtype\":\"F64\",\"shape\":[1152921504606846976,2],\"data_offsets\":[0,4]}}", 4,
         nil, "shapeOverflow"),
        ("sub-byte not on byte boundary", "{\"t\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2, nil,
         "invalidHeader"),
        ("metadata not object", "{\"__metadata__\":[1]}", 0, nil, "invalidHeader"),
        ("metadata value not string", "{\"__metadata__\":{\"a\":1}}", 0, nil, "invalidHeader"),
        ("duplicate tensor", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, nil, "invalidJSON"),
        ("deep nesting", "{\"a\":" + String(repeating: "[", count: 5000) + "}", 0, nil, "invalidJSON"),
    ]

    @Test("malformed header", arguments: 0..<cases.count)
    func malformed(_ i: Int) throws {
        let (label, json, data, length, expected) = Self.cases[i]
        let e = expectFormatError(expected) { try parse(file(json, data: data, length: length)) }
        #expect(e?.description.contains("bad.safetensors") == true, "\(label): message names the file")
    }

    @Test func tooShortForLength() throws {
        for n in 0..<8 { expectFormatError("truncated") { try parse([UInt8](repeating: 2, count: n)) } }
    }

    @Test func invalidUTF8Key() throws {
        let j: [UInt8] = Array("{\"".utf8) + [0xFF, 0xFE] + Array("\":1}".utf8)
        expectFormatError("invalidJSON") { try parse(le(UInt64(j.count)) + j) }
    }

    @Test func messagesNameTensorAndOffsets() throws {
        let e = expectFormatError("offsetsOutOfRange") {
            try parse(file("{" + t("layer.0.w", shape: "[4]", offsets: "[0,16]") + "}", data: 8))
        }
        #expect(e?.description.contains("layer.0.w") == true && e?.description.contains("[0, 16)") == true)
        let o = expectFormatError("overlap") {
            try parse(file("{" + t("a") + "," + t("b", offsets: "[4,12]") + "}", data: 12))
        }
        #expect(o?.description.contains("a") == true && o?.description.contains("b") == true)
        let j = expectFormatError("invalidJSON") { try parse(file("{\"t\": tru}")) }
        if case .invalidJSON(_, let offset, _)? = j { #expect(offset == 8 + 9, "offset counts from the file start") }
    }

    @Test("every truncation of a valid file throws, never crashes")
    func everyPrefix() throws {
        let full = try fixtureBytes("safetensors/mixed.safetensors")
        try full.withUnsafeBytes { _ = try SafetensorsHeader.parse($0, name: "ok") }
        for n in 0..<full.count {
            let cut = Array(full[0..<n])
            do { try parse(cut); Issue.record("prefix of \(n) bytes parsed") } catch { #expect(error is FormatError) }
        }
        // A cut in the data section is reported as the last tensor running past the end.
        expectFormatError("offsetsOutOfRange") { try parse(Array(full.dropLast())) }
    }

    @Test func truncatedFileOnDisk() throws {
        let dir = TempDir()
        let full = try fixtureBytes("safetensors/mixed.safetensors")
        let p = try dir.write("cut.safetensors", Array(full.dropLast(10)))
        expectFormatError("offsetsOutOfRange") { _ = try SafetensorsFile(path: p) }
        expectFormatError("io") { _ = try SafetensorsFile(path: dir.path + "/absent.safetensors") }
        expectFormatError("io") { _ = try SafetensorsFile(path: dir.path) }
        let empty = try dir.write("empty.safetensors", [])
        expectFormatError("truncated") { _ = try SafetensorsFile(path: empty) }
    }
}
