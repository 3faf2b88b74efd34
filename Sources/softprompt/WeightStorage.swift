import ArgumentParser
import SPTensor

/// The `--dtype` of the inference commands: a torch dtype, or Q8_0 quantized weights.
struct WeightStorage {
    let dtype: DType
    let quantization: WeightQuantization?

    static let choices = "f32, bf16, f16, q8_0 or native"

    /// Parses `f32`/`float32`, `bf16`, `f16`/`half`, `q8_0` (8-bit blocks: approximate, for decoding
    /// speed) and `native` (the file's own storage: a GGUF's quantized blocks stay memory-mapped).
    init(_ name: String, flag: String = "--dtype") throws {
        if name.lowercased() == "native" {
            dtype = .float32
            quantization = .native
        } else if name.lowercased() == "q8_0" || name.lowercased() == "q8" {
            dtype = .float32
            quantization = .q8_0
        } else if let d = DType(torchName: name) {
            dtype = d
            quantization = nil
        } else {
            throw ValidationError("\(flag) must be \(WeightStorage.choices), got \(name)")
        }
    }
}
