"""Chat-template parity fixture for Tests/SPTokenizersTests (rendered by transformers itself).

Pinned: transformers==5.23.0 with jinja2==3.1.6 (the reference venv of scripts/reference/setup_venv.sh).
Run after scripts/fetch_tokenizers.sh (it reads the GGUF files and the llama-cpp-python sdist there):

    py=$(scripts/reference/setup_venv.sh); $py scripts/reference/chat_template_goldens.py

Writes Tests/SPTokenizersTests/Fixtures/chat_templates.zip, one member chat_templates.json (1.5 MB
of JSON, 0.14 MB zipped; the same byte-stable zip layout as tokenizer_goldens.py's fixtures):
  conversations  name -> {"messages": [...], "tools": [...] or absent}
  templates      [{"name", "origin", "source", "variables"}]; `variables` are the special tokens
                 transformers passes (`special_tokens_map`)
  cases          [{"template", "conversation", "add_generation_prompt", "output"}] or, where
                 transformers fails, {"error": exception class, "message": str(exception)}
Every case goes through `tokenizer.apply_chat_template(..., tokenize=False)`: for GGUF templates the
tokenizer transformers builds from that GGUF (or, where it refuses the architecture, a stand-in with
the GGUF's special tokens), for the others a stand-in tokenizer whose special tokens are the
template's `variables`. `strftime_now` reads a fixed clock (NOW, naive local time).
"""
import datetime as _dt
import json
import os
import sys
import tarfile
import zipfile

import jinja2
import transformers
import transformers.utils.chat_template_utils as ctu
from tokenizers import Tokenizer, models
from transformers import AutoTokenizer, PreTrainedTokenizerFast

sys.path.insert(0, os.path.dirname(__file__))
from chat_template_sources import FEATURES, VERBATIM  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "SPTokenizersTests", "Fixtures", "chat_templates.zip")
CACHE = os.environ.get("SOFTPROMPT_CACHE", os.path.expanduser("~/.cache/softprompt"))
TOKENIZERS = os.path.join(CACHE, "tokenizers")
SDIST = os.path.join(CACHE, "downloads", "llama_cpp_python-0.3.36.tar.gz")
NOW = _dt.datetime(2024, 7, 26, 14, 5, 9)

assert transformers.__version__ == "5.23.0", transformers.__version__
assert jinja2.__version__ == "3.1.6", jinja2.__version__


class FixedClock(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW


ctu.datetime = FixedClock  # strftime_now() calls datetime.now()

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "The city name, e.g. \"Paris\""},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}}]

CONVERSATIONS = {
    "user": {"messages": [{"role": "user", "content": "What is the capital of France?"}]},
    "system_user": {"messages": [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "Hello!"}]},
    "multi_turn": {"messages": [
        {"role": "user", "content": "Write a haiku about rain."},
        {"role": "assistant", "content": "Soft rain on the roof\nwhispers to the sleeping town\npuddles hold the sky"},
        {"role": "user", "content": "Now one about snow.\nMake it sad."}]},
    "system_multi": {"messages": [
        {"role": "system", "content": "Answer in one word.\n\nNever explain."},
        {"role": "user", "content": "Sky colour?"},
        {"role": "assistant", "content": "Blue."},
        {"role": "user", "content": "Grass?"}]},
    "unicode": {"messages": [
        {"role": "user", "content": "  Ünïcødé — «quotes» \"double\" 'single' \\ back\\slash\n\tindented line 🙂 日本語 Σίσυφος  "},
        {"role": "assistant", "content": "\n{{ not jinja }} {% neither %} </s> <|im_end|>\n"},
        {"role": "user", "content": "ß İ ﬁ — ok?"}]},
    "assistant_last": {"messages": [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"}]},
    "bad_order": {"messages": [
        {"role": "user", "content": "First."},
        {"role": "user", "content": "Second."}]},
    "tools": {"tools": TOOLS, "messages": [
        {"role": "system", "content": "You can call tools."},
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [{"type": "function", "id": "call_1", "function": {
            "name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}]},
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather",
         "content": "{\"temperature\": 21.5, \"sky\": \"clear\"}"},
        {"role": "assistant", "content": "It is 21.5 °C and clear in Paris."}]},
    "reasoning": {"messages": [
        {"role": "user", "content": "Is 91 prime?"},
        {"role": "assistant", "reasoning_content": "91 = 7 × 13.", "content": "No: 91 = 7 × 13."},
        {"role": "user", "content": "And 97?"}]},
}

# Tool and reasoning conversations only for templates that read those fields.
SPECIAL_CONVERSATIONS = {"tools": "tool", "reasoning": "reasoning"}
FEATURE_CONVERSATIONS = ["multi_turn", "unicode"]


def stand_in(variables):
    """A tokenizer whose only role is to carry `variables` as special tokens into apply_chat_template."""
    vocab = {v: i for i, v in enumerate(sorted(set(variables.values()) | {"<unk>"}))}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    return PreTrainedTokenizerFast(tokenizer_object=tk, **variables)


def gguf_template(name):
    """(template, special tokens) straight from GGUF metadata, for architectures AutoTokenizer refuses."""
    import gguf
    r = gguf.GGUFReader(os.path.join(TOKENIZERS, name))

    def field(key):
        f = r.fields.get(key)
        return None if f is None else f.parts[f.data[0]]

    tokens = r.fields["tokenizer.ggml.tokens"]
    variables = {}
    for key, var in [("bos_token_id", "bos_token"), ("eos_token_id", "eos_token"),
                     ("unknown_token_id", "unk_token"), ("padding_token_id", "pad_token")]:
        i = field("tokenizer.ggml." + key)
        if i is not None:
            variables[var] = bytes(tokens.parts[tokens.data[int(i[0])]]).decode()
    return bytes(field("tokenizer.chat_template")).decode(), variables


GGUF = ["SmolLM2-135M-Instruct.Q4_1.gguf", "ggml-vocab-qwen2.gguf", "ggml-vocab-qwen35.gguf",
        "ggml-vocab-phi-3.gguf", "ggml-vocab-command-r.gguf", "ggml-vocab-gemma-4.gguf"]


def gguf_templates():
    for name in GGUF:
        try:
            tok = AutoTokenizer.from_pretrained(TOKENIZERS, gguf_file=name)
            source, variables = tok.chat_template, dict(tok.special_tokens_map)
        except Exception as e:  # noqa: BLE001 - an unsupported architecture or config
            print(f"{name}: AutoTokenizer refused ({type(e).__name__}); using the GGUF metadata", flush=True)
            source, variables = gguf_template(name)
            tok = stand_in(variables)
        yield {"name": name.removesuffix(".gguf"), "origin": f"gguf:{name}", "source": source,
               "variables": variables}, tok


def llama_cpp_templates():
    """Real HF templates collected in llama.cpp's models/templates (inside the llama-cpp-python sdist)."""
    with tarfile.open(SDIST) as t:
        for m in sorted(t.getmembers(), key=lambda m: m.name):
            if "/vendor/llama.cpp/models/templates/" in m.name and m.name.endswith(".jinja"):
                base = os.path.basename(m.name)
                yield {"name": base.removesuffix(".jinja"), "origin": f"llama.cpp:models/templates/{base}",
                       "source": t.extractfile(m).read().decode("utf-8"),
                       "variables": {"bos_token": "<s>", "eos_token": "</s>"}}


def render(tok, template, conversation, agp):
    conv = CONVERSATIONS[conversation]
    try:
        out = tok.apply_chat_template(conv["messages"], tools=conv.get("tools"), chat_template=template["source"],
                                      tokenize=False, add_generation_prompt=agp)
        return {"output": out}
    except Exception as e:  # noqa: BLE001 - every failure is a golden too
        return {"error": type(e).__name__, "message": str(e)}


def conversations_for(template, feature):
    if feature:
        return template.get("conversations", FEATURE_CONVERSATIONS)
    names = [n for n in CONVERSATIONS if n not in SPECIAL_CONVERSATIONS]
    names += [n for n, needle in SPECIAL_CONVERSATIONS.items() if needle in template["source"]]
    return names


def main():
    templates, cases = [], []

    def add(template, tok, feature=False):
        templates.append({k: template[k] for k in ("name", "origin", "source", "variables")})
        for conv in conversations_for(template, feature):
            for agp in (False, True):
                case = {"template": template["name"], "conversation": conv, "add_generation_prompt": agp}
                case.update(render(tok, template, conv, agp))
                cases.append(case)

    for template, tok in gguf_templates():
        add(template, tok)
    for template in VERBATIM + list(llama_cpp_templates()):
        add(template, stand_in(template["variables"]))
    for i, (name, source, *convs) in enumerate(FEATURES):
        template = {"name": f"feature-{i:02d}-{name}", "origin": "feature", "source": source,
                    "variables": {"bos_token": "<s>", "eos_token": "</s>"}}
        if convs:
            template["conversations"] = convs[0]
        add(template, stand_in(template["variables"]), feature=True)

    fixture = {
        "generator": "scripts/reference/chat_template_goldens.py",
        "versions": {"transformers": transformers.__version__, "jinja2": jinja2.__version__},
        "now": NOW.isoformat(),
        "conversations": CONVERSATIONS,
        "templates": templates,
        "cases": cases,
    }
    info = zipfile.ZipInfo("chat_templates.json", (2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(OUT, "w") as z:
        z.writestr(info, (json.dumps(fixture, ensure_ascii=False, indent=1) + "\n").encode("utf-8"), compresslevel=9)
    errors = sum("error" in c for c in cases)
    print(f"{len(templates)} templates, {len(cases)} cases ({errors} errors) -> {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
