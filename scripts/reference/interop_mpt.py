"""PEFT interop for multitask prompt tuning (MULTITASK_PROMPT_TUNING), run by interop_check.py.

  softprompt → PEFT: `softprompt train` a source prompt over two named tasks (K 2, r 2);
      PeftModel.from_pretrained loads its adapter (the same three tensors), decoder.pt is task 0's
      P ∘ (U0·V0), and PEFT's greedy ids with task_ids=[k] equal `softprompt generate --task-id k`
      (and `--task NAME`).
  init methods: a target prompt from that source with ONLY_SOURCE_SHARED, AVERAGE_SOURCE_TASKS and
      EXACT_SOURCE_TASK (`--num-epochs 0` saves the initial prompt): P, U and V are what PEFT's
      MultitaskPromptEmbedding loads from the same source file (U, V random for ONLY_SOURCE_SHARED),
      and PeftModel.from_pretrained loads each.
  PEFT → softprompt: PEFT trains an MPT prompt over 3 tasks and saves it; `softprompt generate
      --model <adapter> --task-id k` gives PEFT's greedy ids for each task.
"""
import json

import torch
import yaml
from peft import MultitaskPromptTuningConfig, PeftModel, TaskType, get_peft_model
from safetensors.torch import load_file

NAMES = ["prefix_task_cols", "prefix_task_rows", "prompt_embeddings"]


def mpt_greedy(model, ids, task, new_tokens):
    x = torch.tensor([ids])
    with torch.no_grad():
        out = model.generate(input_ids=x, attention_mask=torch.ones_like(x), task_ids=torch.tensor([task]),
                             max_new_tokens=new_tokens, do_sample=False, output_scores=True, return_dict_in_generate=True)
    gap = min((s[0].topk(2).values[0] - s[0].topk(2).values[1]).item() for s in out.scores)
    return out.sequences[0, len(ids):].tolist(), gap


def softprompt_to_peft(h, binary, work, name):
    base_dir = h.tiny_model(name, work / f"{name}-mpt-base")
    data = work / f"{name}-mpt.jsonl"
    data.write_text("\n".join(json.dumps({"input": f"w{10 + i} w{11 + i}", "output": f"w{30 + i % 3}",
                                          "task": "even" if i % 2 == 0 else "odd"}) for i in range(8)) + "\n")
    src = work / f"{name}-mpt-src"
    h.run([binary, "train", "--base-model", str(base_dir), "--train-data", str(data), "--output", str(src),
           "--tuning-type", "MULTITASK_PROMPT_TUNING", "--num-tasks", "2", "--num-ranks", "2",
           "--num-virtual-tokens", str(h.VIRTUAL), "--init-method", "TEXT", "--init-text", "w5 w6 w7 w8",
           "--num-epochs", "3", "--batch-size", "3", "--accumulate-steps", "1", "--lr", "0.3",
           "--verbalizer", "{{input}}", "--silence-progress-bars"])
    cfg = yaml.safe_load((src / "config.yml").read_text())
    adapter = src / cfg["full_model_path"]
    sd = load_file(adapter / "adapter_model.safetensors")
    assert sorted(sd) == NAMES, sorted(sd)
    assert tuple(sd["prefix_task_cols"].shape) == (2, h.VIRTUAL, 2), sd["prefix_task_cols"].shape
    effective0 = sd["prompt_embeddings"] * (sd["prefix_task_cols"][0] @ sd["prefix_task_rows"][0])
    decoder = torch.load(src / cfg["DECODER"], weights_only=True)
    assert torch.allclose(decoder, effective0, rtol=1e-6, atol=1e-7), "decoder.pt is not task 0's P ∘ (U0·V0)"
    model = PeftModel.from_pretrained(h.load_base(base_dir), adapter)
    model.eval()
    enc = model.prompt_encoder["default"]
    assert torch.equal(enc.embedding.weight.detach(), sd["prompt_embeddings"])
    assert torch.equal(enc.prefix_task_cols.detach(), sd["prefix_task_cols"])
    for task, tname in enumerate(["even", "odd"]):
        for ids in h.INPUTS:
            want, gap = mpt_greedy(model, ids, task, h.NEW_TOKENS)
            h.same(f"{name} task {task} {ids}", h.ours(binary, ["--model", str(src), "--base-model", str(base_dir),
                                                                "--task-id", str(task)], ids), want, gap)
            h.same(f"{name} task {tname} {ids}", h.ours(binary, ["--model", str(src), "--base-model", str(base_dir),
                                                                 "--task", tname], ids), want, gap)
    return base_dir, src, adapter


def init_methods(h, binary, work, name, base_dir, src, adapter):
    source = load_file(adapter / "adapter_model.safetensors")
    target = work / f"{name}-mpt-target.jsonl"
    target.write_text("\n".join(json.dumps({"input": f"w{20 + i}", "output": f"w{40 + i % 2}"}) for i in range(4)) + "\n")
    for method, extra in [("ONLY_SOURCE_SHARED", []), ("AVERAGE_SOURCE_TASKS", []), ("EXACT_SOURCE_TASK", ["--init-task", "odd"])]:
        out = work / f"{name}-mpt-{method}"
        h.run([binary, "train", "--base-model", str(base_dir), "--train-data", str(target), "--output", str(out), "--tuning-type", "MULTITASK_PROMPT_TUNING", "--num-tasks", "1", "--num-ranks", "2",
               "--num-virtual-tokens", str(h.VIRTUAL), "--init-method", method, "--source-prompt-base", str(work),
               "--init-source-model", src.name, *extra, "--num-epochs", "0", "--silence-progress-bars"], )
        cfg = yaml.safe_load((out / "config.yml").read_text())
        ours_sd = load_file(out / cfg["full_model_path"] / "adapter_model.safetensors")
        peft_cfg = MultitaskPromptTuningConfig(
            task_type=TaskType.CAUSAL_LM, num_virtual_tokens=h.VIRTUAL, num_tasks=1, num_ranks=2,
            prompt_tuning_init=method, prompt_tuning_init_task=1 if method == "EXACT_SOURCE_TASK" else 0,
            prompt_tuning_init_state_dict_path=str(adapter / "adapter_model.safetensors"))
        enc = get_peft_model(h.load_base(base_dir), peft_cfg).prompt_encoder["default"]
        assert torch.equal(ours_sd["prompt_embeddings"], enc.embedding.weight.detach()), f"{method}: P"
        assert torch.equal(ours_sd["prompt_embeddings"], source["prompt_embeddings"]), f"{method}: P is not the source's"
        if method != "ONLY_SOURCE_SHARED":
            for k in ["prefix_task_cols", "prefix_task_rows"]:
                assert torch.allclose(ours_sd[k], getattr(enc, k).detach(), rtol=1e-6, atol=1e-8), f"{method}: {k}"
        loaded = PeftModel.from_pretrained(h.load_base(base_dir), out / cfg["full_model_path"])
        assert torch.equal(loaded.prompt_encoder["default"].prefix_task_rows.detach(), ours_sd["prefix_task_rows"])


def peft_to_softprompt(h, binary, work, name):
    base_dir = h.tiny_model(name, work / f"{name}-mpt-peft-base")
    torch.manual_seed(7)
    model = get_peft_model(h.load_base(base_dir), MultitaskPromptTuningConfig(
        task_type=TaskType.CAUSAL_LM, num_virtual_tokens=h.VIRTUAL, num_tasks=3, num_ranks=2, prompt_tuning_init="RANDOM"))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.3)
    model.train()
    rows = [[10 + i, 11 + i, 12 + i, 30 + i % 3] for i in range(9)]
    for step in range(6):
        batch = torch.tensor(rows[(3 * step) % 9:(3 * step) % 9 + 3])
        loss = model(input_ids=batch, attention_mask=torch.ones_like(batch), labels=batch, task_ids=torch.tensor([0, 1, 2])).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    adapter = work / f"{name}-mpt-peft-adapter"
    model.save_pretrained(adapter)
    reloaded = PeftModel.from_pretrained(h.load_base(base_dir), adapter)
    reloaded.eval()
    for task in range(3):
        for ids in h.INPUTS:
            want, gap = mpt_greedy(reloaded, ids, task, h.NEW_TOKENS)
            h.same(f"{name} task {task} {ids}", h.ours(binary, ["--model", str(adapter), "--base-model", str(base_dir),
                                                                "--task-id", str(task)], ids), want, gap)


def checks(h, binary, work, name):
    """(label, function) pairs for interop_check.check."""
    state = {}

    def forward():
        state["src"] = softprompt_to_peft(h, binary, work, name)

    def inits():
        if "src" not in state:
            raise RuntimeError("needs the source prompt of the softprompt → PEFT multitask check")
        init_methods(h, binary, work, name, *state["src"])

    return [(f"softprompt MPT train (K 2, r 2, named tasks) -> PeftModel.from_pretrained greedy ids per task ({name})", forward),
            (f"MPT init from a source prompt = PEFT's (ONLY_SOURCE_SHARED, AVERAGE_SOURCE_TASKS, EXACT_SOURCE_TASK) ({name})", inits),
            (f"PEFT-trained MPT adapter -> softprompt generate --task-id greedy ids ({name})",
             lambda: peft_to_softprompt(h, binary, work, name))]
