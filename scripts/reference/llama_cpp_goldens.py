"""GGUF tokenizer goldens from llama.cpp itself (llama-cpp-python==0.3.36's vendored llama.cpp).

Builds the reference with scripts/reference/build_llama_tokenize.sh (CMake from PyPI, the
`llama` library target plus llama_tokenize.cpp), then tokenizes the tokenizer corpus plus the
edge cases below with every vocabulary GGUF in the cache whose `tokenizer.ggml.model` we claim
(gpt2, llama, gemma4), and with the synthetic vocabularies of scripts/reference/gguf_synthetic_vocabs.py
(Fixtures/gguf_synthetic: `pre` types no cached file has). Needs only the Python standard library; run after scripts/fetch_tokenizers.sh:

    python3 scripts/reference/llama_cpp_goldens.py

Writes Tests/SPTokenizersTests/Fixtures/llamacpp.zip: texts.jsonl (line k = text k: the corpus,
then the edge cases) and per GGUF `<file>.txt` (line k: ids of text k without special tokens,
a tab, ids with them; special tokens written in the text are parsed; `ABORT` where llama.cpp
aborts on the text).
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tokenizer_corpus import corpus  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FIX = os.path.join(ROOT, "Tests", "SPTokenizersTests", "Fixtures")
CACHE = os.environ.get("SOFTPROMPT_CACHE", os.path.expanduser("~/.cache/softprompt"))
CLAIMED = {"gpt2", "llama", "gemma4"}
SYNTHETIC = os.path.join(FIX, "gguf_synthetic")  # scripts/reference/gguf_synthetic_vocabs.py


def edge_cases():
    out = []
    for n in range(1, 10):
        out += [" " * n, "a" + " " * n + "b", " " * n + "lead", "trail" + " " * n, "1" * n, "x" + "7" * n + "y",
                " " + "9" * n, "\t" * n + "x", "\n" * n + "x", "a" + " " * n + "\n" + " " * n + "b"]
    out += [
        " \t \n \r\n\t  x  \t", "\t\n \t\n", "\n \n  \n   ", "  leading and trailing  ", "\r\r\n\n\r",
        "½", "1½ cups", "¾⅞⅓", "²³", "٣٤٥ ١٢", "१२३४", "Ⅻ ⅻ", "①②", "𝟘𝟙𝟚", "12,345.678", "3.14e-10",
        "Tiếng Việt là ngôn ngữ chính thức", "Xin chào thế giới", "Đây là một câu tiếng Việt có dấu: ắ ằ ẳ ẵ ặ",
        "ភាសាខ្មែរ", "សួស្តីពិភពលោក", "👨‍👩‍👧‍👦 family", "👩🏽‍💻👨‍🚀", "🏳️‍🌈 🏴‍☠️", "🧑‍🤝‍🧑",
        "中文测试：你好，世界！", "日本語と漢字、カタカナ", "한국어와 漢字 混合", "龘龘 𠀀𠀁",
        " Hello world", "Hello world", "  Hello  world  ", "hello\u00a0world", "a\u3000b", "x\u2003y",
        "Hello<s>world</s>", "<s> <s>", "<|endoftext|>text<|endoftext|>", "<|im_start|>user\nhi<|im_end|>",
        # Special-token details (synthetic-specials.gguf) and splitters (afmoe digits, deepseek-llm spaces).
        "Hello  world <mask> a", "a \t\n<mask>b", "<mask> <mask>", "<fim_prefix>x<|fim_suffix|>y</s>z<|tool_response>",
        "<|channel|>hi<|fim_middle|>done", "abc12345 x 1234567 ½½½½ 99", "\u00a0\u00a0x\u3000\u3000y\u3000", "x\u2028\u2029 \u0085y",
        "<start_of_turn>user\nhi<end_of_turn>\n\n\n", "a\n\nb\n", "word  \t  word",
    ]
    return out


def gguf_model(path):
    """tokenizer.ggml.model of a GGUF file (reads the KV header only)."""
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            return None
        version, = struct.unpack("<I", f.read(4))
        _, n_kv = struct.unpack("<QQ", f.read(16))

        def string():
            n, = struct.unpack("<Q", f.read(8))
            return f.read(n).decode("utf-8", "replace")

        sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

        def skip(t):
            if t == 8:
                string()
            elif t == 9:
                at, n = struct.unpack("<IQ", f.read(12))
                for _ in range(n):
                    skip(at)
            else:
                f.read(sizes[t])

        for _ in range(n_kv):
            key = string()
            t, = struct.unpack("<I", f.read(4))
            if key == "tokenizer.ggml.model" and t == 8:
                return string()
            skip(t)
    return None


def resilient(binary, path, hexes):
    """llama.cpp's ids for each hex line. llama.cpp aborts on some inputs (a GGML_ASSERT, e.g. a
    space inside a raw-UTF-8 BPE word): its stdout is line-buffered (stdbuf), so the lines before
    the abort are kept, the aborting one is recorded as ABORT (SoftPrompt must refuse it), and the
    tool restarts after it."""
    out, i = [], 0
    env = dict(os.environ, GGML_NO_BACKTRACE="1")  # no gdb attaching (it prints to stdout)
    row = re.compile(r"^[0-9 ]*\t[0-9 ]*$")
    while i < len(hexes):
        r = subprocess.run(["stdbuf", "-oL", binary, path], input="".join(h + "\n" for h in hexes[i:]),
                           capture_output=True, text=True, env=env)
        done = r.stdout.split("\n")[:-1]  # complete lines only
        assert all(row.match(d) for d in done), (path, [d for d in done if not row.match(d)][:3])
        out += done
        i += len(done)
        if r.returncode == 0:
            break
        print(os.path.basename(path), "aborts on text", i, flush=True)
        out.append("ABORT\tABORT")
        i += 1
    return out


def main():
    binary = subprocess.run([os.path.join(HERE, "build_llama_tokenize.sh")], check=True,
                            capture_output=True, text=True).stdout.strip().splitlines()[-1]
    texts = corpus() + edge_cases()
    hexed = "".join(t.encode("utf-8").hex() + "\n" for t in texts)
    tokdir = os.path.join(CACHE, "tokenizers")
    members = {"texts.jsonl": "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in texts)}
    paths = [os.path.join(tokdir, n) for n in sorted(os.listdir(tokdir)) if n.endswith(".gguf")]
    paths += [os.path.join(SYNTHETIC, n) for n in sorted(os.listdir(SYNTHETIC)) if n.endswith(".gguf")]
    for path in paths:
        name = os.path.basename(path)
        model = gguf_model(path)
        if model not in CLAIMED:
            print("skip", name, model, flush=True)
            continue
        lines = resilient(binary, path, hexed.splitlines())
        assert len(lines) == len(texts), (name, len(lines))
        members[name + ".txt"] = "\n".join(lines) + "\n"
        print(name, model, "done", flush=True)
    import zipfile
    path = os.path.join(FIX, "llamacpp.zip")
    with tempfile.NamedTemporaryFile(dir=FIX, delete=False) as tmp:
        with zipfile.ZipFile(tmp, "w") as z:
            for n in sorted(members):
                info = zipfile.ZipInfo(n, (2024, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, members[n])
    os.replace(tmp.name, path)
    os.chmod(path, 0o644)


if __name__ == "__main__":
    main()
