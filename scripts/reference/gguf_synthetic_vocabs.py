"""Small synthetic GGUF vocabularies for llama.cpp `pre` types that no cached vocabulary file has.

Each is cut from a real vocabulary (the first merges of ggml-vocab-gpt-2.gguf for byte-level BPE,
of ggml-vocab-gemma-4.gguf for raw-UTF-8 BPE, with every token those merges use or make), and
given the `tokenizer.ggml.pre` under test; scripts/reference/llama_cpp_goldens.py then records
llama.cpp's own ids for them, so the check is against llama.cpp, not against this script.

    synthetic-afmoe.gguf        gpt2, pre afmoe (\\p{AFMoE_digits} splitter, CJK class, main regex)
    synthetic-cohere2moe.gguf   gpt2, pre cohere2moe (tiny_aya: the same digit splitter in llama.cpp)
    synthetic-sarvam-moe.gguf   gpt2, pre sarvam-moe (raw UTF-8, spaces escaped to U+2581)
    synthetic-whitespace.gguf   gpt2, pre whitespace (raw UTF-8, \\S+ through std::wregex)
    synthetic-specials.gguf     gpt2, pre jina-v2-de: <mask> left-strip; FIM markers with and
                                without their ids; </s> made normal by <|tool_response>; gpt-oss's
                                <|channel|> made user-defined

Run in the reference venv (the `gguf` package):
    SOFTPROMPT_REF_VENV=/root/venv-ref py=$(scripts/reference/setup_venv.sh) && $py scripts/reference/gguf_synthetic_vocabs.py
Writes Tests/SPTokenizersTests/Fixtures/gguf_synthetic/.
"""
import os
import pathlib

import gguf

CACHE = pathlib.Path(os.environ.get("SOFTPROMPT_CACHE", os.path.expanduser("~/.cache/softprompt"))) / "tokenizers"
OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPTokenizersTests/Fixtures/gguf_synthetic"
NORMAL, CONTROL, USER, BYTE = 1, 3, 4, 6


def read(name):
    r = gguf.GGUFReader(CACHE / name)
    f = r.fields
    return {
        "tokens": f["tokenizer.ggml.tokens"].contents(),
        "merges": f["tokenizer.ggml.merges"].contents(),
        "types": f["tokenizer.ggml.token_type"].contents(),
    }


def cut(src, n_merges, head):
    """`head` (text, type) first, then every token the first `n_merges` merges use or make."""
    tokens, types, seen = [], [], set()

    def add(t, ty=NORMAL):
        if t not in seen:
            seen.add(t)
            tokens.append(t)
            types.append(ty)

    for t, ty in head:
        add(t, ty)
    merges = []
    for m in src["merges"][:n_merges]:
        pos = m.find(" ", 1)
        left, right = m[:pos], m[pos + 1:]
        add(left)
        add(right)
        add(left + right)
        merges.append(m)
    return tokens, types, merges


def write(name, pre, tokens, types, merges, ids, extra=None):
    w = gguf.GGUFWriter(OUT / name, "gpt2")
    w.add_name(name.removesuffix(".gguf"))
    w.add_block_count(1)
    w.add_context_length(64)
    w.add_embedding_length(8)
    w.add_feed_forward_length(8)
    w.add_head_count(1)
    w.add_layer_norm_eps(1e-5)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    for key, text in ids.items():
        w.add_uint32(f"tokenizer.ggml.{key}", tokens.index(text))
    for key, value in (extra or {}).items():
        w.add_bool(key, value)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print("wrote", name, len(tokens), "tokens", len(merges), "merges", (OUT / name).stat().st_size, "bytes")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    gpt2 = read("ggml-vocab-gpt-2.gguf")
    alphabet = [t for t in gpt2["tokens"][:256]]
    eot = [("<|endoftext|>", CONTROL)]
    tokens, types, merges = cut(gpt2, 3000, eot + [(t, NORMAL) for t in alphabet])
    ends = {"bos_token_id": "<|endoftext|>", "eos_token_id": "<|endoftext|>"}
    write("synthetic-afmoe.gguf", "afmoe", tokens, types, merges, ends)
    write("synthetic-cohere2moe.gguf", "cohere2moe", tokens, types, merges, ends)

    specials = [
        ("<mask>", CONTROL), ("<fim_prefix>", NORMAL), ("<|fim_suffix|>", NORMAL), ("<|tool_response>", NORMAL),
        ("</s>", CONTROL), ("<|channel|>", CONTROL), ("<|fim_middle|>", CONTROL),
    ]
    t2, ty2, m2 = cut(gpt2, 3000, eot + specials + [(t, NORMAL) for t in alphabet])
    write("synthetic-specials.gguf", "jina-v2-de", t2, ty2, m2,
          dict(ends, fim_pre_token_id="<fim_prefix>"))

    gemma = read("ggml-vocab-gemma-4.gguf")
    head = [("<pad>", CONTROL), ("<eos>", CONTROL), ("<bos>", CONTROL), ("<unk>", 2)]
    head += [(f"<0x{b:02X}>", BYTE) for b in range(256)]
    tokens, types, merges = cut(gemma, 4000, head)
    ids = {"bos_token_id": "<bos>", "eos_token_id": "<eos>", "unknown_token_id": "<unk>", "padding_token_id": "<pad>"}
    write("synthetic-sarvam-moe.gguf", "sarvam-moe", tokens, types, merges, ids,
          {"tokenizer.ggml.add_bos_token": True})
    write("synthetic-whitespace.gguf", "whitespace", tokens, types, merges, ids)


if __name__ == "__main__":
    main()
