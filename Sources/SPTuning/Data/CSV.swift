// An RFC 4180 CSV parser: comma separated, CRLF or LF line ends, fields optionally quoted with `"`,
// a quote inside a quoted field doubled (`""`), commas and line breaks allowed inside quotes.

import Foundation
import SPJSON
import SPPrompt

/// CSV parsing for header-row training files (caikit `DataStream.from_header_csv`).
enum CSV {
    /// One parsed row and the 1-based line it starts on.
    struct Row: Equatable {
        var fields: [String]
        var line: Int
    }

    /// Splits `text` into rows. Entirely empty lines are skipped, as Python's `csv` module does.
    /// - Throws: ``TuningError/badRecord(file:record:reason:)`` for an unterminated quoted field or
    ///   text after a closing quote, naming the line.
    static func parse(_ text: String, file: String) throws -> [Row] {
        let b = Array(text.utf8)
        var rows: [Row] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1, rowLine = 1
        var i = 0
        var rowHasContent = false
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        func endRow() {
            if rowHasContent { endField(); rows.append(Row(fields: fields, line: rowLine)) }
            fields.removeAll()
            field.removeAll(keepingCapacity: true)
            rowHasContent = false
        }
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\""), isFieldStart(b, i) {
                // Quoted field: runs to the next lone quote.
                rowHasContent = true
                let openLine = line
                i += 1
                var closed = false
                while i < b.count {
                    if b[i] == UInt8(ascii: "\"") {
                        if i + 1 < b.count, b[i + 1] == UInt8(ascii: "\"") { field.append(b[i]); i += 2; continue }
                        i += 1
                        closed = true
                        break
                    }
                    if b[i] == UInt8(ascii: "\n") { line += 1 }
                    field.append(b[i])
                    i += 1
                }
                guard closed else {
                    throw TuningError.badRecord(file: file, record: nil,
                                                reason: "line \(openLine): quoted field is never closed")
                }
                let next: UInt8? = i < b.count ? b[i] : nil
                guard next == nil || next == UInt8(ascii: ",") || next == UInt8(ascii: "\n")
                    || next == UInt8(ascii: "\r") else {
                    throw TuningError.badRecord(file: file, record: nil,
                                                reason: "line \(line): text after a closing quote; double quotes inside a quoted field (\"\")")
                }
                continue
            }
            switch c {
            case UInt8(ascii: ","):
                rowHasContent = true
                endField()
            case UInt8(ascii: "\r") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "\n"):
                i += 1
                fallthrough
            case UInt8(ascii: "\n"):
                endRow()
                line += 1
                rowLine = line
            default:
                rowHasContent = true
                field.append(c)
            }
            i += 1
        }
        endRow()
        return rows
    }

    /// A quote opens a quoted field only at the start of a field; `a"b` keeps its quote literally.
    private static func isFieldStart(_ b: [UInt8], _ i: Int) -> Bool {
        guard i > 0 else { return true }
        let prev = b[i - 1]
        return prev == UInt8(ascii: ",") || prev == UInt8(ascii: "\n") || prev == UInt8(ascii: "\r")
    }

    /// Parses a CSV file with a header row into records (`input`,`output` or `text`,`labels` columns;
    /// other columns are ignored).
    static func records(_ text: String, file: String) throws -> [TrainRecord] {
        let rows = try parse(text, file: file)
        guard let header = rows.first else { return [] }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        return try rows.dropFirst().enumerated().map { index, row in
            guard row.fields.count == names.count else {
                throw TuningError.badRecord(file: file, record: index,
                                            reason: "line \(row.line): \(row.fields.count) fields, the header has \(names.count)")
            }
            var object = JSONObject()
            for (k, v) in zip(names, row.fields) { object[k] = .string(v) }
            return try TrainRecord(json: .object(object), file: file, index: index)
        }
    }
}
