"""Tokenizer parity fixtures for Tests/SPTokenizersTests (made by the Python `tokenizers` library).

Pinned: tokenizers==0.23.3, transformers==5.23.0, gguf==0.19.0 (the reference venv of
scripts/reference/setup_venv.sh). Run after scripts/fetch_tokenizers.sh:

    py=$(scripts/reference/setup_venv.sh); $py scripts/reference/tokenizer_goldens.py [families] [matrix] [--retrain]

Writes, under Tests/SPTokenizersTests/Fixtures/:
  corpus.jsonl            the shared corpus (tokenizer_corpus.py), one JSON string per line
  families/<name>.zip     per real tokenizer: goldens.jsonl (line k = corpus line k), random.jsonl
                          (decodes of random id lists), tokenizer_config.json, and tokenizer.json when
                          it is not a raw upstream file (GGUF conversions, the GPT-2 build from ranks)
  matrix.zip              small tokenizers trained here, one per pipeline combination, with goldens
Every run rebuilds the fixtures from the cache and gives the same bytes; the matrix tokenizers are
read back from matrix.zip unless --retrain asks the trainers for new ones.
"""
import base64
import json
import os
import random
import sys
import tempfile
import zipfile

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast
from transformers.utils import logging as transformers_logging

transformers_logging.set_verbosity_error()  # the BPE clean-up skip warns once per tokenizer class

sys.path.insert(0, os.path.dirname(__file__))
from tokenizer_corpus import corpus  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "Tests", "SPTokenizersTests", "Fixtures")
CACHE = os.path.join(os.environ.get("SOFTPROMPT_CACHE", os.path.expanduser("~/.cache/softprompt")), "tokenizers")
ZIP_DATE = (2024, 1, 1, 0, 0, 0)


_WRAPPED = {}


def transformers_decode(tk, ids):
    """transformers' own decode(skip_special_tokens=True, clean_up_tokenization_spaces=True): the
    tokenizer wrapped in transformers 5.23's tokenizer class (TokenizersBackend, a.k.a.
    PreTrainedTokenizerFast), so the clean-up and its skip for BPE models come from transformers,
    not from a copy of its logic. The wrapper is made once per tokenizer (and copies it)."""
    key = id(tk)
    if key not in _WRAPPED:
        _WRAPPED[key] = (tk, PreTrainedTokenizerFast(tokenizer_object=tk))
    return _WRAPPED[key][1].decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=True)


def attempt(fn):
    """fn(), or None where the library fails (a Rust panic such as Strip on a short token): the
    Swift side must throw there."""
    try:
        return fn()
    except BaseException as e:  # pyo3's PanicException derives from BaseException
        if isinstance(e, KeyboardInterrupt):
            raise
        return None


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def write_zip(path, members):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, members[name].encode("utf-8"), compresslevel=9)


def golden_lines(tk, lines, indices=None):
    out = []
    for k, line in enumerate(lines) if indices is None else ((k, lines[k]) for k in indices):
        rec = {} if indices is None else {"k": k}
        try:
            ids = tk.encode(line).ids
        except Exception as e:  # the Swift side must throw too
            rec["err"] = str(e)[:200]
            out.append(dumps(rec))
            continue
        rec["i"] = ids
        plain = tk.encode(line, add_special_tokens=False).ids
        if plain != ids:
            rec["n"] = plain
        d = attempt(lambda: tk.decode(ids, skip_special_tokens=False))
        if d != line:
            rec["d"] = d
        s = attempt(lambda: transformers_decode(tk, ids))
        if s != d:
            rec["s"] = s
        out.append(dumps(rec))
    return "\n".join(out) + "\n"


def random_decodes(tk, seed, count=150):
    rng = random.Random(seed)
    size = tk.get_vocab_size(with_added_tokens=True)
    out = []
    for _ in range(count):
        ids = [rng.randrange(size) for _ in range(rng.randint(1, 12))]
        rec = {"r": ids, "d": attempt(lambda: tk.decode(ids, skip_special_tokens=False)),
               "s": attempt(lambda: transformers_decode(tk, ids))}
        out.append(dumps(rec))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- real tokenizers

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def gpt2_from_tiktoken():
    """GPT-2's tokenizer.json rebuilt from whisper's gpt2.tiktoken ranks (merges recovered by BPE)."""
    ranks = {}
    with open(os.path.join(CACHE, "gpt2.tiktoken"), "rb") as f:
        for line in f:
            if line.strip():
                tok, rank = line.split()
                ranks[base64.b64decode(tok)] = int(rank)

    def bpe(token, max_rank):
        parts = [bytes([b]) for b in token]
        while True:
            best = None
            for i in range(len(parts) - 1):
                r = ranks.get(parts[i] + parts[i + 1])
                if r is not None and r < max_rank and (best is None or r < best[1]):
                    best = (i, r)
            if best is None:
                return parts
            i = best[0]
            parts = parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2:]

    spell = bytes_to_unicode()
    enc = lambda b: "".join(spell[x] for x in b)  # noqa: E731
    vocab = {enc(t): r for t, r in ranks.items()}
    merges = []
    for t, r in sorted(ranks.items(), key=lambda x: x[1]):
        if len(t) > 1:
            a, b = bpe(t, r)
            merges.append((enc(a), enc(b)))
    tk = Tokenizer(models.BPE(vocab=vocab, merges=merges, continuing_subword_prefix="", end_of_word_suffix="",
                              fuse_unk=False))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tk.post_processor = processors.ByteLevel(trim_offsets=False)
    tk.decoder = decoders.ByteLevel()
    tk.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=True)])
    j = json.loads(tk.to_str())
    j["model"]["merges"] = [f"{a} {b}" for a, b in j["model"]["merges"]]  # the legacy string form
    text = dumps(j)
    tk = Tokenizer.from_str(text)
    assert tk.encode("Hello world").ids == [15496, 995], tk.encode("Hello world").ids
    cfg = {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
           "model_max_length": 1024, "tokenizer_class": "GPT2Tokenizer", "clean_up_tokenization_spaces": False}
    return text, dumps(cfg)


def from_gguf(name):
    """The HF tokenizer transformers builds from a GGUF (AutoTokenizer, or its converter directly for
    architectures AutoTokenizer refuses, such as gptneox)."""
    from transformers import AutoTokenizer
    from transformers.integrations.gguf.gguf_tokenizer_mapping import convert_gguf_tokenizer, get_gguf_tokenizer
    try:
        tok = AutoTokenizer.from_pretrained(CACHE, gguf_file=name)
        with tempfile.TemporaryDirectory() as d:
            tok.save_pretrained(d)
            text = open(os.path.join(d, "tokenizer.json"), encoding="utf-8").read()
            cfg = json.load(open(os.path.join(d, "tokenizer_config.json"), encoding="utf-8"))
    except ValueError:
        arch, td, cfg = get_gguf_tokenizer(os.path.join(CACHE, name))
        backend, _ = convert_gguf_tokenizer(arch, td)
        text = backend.to_str()
    return dumps(json.loads(text)), dumps(cfg)


FAMILIES = {  # name: (source, commit tokenizer.json)
    "gpt2": ("tiktoken", True),
    "llama2": ("ggml-vocab-llama-spm.gguf", True),
    "llama3": ("ggml-vocab-llama-bpe.gguf", True),
    "qwen2": ("ggml-vocab-qwen2.gguf", True),
    "gptneox": ("ggml-vocab-gpt-neox.gguf", True),
    "smollm2": ("SmolLM2-135M-Instruct.Q4_1.gguf", True),
    "gpt2gguf": ("ggml-vocab-gpt-2.gguf", False),
    "falcon": ("ggml-vocab-falcon.gguf", False),
    "phi3": ("ggml-vocab-phi-3.gguf", False),
    "t5": ("t5", False),
}


def build_families(lines):
    for seed, (name, (src, commit)) in enumerate(sorted(FAMILIES.items())):
        if src == "tiktoken":
            text, cfg = gpt2_from_tiktoken()
        elif src == "t5":
            text = open(os.path.join(CACHE, "t5", "tokenizer.json"), encoding="utf-8").read()
            cfg = open(os.path.join(CACHE, "t5", "tokenizer_config.json"), encoding="utf-8").read()
        else:
            text, cfg = from_gguf(src)
        tk = Tokenizer.from_str(text)
        members = {"goldens.jsonl": golden_lines(tk, lines), "random.jsonl": random_decodes(tk, seed),
                   "tokenizer_config.json": cfg}
        if commit:
            members["tokenizer.json"] = text
        write_zip(os.path.join(FIX, "families", f"{name}.zip"), members)
        print(name, "done", flush=True)


# ---------------------------------------------------------------- the component matrix

def train(model, trainer, lines, normalizer=None, pre=None):
    tk = Tokenizer(model)
    if normalizer is not None:
        tk.normalizer = normalizer
    if pre is not None:
        tk.pre_tokenizer = pre
    tk.train_from_iterator(lines, trainer)
    return tk


def with_byte_tokens(tk, score=-20.0):
    """Append <0x00>..<0xFF> to the vocabulary and turn byte_fallback on."""
    j = json.loads(tk.to_str())
    m = j["model"]
    if m["type"] == "Unigram":
        m["vocab"] += [[f"<0x{b:02X}>", score] for b in range(256)]
    else:
        base = len(m["vocab"])
        for b in range(256):
            m["vocab"][f"<0x{b:02X}>"] = base + b
    m["byte_fallback"] = True
    return Tokenizer.from_str(dumps(j))


def matrix(lines):
    train_lines = lines * 2
    narrow = ["".join(c for c in line if ord(c) < 0x500) for line in train_lines]  # leaves unknown characters
    sp = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
    wp = train(models.WordPiece(unk_token="[UNK]"), trainers.WordPieceTrainer(vocab_size=1500, special_tokens=sp),
               train_lines, normalizers.BertNormalizer(), pre_tokenizers.BertPreTokenizer())
    wl = train(models.WordLevel(unk_token="[UNK]"), trainers.WordLevelTrainer(vocab_size=2000, special_tokens=sp),
               train_lines, normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()]),
               pre_tokenizers.Whitespace())
    ug = train(models.Unigram(), trainers.UnigramTrainer(vocab_size=900, special_tokens=["<unk>", "<s>", "</s>"],
                                                         unk_token="<unk>"),
               narrow, normalizers.NFKC(), pre_tokenizers.Metaspace())
    bl = train(models.BPE(), trainers.BpeTrainer(vocab_size=1200, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
                                                 initial_alphabet=pre_tokenizers.ByteLevel.alphabet()),
               train_lines, None, pre_tokenizers.ByteLevel())
    sfx = train(models.BPE(unk_token="[UNK]", fuse_unk=True, continuing_subword_prefix="##", end_of_word_suffix="</w>"),
                trainers.BpeTrainer(vocab_size=900, special_tokens=["[UNK]"], limit_alphabet=70,
                                    continuing_subword_prefix="##", end_of_word_suffix="</w>"),
                train_lines, normalizers.Lowercase(), pre_tokenizers.WhitespaceSplit())
    spm = train(models.BPE(unk_token="<unk>", fuse_unk=True), trainers.BpeTrainer(
        vocab_size=900, special_tokens=["<unk>", "<s>", "</s>"], limit_alphabet=120), train_lines,
        normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]), None)

    V = {}

    def variant(name, base, normalizer="keep", pre="keep", post=None, decoder=None, added=(), trunc=None, pad=None,
                model_edit=None):
        tk = Tokenizer.from_str(base.to_str())
        if normalizer != "keep":
            tk.normalizer = normalizer
        if pre != "keep":
            tk.pre_tokenizer = pre
        if post is not None:
            tk.post_processor = post
        if decoder is not None:
            tk.decoder = decoder
        if added:
            tk.add_tokens(list(added))
        if trunc:
            tk.enable_truncation(**trunc)
        if pad:
            tk.enable_padding(**pad)
        if model_edit:
            j = json.loads(tk.to_str())
            model_edit(j["model"])
            tk = Tokenizer.from_str(dumps(j))
        V[name] = tk

    ids = lambda tk, t: tk.token_to_id(t)  # noqa: E731
    A = AddedToken
    variant("bert_wordpiece", wp, post=processors.BertProcessing(("[SEP]", ids(wp, "[SEP]")), ("[CLS]", ids(wp, "[CLS]"))),
            decoder=decoders.WordPiece(prefix="##", cleanup=True))
    variant("bert_cased", wp, normalizer=normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False,
                                                                     strip_accents=True, lowercase=False),
            pre=pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation("isolated")]),
            post=processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
                                               special_tokens=[("[CLS]", ids(wp, "[CLS]")), ("[SEP]", ids(wp, "[SEP]"))]),
            decoder=decoders.WordPiece(prefix="##", cleanup=False),
            trunc={"max_length": 16, "strategy": "longest_first", "direction": "right"})
    variant("wordpiece_digits", wp, normalizer=normalizers.Sequence([normalizers.NFD(), normalizers.Lowercase(),
                                                                     normalizers.StripAccents()]),
            pre=pre_tokenizers.Sequence([pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=False),
                                         pre_tokenizers.Punctuation("merged_with_next")]),
            decoder=decoders.WordPiece())
    variant("wordlevel", wl, decoder=None, trunc={"max_length": 10, "direction": "left"})
    variant("wordlevel_padded", wl, pre=pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                                  pre_tokenizers.Punctuation("removed")]),
            pad={"direction": "left", "pad_id": ids(wl, "[PAD]"), "pad_token": "[PAD]"})
    variant("unigram_bytefallback", with_byte_tokens(ug),
            normalizer=normalizers.Sequence([normalizers.NFKD(), normalizers.StripAccents(),
                                             normalizers.Replace(Regex(" {2,}"), " ")]),
            pre=pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True),
            decoder=decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(prepend_scheme="always")]),
            post=processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                               special_tokens=[("</s>", ids(ug, "</s>"))]))
    variant("unigram_first", ug, normalizer=normalizers.Sequence([normalizers.NFC(), normalizers.Strip(right=True, left=False)]),
            pre=pre_tokenizers.Metaspace(prepend_scheme="first", split=False),
            decoder=decoders.Metaspace(prepend_scheme="first"),
            added=[A("<mask>", lstrip=True, special=True, normalized=False), A("<sep>", rstrip=True, special=True),
                   A("hello", single_word=True, normalized=True)])
    variant("unigram_never", ug, normalizer=normalizers.Lowercase(),
            pre=pre_tokenizers.Metaspace(prepend_scheme="never", split=True),
            decoder=decoders.Metaspace(prepend_scheme="never"),
            added=[A("World", normalized=True), A("[DAY]", normalized=False, special=False)])
    variant("bpe_suffix", sfx, normalizer=normalizers.Sequence([normalizers.NFD(), normalizers.Lowercase(),
                                                               normalizers.StripAccents()]),
            pre=pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation("contiguous"),
                                         pre_tokenizers.Digits(individual_digits=True)]),
            decoder=decoders.BPEDecoder(suffix="</w>"),
            added=[A("hello", single_word=True, normalized=True), A("[NORM]", normalized=True, special=True)])
    variant("bpe_spm_bytefallback", with_byte_tokens(spm),
            post=processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s>:1 $B:1",
                                               special_tokens=[("<s>", ids(spm, "<s>"))]),
            decoder=decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                       decoders.Strip(" ", 1, 0)]),
            added=[A("<s>", special=True, normalized=False), A("</s>", special=True, normalized=False)])
    variant("bpe_spm_unk", spm, decoder=decoders.Sequence([decoders.Replace("▁", " "), decoders.Fuse()]),
            model_edit=lambda m: m.update({"merges": [" ".join(x) for x in m["merges"]]}))
    variant("bpe_spm_nofuse", spm, model_edit=lambda m: m.update({"fuse_unk": False}),
            decoder=decoders.Sequence([decoders.Replace("▁", " "), decoders.Strip("▁", 0, 1)]))
    variant("bytelevel_roberta", bl, pre=pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True),
            post=processors.RobertaProcessing(("</s>", ids(bl, "</s>")), ("<s>", ids(bl, "<s>"))),
            decoder=decoders.ByteLevel(),
            added=[A("<mask>", lstrip=True, special=True, normalized=False), A("<s>", special=True),
                   A("</s>", special=True), A("<pad>", special=True)])
    bloom = r" ?[^(\s|[.,!?…。，、।۔،])]+"
    variant("bytelevel_bloomsplit", bl, pre=pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(bloom), "isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
        post=processors.Sequence([processors.ByteLevel(trim_offsets=False),
                                  processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B:1 </s>:1",
                                                                special_tokens=[("</s>", ids(bl, "</s>"))])]),
        decoder=decoders.ByteLevel(), model_edit=lambda m: m.update({"ignore_merges": True}))
    splits = {
        "split_removed": pre_tokenizers.Split(" ", "removed"),
        "split_merged_prev": pre_tokenizers.Split(Regex(r"[.,!?;:]"), "merged_with_previous"),
        "split_merged_next": pre_tokenizers.Split(Regex(r"\s+"), "merged_with_next"),
        "split_contiguous": pre_tokenizers.Split(Regex(r"\p{N}"), "contiguous"),
        "split_invert": pre_tokenizers.Split(Regex(r"[\p{L}\p{M}]+"), "removed", invert=True),
        "split_gpt2_pattern": pre_tokenizers.Split(Regex(
            r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"), "isolated"),
    }
    for name, sp_ in splits.items():
        variant(name, bl, pre=pre_tokenizers.Sequence([sp_, pre_tokenizers.ByteLevel(add_prefix_space=False,
                                                                                     use_regex=False)]),
                decoder=decoders.ByteLevel())
    variant("bytelevel_strip", bl, normalizer=normalizers.Sequence([normalizers.Strip(left=True, right=False),
                                                                   normalizers.NFKC()]),
            pre=pre_tokenizers.ByteLevel(add_prefix_space=True),
            decoder=decoders.Sequence([decoders.ByteLevel(), decoders.Strip(" ", 1, 1), decoders.Replace("  ", " ")]),
            post=processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
                                               special_tokens=[("<s>", ids(bl, "<s>")), ("</s>", ids(bl, "</s>"))]),
            trunc={"max_length": 20, "direction": "left"},
            pad={"direction": "left", "pad_id": ids(bl, "<pad>"), "pad_token": "<pad>"})
    variant("bytelevel_padmultiple", bl, pre=pre_tokenizers.ByteLevel(add_prefix_space=False),
            decoder=decoders.ByteLevel(),
            post=processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> $B:1 </s>:1",
                                               special_tokens=[("<s>", ids(bl, "<s>")), ("</s>", ids(bl, "</s>"))]),
            trunc={"max_length": 24, "strategy": "longest_first", "direction": "right"},
            pad={"direction": "right", "pad_id": ids(bl, "<pad>"), "pad_token": "<pad>", "pad_to_multiple_of": 8})
    variant("unigram_t5like", ug, normalizer=normalizers.Sequence([normalizers.Replace(Regex(r"\s+"), " "),
                                                                   normalizers.NFKD()]),
            pre=pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                         pre_tokenizers.Metaspace(prepend_scheme="always", split=True)]),
            decoder=decoders.Metaspace(), post=processors.TemplateProcessing(
                single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", ids(ug, "</s>"))]),
            trunc={"max_length": 12, "strategy": "only_first", "direction": "right"})
    return V


def committed_matrix():
    """The matrix tokenizers already committed, so that goldens regenerate byte for byte (the
    trainers' tie order is not deterministic across runs; pass --retrain to train new ones)."""
    path = os.path.join(FIX, "matrix.zip")
    if "--retrain" in sys.argv or not os.path.exists(path):
        return None
    with zipfile.ZipFile(path) as z:
        return {n.split("/")[0]: Tokenizer.from_str(z.read(n).decode("utf-8"))
                for n in z.namelist() if n.endswith("/tokenizer.json")}


def build_matrix(lines):
    rng = random.Random(7)
    subset = list(range(0, 200)) + sorted(rng.sample(range(200, len(lines)), 400))
    members = {}
    variants = committed_matrix() or matrix(lines)
    for seed, (name, tk) in enumerate(sorted(variants.items())):
        members[f"{name}/tokenizer.json"] = tk.to_str()
        members[f"{name}/goldens.jsonl"] = golden_lines(tk, lines, subset)
        members[f"{name}/random.jsonl"] = random_decodes(tk, 100 + seed, count=60)
        pairs = []
        for k in subset[::6]:
            a, b = lines[k], lines[(k + 1) % len(lines)]
            try:
                pairs.append(dumps({"k": k, "i": tk.encode(a, b).ids, "t": tk.encode(a, b).type_ids}))
            except Exception as e:
                pairs.append(dumps({"k": k, "err": str(e)[:200]}))
        members[f"{name}/pairs.jsonl"] = "\n".join(pairs) + "\n"
        batches = []
        for k in subset[::20]:
            batch = [lines[(k + j) % len(lines)] for j in range(4)]
            encs = tk.encode_batch(batch)
            batches.append(dumps({"k": k, "i": [e.ids for e in encs], "m": [e.attention_mask for e in encs]}))
        members[f"{name}/batches.jsonl"] = "\n".join(batches) + "\n"
        print("matrix", name, flush=True)
    write_zip(os.path.join(FIX, "matrix.zip"), members)


def main():
    lines = corpus()
    os.makedirs(FIX, exist_ok=True)
    with open(os.path.join(FIX, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    which = [a for a in sys.argv[1:] if not a.startswith("--")] or ["families", "matrix"]
    if "matrix" in which:
        build_matrix(lines)
    if "families" in which:
        build_families(lines)


if __name__ == "__main__":
    main()
