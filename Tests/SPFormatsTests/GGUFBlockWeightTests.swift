// GGUF tensors kept in their block format (`--dtype native`): every block type of the fixture files
// (written by scripts/reference/formats_goldens.py with the pinned `gguf` package, random blocks)
// widened per row panel (the C panel kernels, every kernel set the CPU runs, and the Swift
// reference) is bit-identical to gguf.quants.dequantize; block dots (every kernel set the
// CPU runs) are within 1e-5 of the dequantized row's dot.

import Foundation
import SPJSON
import Testing
@testable import SPFormats
@testable import SPTensor

@Suite struct GGUFBlockWeightTests {
    @Test("panel dequantization of block weights is bit-identical to gguf", arguments: GGUFTests.files)
    func panels(_ name: String) throws {
        let f = try GGUFFile(path: try fixturePath("gguf/\(name)"))
        let (tensors, values, _) = try GGUFTests().expected()
        var seen = Set<BlockFormat>()
        for t in tensors {
            let info = try f.info(t["name"].string)
            guard let format = info.type.blockFormat else {
                #expect(try f.blockWeight(info.name) == nil, "\(info.type) is not a block format")
                continue
            }
            let w = try #require(try f.blockWeight(info.name))
            seen.insert(format)
            guard case .blocks(let got, let p) = w.storage else { Issue.record("\(info.name) not kept as blocks"); continue }
            #expect(got == format)
            let data = try f.data(of: info)
            #expect(p == UnsafeRawPointer(data.baseAddress!), "zero-copy: the weight points into the mapping")
            #expect(w.storageBytes == data.count)
            let (rows, cols) = (w.outFeatures, w.inFeatures)
            #expect([rows, cols] == t["shape"].ints)
            let want = Array(values[t["offset"].int..<(t["offset"].int + t["count"].int)])
            // every panel split: one row at a time, then rows [1, rows) on their own, then all
            for (r0, r1) in (0..<rows).map({ ($0, $0 + 1) }) + [(1, rows), (0, rows)] {
                var out = [Float](repeating: .nan, count: (r1 - r0) * cols)
                w.rows(r0, r1, into: &out)
                let ref = want[(r0 * cols)..<(r1 * cols)]
                let same = zip(out, ref).filter { $0.bitPattern == $1.bitPattern }.count
                #expect(same == out.count, "\(format) rows \(r0)..<\(r1): \(out.count - same) values differ")
            }
            // every C kernel set this CPU runs, and the Swift reference, over all blocks
            let blocks = rows * cols / format.blockElements
            for level in -1...QuantDot.maxLevel {
                var out = [Float](repeating: .nan, count: rows * cols)
                if level < 0 { format.reference(p, blocks: 0..<blocks, into: &out) } else {
                    format.dequantize(p, blocks: 0..<blocks, into: &out, level: level)
                }
                let same = zip(out, want).filter { $0.bitPattern == $1.bitPattern }.count
                #expect(same == out.count, "\(format) \(level < 0 ? "Swift reference" : "C level \(level)"): \(out.count - same) values differ")
            }
            // block dots against the gguf values
            let x = (0..<cols).map { Float(sin(Double($0) * 0.37)) }
            for level in 0...QuantDot.maxLevel {
                var y = [Float](repeating: 0, count: rows)
                QuantDot.rows(format, p, 0, rows, k: cols, x: x, y: &y, level: level)
                for j in 0..<rows {
                    var dot = 0.0, mag = 0.0
                    for i in 0..<cols {
                        dot += Double(want[j * cols + i]) * Double(x[i])
                        mag += abs(Double(want[j * cols + i]) * Double(x[i]))
                    }
                    #expect(abs(Double(y[j]) - dot) <= 1e-5 * mag, "\(format) level \(level) row \(j)")
                }
            }
        }
        #expect(seen == Set(BlockFormat.allCases), "the fixture covers every block format")
    }
}
