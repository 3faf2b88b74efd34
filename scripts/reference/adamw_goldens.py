"""Golden AdamW trajectories for Sources/SPTuning/Optim (AdamW.swift, Schedule.swift).

torch.optim.AdamW (CPU, single-tensor path, defaults betas=(0.9, 0.999), eps=1e-8,
weight_decay=0.01) driven by transformers.get_linear_schedule_with_warmup(num_warmup_steps=0),
on a [4, 6] float32 parameter with fixed per-step gradients, 10 steps per case.

Re-run:  py=$(scripts/reference/setup_venv.sh) && $py scripts/reference/adamw_goldens.py
Pinned:  torch 2.13.0+cpu, transformers 5.23.0 (see setup_venv.sh).
Writes:  Tests/SPTuningTests/Fixtures/adamw.json
"""
import json
import pathlib

import torch
from transformers import get_linear_schedule_with_warmup

torch.manual_seed(20240601)
STEPS = 10


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def run(name, lr, total_steps, grad_scales, weight_decay=0.01):
    p0 = torch.randn(4, 6)
    grads = [torch.randn(4, 6) * s for s in grad_scales]
    p = torch.nn.Parameter(p0.clone())
    opt = torch.optim.AdamW([p], lr=lr, weight_decay=weight_decay)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=total_steps)
    steps = []
    for g in grads:
        used_lr = opt.param_groups[0]["lr"]
        p.grad = g.clone()
        opt.step()
        sched.step()
        opt.zero_grad()
        st = opt.state[p]
        steps.append({"lr": used_lr, "param": flat(p), "exp_avg": flat(st["exp_avg"]),
                      "exp_avg_sq": flat(st["exp_avg_sq"])})
    return {"name": name, "lr": lr, "total_steps": total_steps, "weight_decay": weight_decay,
            "shape": [4, 6], "param0": flat(p0), "grads": [flat(g) for g in grads], "steps": steps}


cases = [
    # caikit's default learning rate, schedule ending exactly at the 10th step
    run("lr0.3_horizon10", 0.3, STEPS, [1.0] * STEPS),
    # longer horizon (rate not yet at 0), gradients over four orders of magnitude
    run("lr0.01_horizon25_scales", 0.01, 25, [1, 1e-3, 10, 0.1, 1, 1e-4, 3, 1, 0.5, 2]),
    # no weight decay
    run("lr0.1_horizon10_nowd", 0.1, STEPS, [1.0] * STEPS, weight_decay=0.0),
]
path = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPTuningTests/Fixtures/adamw.json"
path.write_text(json.dumps({"torch": torch.__version__, "cases": cases}))
print(f"wrote {path} ({path.stat().st_size} bytes)")
