// GGUF tensors as weights kept in their ggml block format (`--dtype native`): no dequantized copy,
// the weight points into the file's memory map.

import SPTensor

extension GGMLType {
    /// The ``SPTensor/BlockFormat`` a weight of this type can stay in; nil for plain (F32/F16/BF16)
    /// and unsupported types.
    public var blockFormat: BlockFormat? {
        switch self {
        case .q4_0: return .q4_0
        case .q4_1: return .q4_1
        case .q5_0: return .q5_0
        case .q5_1: return .q5_1
        case .q8_0: return .q8_0
        case .q4_K: return .q4_K
        case .q5_K: return .q5_K
        case .q6_K: return .q6_K
        default: return nil
        }
    }
}

extension GGUFFile {
    /// `name` as a frozen `[out, in]` weight in its own block format, zero-copy in the mapping
    /// (``SPTensor/Weight/Storage/blocks(_:_:)``); nil when the tensor's type is not a block format
    /// (use ``weight(_:transposed:)`` for F32/F16/BF16).
    public func blockWeight(_ name: String) throws -> Weight? {
        let i = try info(name)
        guard let format = i.type.blockFormat else { return nil }
        guard i.ne.count == 2 else {
            throw FormatError.shapeMismatch(file: path, tensor: name, expected: "a 2-D weight matrix", actual: i.shape)
        }
        let bytes = try data(of: i)
        guard let base = bytes.baseAddress, bytes.count == i.ne[1] * format.rowBytes(i.ne[0]) else {
            throw FormatError.shapeMismatch(file: path, tensor: name,
                                            expected: "\(i.ne[1]) rows of \(format) blocks", actual: i.shape)
        }
        return Weight(outFeatures: i.ne[1], inFeatures: i.ne[0], storage: .blocks(format, base), owner: map)
    }
}
