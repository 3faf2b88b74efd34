// The strict loader: takes every weight by name from an SPFormats `TensorSource`, checks its shape,
// and reports keys that no layer used.

import SPFormats
import SPTensor

/// Loads weights by name and checks shapes; ``finish()`` reports tensors that no layer used.
/// A missing key, a wrong shape or an unexpected key is an error naming the tensor.
public final class StrictLoader {
    public let source: TensorSource
    /// Storage dtype of the 2-D weights (`torch_dtype`); vectors are always float32.
    public let dtype: DType
    /// Quantized storage for 2-D weights (inference only); nil keeps ``dtype``. A weight whose
    /// input width is not a multiple of 32 stays in ``dtype``.
    public let quantization: WeightQuantization?
    let origin: String
    private var used = Set<String>()
    private let names: Set<String>
    /// Names that may be present and unused (rotary `inv_freq` buffers, causal-mask buffers).
    public var ignorable: (String) -> Bool = { _ in false }

    public init(_ source: TensorSource, dtype: DType, quantization: WeightQuantization? = nil,
                origin: String = "checkpoint") {
        self.source = source
        self.dtype = dtype
        self.quantization = quantization
        self.origin = origin
        names = Set(source.tensorNames)
    }

    /// True if the checkpoint has `name` (does not mark it used).
    public func has(_ name: String) -> Bool { names.contains(name) }

    /// A `[rows, cols]` weight (torch `nn.Linear` layout), stored as ``dtype``.
    public func weight(_ name: String, _ rows: Int, _ cols: Int) throws -> Weight {
        try check(name, [rows, cols])
        let w = try source.weight(name, transposed: false)
        if let q = quantized(w) { return q }
        return w.dtype == dtype ? w : w.converted(to: dtype)
    }

    /// A GPT-2 `Conv1D` weight stored `[in, out]`, as a logical `[out, in]` weight.
    public func conv1D(_ name: String, in inFeatures: Int, out outFeatures: Int) throws -> Weight {
        try check(name, [inFeatures, outFeatures])
        let w = Weight(try source.tensor(name), transposed: true)
        if let q = quantized(w) { return q }
        return dtype == .float32 ? w : w.converted(to: dtype)
    }

    private func quantized(_ w: Weight) -> Weight? {
        switch quantization {
        case .q8_0?: return w.quantizedQ8_0()
        case .native?: return w
        case .nativeQ8?: return w.withQ8Activations() ?? w
        case nil: return nil
        }
    }

    /// A float32 vector of `count` elements.
    public func vector(_ name: String, _ count: Int) throws -> Tensor {
        try check(name, [count])
        return try source.tensor(name)
    }

    /// `nn.LayerNorm` `prefix.weight` / `prefix.bias`, both `[width]`.
    public func layerNorm(_ prefix: String, _ width: Int, eps: Float) throws -> NormLayer {
        NormLayer(kind: .layer, width: width, eps: eps, weight: try vector(prefix + ".weight", width),
                  bias: try vector(prefix + ".bias", width))
    }

    /// Throws if the checkpoint holds tensors no layer consumed.
    public func finish() throws {
        let extra = names.filter { !used.contains($0) && !ignorable($0) }.sorted()
        if !extra.isEmpty { throw ModelError.unexpectedTensors(extra, file: origin) }
    }

    private func check(_ name: String, _ shape: [Int]) throws {
        guard names.contains(name) else { throw ModelError.missingTensor(name, file: origin) }
        let s = try source.shape(of: name)
        guard s == shape else { throw ModelError.wrongShape(name, expected: shape, found: s, file: origin) }
        used.insert(name)
    }
}
