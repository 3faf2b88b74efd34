// The frozen 2-D weights of a decoder model, and how much memory they take by storage.

import SPTensor

extension DecoderModel {
    /// Every distinct 2-D weight (a tied head counted once), in model order.
    public var weights: [Weight] {
        var all: [Weight] = [tokenEmbedding]
        for w in [input.projectIn, input.learnedPositions, projectOut] { if let w { all.append(w) } }
        for b in blocks {
            switch b.attention.projection {
            case .fusedBlocks(let w, _), .fusedPerHead(let w, _): all.append(w)
            case .separate(let q, let k, let v, _, _, _): all += [q, k, v]
            }
            all.append(b.attention.out)
            switch b.mlp.kind {
            case .plain(let fc1, _, let fc2, _): all += [fc1, fc2]
            case .gated(let g, let u, let d, _, _, _): all += [g, u, d]
            }
        }
        all.append(head.weight)
        var seen = Set<ObjectIdentifier>()
        return all.filter { seen.insert(ObjectIdentifier($0)).inserted }
    }

    /// Bytes of the 2-D weights by storage (`F32`, `F16`, `BF16`, `Q8_0`, a GGUF block format name).
    public var weightBytesByStorage: [(storage: String, count: Int, bytes: Int)] {
        var by: [String: (Int, Int)] = [:]
        for w in weights {
            let name: String
            switch w.storage {
            case .f32: name = "F32"
            case .f16: name = "F16"
            case .bf16: name = "BF16"
            case .q8_0: name = "Q8_0 (re-quantized)"
            case .blocks(let f, _): name = f.rawValue
            }
            let (c, b) = by[name] ?? (0, 0)
            by[name] = (c + 1, b + w.storageBytes)
        }
        return by.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.bytes > $1.bytes }
    }
}
