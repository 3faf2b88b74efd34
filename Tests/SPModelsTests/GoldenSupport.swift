// Loads the causal-LM goldens written by scripts/reference/model_goldens.py (see Fixtures/README.md).

import Foundation
import SPFormats
import SPModels
import SPTensor
import Testing

/// One fixture directory: the tiny model and its golden.json.
struct ModelFixture {
    let name: String
    let dir: URL
    let golden: [String: Any]

    static var root: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }

    static var names: [String] {
        guard let data = try? Data(contentsOf: root.appendingPathComponent("index.json")),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let models = obj["models"] as? [[String: Any]] else { return [] }
        return models.compactMap { $0["name"] as? String }
    }

    init(_ name: String) throws {
        self.name = name
        dir = ModelFixture.root.appendingPathComponent(name)
        let data = try Data(contentsOf: dir.appendingPathComponent("golden.json"))
        golden = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func load(dtype: DType = .float32) throws -> DecoderModel {
        try ModelLoader.load(directory: dir.path, dtype: dtype).decoderModel()
    }
}

/// `{"shape": [...], "data": [...]}` → (shape, floats).
func floats(_ any: Any?) -> (shape: [Int], data: [Float]) {
    guard let d = any as? [String: Any], let shape = d["shape"] as? [Int], let data = d["data"] as? [NSNumber] else {
        return ([], [])
    }
    return (shape, data.map { Float($0.doubleValue) })
}

func ints(_ any: Any?) -> [Int32] {
    guard let d = any as? [String: Any], let data = d["data"] as? [NSNumber] else { return [] }
    return data.map { Int32($0.intValue) }
}

func number(_ any: Any?) -> Double { (any as? NSNumber)?.doubleValue ?? .nan }

/// max |a − b|.
func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count)")
    var m: Float = 0
    for i in 0..<a.count { m = max(m, abs(a[i] - b[i])) }
    return m
}

/// max |a − b| / max |b|.
func relDiff(_ a: [Float], _ b: [Float]) -> Float {
    let scale = max(b.map(abs).max() ?? 0, 1e-6)
    return maxAbsDiff(a, b) / scale
}
