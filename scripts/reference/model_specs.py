# The tiny random causal LMs of Tests/SPModelsTests/Fixtures/<name>/ (used by model_goldens.py).
# Every option that a real checkpoint of the family may set differently from the trivial case is
# set to a non-trivial value, so that a Swift implementation that ignores it fails the goldens.
#
# Pinned stack: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2.

from transformers import (BloomConfig, GPT2Config, GPTBigCodeConfig, GPTNeoXConfig, GraniteConfig,
                          LlamaConfig, MistralConfig, OPTConfig, Qwen2Config)

NO_DROPOUT_GPT = dict(resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)

LLAMA_BASE = dict(hidden_size=64, intermediate_size=112, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-5,
                  attention_dropout=0.0, bos_token_id=1, eos_token_id=2, pad_token_id=0)

# Gain of the random Linear/Conv1D weights (golden_util.randomize_parameters): with 2 the blocks
# dominate the residual stream, so greedy generation does not just repeat one token; BLOOM's
# embedding LayerNorm needs more.
DEFAULT_GAIN = 2.0
INIT_GAIN = {"bloom": 4.0}

# name, config class, config kwargs, one-line description of what the fixture exercises.
SPECS = [
    ("gpt2", GPT2Config, dict(
        vocab_size=331, n_positions=64, n_embd=48, n_layer=2, n_head=4, n_inner=96,
        activation_function="gelu_new", layer_norm_epsilon=1e-5, bos_token_id=329, eos_token_id=329,
        pad_token_id=329, **NO_DROPOUT_GPT),
     "GPT-2: Conv1D weights stored [in,out], learned absolute positions (wpe), tied lm_head, gelu_new, "
     "fused c_attn [q|k|v]."),
    ("llama", LlamaConfig, dict(
        vocab_size=347, rope_parameters={"rope_type": "default", "rope_theta": 1000.0}, **LLAMA_BASE),
     "Llama: default RoPE with rope_theta 1000, GQA 4 query heads / 2 KV heads, untied lm_head."),
    ("llama_llama3", LlamaConfig, dict(
        LLAMA_BASE, vocab_size=305, num_key_value_heads=1, tie_word_embeddings=True,
        rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                         "high_freq_factor": 4.0, "original_max_position_embeddings": 32}),
     "Llama: rope_type llama3 (factor 8, low 1, high 4, original 32: head_dim 16 gives 1 unchanged, "
     "1 smoothed and 6 divided frequencies), multi-query (1 KV head), tied lm_head (as SmolLM2)."),
    ("llama_linear", LlamaConfig, dict(
        LLAMA_BASE, vocab_size=319, num_key_value_heads=4, attention_bias=True, mlp_bias=True,
        rope_parameters={"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.5}),
     "Llama: rope_type linear (factor 2.5: inv_freq / 2.5), MHA (4 KV heads), attention_bias and mlp_bias true "
     "(q/k/v/o and gate/up/down all have biases)."),
    ("llama_dynamic", LlamaConfig, dict(
        LLAMA_BASE, vocab_size=311, hidden_size=48, head_dim=16, max_position_embeddings=8,
        rope_parameters={"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0}),
     "Llama: rope_type dynamic NTK (factor 2) with max_position_embeddings 8, so every golden sequence "
     "exceeds it; explicit head_dim 16 with hidden 48 (4 heads x 16 = 64 != 48), GQA 4/2."),
    ("mistral", MistralConfig, dict(
        LLAMA_BASE, vocab_size=313, sliding_window=4,
        rope_parameters={"rope_type": "default", "rope_theta": 50000.0}),
     "Mistral: sliding_window 4 (query i sees keys i-3..i), GQA 4/2, rope_theta 50000."),
    ("qwen2", Qwen2Config, dict(
        LLAMA_BASE, vocab_size=307, intermediate_size=96, tie_word_embeddings=True, use_sliding_window=False,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
     "Qwen2: q/k/v projections with bias (o_proj without), GQA 4/2, rope_theta 1e6, tied lm_head."),
    ("gpt_neox", GPTNeoXConfig, dict(
        vocab_size=317, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
        hidden_act="gelu", max_position_embeddings=64, layer_norm_eps=1e-5, use_parallel_residual=True,
        attention_bias=True, tie_word_embeddings=False, attention_dropout=0.0, hidden_dropout=0.0,
        bos_token_id=0, eos_token_id=2, pad_token_id=1,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.25}),
     "GPT-NeoX: use_parallel_residual true (x + attn(ln1 x) + mlp(ln2 x)), partial rotary 0.25 "
     "(rotary on the first 4 of 16 head dims), fused per-head [q|k|v] query_key_value, exact gelu."),
    ("gpt_neox_sequential", GPTNeoXConfig, dict(
        vocab_size=317, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
        hidden_act="gelu", max_position_embeddings=64, layer_norm_eps=1e-5, use_parallel_residual=False,
        attention_bias=True, tie_word_embeddings=False, attention_dropout=0.0, hidden_dropout=0.0,
        bos_token_id=0, eos_token_id=2, pad_token_id=1,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.25}),
     "GPT-NeoX: use_parallel_residual false (h = x + attn(ln1 x); out = h + mlp(ln2 h)), partial rotary 0.25."),
    ("bloom", BloomConfig, dict(
        vocab_size=323, hidden_size=48, n_layer=2, n_head=6, layer_norm_epsilon=1e-5,
        apply_residual_connection_post_layernorm=False, hidden_dropout=0.0, attention_dropout=0.0,
        bos_token_id=1, eos_token_id=2, pad_token_id=3),
     "BLOOM: ALiBi with 6 heads (not a power of two: slopes 4 + 2 extra), word_embeddings_layernorm, "
     "fused per-head [q|k|v], tanh gelu, tied lm_head."),
    ("opt", OPTConfig, dict(
        vocab_size=337, hidden_size=64, num_hidden_layers=2, ffn_dim=128, num_attention_heads=4,
        max_position_embeddings=64, do_layer_norm_before=True, word_embed_proj_dim=64,
        activation_function="relu", dropout=0.0, attention_dropout=0.0, layerdrop=0.0, enable_bias=True,
        pad_token_id=1, bos_token_id=2, eos_token_id=2),
     "OPT (125m-style): do_layer_norm_before true, learned positions from the attention-mask cumsum "
     "with offset 2, final_layer_norm, relu, tied lm_head."),
    ("opt_post_ln", OPTConfig, dict(
        vocab_size=337, hidden_size=64, num_hidden_layers=2, ffn_dim=128, num_attention_heads=4,
        max_position_embeddings=64, do_layer_norm_before=False, word_embed_proj_dim=32,
        activation_function="relu", dropout=0.0, attention_dropout=0.0, layerdrop=0.0, enable_bias=True,
        pad_token_id=1, bos_token_id=2, eos_token_id=2),
     "OPT (350m-style): do_layer_norm_before false (post-LN, no final_layer_norm), word_embed_proj_dim 32 != "
     "hidden 64, so project_in [64,32] and project_out [32,64] exist; inputs_embeds and the prompt are 32 wide."),
    ("gpt_bigcode", GPTBigCodeConfig, dict(
        vocab_size=329, n_positions=64, n_embd=64, n_layer=2, n_head=4, n_inner=128,
        activation_function="gelu_pytorch_tanh", multi_query=True, layer_norm_epsilon=1e-5,
        bos_token_id=0, eos_token_id=0, pad_token_id=0, **NO_DROPOUT_GPT),
     "GPTBigCode: multi_query true (c_attn = [q (64) | k (16) | v (16)], one shared KV head), learned "
     "positions, nn.Linear weights, tied lm_head."),
    ("granite", GraniteConfig, dict(
        LLAMA_BASE, vocab_size=349, tie_word_embeddings=True, embedding_multiplier=1.5,
        attention_multiplier=0.09, residual_multiplier=0.7, logits_scaling=1.6,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
     "Granite: embedding_multiplier 1.5 (applied to inputs_embeds inside the model, so also to the prompt), "
     "attention_multiplier 0.09 replaces 1/sqrt(head_dim), residual_multiplier 0.7 on both branches, "
     "logits divided by logits_scaling 1.6, GQA 4/2, tied lm_head."),
]
