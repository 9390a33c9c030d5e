"""Survey of random-model choices on the GPU: degenerate (few distinct tokens)? fragile (tiny top-1 margins)?

Loads a checkpoint written by make_checkpoint.py, then for each LM-head row spread (rows rescaled in place)
decodes a few seeded prompts greedily with the reference implementation and reports distinct tokens, the
top-1 margin distribution under teacher forcing, and whether two identical decodes agree.
"""
import argparse
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)
from harness import data, stats  # noqa: E402
from harness.reference import Reference  # noqa: E402


def row_scales(V, spread, seed, device):
    g = torch.Generator(device=device).manual_seed(seed + 1)
    s = torch.exp(spread * torch.randn(V, generator=g, device=device, dtype=torch.float32))
    return s / s.pow(2).mean().sqrt()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--spreads", default="0,0.5,1.0")
    ap.add_argument("--prompts", type=int, default=4)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    ref = Reference(a.model)
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    meta = cfg.get("agora_random_model", {})
    seed, base_spread = meta.get("seed", 1234), meta.get("lm_head_row_spread", 0.0)
    W = ref.m.lm_head.weight
    V = W.shape[0]
    with torch.no_grad():
        W.div_(row_scales(V, base_spread, seed, W.device).to(W.dtype)[:, None]) if base_spread else None
    base = W.detach().clone()
    prompts = data.make_prompts("survey", a.prompts, V, 32, 32)
    out = []
    for sp in [float(x) for x in a.spreads.split(",")]:
        with torch.no_grad():
            W.copy_(base * row_scales(V, sp, seed, W.device).to(W.dtype)[:, None] if sp else base)
        margins, distinct, agree, same = [], [], 0, 0
        t0 = time.time()
        n = 0
        for p in prompts:
            d1 = ref.greedy(p, a.tokens)
            d2 = ref.greedy(p, a.tokens)
            same += int(d1 == d2)
            L = ref.logits(p + d1)[len(p) - 1: len(p) - 1 + len(d1)]
            top = L.topk(2, dim=-1)
            margins += (top.values[:, 0] - top.values[:, 1]).tolist()
            agree += int((top.indices[:, 0].cpu() == torch.tensor(d1)).sum())
            n += len(d1)
            distinct.append(len(set(d1)))
        el = time.time() - t0
        r = {"spread": sp, "distinct_per_decode": distinct, "tokens_per_decode": a.tokens,
             "margin_median": stats.percentile(margins, 50), "margin_p10": stats.percentile(margins, 10),
             "margin_p1": stats.percentile(margins, 1), "teacher_forced_top1_agreement": agree / n,
             "repeat_decodes_identical": same / len(prompts), "eager_greedy_tokens_per_s": 2 * n / el}
        print(json.dumps(r), flush=True)
        out.append(r)
    json.dump(out, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
