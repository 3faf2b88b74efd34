// torch .pt files: reading what torch.save wrote (scripts/reference/torch_pt_fixtures.py) and
// writing bytes that match torch's where they are deterministic.

import Foundation
@testable import SPFormats
import SPJSON
import SPTensor
import Testing
@testable import SPTuning

@Suite struct TorchPTTests {
    @Test func readsEveryTorchFixtureWithIdenticalValues() throws {
        let fx = try fixtureJSON("torch_pt.json")["files"]!
        guard case .object(let files) = fx else { Issue.record("bad fixture"); return }
        #expect(files.count == 8)
        for (name, want) in files.sorted(by: { $0.key < $1.key }) {
            let read = try TorchPT.readTensors(contentsOf: fixtureURL("torch/\(name).pt"))
            func check(_ t: TorchTensor, _ w: JSONValue, _ label: String) {
                #expect(t.shape == w["shape"]!.ints, "\(label) shape")
                #expect(t.dtype.rawValue == w["dtype"]!.stringValue!, "\(label) dtype")
                #expect(t.values == w["values"]!.floats, "\(label) values")
            }
            if case .object(let sd)? = want["state_dict"] {
                #expect(read.map(\.name) == ["prompt_embeddings", "prefix_task_cols", "prefix_task_rows"])
                for (k, t) in read { check(t, sd[k]!, "\(name).\(k)") }
            } else {
                #expect(read.count == 1 && read[0].name == "")
                check(read[0].tensor, want, name)
                #expect(read[0].tensor.location == want["location"]!.stringValue!)
            }
        }
    }

    @Test func singleTensorAPIRefusesStateDicts() throws {
        let t = try TorchPT.readTensor(contentsOf: fixtureURL("torch/cuda_location_2x4.pt"))
        #expect(t.location == "cuda:0" && t.shape == [2, 4])
        expectError(FormatError.self, ["mpt_state_dict.pt", "holds 3 tensors", "expected one"]) {
            _ = try TorchPT.readTensor(contentsOf: fixtureURL("torch/mpt_state_dict.pt"))
        }
    }

    /// Our data.pkl, data/0 and small records are byte-identical to torch's for the same tensor;
    /// only the random serialization id and the zip framing differ.
    @Test func writerMatchesTorchRecordsByteForByte() throws {
        for (name, dtype) in [("f32_2x3", DType.float32), ("bf16_3x4", .bfloat16), ("f16_3x4", .float16)] {
            let url = try fixtureURL("torch/\(name).pt")
            let torchZip = try ZipReader(Data(contentsOf: url), file: name)
            let t = try TorchPT.readTensor(contentsOf: url)
            let ours = try ZipReader(TorchPT.encode(values: t.values, shape: t.shape, dtype: dtype, archiveName: name,
                                                   serializationID: "0"), file: "ours")
            #expect(ours.names == torchZip.names, "\(name) record names")
            for record in torchZip.names where !record.hasSuffix("serialization_id") {
                #expect(try ours.read(record) == torchZip.read(record), "\(name): \(record)")
            }
            // torch aligns record data to 64 bytes; so do we.
            #expect(ours.entries.values.allSatisfy { $0.offset % 64 == 0 })
        }
    }

    @Test func roundTripsThroughOurReaderAndRoundsToTheDType() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let values: [Float] = [1, -2.5, 3.1415927, 1e-3, 65504, 7e-8]
        for dtype in DType.allCases {
            let url = dir.url.appendingPathComponent("decoder.pt")
            try TorchPT.write(values: values, shape: [2, 3], dtype: dtype, to: url)
            let t = try TorchPT.readTensor(contentsOf: url)
            var rounded = values
            Convert.roundTrip(&rounded, rounded.count, through: dtype)
            #expect(t.values == rounded && t.shape == [2, 3] && t.dtype == dtype && t.location == "cpu")
            let names = try ZipReader(Data(contentsOf: url), file: "x").names
            #expect(names.first == "decoder/data.pkl")
        }
        let big = (0..<(300 * 70)).map { Float($0) * 0.5 }   // sizes past BININT1, storage past BININT2
        let url = dir.url.appendingPathComponent("big.pt")
        try TorchPT.write(values: big, shape: [300, 70], dtype: .float32, to: url)
        #expect(try TorchPT.readTensor(contentsOf: url).values == big)
    }

    @Test func corruptFilesAreNamedErrors() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        expectError(FormatError.self, ["junk.pt", "not a zip archive"]) {
            _ = try TorchPT.readTensor(contentsOf: dir.file("junk.pt", "hello"))
        }
        var bytes = [UInt8](try Data(contentsOf: fixtureURL("torch/f32_2x3.pt")))
        let zip = try ZipReader(Data(bytes), file: "f")
        bytes[zip.entries["f32_2x3/data/0"]!.offset] ^= 0xFF
        let bad = dir.url.appendingPathComponent("crc.pt")
        try Data(bytes).write(to: bad)
        expectError(FormatError.self, ["crc.pt", "CRC mismatch"]) { _ = try TorchPT.readTensor(contentsOf: bad) }
        let truncated = dir.url.appendingPathComponent("short.pt")
        try Data(try Data(contentsOf: fixtureURL("torch/f32_2x3.pt")).prefix(700)).write(to: truncated)
        expectError(FormatError.self, ["short.pt"]) { _ = try TorchPT.readTensor(contentsOf: truncated) }
    }
}
