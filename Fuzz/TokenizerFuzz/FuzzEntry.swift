import Foundation
import SPJSON

/// libFuzzer entry point: the bytes are tried as a tokenizer.json, a tokenizer_config.json and a
/// GGUF file. Any crash, hang or sanitizer report is a bug; thrown errors are the expected outcome.
@_cdecl("LLVMFuzzerTestOneInput")
public func tokenizerFuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = Data(bytes: bytes, count: size)
    if let json = try? JSONValue.parse(data) {
        _ = try? TokenizerConfig(json: json)
        if let tok = try? Tokenizer(json: json) {
            for text in ["Hello world! It's 2024.", " <s>  \t\n café 你好 😀 <|endoftext|>", "", "a"] {
                if let e = try? tok.encode(text, pair: "x y") {
                    _ = try? tok.decode(e.ids, skipSpecialTokens: true, cleanUpTokenizationSpaces: true)
                }
                _ = try? tok.encodeBatch([text, "b"])
            }
            _ = try? tok.decode([0, 1, 2, 3, 50, 255, 1000, -1, 1 << 40])
        }
    }
    if let meta = try? GGUFMetadata(data: data) {
        if let tok = try? Tokenizer(gguf: meta) { _ = try? tok.encode("Hello world") }
    }
    return 0
}
