// Training data readers: JSON, JSONL, CSV (RFC 4180), directories, inline; errors name file/record.

import Foundation
import Testing
@testable import SPTuning

@Suite struct DataReaderTests {
    let ab = [TrainRecord(input: "a", output: "b"), TrainRecord(input: "c", output: "d")]

    @Test func jsonArrayJSONLinesAndCSV() throws {
        let d = try TempDir()
        defer { d.cleanup() }
        let json = try d.file("t.json", #"[{"input": "a", "output": "b", "extra": 1}, {"input": "c", "output": "d"}]"#)
        let jsonl = try d.file("t.jsonl", "{\"input\": \"a\", \"output\": \"b\"}\n\n{\"input\": \"c\", \"output\": \"d\"}\n")
        let csv = try d.file("t.csv", "input,output\r\na,b\r\nc,d\r\n")
        #expect(try TrainingDataReader.readFile(json) == ab)
        #expect(try TrainingDataReader.readFile(jsonl) == ab)
        #expect(try TrainingDataReader.readFile(csv) == ab)
        // Extension-less files are sniffed in caikit's order: JSON array, JSON lines, CSV.
        #expect(try TrainingDataReader.readFile(d.file("noext1", #"[{"input": "a", "output": "b"}]"#)) == [ab[0]])
        #expect(try TrainingDataReader.readFile(d.file("noext2", "{\"input\": \"a\", \"output\": \"b\"}\n")) == [ab[0]])
        #expect(try TrainingDataReader.readFile(d.file("noext3", "output,input\nb,a\n")) == [ab[0]])
    }

    @Test func csvQuotingPerRFC4180() throws {
        let text = "\u{FEFF}input,output,notes\n\"hello, world\",\"say \"\"hi\"\"\",x\n\"two\nlines\",\"\",\n\nplain,\"a\r\nb\",z"
        let d = try TempDir()
        defer { d.cleanup() }
        let r = try TrainingDataReader.readFile(d.file("q.csv", text))
        #expect(r == [TrainRecord(input: "hello, world", output: "say \"hi\""),
                      TrainRecord(input: "two\nlines", output: ""),
                      TrainRecord(input: "plain", output: "a\r\nb")])
        let rows = try CSV.parse("a,b\n1,\"x\"\n", file: "f")
        #expect(rows.map(\.fields) == [["a", "b"], ["1", "x"]])
        #expect(rows.map(\.line) == [1, 2])
        #expect(try CSV.parse("a\"b,c", file: "f").map(\.fields) == [["a\"b", "c"]])
    }

    @Test func csvErrorsNameTheLine() throws {
        expectTuningError(["f.csv", "line 2", "never closed"]) { _ = try CSV.records("input,output\n\"a,b\n", file: "f.csv") }
        expectTuningError(["f.csv", "line 2", "after a closing quote"]) { _ = try CSV.records("input,output\n\"a\"x,b\n", file: "f.csv") }
        expectTuningError(["f.csv record 1", "line 3", "3 fields"]) { _ = try CSV.records("input,output\na,b\nc,d,e\n", file: "f.csv") }
        expectTuningError(["f.csv record 0", "missing `output`"]) { _ = try CSV.records("input,label\na,b\n", file: "f.csv") }
    }

    @Test func classificationRecordsJoinLabels() throws {
        let d = try TempDir()
        defer { d.cleanup() }
        let url = try d.file("c.jsonl", """
        {"text": "great", "labels": ["positive"]}
        {"text": "meh", "labels": ["neutral", "negative"]}
        {"text": "n", "labels": [0, 1]}
        """)
        #expect(try TrainingDataReader.readFile(url) == [
            TrainRecord(input: "great", output: "positive"), TrainRecord(input: "meh", output: "neutral,negative"),
            TrainRecord(input: "n", output: "0,1"),
        ])
        #expect(try TrainingDataReader.readFile(d.file("c.csv", "text,labels\nok,yes\n")) == [TrainRecord(input: "ok", output: "yes")])
    }

    @Test func recordErrorsNameFileAndIndex() throws {
        let d = try TempDir()
        defer { d.cleanup() }
        expectTuningError(["m.json record 1", "missing `output`"]) {
            _ = try TrainingDataReader.readFile(d.file("m.json", #"[{"input": "a", "output": "b"}, {"input": "c"}]"#))
        }
        expectTuningError(["m.jsonl record 1", "line 3", "not valid JSON"]) {
            _ = try TrainingDataReader.readFile(d.file("m.jsonl", "{\"input\":\"a\",\"output\":\"b\"}\n\n{oops\n"))
        }
        expectTuningError(["t.json record 0", "`output` must be a string", "integer"]) {
            _ = try TrainingDataReader.readFile(d.file("t.json", #"[{"input": "a", "output": 3}]"#))
        }
        expectTuningError(["k.json record 0", "missing `input`"]) {
            _ = try TrainingDataReader.readFile(d.file("k.json", #"[{"prompt": "a", "completion": "b"}]"#))
        }
        expectTuningError(["x.txt", "Extension not supported"]) { _ = try TrainingDataReader.readFile(d.file("x.txt", "hi")) }
        let latin1 = d.url.appendingPathComponent("l.jsonl")
        try Data([0x7B, 0x22, 0x69, 0xE9, 0x22, 0x7D]).write(to: latin1)
        expectTuningError(["l.jsonl", "not valid UTF-8"]) { _ = try TrainingDataReader.readFile(latin1) }
        expectTuningError(["nope.json", "cannot read"]) { _ = try TrainingDataReader.readFile(d.url.appendingPathComponent("nope.json")) }
    }

    @Test func sourcesDirectoriesAndEmptiness() throws {
        let d = try TempDir()
        defer { d.cleanup() }
        let sub = d.url.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try Data(#"{"input": "c", "output": "d"}"#.utf8).write(to: sub.appendingPathComponent("2.json"))
        try Data(#"{"input": "a", "output": "b"}"#.utf8).write(to: sub.appendingPathComponent("1.json"))
        try Data("input,output\ne,f\n".utf8).write(to: sub.appendingPathComponent("3.csv"))
        try Data("ignored".utf8).write(to: sub.appendingPathComponent(".hidden.json"))
        #expect(try TrainingDataReader.read(.directory("data", extension: "json"), baseDirectory: d.url) == ab)
        #expect(try TrainingDataReader.read(.directory("data", extension: nil), baseDirectory: d.url)
            == ab + [TrainRecord(input: "e", output: "f")])
        #expect(try TrainingDataReader.read(.files(["data/2.json", "data/1.json"]), baseDirectory: d.url) == ab.reversed())
        #expect(try TrainingDataReader.read(.inline(ab)) == ab)
        expectTuningError(["train_stream", "cannot be empty", "inline"]) { _ = try TrainingDataReader.read(.inline([])) }
        let empty = try d.file("e.jsonl", "\n\n")
        expectTuningError(["val_stream", "e.jsonl"]) { _ = try TrainingDataReader.read(.file(empty.path), field: "val_stream") }
        expectTuningError(["extension", "parquet"]) {
            _ = try TrainingDataReader.read(.directory("data", extension: "parquet"), baseDirectory: d.url)
        }
    }
}
