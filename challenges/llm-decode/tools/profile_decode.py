"""Where a decode step's GPU time goes: decode speed of the static engine per KV-cache length, and the CUDA kernels of
one compiled step ranked by time. python3 tools/profile_decode.py MODEL_DIR [MAX_LEN,...] [FLAGS]"""
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the optimized example's modules over the baseline's (tools/assemble.py lays them out so in a bundle)
for example in ("baseline", "optimized-cuda-graph"):
    sys.path.insert(0, os.path.join(HERE, "submissions", example))
import agora_serve as S  # noqa: E402
import engines as E  # noqa: E402

model = sys.argv[1]
lens = [int(x) for x in (sys.argv[2] if len(sys.argv) > 2 else "2048,512").split(",")]
flags = set((sys.argv[3] if len(sys.argv) > 3 else "compile+fuse").split("+"))
prompt = [2] + [(i * 7919) % 200000 + 10 for i in range(199)]
for n, max_len in enumerate(lens):
    argv = ["--model", model, "--engine", "static", "--max-len", str(max_len), "--cuda-graph"]
    argv += [x for f in sorted(flags) for x in (["--small-gemv", f[6:]] if f.startswith("small=") else [f"--{f}"])]
    a = S.parse_args(argv)
    e = E.HFEngine(model, a)
    _, tok = e.prefill(prompt)
    for _ in range(8):
        tok = e.step(tok)
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(256):
        tok = e.step(tok)
    dt = (time.perf_counter() - t) / 256
    print(f"max_len {max_len} {sorted(flags)}: {1 / dt:.1f} tokens/s ({dt * 1e3:.2f} ms/token)", flush=True)
    if n == 0:
        from torch.profiler import ProfilerActivity, profile

        with torch.inference_mode():
            for _ in range(3):
                e._step_eager(e.tok, e.pos)
            torch.cuda.synchronize()
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                for _ in range(10):
                    e._step_eager(e.tok, e.pos)
                torch.cuda.synchronize()
        print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=30, max_name_column_width=90), flush=True)
        ev = [x for x in prof.key_averages() if x.device_type.name == "CUDA"]
        tot = sum(x.self_device_time_total for x in ev) / 10
        cnt = sum(x.count for x in ev) / 10
        print(f"per step: {cnt:.0f} kernels, {tot / 1e3:.2f} ms of kernel time", flush=True)
    del e
    torch.cuda.empty_cache()
