"""A toy-size decoder of the Gemma 4 text shape, in plain PyTorch (runs on torch 1.13 CPU, no transformers).

Same structural features as Gemma4ForCausalLM: scaled token embeddings, per-layer embeddings (PLE) with a
context projection, sliding-window and full attention layers (5:1), grouped-query attention with q/k/v
RMS norms and rotary embeddings, larger head dim on full layers, four norms per layer, GeGLU MLP, the
last layers sharing the KV of earlier layers, an untied (or tied) LM head and a final logit soft-cap.
It is not numerically identical to transformers' implementation and is used only where transformers
is absent (CPU CI). Weight names follow the transformers checkpoint layout.
"""
from __future__ import annotations

import json
import math
import os

import torch
import torch.nn.functional as F

MODEL_TYPE = "agora_toy_gemma4"


def _stl():
    try:
        from . import safetensors_lite as stl
    except ImportError:  # copied next to a submission's server as a top-level module
        import safetensors_lite as stl
    return stl


def rms_norm(x, weight=None, eps=1e-6):
    xf = x.float()
    y = xf * torch.pow(xf.pow(2).mean(-1, keepdim=True) + eps, -0.5)
    if weight is not None:
        y = y * weight.float()
    return y.type_as(x)


def rope(x, pos, theta, rotary_dim=None):
    # x: [T, H, D]; pos: [T]
    d = x.shape[-1]
    rd = rotary_dim or d
    inv = 1.0 / (theta ** (torch.arange(0, rd, 2, dtype=torch.float32) / rd))
    f = pos.float()[:, None] * inv[None, :]
    emb = torch.cat([f, f], dim=-1)
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]
    xr, xp = x[..., :rd].float(), x[..., rd:]
    x1, x2 = xr[..., : rd // 2], xr[..., rd // 2 :]
    rot = torch.cat([-x2, x1], dim=-1)
    out = (xr * cos + rot * sin).type_as(x)
    return torch.cat([out, xp], dim=-1) if rd < d else out


def default_layer_types(n):
    return ["sliding_attention" if (i + 1) % 6 else "full_attention" for i in range(n)]


class ToyGemma:
    """Functional model over a dict of weights; forward(ids, start_pos, cache) -> (hidden, logits)."""

    def __init__(self, config: dict, weights: dict, dtype=torch.float32):
        self.c = config
        self.w = {k: v.to(dtype) for k, v in weights.items()}
        self.dtype = dtype
        n = config["num_hidden_layers"]
        self.layer_types = config.get("layer_types") or default_layer_types(n)
        self.n = n
        shared = config.get("num_kv_shared_layers", 0)
        self.first_shared = n - shared
        prev = self.layer_types[: self.first_shared]
        # the last non-shared layer of each type provides KV to the shared layers of that type
        self.kv_source = {}
        for t in set(prev):
            self.kv_source[t] = len(prev) - 1 - prev[::-1].index(t)
        self.skip_layers = set()
        if "lm_head.weight" not in self.w:
            self.w["lm_head.weight"] = self.w["model.embed_tokens.weight"]

    # -- helpers --
    def _W(self, name):
        return self.w[name]

    def head_dim(self, i):
        if self.layer_types[i] == "full_attention":
            return self.c.get("global_head_dim") or self.c["head_dim"]
        return self.c["head_dim"]

    def new_cache(self):
        return {"k": {}, "v": {}, "len": 0}

    def backbone(self, ids: torch.Tensor, cache: dict) -> torch.Tensor:
        """ids: [T] long; appends to cache; returns final-normed hidden states [T, hidden]."""
        c = self.c
        T = ids.shape[0]
        start = cache["len"]
        pos = torch.arange(start, start + T)
        hid = c["hidden_size"]
        x = F.embedding(ids, self._W("model.embed_tokens.weight")) * torch.tensor(hid**0.5, dtype=self.dtype)
        ple_dim = c.get("hidden_size_per_layer_input") or 0
        if ple_dim:
            tok = F.embedding(ids, self._W("model.embed_tokens_per_layer.weight")) * (ple_dim**0.5)
            tok = tok.view(T, self.n, ple_dim)
            proj = (x @ self._W("model.per_layer_model_projection.weight").t()) * (hid**-0.5)
            proj = rms_norm(proj.view(T, self.n, ple_dim), self._W("model.per_layer_projection_norm.weight"))
            ple = (proj + tok) * (2.0**-0.5)
        nq = c["num_attention_heads"]
        nkv = c["num_key_value_heads"]
        window = c.get("sliding_window", 512)
        for i in range(self.n):
            if i in self.skip_layers:
                continue
            p = f"model.layers.{i}."
            lt = self.layer_types[i]
            hd = self.head_dim(i)
            res = x
            h = rms_norm(x, self._W(p + "input_layernorm.weight"))
            q = (h @ self._W(p + "self_attn.q_proj.weight").t()).view(T, nq, hd)
            q = rms_norm(q, self._W(p + "self_attn.q_norm.weight"))
            theta = 10000.0 if lt == "sliding_attention" else 1000000.0
            rdim = None if lt == "sliding_attention" else max(2, (hd // 4) // 2 * 2)
            q = rope(q, pos, theta, rdim)
            if i >= self.first_shared:
                src = self.kv_source[lt]
                K, V = cache["k"][src], cache["v"][src]
            else:
                k = (h @ self._W(p + "self_attn.k_proj.weight").t()).view(T, nkv, hd)
                v = (h @ self._W(p + "self_attn.v_proj.weight").t()).view(T, nkv, hd)
                k = rope(rms_norm(k, self._W(p + "self_attn.k_norm.weight")), pos, theta, rdim)
                v = rms_norm(v)
                if i in cache["k"]:
                    K = torch.cat([cache["k"][i], k], 0)
                    V = torch.cat([cache["v"][i], v], 0)
                else:
                    K, V = k, v
                cache["k"][i], cache["v"][i] = K, V
            L = K.shape[0]
            kpos = torch.arange(L)
            mask = kpos[None, :] <= pos[:, None]
            if lt == "sliding_attention":
                mask = mask & (pos[:, None] - kpos[None, :] < window)
            rep = nq // nkv
            Kr = K.repeat_interleave(rep, dim=1)  # [L, nq, hd]
            Vr = V.repeat_interleave(rep, dim=1)
            att = torch.einsum("thd,lhd->htl", q.float(), Kr.float())  # scaling 1.0 as in Gemma 4
            att = att.masked_fill(~mask[None], float("-inf")).softmax(-1)
            o = torch.einsum("htl,lhd->thd", att, Vr.float()).to(self.dtype).reshape(T, nq * hd)
            o = o @ self._W(p + "self_attn.o_proj.weight").t()
            x = res + rms_norm(o, self._W(p + "post_attention_layernorm.weight"))
            res = x
            h = rms_norm(x, self._W(p + "pre_feedforward_layernorm.weight"))
            g = F.gelu(h @ self._W(p + "mlp.gate_proj.weight").t(), approximate="tanh")
            u = h @ self._W(p + "mlp.up_proj.weight").t()
            m = (g * u) @ self._W(p + "mlp.down_proj.weight").t()
            x = res + rms_norm(m, self._W(p + "post_feedforward_layernorm.weight"))
            if ple_dim:
                res = x
                gi = F.gelu(x @ self._W(p + "per_layer_input_gate.weight").t(), approximate="tanh")
                gi = gi * ple[:, i, :]
                pr = gi @ self._W(p + "per_layer_projection.weight").t()
                x = res + rms_norm(pr, self._W(p + "post_per_layer_input_norm.weight"))
        cache["len"] = start + T
        return rms_norm(x, self._W("model.norm.weight"))

    def head(self, hidden: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        W = self._W("lm_head.weight")
        if rows is not None:
            W = W[rows]
        logits = hidden @ W.t()
        cap = self.c.get("final_logit_softcapping")
        if cap:
            logits = torch.tanh(logits / cap) * cap
        return logits

    def logits(self, ids: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits [T, V] for a whole sequence."""
        return self.head(self.backbone(ids, self.new_cache()))


def toy_config(**over) -> dict:
    c = {
        "model_type": MODEL_TYPE,
        "architectures": ["AgoraToyGemma4ForCausalLM"],
        "vocab_size": 512,
        "hidden_size": 64,
        "intermediate_size": 256,
        "num_hidden_layers": 12,
        "num_attention_heads": 4,
        "num_key_value_heads": 1,
        "head_dim": 16,
        "global_head_dim": 32,
        "sliding_window": 16,
        "hidden_size_per_layer_input": 8,
        "vocab_size_per_layer_input": 512,
        "num_kv_shared_layers": 4,
        "final_logit_softcapping": 30.0,
        "tie_word_embeddings": False,
        "rms_norm_eps": 1e-6,
        "initializer_range": 0.1,
        "torch_dtype": "float32",
    }
    c.update(over)
    c["layer_types"] = default_layer_types(c["num_hidden_layers"])
    return c


def init_weights(c: dict, seed: int, lm_head_row_spread: float = 0.5) -> dict:
    g = torch.Generator().manual_seed(seed)
    std = c["initializer_range"]
    hid, inter, n = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    nq, nkv = c["num_attention_heads"], c["num_key_value_heads"]
    ple = c.get("hidden_size_per_layer_input") or 0
    V = c["vocab_size"]
    lts = c["layer_types"]
    first_shared = n - c.get("num_kv_shared_layers", 0)

    def normal(*shape, s=std):
        return torch.randn(*shape, generator=g) * s

    w = {"model.embed_tokens.weight": normal(V, hid), "model.norm.weight": torch.ones(hid)}
    if ple:
        w["model.embed_tokens_per_layer.weight"] = normal(c["vocab_size_per_layer_input"], n * ple)
        w["model.per_layer_model_projection.weight"] = normal(n * ple, hid)
        w["model.per_layer_projection_norm.weight"] = torch.ones(ple)
    for i in range(n):
        p = f"model.layers.{i}."
        hd = (c.get("global_head_dim") or c["head_dim"]) if lts[i] == "full_attention" else c["head_dim"]
        w[p + "self_attn.q_proj.weight"] = normal(nq * hd, hid)
        w[p + "self_attn.q_norm.weight"] = torch.ones(hd)
        if i < first_shared:
            w[p + "self_attn.k_proj.weight"] = normal(nkv * hd, hid)
            w[p + "self_attn.v_proj.weight"] = normal(nkv * hd, hid)
            w[p + "self_attn.k_norm.weight"] = torch.ones(hd)
        w[p + "self_attn.o_proj.weight"] = normal(hid, nq * hd)
        w[p + "mlp.gate_proj.weight"] = normal(inter, hid)
        w[p + "mlp.up_proj.weight"] = normal(inter, hid)
        w[p + "mlp.down_proj.weight"] = normal(hid, inter)
        for nm in ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                   "post_feedforward_layernorm"):
            w[p + nm + ".weight"] = torch.ones(hid)
        if ple:
            w[p + "per_layer_input_gate.weight"] = normal(ple, hid)
            w[p + "per_layer_projection.weight"] = normal(hid, ple)
            w[p + "post_per_layer_input_norm.weight"] = torch.ones(hid)
    if not c.get("tie_word_embeddings", False):
        head = normal(V, hid)
        if lm_head_row_spread:
            head = head * row_scales(V, lm_head_row_spread, seed + 1)[:, None]
        w["lm_head.weight"] = head
    return w


def row_scales(V: int, spread: float, seed: int) -> torch.Tensor:
    """Log-normal per-row scale of the LM head, normalised to unit root-mean-square (see docs/decisions)."""
    g = torch.Generator().manual_seed(seed)
    s = torch.exp(spread * torch.randn(V, generator=g))
    return s / s.pow(2).mean().sqrt()


def load(model_dir: str, dtype=torch.float32) -> ToyGemma:
    stl = _stl()
    with open(os.path.join(model_dir, "config.json")) as f:
        c = json.load(f)
    w = {}
    for fn in sorted(os.listdir(model_dir)):
        if fn.endswith(".safetensors"):
            w.update(stl.load(os.path.join(model_dir, fn)))
    return ToyGemma(c, w, dtype)


def write_checkpoint(out_dir: str, seed: int = 0, lm_head_row_spread: float = 0.5, **over) -> dict:
    stl = _stl()
    os.makedirs(out_dir, exist_ok=True)
    c = toy_config(**over)
    c["agora_random_model"] = {"seed": seed, "lm_head_row_spread": lm_head_row_spread, "generator": "toy_gemma"}
    w = init_weights(c, seed, lm_head_row_spread)
    stl.save(w, os.path.join(out_dir, "model.safetensors"), {"format": "pt"})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(c, f, indent=1)
    return c
