// Greedy decoding with llama.cpp itself (libllama, CPU), for the `--activations q8` parity fixture.
// Usage: llama_greedy_ref MODEL.gguf N_PREDICT THREADS [f16kv|f32kv] < prompt_ids
// stdin: the prompt's token ids, whitespace- or comma-separated (already templated and tokenized, so
// both engines see the same ids). stdout: the new ids, space-separated, up to N_PREDICT or the first
// end-of-generation token (included). The prompt is one batch (llama.cpp's prefill); each new token
// is then one decode call, as llama-cli/llama-simple run. KV cache: `f16kv` (llama.cpp's default
// context: F16 K/V, flash attention as llama.cpp picks) or `f32kv` (F32 K/V, flash attention off:
// attention in float32, so only the matrix products with the weights use llama.cpp's Q8 activations).
#include "llama.h"
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

static void set_tokens(llama_batch_ext * batch, const llama_token * t, int32_t n, llama_pos pos0) {
    llama_batch_ext_clear(batch);
    for (int32_t i = 0; i < n; ++i) {
        const int32_t idx = llama_batch_ext_add_token(batch, 0, t[i]);
        const llama_pos pos = pos0 + i;
        llama_batch_ext_set_pos(batch, idx, &pos);
    }
    llama_batch_ext_set_output_logits(batch, n - 1, true);
}

int main(int argc, char ** argv) {
    if (argc != 4 && argc != 5) { fprintf(stderr, "usage: %s MODEL.gguf N_PREDICT THREADS [f16kv|f32kv] < prompt_ids\n", argv[0]); return 1; }
    const std::string kv = argc == 5 ? argv[4] : "f16kv";
    if (kv != "f16kv" && kv != "f32kv") { fprintf(stderr, "KV cache must be f16kv or f32kv, got %s\n", kv.c_str()); return 1; }
    const int n_predict = atoi(argv[2]), threads = atoi(argv[3]);
    std::vector<llama_token> prompt;
    std::string tok;
    for (char c; std::cin.get(c);) {
        if (c >= '0' && c <= '9') { tok.push_back(c); continue; }
        if (!tok.empty()) { prompt.push_back((llama_token) std::stol(tok)); tok.clear(); }
    }
    if (!tok.empty()) prompt.push_back((llama_token) std::stol(tok));
    if (prompt.empty() || n_predict < 1 || threads < 1) { fprintf(stderr, "need prompt ids, N_PREDICT ≥ 1, THREADS ≥ 1\n"); return 1; }
    llama_backend_init();
    llama_model * model = llama_model_load_from_file(argv[1], llama_model_default_params());
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    const llama_vocab * vocab = llama_model_get_vocab(model);
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t) (prompt.size() + n_predict);
    cp.n_batch = (uint32_t) prompt.size();
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    if (kv == "f32kv") {
        cp.type_k = GGML_TYPE_F32;
        cp.type_v = GGML_TYPE_F32;
        cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    }
    llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create a context\n"); return 1; }
    llama_sampler * smpl = llama_sampler_chain_init(llama_sampler_chain_default_params());
    llama_sampler_chain_add(smpl, llama_sampler_init_greedy());
    llama_batch_ext * batch = llama_batch_ext_init(ctx);
    set_tokens(batch, prompt.data(), (int32_t) prompt.size(), 0);
    int pos = 0, n_tokens = (int) prompt.size();
    std::string out;
    for (int i = 0; i < n_predict; i++) {
        if (llama_process(ctx, LLAMA_PROCESS_TYPE_DECODE, batch)) { fprintf(stderr, "decode failed\n"); return 1; }
        pos += n_tokens;
        llama_token next = llama_sampler_sample(smpl, ctx, -1);
        if (!out.empty()) out += ' ';
        out += std::to_string(next);
        if (llama_vocab_is_eog(vocab, next)) break;
        set_tokens(batch, &next, 1, pos);
        n_tokens = 1;
    }
    std::cout << out << '\n';
    llama_batch_ext_free(batch);
    llama_sampler_free(smpl);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
