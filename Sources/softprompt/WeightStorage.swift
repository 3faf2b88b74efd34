import ArgumentParser
import SPModels
import SPTensor

/// The `--dtype` of the inference commands: a torch dtype, or Q8_0 quantized weights; with
/// `--activations q8`, llama.cpp's arithmetic on a GGUF's blocks.
struct WeightStorage {
    let dtype: DType
    let quantization: WeightQuantization?

    static let choices = "f32, bf16, f16, q8_0 or native"
    static let activationChoices = "f32 (default: float32 activations, exact on the dequantized weights) or q8 (llama.cpp's Q8 activations and integer block dot products; needs --dtype native)"

    /// Parses `f32`/`float32`, `bf16`, `f16`/`half`, `q8_0` (8-bit blocks: approximate, for decoding
    /// speed) and `native` (the file's own storage: a GGUF's quantized blocks stay memory-mapped), and
    /// `activations` `f32` or `q8` (only with `native`).
    init(_ name: String, flag: String = "--dtype", activations: String = "f32") throws {
        let q8: Bool
        switch activations.lowercased() {
        case "f32", "float32": q8 = false
        case "q8": q8 = true
        default: throw ValidationError("--activations must be \(WeightStorage.activationChoices), got \(activations)")
        }
        if name.lowercased() == "native" {
            dtype = .float32
            quantization = q8 ? .nativeQ8 : .native
            return
        }
        if q8 { throw ValidationError("--activations q8 works on a GGUF's own blocks: add --dtype native (got \(flag) \(name))") }
        if name.lowercased() == "q8_0" || name.lowercased() == "q8" {
            dtype = .float32
            quantization = .q8_0
        } else if let d = DType(torchName: name) {
            dtype = d
            quantization = nil
        } else {
            throw ValidationError("\(flag) must be \(WeightStorage.choices), got \(name)")
        }
    }

    /// Refuses `--activations q8` for a model with no weight in ggml blocks (an F32/F16/BF16 file or an
    /// HF directory), where the option would change nothing.
    func checkApplies(to model: any LanguageModel) throws {
        guard quantization == .nativeQ8 else { return }
        let blocks = (try? model.decoderModel())?.weights.filter(\.q8Activations).count ?? 0
        if blocks == 0 {
            throw ValidationError("--activations q8 applies to GGUF block weights (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K); this model has none (a float GGUF, an HF directory or a seq2seq model): drop --activations")
        }
    }
}
