# Sourced by the kill-point and MPI checks: `tiny_gpt2 DIR` writes the tiny GPT-2 test model there
# (the committed fixture's config.json and model.safetensors, plus a 331-word WordLevel tokenizer
# "w0".."w328", "<eos>", "<unk>", with <eos> as pad), the model every bounded script trains.
tiny_gpt2_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tiny_gpt2() {
  local dir=$1
  mkdir -p "$dir"
  cp "$tiny_gpt2_root"/Tests/SPModelsTests/Fixtures/gpt2/{config.json,model.safetensors} "$dir/"
  python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
vocab = {f"w{i}": i for i in range(329)} | {"<eos>": 329, "<unk>": 330}
tok = {"version": "1.0", "truncation": None, "padding": None,
       "added_tokens": [{"id": 329, "content": "<eos>", "single_word": False, "lstrip": False, "rstrip": False,
                         "normalized": False, "special": True}],
       "normalizer": None, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None, "decoder": None,
       "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}}
json.dump(tok, open(f"{d}/tokenizer.json", "w"))
json.dump({"eos_token": "<eos>", "pad_token": "<eos>"}, open(f"{d}/tokenizer_config.json", "w"))
PY
}
