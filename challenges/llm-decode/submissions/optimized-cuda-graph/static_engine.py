"""The optimized example's engine: Gemma4Static, a gpt-fast-style decode path over a transformers Gemma 4 text model
(the model's own weights, an own static KV cache indexed by a position tensor, fused q/k/v and gate/up), and
gemma4_layer, one decoder layer as a pure function of tensors. Its one-token step runs compiled by Inductor
(--compile), with decode_kernels' Triton GEMV and attention (--kernels), or as Triton kernels only (--triton-layers,
decode_kernels.layer_step); engines.HFEngine captures it as CUDA graphs (--engine static)."""
from __future__ import annotations

import torch


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
