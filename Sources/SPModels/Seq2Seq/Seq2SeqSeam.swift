// Seq2Seq/: the place for the encoder-decoder engine (T5, BART, …). Nothing lives here yet.
//
// An encoder-decoder model joins the rest of SoftPrompt by conforming to `LanguageModel`
// (`LanguageModel.swift`), exactly as the decoder-only engine in `Causal/` does:
// - `kind` is `.seq2seqLM` (PEFT task type `SEQ_2_SEQ_LM`; SPTuning then allows ENCODER and
//   DECODER output model types and `num_transformer_submodules` 2);
// - `tokenEmbedding`/`inputWidth` are the shared (encoder) input embeddings the soft prompt is
//   prepended to, as PEFT does for seq2seq prompt tuning;
// - `makePromptStep` returns a `PromptStep` that builds `[prompt; encoder tokens]`, runs the decoder
//   on the labels (shifted right with the decoder start token) and adds Σ_b d(prompt) to the
//   accumulator;
// - `makeDecodingSession` returns a `DecodingSession` whose first call (the prefill) runs the
//   encoder over prompt and input and the decoder over its start token, and whose later calls run
//   one decoder token per row against the cached encoder output.
// Its architecture files go in `Architectures/` and register their `model_type` in
// `ModelRegistry.builders`, whose builders return `any LanguageModel`. See docs/ADDING_A_MODEL.md.
