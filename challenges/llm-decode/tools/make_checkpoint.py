"""Write a seeded random checkpoint of the gemma-4-E4B text architecture (Hugging Face format).

  python3 tools/make_checkpoint.py --size full --out model        # GPU machine, transformers 5.x (~15 GB)
  python3 tools/make_checkpoint.py --size toy  --out /tmp/toy      # anywhere, plain PyTorch (toy_gemma)
  python3 tools/make_checkpoint.py --size small --out model-small  # transformers, tiny Gemma4 for smoke tests

The random model is chosen to decode neither degenerately nor fragilely (docs/decisions/0043-llm-decode-*.md):
default initialisation (normal, std 0.02) everywhere, untied LM head (same bytes read per token as the
tied model) whose rows are scaled by a seeded log-normal factor exp(0.5 z), normalised to unit RMS.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)


def e4b_kwargs(size: str) -> dict:
    pattern = ["sliding_attention"] * 5 + ["full_attention"]
    if size == "full":
        return dict(vocab_size=262144, hidden_size=2560, intermediate_size=10240, num_hidden_layers=42,
                    num_attention_heads=8, num_key_value_heads=2, head_dim=256, global_head_dim=512,
                    sliding_window=512, layer_types=pattern * 7, hidden_size_per_layer_input=256,
                    vocab_size_per_layer_input=262144, num_kv_shared_layers=18, final_logit_softcapping=30.0,
                    max_position_embeddings=131072, hidden_activation="gelu_pytorch_tanh", rms_norm_eps=1e-6)
    return dict(vocab_size=4096, hidden_size=256, intermediate_size=1024, num_hidden_layers=12,
                num_attention_heads=4, num_key_value_heads=1, head_dim=64, global_head_dim=128, sliding_window=64,
                layer_types=pattern * 2, hidden_size_per_layer_input=32, vocab_size_per_layer_input=4096,
                num_kv_shared_layers=4, final_logit_softcapping=30.0, max_position_embeddings=4096,
                hidden_activation="gelu_pytorch_tanh", rms_norm_eps=1e-6)


def write_transformers(out, size, seed, spread, tied, dtype):
    import torch
    import transformers
    from transformers import Gemma4ForCausalLM, Gemma4TextConfig

    kw = e4b_kwargs(size)
    kw["tie_word_embeddings"] = tied
    try:
        cfg = Gemma4TextConfig(**kw)
    except TypeError as e:  # versions differ in which keyword names the full-attention head dim
        print("config:", e, "- retrying without global_head_dim", file=sys.stderr)
        kw.pop("global_head_dim")
        cfg = Gemma4TextConfig(**kw)
    torch.manual_seed(seed)
    t0 = time.time()
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_default_dtype(getattr(torch, dtype))
    with torch.device(dev):
        model = Gemma4ForCausalLM(cfg)
    torch.set_default_dtype(torch.float32)
    model.eval()
    if not tied and spread:
        g = torch.Generator(device=dev).manual_seed(seed + 1)
        V = model.lm_head.weight.shape[0]
        s = torch.exp(spread * torch.randn(V, generator=g, device=dev, dtype=torch.float32))
        s = s / s.pow(2).mean().sqrt()
        with torch.no_grad():
            model.lm_head.weight.mul_(s.to(model.lm_head.weight.dtype)[:, None])
    # Attention temperature: Gemma 4 uses q/k RMS norms and no 1/sqrt(d) scaling; with the norm weights at their
    # initial 1 the attention logits of random weights have a standard deviation of sqrt(head_dim) (16-23), the
    # softmax is nearly hard and bf16 rounding flips which key is attended (chaotic decodes). Set the q and k norm
    # weights to head_dim^-1/4 so that q.k has unit variance, as in a standard transformer.
    with torch.no_grad():
        for L in model.model.layers:
            a = L.self_attn
            for nm in ("q_norm", "k_norm"):
                mod = getattr(a, nm, None)
                if mod is not None and getattr(mod, "weight", None) is not None:
                    mod.weight.fill_(a.head_dim ** -0.25)
    n = sum(p.numel() for p in model.parameters())
    print(f"built {n / 1e9:.3f}B parameters in {time.time() - t0:.1f}s on {dev}", file=sys.stderr)
    model.config.agora_random_model = {"seed": seed, "lm_head_row_spread": spread, "tied": tied,
                                       "qk_norm_weight": "head_dim^-0.25",
                                       "generator": "challenges/llm-decode/tools/make_checkpoint.py",
                                       "transformers": transformers.__version__, "torch": torch.__version__}
    t0 = time.time()
    model.save_pretrained(out, safe_serialization=True, max_shard_size="50GB")
    print(f"saved to {out} in {time.time() - t0:.1f}s", file=sys.stderr)
    return model


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=["full", "small", "toy"], default="full")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--lm-head-row-spread", type=float, default=0.5)
    ap.add_argument("--tied", action="store_true", help="tie the LM head to the input embedding (degenerate "
                                                        "decodes with random weights; for the record only)")
    ap.add_argument("--dtype", default="bfloat16")
    a = ap.parse_args(argv)
    if a.size == "toy":
        from harness import toy_gemma

        c = toy_gemma.write_checkpoint(a.out, seed=a.seed, lm_head_row_spread=a.lm_head_row_spread,
                                       tie_word_embeddings=a.tied)
        print(json.dumps({k: c[k] for k in ("model_type", "hidden_size", "num_hidden_layers", "vocab_size")}))
        return 0
    write_transformers(a.out, a.size, a.seed, a.lm_head_row_spread, a.tied, a.dtype)
    readable_by_all(a.out)
    return 0


def readable_by_all(d):
    """A root runner's sandbox reads the checkpoint as an unprivileged user, and transformers 5.17 writes its
    safetensors shards 0600: every job then failed to start on the H200 (2026-12-02, decision 0130)."""
    for dirpath, _, files in os.walk(d):
        os.chmod(dirpath, 0o755)
        for f in files:
            os.chmod(os.path.join(dirpath, f), 0o644)


if __name__ == "__main__":
    sys.exit(main())
