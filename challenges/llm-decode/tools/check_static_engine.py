"""Check the Gemma4Static decode path against the transformers reference (greedy, teacher-forced margins),
eager and compiled. Usage: python3 tools/check_static_engine.py MODEL_DIR"""
import os
import sys
import time
import types

import torch

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(HERE, "submissions", "baseline"))
sys.path.insert(0, HERE)
import agora_serve as S  # noqa: E402
from harness.reference import Reference  # noqa: E402
from harness import data  # noqa: E402

model = sys.argv[1]
ref = Reference(model)
V = ref.vocab
prompts = data.make_prompts("check", 3, V, 40, 40)
N = int(sys.argv[2]) if len(sys.argv) > 2 else 48
MODES = sys.argv[3].split(",") if len(sys.argv) > 3 else ["static:sdpa:graph", "static:manual:graph",
                                                           "static:manual:default", "static:sdpa:default",
                                                           "static:manual:reduce-overhead"]
for mode in MODES:
    eng, attn, how = mode.split(":")
    a = types.SimpleNamespace(device=None, dtype="bfloat16", max_len=512, engine=eng, attn=attn,
                              keep_vocab=None, skip_layers=None, compile=how not in ("eager", "graph"),
                              cuda_graph=how == "graph", compile_mode=how, fullgraph=True)
    e = S.HFEngine(model, a)
    for p in prompts:
        t0 = time.time()
        lp, tok = e.prefill(p)
        out = [tok]
        for _ in range(N - 1):
            out.append(e.step(out[-1]))
        el = time.time() - t0
        sc = ref.score(p, out)
        bad = [(i, round(x["ref_logit_top1"] - x["ref_logit_emitted"], 3)) for i, x in enumerate(sc["tokens"])
               if x["emitted"] != x["ref_top1"]]
        g = ref.greedy(p, N)
        fd = next((i for i in range(N) if g[i] != out[i]), None)
        print(mode, f"{N / el:.1f} tok/s", "first divergence vs reference greedy:", fd, "non-top1:", bad[:10], flush=True)
    del e
    torch.cuda.empty_cache()
