// llama.cpp's per-op tensors and logits for the `--activations q8` parity checks (see
// docs/GENERATION.md): llama_greedy.cpp plus an eval callback (`cb_eval`) that writes every F32
// contiguous graph tensor of the first steps, and each step's logits, to a folder.
// Build (as build_llama_bench.sh builds llama_greedy_ref):
//   c++ -std=c++17 -O2 -I$src/include -I$src/ggml/include llama_dump.cpp -L$bin -lllama -lggml -lggml-base \
//       -Wl,-rpath,$bin -o $bin/llama_dump_ref
// Usage: llama_dump_ref MODEL.gguf N_PREDICT THREADS f16kv|f32kv|f16nofa [DIR [LAST_STEP]] < prompt_ids
// stdout: per step the greedy id and the top 3 logits. DIR gets s<step>_<tensor name>.bin (4 int64
// ne, then the float data; a name reused in a graph keeps its last tensor) for steps ≤ LAST_STEP
// (default 0; −1 for logits only) and logits_s<step>.bin (the vocabulary's floats).
#include "llama.h"
#include "ggml.h"
#include "ggml-backend.h"
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>
#include <algorithm>
static int g_step = 0; static const char * g_dir = nullptr; static int g_dump_until = 0;
static bool cb(struct ggml_tensor * t, bool ask, void *) {
    if (ask) return g_dir && g_step <= g_dump_until;
    if (t->type != GGML_TYPE_F32 || !ggml_is_contiguous(t)) return true;
    char path[512]; snprintf(path, sizeof path, "%s/s%d_%s.bin", g_dir, g_step, t->name);
    FILE * f = fopen(path, "wb"); if (!f) return true;
    int64_t ne[4] = {t->ne[0], t->ne[1], t->ne[2], t->ne[3]};
    fwrite(ne, sizeof ne, 1, f);
    std::vector<char> buf(ggml_nbytes(t));
    ggml_backend_tensor_get(t, buf.data(), 0, buf.size());
    fwrite(buf.data(), 1, buf.size(), f); fclose(f);
    return true;
}
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
    if (argc < 5) { fprintf(stderr, "usage: %s MODEL.gguf N_PREDICT THREADS f16kv|f32kv|f16nofa [DIR [LAST_STEP]] < prompt_ids\n", argv[0]); return 1; }
    const std::string kv = argv[4];
    const int n_predict = atoi(argv[2]), threads = atoi(argv[3]);
    if (argc > 5) { g_dir = argv[5]; g_dump_until = argc > 6 ? atoi(argv[6]) : 0; }
    std::vector<llama_token> prompt; std::string tok;
    for (char c; std::cin.get(c);) { if (c >= '0' && c <= '9') { tok.push_back(c); continue; } if (!tok.empty()) { prompt.push_back((llama_token) std::stol(tok)); tok.clear(); } }
    if (!tok.empty()) prompt.push_back((llama_token) std::stol(tok));
    llama_backend_init();
    llama_model * model = llama_model_load_from_file(argv[1], llama_model_default_params());
    const llama_vocab * vocab = llama_model_get_vocab(model);
    const int nv = llama_vocab_n_tokens(vocab);
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t) (prompt.size() + n_predict); cp.n_batch = (uint32_t) prompt.size();
    cp.n_threads = threads; cp.n_threads_batch = threads;
    if (kv == "f32kv") { cp.type_k = GGML_TYPE_F32; cp.type_v = GGML_TYPE_F32; cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED; }
    if (kv == "f16nofa") { cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED; }
    if (g_dir) { cp.cb_eval = cb; cp.cb_eval_user_data = nullptr; }
    llama_context * ctx = llama_init_from_model(model, cp);
    llama_sampler * smpl = llama_sampler_chain_init(llama_sampler_chain_default_params());
    llama_sampler_chain_add(smpl, llama_sampler_init_greedy());
    llama_batch_ext * batch = llama_batch_ext_init(ctx);
    set_tokens(batch, prompt.data(), (int32_t) prompt.size(), 0);
    int pos = 0, n_tokens = (int) prompt.size();
    for (int i = 0; i < n_predict; i++) {
        g_step = i;
        if (llama_process(ctx, LLAMA_PROCESS_TYPE_DECODE, batch)) { fprintf(stderr, "decode failed\n"); return 1; }
        pos += n_tokens;
        const float * lg = llama_get_logits_ith(ctx, -1);
        std::vector<int> idx(nv); for (int j = 0; j < nv; j++) idx[j] = j;
        std::partial_sort(idx.begin(), idx.begin() + 3, idx.end(), [&](int a, int b){ return lg[a] > lg[b]; });
        llama_token next = llama_sampler_sample(smpl, ctx, -1);
        printf("step %d next %d top %d:%.6f %d:%.6f %d:%.6f\n", i, next, idx[0], lg[idx[0]], idx[1], lg[idx[1]], idx[2], lg[idx[2]]);
        if (g_dir) { char path[512]; snprintf(path, sizeof path, "%s/logits_s%d.bin", g_dir, i); FILE * f = fopen(path, "wb"); fwrite(lg, sizeof(float), nv, f); fclose(f); }
        if (llama_vocab_is_eog(vocab, next)) break;
        set_tokens(batch, &next, 1, pos); n_tokens = 1;
    }
    return 0;
}
