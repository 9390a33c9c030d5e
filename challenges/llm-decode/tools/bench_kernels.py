"""Check and time decode_kernels (the optimized example's Triton kernels) on a GPU, against PyTorch.

  python3 tools/bench_kernels.py MODEL_DIR [OUT_JSON]      (SWEEP=0: time only each shape's configured tiles)

For every one-token product shape of the checkpoint (fused q/k/v and gate/up, as --fuse builds them):
  - correctness of gemv against float32 PyTorch on the model's own weights, random activations;
  - the time per product of cuBLAS (torch.nn.functional.linear) and of each tile configuration of gemv, each timed
    as CUDA-graph replays over enough copies of the weights that they cannot stay in the 50 MB L2 cache;
  - the best configuration, written to OUT_JSON as {"N,K": [BLOCK_N, BLOCK_K, num_warps]} (GEMV_CONFIGS's source).
Then decode_attention against scaled_dot_product_attention with an explicit mask, for both layer kinds; the gemv
with a gated-activation vector; and layer_step, a whole one-token layer, against gemma4_layer's eager math for every
kind of layer (the keys and values it writes included).
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the optimized example's modules over the baseline's (tools/assemble.py lays them out so in a bundle)
for example in ("baseline", "optimized-cuda-graph"):
    sys.path.insert(0, os.path.join(HERE, "submissions", example))
sys.path.insert(0, HERE)
import agora_serve as S  # noqa: E402
import engines as E  # noqa: E402
import static_engine  # noqa: E402
import decode_kernels as DK  # noqa: E402
from harness import system  # noqa: E402

model = sys.argv[1]
out_json = sys.argv[2] if len(sys.argv) > 2 else None
torch.manual_seed(0)
bw = system.measure_bandwidth()
gbps = bw["gbps"] if bw else None
eng = E.HFEngine(model, S.parse_args(["--model", model, "--engine", "static", "--fuse", "--max-len", "1024"]))
fast = eng.fast
shapes = {}
for w in fast.w:
    for key in ("qkv", "q", "o", "gate_up", "down"):
        if key in w:
            shapes.setdefault(tuple(w[key].shape), w[key])


def rel(a, b):
    return float((a.detach().float() - b.float()).norm() / b.float().norm())


def graph_time_us(fn, copies, replays=20):
    """Mean time of one call, over CUDA-graph replays of `copies` calls (each on its own weights)."""
    g, _ = E.capture_cuda_graph(lambda: [fn(i) for i in range(copies)], warmup=1)
    g.replay()
    torch.cuda.synchronize()
    t0, t1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    t0.record()
    for _ in range(replays):
        g.replay()
    t1.record()
    torch.cuda.synchronize()
    return t0.elapsed_time(t1) * 1e3 / (replays * copies)


CANDIDATES = [(bn, bk, nw) for bn in (1, 2, 4, 8) for bk in (256, 512, 1024, 2048) for nw in (2, 4, 8)
              if 512 <= bn * bk <= 16384 and bn * bk >= nw * 256]
best_all, rows = {}, []
for (n, k), w in sorted(shapes.items()):
    x = torch.randn(k, dtype=torch.bfloat16, device="cuda")
    err = rel(DK.launch_gemv(x, w), x.float() @ w.float().T)
    nbytes = w.numel() * w.element_size()
    copies = max(2, -(-400_000_000 // nbytes))
    ws = [w.clone() for _ in range(copies)]
    xs = x[None]
    t_cublas = graph_time_us(lambda i: torch.nn.functional.linear(xs, ws[i]), copies)
    times = {}
    for cfg in (CANDIDATES if os.environ.get("SWEEP", "1") != "0" else [DK.gemv_config(n, k)]):
        if cfg[1] > max(256, 1 << (k - 1).bit_length()):  # a tile wider than the row only masks
            continue
        times[cfg] = graph_time_us(lambda i, c=cfg: DK.launch_gemv(x, ws[i], c), copies)
    best = min(times, key=times.get)
    best_all[f"{n},{k}"] = list(best)
    tb = lambda us: round(nbytes / (us * 1e-6) / 1e9)  # noqa: E731
    rows.append({"N": n, "K": k, "MB": round(nbytes / 1e6, 1), "err": f"{err:.1e}", "cublas_us": round(t_cublas, 2), "cublas_GBps": tb(t_cublas),
                 "default_cfg": list(DK.gemv_config(n, k)), "default_us": round(times.get(DK.gemv_config(n, k), -1), 2),
                 "best_cfg": list(best), "best_us": round(times[best], 2), "best_GBps": tb(times[best])})
    del ws
    torch.cuda.empty_cache()
print(json.dumps({"bandwidth_GBps": gbps}))
for r in rows:
    print(json.dumps(r))
if out_json:
    with open(out_json, "w") as f:
        json.dump(best_all, f, indent=1)

# attention: both layer kinds at several positions
for i in sorted({fast.types.index("sliding_attention"), fast.types.index("full_attention")}):
    w = fast.w[i]
    hd, hq = w["qn"].shape[0], fast.layers[i].self_attn.q_proj.out_features // w["qn"].shape[0]
    K = torch.randn_like(fast.k[i])
    V = torch.randn_like(fast.v[i])
    L = K.shape[2]
    for p in (0, 7, 300, 511, 512, 700, L - 1):
        q = torch.randn(1, hq, 1, hd, dtype=K.dtype, device="cuda")
        pos = torch.tensor([p], device="cuda")
        kp = torch.arange(L, device="cuda")
        ok = kp <= p
        if w["window"]:
            ok &= p - kp < w["window"]
        ref = torch.nn.functional.scaled_dot_product_attention(q.float(), K.float(), V.float(), attn_mask=ok,
                                                               scale=w["scaling"], enable_gqa=True)
        got = DK.launch_decode_attention(q, K, V, pos, w["scaling"], w["window"])
        err = rel(got, ref)
        Ks, Vs = [K.clone() for _ in range(8)], [V.clone() for _ in range(8)]
        mask = ok[None, None, None]
        t_sdpa = graph_time_us(lambda j: torch.nn.functional.scaled_dot_product_attention(
            q, Ks[j], Vs[j], attn_mask=mask, scale=w["scaling"], enable_gqa=True), 8)
        t_k = graph_time_us(lambda j: DK.launch_decode_attention(q, Ks[j], Vs[j], pos, w["scaling"], w["window"]), 8)
        print(json.dumps({"attention": fast.types[i], "head_dim": hd, "pos": p, "err": f"{err:.1e}",
                          "sdpa_us": round(t_sdpa, 2), "kernel_us": round(t_k, 2)}))
        assert err < 2e-2, err
# gemv with the gelu(x) * y vector (Gemma's gated activations) on the down projection's shape
w = next(w["down"] for w in fast.w)
x, y = torch.randn(2, w.shape[1], dtype=torch.bfloat16, device="cuda")
ref = (torch.nn.functional.gelu(x, approximate="tanh") * y).float() @ w.float().T
err = rel(DK.launch_gemv(x, w, gelu_mul=y), ref)
print(json.dumps({"gemv_gelu_mul": list(w.shape), "err": f"{err:.1e}"}))
assert err < 2e-2, err

# layer_step (the whole one-token layer as Triton kernels) against gemma4_layer's eager math, for every kind of
# layer (attention kind, cache shared or not), at positions inside and past the sliding window
kinds = {}
for i, t in enumerate(fast.types):
    kinds.setdefault((t, fast.shared[i]), i)
H = fast.m.config.hidden_size
for (t, shared), i in sorted(kinds.items()):
    w = fast.w[i]
    kv = fast.src[t] if shared else i
    cos, sin = fast.rot[t]
    L = fast.k[kv].shape[2]
    for p in (3, 700):
        K0, V0 = torch.randn_like(fast.k[kv]), torch.randn_like(fast.v[kv])
        x = torch.randn(1, 1, H, dtype=torch.bfloat16, device="cuda")
        ple = torch.randn(fast.m.hidden_size_per_layer_input, dtype=torch.bfloat16, device="cuda")
        pos = torch.tensor([p], device="cuda")
        kp = torch.arange(L, device="cuda")
        ok = kp <= p
        if w["window"]:
            ok &= p - kp < w["window"]
        K1, V1, K2, V2 = K0.clone(), V0.clone(), K0.clone(), V0.clone()
        with torch.inference_mode():
            ref = static_engine.gemma4_layer(x, ple[None, None], cos[:, [p]], sin[:, [p]], ok[None, None, None], K1, V1, pos, w,
                                 shared, fast.eps, fast.rope)
            _, h = DK.add_norm(None, x.view(-1), None, fast.eps, next_norm=w["ln_in"])
            got, _ = DK.layer_step(x.view(-1), h, ple, cos[0], sin[0], pos, K2, V2, w, shared, fast.eps, None)
        errs = {"x": rel(got, ref.view(-1))}
        if not shared:
            errs["k"], errs["v"] = rel(K2[:, :, p], K1[:, :, p]), rel(V2[:, :, p], V1[:, :, p])
            errs["cache_elsewhere_untouched"] = bool(torch.equal(K2[:, :, :p], K0[:, :, :p]))
        print(json.dumps({"layer_step": t, "shared_kv": shared, "layer": i, "pos": p,
                          **{k: (f"{v:.1e}" if isinstance(v, float) else v) for k, v in errs.items()}}))
        assert all(v < 2e-2 for v in errs.values() if isinstance(v, float)), errs
        assert errs.get("cache_elsewhere_untouched", True), errs
for r in rows:
    assert float(r["err"]) < 2e-2, r
print("kernels agree with PyTorch")
