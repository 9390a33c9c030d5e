"""Check the example engines against the transformers reference on a GPU: greedy decodes scored teacher-forced by
the reference (tokens not ranked first, and by how much), first divergence from the reference's own greedy decode,
decode speed, start-up time, and the measured bandwidth ceiling.

  python3 tools/check_static_engine.py MODEL_DIR [TOKENS] [MODE,MODE...]

A MODE is ENGINE:HOW with ENGINE hf|static and HOW graph, compile, or compile with +fuse, +tune, +kernels, +small=N,
or fuse+layers (--triton-layers: the layers as Triton kernels only), +pt=N its precompile threads, +pdl
(programmatic dependent launch of those kernels).
With GEMV_CONFIGS=FILE (tools/bench_kernels.py's output) the kernels use that table of tile shapes."""
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the optimized example's modules over the baseline's (tools/assemble.py lays them out so in a bundle)
for example in ("baseline", "optimized-cuda-graph"):
    sys.path.insert(0, os.path.join(HERE, "submissions", example))
sys.path.insert(0, HERE)
import agora_serve as S  # noqa: E402
import engines as E  # noqa: E402
from harness import data, system  # noqa: E402
from harness.reference import Reference  # noqa: E402

if os.environ.get("GEMV_CONFIGS"):
    import decode_kernels

    with open(os.environ["GEMV_CONFIGS"]) as f:
        decode_kernels.GEMV_CONFIGS.update({tuple(map(int, k.split(","))): tuple(v) for k, v in json.load(f).items()})
model = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 128
MODES = sys.argv[3].split(",") if len(sys.argv) > 3 else ["static:graph", "static:compile", "static:compile+fuse"]
wb = system.weight_bytes(model)
bw = system.measure_bandwidth()
ceiling = bw["gbps"] * 1e9 / wb["bytes_per_token"] if bw else None
print(json.dumps({"weight_bytes": wb, "bandwidth": bw, "ceiling_tokens_per_s": ceiling}), flush=True)
ref = Reference(model)
prompts = data.make_prompts("check", 3, ref.vocab, 40, 200)
greedy = [ref.greedy(p, N) for p in prompts]
for mode in MODES:
    eng, how = mode.split(":")
    flags = {"graph": ["--cuda-graph"], "compile": ["--compile"], "fuse": ["--fuse"], "tune": ["--tune"],
             "kernels": ["--kernels"], "layers": ["--triton-layers"], "pdl": ["--pdl"]}
    argv = ["--model", model, "--engine", eng, "--max-len", "1024"]
    for f in how.split("+"):
        if f.startswith("small="):
            argv += ["--small-gemv", f[6:]]
        elif f.startswith("pt="):
            argv += ["--precompile-threads", f[3:]]
        else:
            argv += flags[f]
    a = S.parse_args(argv)
    t0 = time.time()
    e = E.HFEngine(model, a)
    startup = time.time() - t0
    rates, bad, fds, ttft = [], [], [], []
    for p, g in zip(prompts, greedy):
        torch.cuda.synchronize()
        t1 = time.perf_counter()
        lp, tok = e.prefill(p)
        ttft.append(time.perf_counter() - t1)
        out = [tok]
        torch.cuda.synchronize()
        t1 = time.perf_counter()
        for _ in range(N - 1):
            out.append(e.step(out[-1]))
        rates.append((N - 1) / (time.perf_counter() - t1))
        sc = ref.score(p, out)
        bad += [round(x["ref_logit_top1"] - x["ref_logit_emitted"], 3) for x in sc["tokens"] if x["emitted"] != x["ref_top1"]]
        fds.append(next((i for i in range(N) if g[i] != out[i]), None))
    tps = sum(rates) / len(rates)
    print(json.dumps({"mode": mode, "startup_s": round(startup, 1), "decode_tokens_per_s": round(tps, 1),
                      "prefill_ms": [round(x * 1e3, 1) for x in ttft],
                      "share_of_ceiling": round(tps / ceiling, 3) if ceiling else None,
                      "non_top1": len(bad), "of": N * len(prompts), "worst_margin": max(bad, default=0.0),
                      "first_divergence_vs_reference_greedy": fds}), flush=True)
    del e
    torch.cuda.empty_cache()
