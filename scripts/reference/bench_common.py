# Shared by scripts/reference/bench_train_step.py and bench_generate.py: the GPT-2-small-shaped
# and T5-small-shaped random models, PEFT prompt tuning (causal or ENCODER seq2seq), thread setup, peak RSS and the JSON-line output.
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2.

import json
import os
import resource
import warnings

import torch
import transformers
import peft
from peft import PromptTuningConfig, get_peft_model
from transformers import AutoModelForCausalLM, GPT2Config, T5Config, T5ForConditionalGeneration


def add_shape_args(ap, virtual=20):
    """Model-shape options (defaults: GPT-2 small) shared by the benches."""
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--hidden", type=int, default=768)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--vocab", type=int, default=50257)
    ap.add_argument("--virtual", type=int, default=virtual, help="PEFT virtual tokens")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: all cores)")
    ap.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"],
                    help="transformers attention implementation (sdpa is transformers' default)")


def setup(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning)  # PEFT calls a deprecated transformers API
    warnings.filterwarnings("ignore", message="Position ids are not supported")  # PEFT, every step


def gpt2_random(args, positions):
    """A random GPT-2 (gelu_new, tied head, Conv1D) of the requested shape, float32, no dropout
    (SoftPrompt has none either; with dropout the step would also spend time on masks)."""
    cfg = GPT2Config(vocab_size=args.vocab, n_positions=max(1024, positions), n_embd=args.hidden,
                     n_layer=args.layers, n_head=args.heads, resid_pdrop=0.0, embd_pdrop=0.0,
                     attn_pdrop=0.0)
    return AutoModelForCausalLM.from_config(cfg, attn_implementation=args.attn, dtype=torch.float32)


def t5_random(args):
    """A random T5 v1.0 (ReLU FFN, tied head) of the requested shape (--ffn is d_ff), float32, no
    dropout; pad 0, eos 1, decoder start 0 as in T5's configs."""
    cfg = T5Config(vocab_size=args.vocab, d_model=args.hidden, d_kv=args.hidden // args.heads, d_ff=args.ffn,
                   num_layers=args.layers, num_decoder_layers=args.layers, num_heads=args.heads,
                   feed_forward_proj="relu", dropout_rate=0.0, tie_word_embeddings=True, pad_token_id=0,
                   eos_token_id=1, decoder_start_token_id=0)
    return T5ForConditionalGeneration(cfg).to(torch.float32)


def with_prompt(model, virtual, seed=0):
    """PEFT prompt tuning (RANDOM init): only the [virtual, C] prompt is trainable. An
    encoder-decoder model gets SEQ_2_SEQ_LM with one submodule (the ENCODER prompt caikit sets)."""
    torch.manual_seed(seed)
    token_dim = model.get_input_embeddings().weight.shape[1]
    seq2seq = model.config.is_encoder_decoder
    cfg = PromptTuningConfig(task_type="SEQ_2_SEQ_LM" if seq2seq else "CAUSAL_LM", num_virtual_tokens=virtual,
                             prompt_tuning_init="RANDOM", token_dim=token_dim,
                             **({"num_transformer_submodules": 1} if seq2seq else {}))
    return get_peft_model(model, cfg)


def peak_rss_bytes():
    """Peak resident set size of this process (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def loadavg():
    """The 1-minute load average: on a shared machine, figures taken above ~the core count are
    inflated (torch's OpenMP threads wait on each other whenever one is descheduled)."""
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def emit(fields, args):
    """Prints one JSON line with the common fields appended."""
    fields.update({"peak_rss_bytes": peak_rss_bytes(), "loadavg_1min": loadavg(), "torch": torch.__version__,
                   "transformers": transformers.__version__, "peft": peft.__version__,
                   "threads": torch.get_num_threads(), "attn_implementation": args.attn})
    print(json.dumps(fields), flush=True)
