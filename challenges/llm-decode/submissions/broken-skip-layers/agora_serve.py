"""Example llm-decode submission server: OpenAI-compatible /v1/completions over token ids, batch 1, greedy.

One file, stdlib HTTP only. Engines:
  - transformers checkpoints (Gemma4ForCausalLM or any AutoModelForCausalLM) with transformers' StaticCache
    (--engine hf), or Gemma4Static (--engine static): the model's weights with an own static KV cache, the decode
    step captured as a CUDA graph (--cuda-graph), its layers compiled by Inductor first (--compile), with Triton
    kernels for the one-token products and attention (--kernels, decode_kernels.py), or its layers as Triton
    kernels only (--triton-layers);
  - the plain-PyTorch toy model (config model_type agora_toy_gemma4) used by the CPU tests.
Deliberately broken variants for the guardrail demonstrations: --skip-layers, --keep-vocab.

The protocol is described in the challenge's RULES.md ("Submission interface").
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def log(*a):
    print("[serve]", *a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- engines
class ToyEngine:
    def __init__(self, model_dir, args):
        import toy_gemma

        self.m = toy_gemma.load(model_dir)
        self.vocab = self.m.c["vocab_size"]
        self.decode_skip = set()
        if args.skip_layers:
            idx = set(parse_layers(args.skip_layers, self.m.n))
            if getattr(args, "decode_only", False):
                self.decode_skip = idx
            else:
                self.m.skip_layers = idx
        self.rows = load_keep(args.keep_vocab)

    def _logits(self, h):
        if self.rows is None:
            return self.m.head(h)
        return self.m.head(h, self.rows)

    def _pick(self, logits_row):
        i = int(logits_row.argmax(-1))
        return int(self.rows[i]) if self.rows is not None else i

    @torch.no_grad()
    def prefill(self, ids):
        self.cache = self.m.new_cache()
        h = self.m.backbone(torch.tensor(ids, dtype=torch.long), self.cache)
        logits = self._logits(h).float()
        lp = prompt_logprobs(logits, ids, self.rows)
        return lp, self._pick(logits[-1])

    @torch.no_grad()
    def step(self, tok):
        keep = self.m.skip_layers
        self.m.skip_layers = keep | self.decode_skip
        try:
            h = self.m.backbone(torch.tensor([tok], dtype=torch.long), self.cache)
        finally:
            self.m.skip_layers = keep
        return self._pick(self._logits(h)[-1])


def gemma4_rms_norm(x, weight, eps):
    """Gemma 4's RMSNorm as transformers computes it: float32 statistics, the weight multiplied as is, cast back."""
    xf = x.float()
    y = xf * torch.pow(xf.pow(2).mean(-1, keepdim=True) + eps, -0.5)
    if weight is not None:
        y = y * weight.float()
    return y.type_as(x)


def linear(x, weight, small=0, kernels=False):
    """x @ weight.T; for one token and a weight of at most `small` elements as a float32 multiply-and-sum, which
    Inductor turns into one fused reduction kernel (cuBLAS is latency-bound on such small matrices); for one token
    and kernels, decode_kernels' GEMV."""
    if x.shape[-2] == 1 and weight.numel() <= small:
        return (x.unsqueeze(-2).float() * weight.float()).sum(-1).to(x.dtype)
    if kernels and x.shape[-2] == 1:
        return torch.ops.agora_decode.gemv(x, weight)
    return torch.nn.functional.linear(x, weight)


def gemma4_layer(x, ple, cos, sin, mask, K, V, pos, w, shared, eps, rope, small=0, kernels=False):
    """One Gemma 4 decoder layer as a pure function of tensors (the math of transformers' modules, op for op), so
    that torch.compile traces it once per layer kind instead of once per layer. Writes this step's keys and values
    into K, V at pos unless the layer reads another layer's cache (shared). kernels: decode_kernels' Triton kernels
    for a one-token step's products and attention (then mask is unused: the kernel masks by pos and w["window"])."""
    B, T, _ = x.shape
    hd = w["qn"].shape[0]
    h = gemma4_rms_norm(x, w["ln_in"], eps)
    if "qkv" in w:
        nq, nk = w["nq"], w["nk"]
        qkv = linear(h, w["qkv"], small, kernels)
        q, k, v = qkv[..., :nq], qkv[..., nq:nq + nk], qkv[..., nq + nk:]
        if v.shape[-1] == 0:
            v = k
    else:
        q = linear(h, w["q"], small, kernels)
        k = v = None
        if not shared:
            k = linear(h, w["k"], small, kernels)
            v = linear(h, w["v"], small, kernels) if "v" in w else k
    q = rope(gemma4_rms_norm(q.view(B, T, -1, hd), w["qn"], eps), cos, sin, unsqueeze_dim=2).transpose(1, 2)
    if not shared:
        k = rope(gemma4_rms_norm(k.view(B, T, -1, hd), w["kn"], eps), cos, sin, unsqueeze_dim=2).transpose(1, 2)
        v = gemma4_rms_norm(v.view(B, T, -1, hd), None, eps).transpose(1, 2)
        K.index_copy_(2, pos, k)
        V.index_copy_(2, pos, v)
    # enable_gqa, not a KV group's query heads folded into query rows: the kernels split work by head, and two KV
    # heads left them two thread blocks (measured 14x slower on the H100)
    if kernels and T == 1:
        o = torch.ops.agora_decode.decode_attention(q, K, V, pos, w["scaling"], w["window"])
    else:
        o = torch.nn.functional.scaled_dot_product_attention(q, K, V, attn_mask=mask, scale=w["scaling"],
                                                             enable_gqa=True)
    o = linear(o.transpose(1, 2).reshape(B, T, -1), w["o"], small, kernels)
    x = x + gemma4_rms_norm(o, w["ln_post_attn"], eps)
    h = gemma4_rms_norm(x, w["ln_pre_ff"], eps)
    if "gate_up" in w:
        gate, up = linear(h, w["gate_up"], small, kernels).chunk(2, dim=-1)
    else:
        gate, up = linear(h, w["gate"], small, kernels), linear(h, w["up"], small, kernels)
    h = linear(torch.nn.functional.gelu(gate, approximate="tanh") * up, w["down"], small, kernels)
    x = x + gemma4_rms_norm(h, w["ln_post_ff"], eps)
    if ple is not None:
        h = torch.nn.functional.gelu(linear(x, w["ple_gate"], small), approximate="tanh") * ple
        x = x + gemma4_rms_norm(linear(h, w["ple_proj"], small), w["ln_ple"], eps)
    if "scalar" in w:
        x = x * w["scalar"]
    return x


class Gemma4Static:
    """A gpt-fast-style decode path over a transformers Gemma 4 text model: the model's own weights, with our own
    static KV cache indexed by a position tensor and explicit masks, so that a decode step has fixed shapes and no
    Python-side state (friendly to CUDA graphs). Layers run as gemma4_layer over the weights; with compile_layers
    the one-token step of each layer kind is compiled by Inductor (fused norms, rotary and activations)."""

    def __init__(self, hf, max_len, device, dtype, fuse=False):
        from transformers.models.gemma4 import modeling_gemma4 as mg

        self.rope = mg.apply_rotary_pos_emb
        self.m = hf.model
        cfg = hf.config
        if getattr(cfg, "hidden_activation", "gelu_pytorch_tanh") != "gelu_pytorch_tanh":
            raise ValueError(f"Gemma4Static assumes gelu_pytorch_tanh, the config has {cfg.hidden_activation}")
        self.eps = cfg.rms_norm_eps
        self.types = list(cfg.layer_types)
        self.window = cfg.sliding_window
        self.layers = list(self.m.layers)
        n = len(self.layers)
        shared = getattr(cfg, "num_kv_shared_layers", 0) or 0
        first_shared = n - shared
        prev = self.types[:first_shared]
        self.src = {t: len(prev) - 1 - prev[::-1].index(t) for t in set(prev)}
        self.shared = [i >= first_shared for i in range(n)]
        self.k, self.v = {}, {}
        for i, L in enumerate(self.layers):
            a = L.self_attn
            if not self.shared[i]:
                nkv = a.k_proj.out_features // a.head_dim
                self.k[i] = torch.zeros(1, nkv, max_len, a.head_dim, dtype=dtype, device=device)
                self.v[i] = torch.zeros(1, nkv, max_len, a.head_dim, dtype=dtype, device=device)
        self.w = [self._weights(i, L, fuse) for i, L in enumerate(self.layers)]
        # rotary tables for every position, computed once by the model's own rotary module
        with torch.inference_mode():
            probe = torch.zeros(1, 1, cfg.hidden_size, dtype=dtype, device=device)
            allpos = torch.arange(max_len, device=device)[None]
            self.rot = {t: self.m.rotary_emb(probe, allpos, t) for t in set(self.types)}
        self.kpos = torch.arange(max_len, device=device)
        self.skip = set()
        self.decode_skip = set()  # layers skipped only when decoding one token (path splitting demo)
        self.step_layer = gemma4_layer
        self.small = 0
        self.kernels = False  # decode_kernels for one-token steps (use_kernels)
        self.triton_layers = False  # one-token steps as decode_kernels.layer_step (use_triton_layers)

    def _weights(self, i, L, fuse):
        a = L.self_attn
        w = {"ln_in": L.input_layernorm.weight, "qn": a.q_norm.weight, "o": a.o_proj.weight,
             "ln_post_attn": L.post_attention_layernorm.weight, "ln_pre_ff": L.pre_feedforward_layernorm.weight,
             "down": L.mlp.down_proj.weight, "ln_post_ff": L.post_feedforward_layernorm.weight,
             "scaling": float(a.scaling), "window": self.window if self.types[i] == "sliding_attention" else 0}
        has_v = getattr(a, "v_proj", None) is not None
        if fuse and not self.shared[i]:
            parts = [a.q_proj.weight, a.k_proj.weight] + ([a.v_proj.weight] if has_v else [])
            w["qkv"] = torch.cat(parts).contiguous()
            w["nq"], w["nk"] = a.q_proj.out_features, a.k_proj.out_features
        else:
            w["q"] = a.q_proj.weight
        if not self.shared[i]:
            w["kn"] = a.k_norm.weight
            if "qkv" not in w:
                w["k"] = a.k_proj.weight
                if has_v:
                    w["v"] = a.v_proj.weight
        if fuse:
            w["gate_up"] = torch.cat([L.mlp.gate_proj.weight, L.mlp.up_proj.weight]).contiguous()
        else:
            w["gate"], w["up"] = L.mlp.gate_proj.weight, L.mlp.up_proj.weight
        if getattr(L, "per_layer_input_gate", None) is not None:
            w["ple_gate"], w["ple_proj"] = L.per_layer_input_gate.weight, L.per_layer_projection.weight
            w["ln_ple"] = L.post_per_layer_input_norm.weight
        if getattr(L, "layer_scalar", None) is not None:
            w["scalar"] = L.layer_scalar
        return w

    def use_kernels(self):
        import decode_kernels

        decode_kernels.register_ops()  # torch.ops.agora_decode.*, which gemma4_layer calls
        self.kernels = True

    def use_triton_layers(self):
        """One-token steps as decode_kernels.layer_step: Triton kernels only, nothing for Inductor to compile."""
        if any("qkv" not in w and not sh for w, sh in zip(self.w, self.shared)):
            raise ValueError("--triton-layers needs --fuse (one q/k/v matrix per layer)")
        self.triton_layers = True

    def _decode_layers(self):
        """The layers a one-token step runs (the broken examples skip some)."""
        return [i for i in range(len(self.layers)) if i not in self.skip | self.decode_skip]

    def _cache(self, i):
        """Layer i's keys and values: its own, or for a layer that shares them, the last earlier layer's of its kind."""
        j = self.src[self.types[i]] if self.shared[i] else i
        return self.k[j], self.v[j]

    def _triton_layer(self, x, h, ple, pos, active, j):
        """Layer active[j] as decode_kernels.layer_step; its last kernel also norms the next active layer's input."""
        import decode_kernels

        i = active[j]
        cos, sin = self.rot[self.types[i]]
        K, V = self._cache(i)
        nxt = self.w[active[j + 1]]["ln_in"] if j + 1 < len(active) else None
        return decode_kernels.layer_step(x, h, ple, cos[0], sin[0], pos, K, V, self.w[i], self.shared[i], self.eps,
                                         nxt)

    def precompile(self, threads):
        """Compile layer_step's kernels before the first step, one thread per distinct layer (kind, cache sharing,
        last or not), so that Triton's compilations overlap. Writes keys and values at position 0 only, which
        every prefill overwrites."""
        import decode_kernels
        from concurrent.futures import ThreadPoolExecutor

        pos = torch.zeros(1, dtype=torch.long, device=self.kpos.device)
        active = self._decode_layers()
        reps = {}
        for j, i in enumerate(active):
            reps.setdefault((self.types[i], self.shared[i], j + 1 == len(active)), (j, i))
        dtype = self.w[0]["ln_in"].dtype
        ple_probe = None
        if getattr(self.m, "hidden_size_per_layer_input", 0):
            ple_probe = torch.zeros(len(self.layers), self.m.hidden_size_per_layer_input, dtype=dtype,
                                    device=pos.device)

        def one(job):
            j, i = job
            with torch.inference_mode():
                x = torch.zeros(self.m.config.hidden_size, dtype=dtype, device=pos.device)
                decode_kernels.add_norm(None, x, None, self.eps, next_norm=self.w[i]["ln_in"])
                self._triton_layer(x, x, None if ple_probe is None else ple_probe[i], pos, active, j)

        with ThreadPoolExecutor(max(1, threads)) as ex:
            list(ex.map(one, reps.values()))
        if pos.is_cuda:
            torch.cuda.synchronize()

    def compile_layers(self, small=0):
        """Compile the one-token layer step (one graph per layer kind; prefill stays eager)."""
        self.step_layer = torch.compile(gemma4_layer, fullgraph=True, dynamic=False)
        self.small = small

    def forward(self, ids, pos):
        """ids [1, T], pos [T] -> final-normed hidden states [1, T, H]; writes the KV of these positions."""
        m = self.m
        x = m.embed_tokens(ids)
        ple = None
        if getattr(m, "hidden_size_per_layer_input", 0):
            ple = m.project_per_layer_inputs(x, m.get_per_layer_inputs(ids, x))
        if self.triton_layers and ids.shape[1] == 1:
            return self._forward_triton_layers(x, ple, pos)
        pe = {t: (c[:, pos], s[:, pos]) for t, (c, s) in self.rot.items()}
        one = ids.shape[1] == 1
        if self.kernels and one:  # decode_attention masks by position itself
            masks = {"full_attention": None, "sliding_attention": None}
        else:
            qp, kp = pos[:, None], self.kpos[None, :]
            causal = kp <= qp
            masks = {"full_attention": causal[None, None],
                     "sliding_attention": (causal & (qp - kp < self.window))[None, None]}
        skip = self.skip | self.decode_skip if one else self.skip
        fn = self.step_layer if one else gemma4_layer
        for i in range(len(self.layers)):
            if i in skip:
                continue
            t = self.types[i]
            x = fn(x, None if ple is None else ple[:, :, i, :], pe[t][0], pe[t][1], masks[t], *self._cache(i), pos,
                   self.w[i], self.shared[i], self.eps, self.rope, self.small, self.kernels and one)
        return m.norm(x)

    def _forward_triton_layers(self, x, ple, pos):
        """The one-token step's layers as decode_kernels.layer_step (_triton_layer)."""
        import decode_kernels

        active = self._decode_layers()
        x, h = decode_kernels.add_norm(None, x.reshape(-1), None, self.eps, next_norm=self.w[active[0]]["ln_in"])
        for j, i in enumerate(active):
            x, h = self._triton_layer(x, h, None if ple is None else ple[0, 0, i], pos, active, j)
        return self.m.norm(x.view(1, 1, -1))


class HFEngine:
    def __init__(self, model_dir, args):
        import transformers

        self.device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = getattr(torch, args.dtype)
        cfg = json.load(open(os.path.join(model_dir, "config.json")))
        cls = getattr(transformers, "Gemma4ForCausalLM", None) if cfg.get("model_type") == "gemma4_text" else None
        cls = cls or transformers.AutoModelForCausalLM
        t0 = time.time()
        self.model = cls.from_pretrained(model_dir, dtype=dtype, device_map=self.device)
        self.model.eval()
        log(f"loaded {cls.__name__} in {time.time() - t0:.1f}s")
        self.config = self.model.config
        self.cap = getattr(self.config, "final_logit_softcapping", None)
        self.max_len = args.max_len
        self.engine = args.engine
        if self.engine == "static":
            self.fast = Gemma4Static(self.model, self.max_len, self.device, dtype, fuse=args.fuse)
        else:
            from transformers import StaticCache

            self.cache = StaticCache(config=self.config, max_cache_len=self.max_len)
        self.lm_w = self.model.lm_head.weight
        self.rows = load_keep(args.keep_vocab)
        if self.rows is not None:
            self.rows = self.rows.to(self.device)
            self.lm_w = self.lm_w[self.rows].contiguous()  # the "optimisation": a smaller head
        if args.skip_layers:
            idx = parse_layers(args.skip_layers, len(self.model.model.layers))
            if self.engine == "static":
                if args.decode_only:
                    self.fast.decode_skip = set(idx)
                else:
                    self.fast.skip = set(idx)
            else:
                for i in idx:
                    self.model.model.layers[i].forward = _identity_layer
            log("skipping layers", idx)
        self.tok = torch.zeros((1, 1), dtype=torch.long, device=self.device)
        self.pos = torch.zeros((1,), dtype=torch.long, device=self.device)
        self.graph = None
        self.prefill_graphs = {}
        if args.kernels:
            if self.engine != "static":
                raise ValueError("--kernels needs --engine static")
            self.fast.use_kernels()
        if args.triton_layers:
            if self.engine != "static":
                raise ValueError("--triton-layers needs --engine static")
            self.fast.use_triton_layers()
            if args.pdl:
                import decode_kernels

                decode_kernels.use_pdl(True)
            t0 = time.time()
            self.fast.precompile(args.precompile_threads)
            log(f"layer kernels compiled in {time.time() - t0:.1f}s ({args.precompile_threads} threads)")
        if args.compile:
            if self.engine != "static":
                raise ValueError("--compile needs --engine static")
            import torch._inductor.config as inductor_config

            inductor_config.coordinate_descent_tuning = args.tune
            self.fast.compile_layers(args.small_gemv)
        if args.cuda_graph or args.compile or args.triton_layers:
            self._capture()
        if (args.compile or args.triton_layers) and self.rows is None:
            self._capture_prefill()

    @torch.inference_mode()
    def _capture(self):
        """Record one eager decode step as a CUDA graph (fixed shapes, no host syncs), replayed per token."""
        t0 = time.time()
        self.prefill([2] + list(range(3, 40)))
        self.graph, self.graph_out = capture_cuda_graph(lambda: self._step_eager(self.tok, self.pos), warmup=3)
        torch.cuda.synchronize()
        log(f"decode step captured as a CUDA graph in {time.time() - t0:.1f}s")

    @torch.inference_mode()
    def _capture_prefill(self):
        """One CUDA graph per prompt-length bucket (powers of two). A prompt is padded to its bucket: the padding's
        keys and values land beyond the prompt, where every decode step overwrites them before it can attend them."""
        t0 = time.time()
        pool = torch.cuda.graph_pool_handle()
        T = 16
        while T <= self.max_len:
            ids = torch.zeros((1, T), dtype=torch.long, device=self.device)
            n = torch.ones((1,), dtype=torch.long, device=self.device)
            g, out = capture_cuda_graph(lambda: self._prefill_core(ids, n), warmup=1, pool=pool)
            self.prefill_graphs[T] = (g, ids, n, out)
            T *= 2
        torch.cuda.synchronize()
        log(f"prefill captured as CUDA graphs for {sorted(self.prefill_graphs)} tokens in {time.time() - t0:.1f}s")

    def _prefill_core(self, ids, n):
        """ids [1, T] (padded), n [1] true length -> log-probabilities of ids[1:] [T-1], next token [1]."""
        h = self._backbone(ids, torch.arange(ids.shape[1], device=ids.device))[0]
        logits = self._head(h).float()
        return token_logprobs(logits, ids[0, 1:]), logits.index_select(0, n - 1).argmax(-1)

    def _head(self, h):
        logits = torch.nn.functional.linear(h, self.lm_w)
        if self.cap:
            logits = torch.tanh(logits / self.cap) * self.cap
        return logits

    def _backbone(self, ids, pos):
        if self.engine == "static":
            return self.fast.forward(ids, pos)
        out = self.model.model(input_ids=ids, position_ids=pos.unsqueeze(0), past_key_values=self.cache,
                               use_cache=True)
        return out.last_hidden_state

    def _step_eager(self, tok, pos):
        h = self._backbone(tok, pos)
        return self._head(h[:, -1]).argmax(-1)

    def _pick(self, idx):
        return int(self.rows[idx]) if self.rows is not None else int(idx)

    @torch.inference_mode()
    def prefill(self, ids):
        if len(ids) + 1 > self.max_len:
            raise ValueError(f"prompt of {len(ids)} tokens exceeds --max-len {self.max_len}")
        self.n = len(ids)
        bucket = next((T for T in sorted(self.prefill_graphs) if T >= len(ids)), None)
        if bucket is not None:
            g, buf, n, (got, nxt) = self.prefill_graphs[bucket]
            buf.zero_()
            buf[0, :len(ids)].copy_(torch.tensor(ids, dtype=torch.long))
            n.fill_(len(ids))
            g.replay()
            return [None] + got[:len(ids) - 1].tolist(), int(nxt.item())
        if self.engine != "static":
            self.cache.reset()
        t = torch.tensor([ids], dtype=torch.long, device=self.device)
        pos = torch.arange(len(ids), device=self.device)
        h = self._backbone(t, pos)[0]
        logits = self._head(h).float()
        lp = prompt_logprobs(logits, ids, self.rows)
        self.n = len(ids)
        return lp, self._pick(logits[-1].argmax(-1))

    @torch.inference_mode()
    def step(self, tok):
        if self.n + 1 > self.max_len:
            raise ValueError(f"sequence exceeds --max-len {self.max_len}")
        self.tok.fill_(tok)
        self.pos.fill_(self.n)
        if self.graph is not None:
            self.graph.replay()
            nxt = self.graph_out
        else:
            nxt = self._step_eager(self.tok, self.pos)
        self.n += 1
        return self._pick(nxt.item())


def capture_cuda_graph(fn, warmup, pool=None):
    """Run fn on a side stream first (allocations, lazy initialisation, compilation), then record it as a CUDA
    graph. Returns the graph and fn's output, whose tensors each replay overwrites."""
    st = torch.cuda.Stream()
    st.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(st):
        for _ in range(warmup):
            fn()
    torch.cuda.current_stream().wait_stream(st)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g, pool=pool):
        out = fn()
    return g, out


def _identity_layer(hidden_states, *args, **kwargs):
    return hidden_states


def parse_layers(spec, n):
    """'a:b' slice of layer indices (ints, negatives allowed, or fractions of the depth like 0.7:0.85), or a list."""
    out = []
    for part in spec.split(","):
        if ":" in part:
            a, b = part.split(":")
            conv = (lambda x: int(float(x) * n)) if ("." in a or "." in b) else int
            out.extend(range(n)[slice(conv(a), conv(b))])
        else:
            out.append(int(part) % n)
    return out


def load_keep(path):
    if not path:
        return None
    ids = sorted(set(int(x) for x in json.load(open(os.path.join(HERE, path) if not os.path.isabs(path) else path))))
    return torch.tensor(ids, dtype=torch.long)


def token_logprobs(logits, nxt):
    """logits [T, V'] float, nxt [T-1] column of each next token -> its log-probability at each position."""
    return logits[:-1].gather(1, nxt.unsqueeze(1)).squeeze(1) - torch.logsumexp(logits[:-1], dim=-1)


def prompt_logprobs(logits, ids, rows=None):
    """logits [T, V'] float -> per prompt position the log-probability of that prompt token (first: None)."""
    nxt = torch.tensor(ids[1:], dtype=torch.long, device=logits.device)
    if rows is not None:
        # map vocabulary ids into the kept rows; tokens outside the kept vocabulary get a floor value
        lut = torch.full((int(rows.max()) + 2 + int(nxt.max()),), -1, dtype=torch.long, device=logits.device)
        lut[rows.to(logits.device)] = torch.arange(rows.numel(), device=logits.device)
        j = lut[nxt]
        got = token_logprobs(logits, j.clamp(min=0))
        got = torch.where(j >= 0, got, torch.full_like(got, -100.0))
    else:
        got = token_logprobs(logits, nxt)
    return [None] + [float(x) for x in got.cpu()]


# ------------------------------------------------------------------------------------------------ HTTP
class Server:
    def __init__(self, engine, model_name):
        self.engine = engine
        self.lock = threading.Lock()
        self.model_name = model_name


def make_handler(srv: Server):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, fmt, *a):
            pass

        def _json(self, code, obj):
            b = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def do_GET(self):
            if self.path in ("/health", "/v1/health"):
                return self._json(200, {"status": "ok"})
            if self.path == "/v1/models":
                return self._json(200, {"object": "list", "data": [{"id": srv.model_name, "object": "model"}]})
            return self._json(404, {"error": "not found"})

        def do_POST(self):
            if self.path != "/v1/completions":
                return self._json(404, {"error": "not found"})
            try:
                req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                prompt = req["prompt"]
                if prompt and isinstance(prompt[0], list):
                    prompt = prompt[0]
                prompt = [int(x) for x in prompt]
                n = int(req.get("max_tokens", 16))
                if float(req.get("temperature", 0) or 0) != 0:
                    raise ValueError("only greedy decoding (temperature 0) is served")
            except Exception as e:  # noqa: BLE001
                return self._json(400, {"error": {"message": f"bad request: {e}"}})
            stream = bool(req.get("stream", False))
            want_plp = req.get("prompt_logprobs") is not None
            with srv.lock:
                try:
                    self._generate(prompt, n, stream, want_plp)
                except BrokenPipeError:
                    pass

        def _chunk(self, token_ids, plp=None, finish=None):
            ch = {"index": 0, "text": "", "token_ids": token_ids, "finish_reason": finish}
            if plp is not None:
                ch["prompt_logprobs"] = plp
                ch["prompt_token_ids"] = None
            return {"id": "cmpl-agora", "object": "text_completion", "model": srv.model_name, "choices": [ch]}

        def _generate(self, prompt, n, stream, want_plp):
            eng = srv.engine
            lp, tok = eng.prefill(prompt)
            plp = None
            if want_plp:
                plp = [None] + [{str(prompt[i]): {"logprob": lp[i], "rank": None, "decoded_token": ""}}
                                for i in range(1, len(prompt))]
            if stream:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()

                def send(obj):
                    self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
                    self.wfile.flush()

                send(self._chunk([tok], plp, "length" if n == 1 else None))
                for i in range(1, n):
                    tok = eng.step(tok)
                    send(self._chunk([tok], None, "length" if i == n - 1 else None))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            else:
                toks = [tok]
                for _ in range(1, n):
                    toks.append(eng.step(toks[-1]))
                out = self._chunk(toks, plp, "length")
                out["usage"] = {"prompt_tokens": len(prompt), "completion_tokens": n}
                self._json(200, out)

    return H


def parse_args(argv=None, **defaults):
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=int(os.environ.get("AGORA_PORT", "8000")))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--model", default=os.environ.get("AGORA_MODEL_DIR"))
    ap.add_argument("--device", default=None)
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--max-len", type=int, default=2048)
    ap.add_argument("--engine", choices=["hf", "static"], default="hf",
                    help="hf: transformers forward with its StaticCache; static: Gemma4Static (own static KV cache)")
    ap.add_argument("--cuda-graph", action="store_true", help="capture the eager decode step as a CUDA graph")
    ap.add_argument("--compile", action="store_true",
                    help="static engine: compile each layer kind's one-token step with Inductor, then capture the "
                         "whole decode step as a CUDA graph")
    ap.add_argument("--fuse", action="store_true", help="static engine: one q/k/v and one gate/up matrix per layer")
    ap.add_argument("--tune", action="store_true", help="with --compile: Inductor's coordinate-descent tuning")
    ap.add_argument("--small-gemv", type=int, default=0, metavar="N",
                    help="with --compile: one-token products with weights of at most N elements as fused reductions")
    ap.add_argument("--kernels", action="store_true",
                    help="static engine: Triton kernels (decode_kernels.py) for a one-token step's products and its "
                         "attention")
    ap.add_argument("--triton-layers", action="store_true",
                    help="static engine, with --fuse: the one-token step's layers as Triton kernels only "
                         "(decode_kernels.layer_step: no Inductor, whose compilation took about 20 s on a "
                         "cold cache), then the whole decode step and the prefill buckets captured as CUDA graphs")
    ap.add_argument("--precompile-threads", type=int, default=1,
                    help="with --triton-layers: threads compiling the layer kernels before the first step (more "
                         "than 1 overlaps Triton's compilations, but was slower on the H200: BENCHMARKS.md)")
    ap.add_argument("--pdl", action="store_true",
                    help="with --triton-layers: launch the layer kernels with programmatic dependent launch (Hopper), "
                         "so that each one starts, and reads its first weights, while the one before it finishes")
    ap.add_argument("--skip-layers", default=None, help="deliberately broken: layer indices to skip, e.g. 30-36")
    ap.add_argument("--keep-vocab", default=None, help="deliberately broken: JSON list of token ids to keep")
    ap.add_argument("--decode-only", action="store_true",
                    help="deliberately broken (path splitting): apply --skip-layers to decode steps only, so that "
                         "prompt log-probabilities come from the clean model")
    ap.set_defaults(**defaults)
    return ap.parse_args(argv)


def main(argv=None, **defaults):
    args = parse_args(argv, **defaults)
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    if cfg.get("model_type") == "agora_toy_gemma4":
        engine = ToyEngine(args.model, args)
    else:
        engine = HFEngine(args.model, args)
    srv = Server(engine, os.path.basename(os.path.normpath(args.model)))
    httpd = ThreadingHTTPServer((args.host, args.port), make_handler(srv))
    log(f"listening on {args.host}:{args.port}")
    httpd.serve_forever()


if __name__ == "__main__":
    main()
