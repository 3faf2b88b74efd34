"""The tokenizer parity corpus: hand-written edge cases plus seeded random lines.

Pure Python (no third-party modules), deterministic for a given SEED. Imported by
tokenizer_goldens.py, which writes the corpus to Tests/SPTokenizersTests/Fixtures/corpus.jsonl.

Characters are drawn from blocks assigned before Unicode 13 so that the Unicode tables of the
Python `tokenizers` library (Oniguruma, unicode-normalization) and of Swift agree on them.
"""
import random

SEED = 20240611
RANDOM_LINES = 2200

# Special-token spellings of every family, so each family meets its own inside text.
SPECIALS = [
    "<|endoftext|>", "<s>", "</s>", "<unk>", "<pad>", "<|im_start|>", "<|im_end|>",
    "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>",
    "<extra_id_0>", "<extra_id_99>", "<|padding|>", "<mask>", "[CLS]", "[SEP]", "[MASK]", "<|user|>",
    "<|assistant|>", "<|end|>", "<repo_name>", "<filename>", "<fim_prefix>", ">>TITLE<<",
]

EDGE_CASES = [
    "", " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n\n", " \n ", "\t\t  \n\t", "a", "A", "Hello world",
    "Hello world!", " Hello world", "Hello  world", "Hello   world   ", "hello\tworld", "hello\nworld",
    "hello\r\nworld\r\n", "Once upon a time", "translate English to German: The house is wonderful.",
    "The quick brown fox jumps over the lazy dog.", "THE QUICK BROWN FOX", "I'm", "I'M", "don't", "DON'T",
    "we'll they've you're she's it'd", "WE'LL THEY'VE YOU'RE SHE'S IT'D", "'s 't 're 've 'm 'll 'd",
    "'S'T'RE'VE'M'LL'D", "rock 'n' roll", "''quoted''", "`backtick`", "\"double\"",
    "1234567890", "3.14159", "1,000,000", "-42", "+7", "0x1F", "1e-10", "12345678901234567890",
    "2024-06-11T12:34:56Z", "$100.00", "50%", "½ ¼ ¾", "²³¹", "①②③", "Ⅻ Ⅳ", "٣٤٥", "१२३",
    "café", "cafe\u0301", "naïve résumé", "Straße", "İstanbul", "ǅ ǈ ǋ", "ΣΊΣΥΦΟΣ", "ὈΔΥΣΣΕΎΣ", "ﬁ ﬂ ﬃ",
    "ＡＢＣ１２３", "ｶﾀｶﾅ", "x² + y² = z²", "∀x∈ℝ: x²≥0", "→ ← ↑ ↓", "©®™", "€£¥₹",
    "你好，世界！", "我爱北京天安门。", "日本語のテキストです。", "カタカナとひらがな", "한국어 텍스트입니다.",
    "مرحبا بالعالم", "שָׁלוֹם עוֹלָם", "Привет, мир!", "Γειά σου Κόσμε", "नमस्ते दुनिया", "สวัสดีชาวโลก",
    "Tiếng Việt có dấu", "ᐃᓄᒃᑎᑐᑦ", "ꦗꦮ", "😀", "😀😃😄", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷🇯🇵", "❤️", "🏳️‍🌈",
    "emoji😀in😃text", "a\u200bb", "a\u200db", "a\u00a0b", "a\u2009b", "a\u3000b", "a\u0085b", "a\u000bb",
    "a\u000cb", "a\u2028b", "a\u1680b", "\u00a0\u00a0lead", "trail\u3000\u3000", "a\u0000b", "a\u007fb",
    "a\u001fb", "\ufeffBOM", "a\ufffdb", "x\u0301\u0302\u0303", "\u0301starts with mark", "Z\u0351\u0352\u0353",
    "def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) { a[i] = i; }", "if x == 1:\n\tpass",
    "{\"key\": [1, 2, 3], \"v\": null}", "SELECT * FROM t WHERE id = 42;", "$ ls -la | grep foo > out.txt",
    "#include <stdio.h>", "    indented four", "\t\ttabbed", "x=1;y=2;z=x+y", "a->b::c", "<div class=\"x\">hi</div>",
    "https://example.com/path?q=1&r=2#frag", "user@example.org", "C:\\Users\\name\\file.txt", "~/.bashrc",
    "a" * 300, "ab" * 200, "Supercalifragilisticexpialidocious" * 8, "x" * 1000, "1" * 120, " " * 50,
    "\n" * 20, "!" * 64, "漢" * 100, "😀" * 40, "lorem" + "ipsum" * 50,
    "<s>", "</s>", "<s>Hello</s>", "Hello <s> world", "<|endoftext|>", "text<|endoftext|>more",
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", "<|begin_of_text|>Hello<|eot_id|>",
    "<extra_id_0> filled <extra_id_1>", "< s >", "<s >", "<<s>>", "<|endoftext|><|endoftext|>",
    " <s> ", "  </s>  ", "<unk><pad>", "[CLS] a [SEP] b [SEP]", "<mask> is <mask>", "<|padding|>x",
    "▁already▁has▁metaspace", "Ġalready Ġbyte Ġlevel", "<0x41>", "<0xFF> byte token text", "##wordpiece",
    "ends with space ", "ends with newline\n", " starts with space", "\nstarts with newline",
    "mixed\t \n\r\n \tspace", "multiple\n\n\nnewlines", "crlf\r\n\r\nline", "   \n   ", "\r", "a\rb",
]

WORDS = [
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "was", "on", "be", "at", "by",
    "this", "had", "not", "are", "but", "from", "or", "have", "an", "they", "which", "one", "you", "were",
    "tokenizer", "merges", "vocabulary", "Paris", "France", "London", "Swift", "Python", "Rust", "model",
    "soft", "prompt", "tuning", "gradient", "embedding", "transformer", "attention", "layer", "norm",
    "Hello", "World", "QUICK", "Brown", "fox", "jumps", "lazy", "dog", "don't", "it's", "we're", "I'll",
    "naïve", "café", "über", "Ålesund", "São", "Zürich", "façade", "jalapeño", "smörgåsbord", "Øresund",
    "東京", "北京", "中文", "分词器", "こんにちは", "ありがとう", "한국", "서울", "القاهرة", "كتاب", "עברית",
    "ספר", "Москва", "книга", "Αθήνα", "βιβλίο", "हिन्दी", "भाषा", "ภาษาไทย", "Việt", "Nguyễn",
    "print()", "self.x", "__init__", "x_1", "camelCase", "snake_case", "kebab-case", "CONSTANT_VALUE",
    "3.0", "42", "2024", "1e5", "0.001", "100%", "#1", "@user", "#hashtag", "$HOME", "a/b", "C++", "C#",
]

PUNCT = list(".,;:!?-—–()[]{}<>\"'`/\\|@#$%^&*_+=~") + ["...", "…", "«", "»", "“", "”", "‘", "’", "¿", "¡",
                                                        "、", "。", "，", "！", "？", "・", "؟", "،", "।"]
EMOJI = ["😀", "😂", "🥲", "😍", "🤔", "🙈", "🚀", "🔥", "✨", "🎉", "👍", "👍🏻", "👋🏿", "🇺🇸", "🇩🇪",
         "❤️", "☕", "🍕", "🐍", "🦀", "👩‍💻", "🧑‍🔬", "✔️", "⚠️", "1️⃣", "©️"]
SEPARATORS = [" "] * 30 + ["  ", "   ", "\t", "\n", " \n", "\n\n", "\r\n", " \t ", "\u00a0", "\u3000", ""]

BLOCKS = [  # (first, last) code point ranges of long-assigned characters
    (0x21, 0x7E), (0xA1, 0xFF), (0x100, 0x17F), (0x180, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF),
    (0x5D0, 0x5EA), (0x620, 0x64A), (0x660, 0x669), (0x905, 0x939), (0x966, 0x96F), (0xE01, 0xE30),
    (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20B9), (0x2190, 0x21FF), (0x2200, 0x22FF),
    (0x2460, 0x24FF), (0x2500, 0x257F), (0x3041, 0x3096), (0x30A1, 0x30FA), (0x4E00, 0x9FA5),
    (0xAC00, 0xD7A3), (0xFF01, 0xFF5E), (0x1F600, 0x1F64F), (0x1F300, 0x1F5FF), (0x0300, 0x036F),
]


def _random_char(rng):
    lo, hi = rng.choice(BLOCKS)
    return chr(rng.randint(lo, hi))


def _fragment(rng):
    r = rng.random()
    if r < 0.55:
        w = rng.choice(WORDS)
        roll = rng.random()
        if roll < 0.1:
            w = w.upper()
        elif roll < 0.2:
            w = w.capitalize()
        return w
    if r < 0.65:
        return rng.choice(PUNCT)
    if r < 0.72:
        return str(rng.choice([rng.randint(0, 9), rng.randint(10, 999), rng.randint(1000, 10**9)]))
    if r < 0.78:
        return rng.choice(EMOJI)
    if r < 0.86:
        return "".join(_random_char(rng) for _ in range(rng.randint(1, 6)))
    if r < 0.90:
        return rng.choice(SPECIALS)
    if r < 0.93:
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(15, 80)))
    if r < 0.96:
        return rng.choice(["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "n't"])
    return rng.choice(["    ", "\t", "\n", "  \n  ", "\u00a0", "\u2003", "\u0085"])


def random_line(rng):
    n = rng.choice([1, 2, 3, 5, 8, 12, 20, 40])
    parts = []
    for _ in range(n):
        parts.append(_fragment(rng))
        parts.append(rng.choice(SEPARATORS))
    line = "".join(parts)
    if rng.random() < 0.1:
        line = " " + line
    if rng.random() < 0.1:
        line = line.rstrip(" ")
    return line


def corpus():
    rng = random.Random(SEED)
    lines = list(EDGE_CASES)
    lines += [random_line(rng) for _ in range(RANDOM_LINES)]
    return lines


if __name__ == "__main__":
    c = corpus()
    print(len(c), sum(len(x) for x in c))
