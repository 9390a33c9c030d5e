"""Train a small model of the Gemma 4 text architecture on the repository's own text (docs/decisions/0130).

A random checkpoint has no language: its perplexity is about its vocabulary and any draft model's guesses are
chance, so neither the perplexity guardrail nor speculative decoding can be judged on it. This recipe trains a
small Gemma 4 (the same layer kinds as E4B: sliding and full attention 5:1, per-layer embeddings, shared KV in the
last layers, soft-capped head) on the text files the checkout ships, byte by byte, seeded and deterministic:

  python3 tools/train_model.py --preset target  --out /srv/agora/trained/target   # GPU, transformers 5.x
  python3 tools/train_model.py --preset draft-1 --out /srv/agora/trained/draft-1  # the speculative example's draft
  python3 tools/train_model.py --preset draft-4 --out /srv/agora/trained/draft-4  # the larger draft
  python3 tools/train_model.py --data-out /srv/agora/trained/data                 # the split for them

On one H200 the three presets (150 steps of 64 x 512 bytes each) took 37 s, 11 s and 25 s side by side
(BENCHMARKS.md, "H200, 2026-12-02"); tools/h200_trained.sh runs them and scores the examples on the target.

--arch toy trains harness/toy_gemma instead (plain PyTorch, CPU; the CI test of the recipe's determinism). The
checkpoint's config records the corpus (files, bytes, sha256), the seed, the steps and the held-out perplexity.
Training asks for deterministic algorithms; the CPU test checks that two runs give the same weights (on the GPU
each preset ran once, so there it is not yet shown).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from harness import data  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_checkpoint import readable_by_all  # noqa: E402

# Byte-level tokens: id = byte + 3 (0..2 are pad, eos, bos as in Gemma's vocabulary); the vocabulary is padded to
# 512 rows (the LM head's unused rows learn to lose).
BOS = 2
VOCAB = 512
TEXT_EXT = (".md", ".ts", ".py", ".sh", ".yaml")
SKIP_DIRS = {"node_modules", ".git", ".agora", "benchmarks", "data", "__pycache__", "dist", "tmp", ".whl", ".gl"}
HOLDOUT_EVERY = 16  # a file is held out (prompts, perplexity) when its path's hash is 0 modulo this

PRESETS = {
    # layers, hidden, intermediate, heads, head_dim (sliding; full layers double it), window, PLE, shared KV
    "target": dict(layers=12, hidden=512, inter=2048, heads=4, head_dim=128, window=128, ple=64, shared=4,
                   steps=150, batch=64, seq=512, lr=2e-3),
    "draft-1": dict(layers=1, hidden=512, inter=2048, heads=4, head_dim=128, window=128, ple=64, shared=0,
                    steps=150, batch=64, seq=512, lr=2e-3),
    "draft-4": dict(layers=4, hidden=512, inter=2048, heads=4, head_dim=128, window=128, ple=64, shared=0,
                    steps=150, batch=64, seq=512, lr=2e-3),
    # the CI test's: seconds on a CPU
    "tiny": dict(layers=2, hidden=32, inter=64, heads=2, head_dim=8, window=16, ple=4, shared=0,
                 steps=3, batch=2, seq=32, lr=1e-2),
}


def encode(text: bytes) -> list:
    return [b + data.RESERVED for b in text]


def corpus_files(root: str = ROOT) -> list:
    """The checkout's text files (relative paths, sorted): what the model learns from and is prompted with."""
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.startswith("."))
        out.extend(os.path.relpath(os.path.join(d, f), root) for f in sorted(files) if f.endswith(TEXT_EXT))
    return sorted(out)


def held_out(path: str) -> bool:
    return int(hashlib.sha256(path.encode()).hexdigest()[:8], 16) % HOLDOUT_EVERY == 0


def load_corpus(root: str = ROOT) -> dict:
    """{"train": bytes, "heldout": [bytes per file], "files", "bytes", "sha256"} over corpus_files(root)."""
    train, held, h = [], [], hashlib.sha256()
    files = corpus_files(root)
    for rel in files:
        with open(os.path.join(root, rel), "rb") as f:
            b = f.read()
        h.update(rel.encode() + b"\0" + b)
        (held if held_out(rel) else train).append(b)
    return {"train": b"\n".join(train), "heldout": held, "files": len(files),
            "bytes": sum(len(x) for x in train) + sum(len(x) for x in held), "sha256": h.hexdigest()}


def batches(train: bytes, seq: int, batch: int, seed: int):
    """Endless seeded batches of [BOS] + seq-1 bytes taken at random offsets of the training text."""
    rng = random.Random(seed)
    while True:
        rows = []
        for _ in range(batch):
            o = rng.randrange(0, max(1, len(train) - seq))
            rows.append([BOS] + encode(train[o:o + seq - 1]))
        yield rows


def gemma4_kwargs(p: dict) -> dict:
    n = p["layers"]
    types = ["sliding_attention" if (i + 1) % 6 else "full_attention" for i in range(n)]
    if n < 6:
        types[-1] = "full_attention"  # a draft keeps both kinds; its last layer sees the whole context
    return dict(vocab_size=VOCAB, hidden_size=p["hidden"], intermediate_size=p["inter"], num_hidden_layers=n,
                num_attention_heads=p["heads"], num_key_value_heads=1, head_dim=p["head_dim"],
                global_head_dim=2 * p["head_dim"], sliding_window=p["window"], layer_types=types,
                hidden_size_per_layer_input=p["ple"], vocab_size_per_layer_input=VOCAB,
                num_kv_shared_layers=p["shared"], final_logit_softcapping=30.0, max_position_embeddings=4096,
                hidden_activation="gelu_pytorch_tanh", rms_norm_eps=1e-6, tie_word_embeddings=False)


class ToyArch:
    """harness/toy_gemma as a trainable model (CPU): its weight dict as leaf tensors."""

    def __init__(self, p, seed):
        import torch
        from harness import toy_gemma

        kw = gemma4_kwargs(p)
        self.c = toy_gemma.toy_config(**{k: kw[k] for k in (
            "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
            "num_key_value_heads", "head_dim", "global_head_dim", "sliding_window", "hidden_size_per_layer_input",
            "vocab_size_per_layer_input", "num_kv_shared_layers")}, initializer_range=0.02)
        w = toy_gemma.init_weights(self.c, seed, lm_head_row_spread=0.0)
        self.m = toy_gemma.ToyGemma(self.c, {k: v.requires_grad_(True) for k, v in w.items()})
        self.params = list(self.m.w.values())
        self.torch = torch

    def logits(self, ids):  # [B, T] -> [B, T, V]
        return self.torch.stack([self.m.logits(row) for row in ids])

    def save(self, out, meta):
        from harness import safetensors_lite as stl

        os.makedirs(out, exist_ok=True)
        stl.save({k: v.detach().contiguous() for k, v in self.m.w.items()}, os.path.join(out, "model.safetensors"),
                 {"format": "pt"})
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(dict(self.c, agora_trained_model=meta), f, indent=1)


class HFArch:
    """transformers' Gemma4ForCausalLM (GPU): float32 master weights, bfloat16 autocast."""

    def __init__(self, p, seed, device):
        import torch
        from transformers import Gemma4ForCausalLM, Gemma4TextConfig

        torch.manual_seed(seed)
        cfg = Gemma4TextConfig(**gemma4_kwargs(p))
        cfg._attn_implementation = "sdpa"
        with torch.device(device):
            self.m = Gemma4ForCausalLM(cfg)
        self.m.train()
        self.params = [q for q in self.m.parameters() if q.requires_grad]
        self.torch, self.device = torch, device

    def logits(self, ids):
        with self.torch.autocast("cuda", dtype=self.torch.bfloat16, enabled=self.device == "cuda"):
            return self.m(input_ids=ids, use_cache=False).logits.float()

    def save(self, out, meta):
        import transformers

        self.m.eval()
        self.m.config.agora_trained_model = dict(meta, transformers=transformers.__version__,
                                                 torch=self.torch.__version__)
        self.m.to(self.torch.bfloat16).save_pretrained(out, safe_serialization=True)


def nll(arch, rows, torch):
    """Mean next-token negative log-likelihood (nats) of rows [B, T]."""
    ids = torch.tensor(rows, dtype=torch.long, device=getattr(arch, "device", "cpu"))
    lg = arch.logits(ids)
    return torch.nn.functional.cross_entropy(lg[:, :-1].reshape(-1, lg.shape[-1]), ids[:, 1:].reshape(-1))


def train(preset: str, out: str, arch: str = "transformers", seed: int = 0, steps: int | None = None,
          root: str = ROOT, log=print) -> dict:
    import torch

    p = dict(PRESETS[preset])
    if steps is not None:
        p["steps"] = steps
    device = "cuda" if arch == "transformers" and torch.cuda.is_available() else "cpu"
    if device == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.manual_seed(seed)
    corpus = load_corpus(root)
    m = ToyArch(p, seed) if arch == "toy" else HFArch(p, seed, device)
    opt = torch.optim.AdamW(m.params, lr=p["lr"], betas=(0.9, 0.95), weight_decay=0.1)
    warm = max(1, p["steps"] // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (
        1 + math.cos(math.pi * min(1.0, s / p["steps"]))))
    it = batches(corpus["train"], p["seq"], p["batch"], seed)
    t0, losses = time.time(), []
    for s in range(p["steps"]):
        loss = nll(m, next(it), torch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.params, 1.0)
        opt.step()
        sched.step()
        losses.append(float(loss))
        if s % max(1, p["steps"] // 10) == 0 or s == p["steps"] - 1:
            log(f"step {s}: loss {losses[-1]:.4f} ({time.time() - t0:.1f}s)")
    train_s = time.time() - t0
    ppl = heldout_perplexity(m, corpus["heldout"], p["seq"], torch)
    meta = {"recipe": "challenges/llm-decode/tools/train_model.py", "preset": preset, "arch": arch, "seed": seed,
            "hyper": p, "tokenizer": "bytes (id = byte + 3; 0 pad, 1 eos, 2 bos)",
            "corpus": {k: corpus[k] for k in ("files", "bytes", "sha256")}, "train_s": round(train_s, 1),
            "final_loss": round(sum(losses[-10:]) / len(losses[-10:]), 4), "heldout_perplexity": ppl,
            "heldout_bits_per_byte": round(math.log2(ppl), 4) if ppl else None, "device": device}
    m.save(out, meta)
    readable_by_all(out)
    log(json.dumps(meta))
    return meta


def heldout_perplexity(m, held: list, seq: int, torch, max_windows: int = 64) -> float | None:
    """Perplexity per byte over the held-out files' first windows (teacher-forced)."""
    rows = [[BOS] + encode(b[o:o + seq - 1]) for b in held for o in range(0, len(b) - seq, seq)][:max_windows]
    if not rows:
        return None
    was = getattr(m.m, "training", None)
    if was:
        m.m.eval()
    with torch.no_grad():
        tot = sum(float(nll(m, [r], torch)) for r in rows) / len(rows)
    if was:
        m.m.train()
    return round(math.exp(tot), 4)


def write_split(data_dir: str, split: str = "public", root: str = ROOT, prompts: int = 128, heldout: int = 16,
                min_len: int = 16, max_len: int = 256, seed: str | None = None) -> dict:
    """A split for the trained model: prompts and held-out texts cut from the held-out files (real text the model
    never trained on); held-out texts are 32 bytes of prompt and 64 of continuation, as for the random model."""
    seed = seed or data.split_seed(split) + "-trained"
    rng = random.Random(int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16))
    held = [b for b in load_corpus(root)["heldout"] if len(b) > max_len + 1]
    if not held:
        raise ValueError("no held-out file is long enough for a prompt")

    def cut(n):
        b = rng.choice(held)
        o = rng.randrange(0, len(b) - n)
        return [BOS] + encode(b[o:o + n - 1])

    ps = [cut(rng.randint(min_len, max_len)) for _ in range(prompts)]
    data.write(data_dir, split, "prompts", {"vocab_size": VOCAB, "seed": seed if split != "private" else "secret",
                                             "min_len": min_len, "max_len": max_len, "prompts": ps,
                                             "text": "bytes of held-out repository files (tools/train_model.py)"})
    texts = [{"ids": cut(97), "heldout_from": 33} for _ in range(heldout)]
    data.write(data_dir, split, "heldout", {"producer": "held-out repository text", "continuation": 64,
                                             "texts": texts})
    return {"prompts": len(ps), "heldout": len(texts)}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", choices=sorted(PRESETS))
    ap.add_argument("--out")
    ap.add_argument("--arch", choices=["transformers", "toy"], default="transformers")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--data-out", help="write the public split for the trained model into this folder")
    ap.add_argument("--root", default=ROOT, help="the checkout whose text files are the corpus (default: this one)")
    a = ap.parse_args(argv)
    if a.data_out:
        print(json.dumps(write_split(a.data_out, root=a.root)))
    if a.preset:
        if not a.out:
            ap.error("--preset needs --out")
        train(a.preset, a.out, a.arch, a.seed, a.steps, root=a.root, log=lambda s: print(s, file=sys.stderr, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
