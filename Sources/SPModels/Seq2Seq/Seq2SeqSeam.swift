// Seq2Seq/: the encoder-decoder engine (T5, mT5, UMT5, BART, mBART).
//
// An encoder-decoder model joins the rest of SoftPrompt through `LanguageModel` (`LanguageModel.swift`),
// as the decoder-only engine in `Causal/` does (`Seq2SeqModel+LanguageModel.swift`):
// - `kind` is `.seq2seqLM` (PEFT task type `SEQ_2_SEQ_LM`; SPTuning then allows ENCODER and
//   DECODER output model types and `num_transformer_submodules` 2);
// - `tokenEmbedding`/`inputWidth` are the shared input embeddings the soft prompt has the width of;
// - `makePromptStep` (ENCODER) and `makePromptStep(checkpointing:placement:)` return a `PromptStep`
//   that builds `[prompt; encoder tokens]` (and/or `[prompt; shift_right(labels)]` for the decoder),
//   runs the model on the batch's labels (`PromptBatchInput.targetLength` columns) and adds
//   Σ_b d(prompt) to the accumulator;
// - `makeDecodingSession` returns a `DecodingSession` (`Seq2SeqDecodingSession.swift`) whose first
//   call (the prefill) runs the encoder over prompt and input and the decoder over [decoder prompt;
//   start token], and whose later calls run one decoder token per row against the cache.
// Architecture files go in `Architectures/` and register their `model_type` in
// `Seq2SeqRegistry.builders`; `ModelRegistry.build` defers to it. See docs/ADDING_A_MODEL.md.
