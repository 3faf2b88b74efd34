// Tokenizes texts with llama.cpp's own vocabulary code (vocab-only model load), for the GGUF
// tokenizer goldens. Usage: llama_tokenize_ref VOCAB.gguf < texts.hex > ids.txt
// Input: one text per line, hex-encoded UTF-8 (so any byte, newlines included, survives).
// Output: per text one line "ids_without_special<TAB>ids_with_special" (space-separated ids);
// add_special follows the vocab's add_bos/add_eos; parse_special is true (special tokens written in
// the text are matched, as the HF tokenizers match added tokens).
#include "llama.h"
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

static std::string unhex(const std::string & h) {
    std::string s;
    for (size_t i = 0; i + 1 < h.size(); i += 2) s.push_back((char) std::stoi(h.substr(i, 2), nullptr, 16));
    return s;
}

static std::string ids(const llama_vocab * v, const std::string & text, bool add_special) {
    std::vector<llama_token> out(text.size() + 8);
    int n = llama_tokenize(v, text.data(), (int32_t) text.size(), out.data(), (int32_t) out.size(), add_special, true);
    if (n < 0) {
        out.resize(-n);
        n = llama_tokenize(v, text.data(), (int32_t) text.size(), out.data(), (int32_t) out.size(), add_special, true);
    }
    if (n < 0) { fprintf(stderr, "tokenize failed\n"); exit(2); }
    std::string s;
    for (int i = 0; i < n; i++) { if (i) s += ' '; s += std::to_string(out[i]); }
    return s;
}

int main(int argc, char ** argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s VOCAB.gguf < texts.hex\n", argv[0]); return 1; }
    llama_backend_init();
    auto mp = llama_model_default_params();
    mp.vocab_only = true;
    llama_model * model = llama_model_load_from_file(argv[1], mp);
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    const llama_vocab * v = llama_model_get_vocab(model);
    std::string line;
    while (std::getline(std::cin, line)) {
        std::string t = unhex(line);
        std::cout << ids(v, t, false) << '\t' << ids(v, t, true) << '\n';
    }
    llama_model_free(model);
    return 0;
}
