"""The optimized example's Triton kernels (submissions/optimized-cuda-graph/decode_kernels.py) against PyTorch, on the CPU through
tests/triton_cpu.py: the GEMV (plain and with the gated activation), the flash-decoding attention, one whole layer
(layer_step) against static_engine.gemma4_layer's eager math, and a whole decode step of Gemma4Static with
--triton-layers against the same step in eager PyTorch. Speed and what only Triton's compiler sees are checked on a
GPU by tools/bench_kernels.py."""
import importlib
import os
import sys
import types
import unittest

import torch
import torch.nn.functional as F

from tests import triton_cpu

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPTIMIZED = os.path.join(ROOT, "submissions", "optimized-cuda-graph")  # static_engine.py, decode_kernels.py
BF16 = torch.bfloat16
EPS = 1e-6


def rel(a, b):
    return float((a.float() - b.float()).norm() / b.float().norm())


def rope(x, cos, sin, unsqueeze_dim=1):
    """transformers' apply_rotary_pos_emb (rotate_half convention)."""
    cos, sin = cos.unsqueeze(unsqueeze_dim), sin.unsqueeze(unsqueeze_dim)
    half = x.shape[-1] // 2
    return x * cos + torch.cat((-x[..., half:], x[..., :half]), dim=-1) * sin


def rotary_tables(length, dim, rotated):
    """cos, sin [1, length, dim] in bfloat16; only the first `rotated` frequencies turn (Gemma 4's full-attention
    layers leave some dimensions unrotated the same way: zero frequencies)."""
    inv = 1.0 / (10000 ** (torch.arange(0, dim, 2).float() / dim))
    inv[rotated:] = 0
    ang = torch.arange(length).float()[:, None] * inv[None, :]
    emb = torch.cat((ang, ang), dim=-1)[None]
    return emb.cos().to(BF16), emb.sin().to(BF16)


def sdpa(q, k, v, attn_mask=None, scale=None, enable_gqa=False):
    """scaled_dot_product_attention for Debian's PyTorch 1.13, which predates it (boolean mask: True attends)."""
    if enable_gqa:
        rep = q.shape[1] // k.shape[1]
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
    s = (q.float() @ k.float().transpose(-1, -2)) * scale
    s = s.masked_fill(~attn_mask, float("-inf"))
    return (s.softmax(-1) @ v.float()).to(q.dtype)


def layer_weights(g, hidden, heads, kv_heads, hd, inter, ple, window, shared, has_v, scalar):
    """A layer's weights as Gemma4Static._weights lays them out with --fuse."""
    def t(*shape, scale=0.2):
        return (torch.randn(*shape, generator=g) * scale).to(BF16)

    w = {"ln_in": 1 + t(hidden), "qn": 1 + t(hd), "o": t(hidden, heads * hd), "ln_post_attn": 1 + t(hidden),
         "ln_pre_ff": 1 + t(hidden), "down": t(hidden, inter), "ln_post_ff": 1 + t(hidden),
         "scaling": hd ** -0.5, "window": window, "gate_up": t(2 * inter, hidden, scale=0.5)}
    if shared:
        w["q"] = t(heads * hd, hidden)
    else:
        parts = [t(heads * hd, hidden), t(kv_heads * hd, hidden)] + ([t(kv_heads * hd, hidden)] if has_v else [])
        w["qkv"] = torch.cat(parts).contiguous()
        w["nq"], w["nk"] = heads * hd, kv_heads * hd
        w["kn"] = 1 + t(hd)
    if ple:
        w["ple_gate"], w["ple_proj"], w["ln_ple"] = t(ple, hidden), t(hidden, ple), 1 + t(hidden)
    if scalar:
        w["scalar"] = torch.tensor([0.7], dtype=BF16)
    return w


class DecodeKernels(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, OPTIMIZED)
        with triton_cpu.interpreted():
            sys.modules.pop("decode_kernels", None)
            cls.DK = importlib.import_module("decode_kernels")
        cls.S = importlib.import_module("static_engine")
        cls.added_sdpa = not hasattr(F, "scaled_dot_product_attention")
        if cls.added_sdpa:
            F.scaled_dot_product_attention = sdpa

    @classmethod
    def tearDownClass(cls):
        sys.modules.pop("decode_kernels", None)
        if cls.added_sdpa:
            del F.scaled_dot_product_attention

    def setUp(self):
        self.g = torch.Generator().manual_seed(7)

    def randn(self, *shape):
        return torch.randn(*shape, generator=self.g).to(BF16)

    def test_gemv_matches_a_float_product_on_ragged_tiles(self):
        for n, k, config in ((5, 37, (2, 16, 4)), (10, 300, None), (3, 64, (4, 64, 2))):
            x, w = self.randn(k), self.randn(n, k)
            got = self.DK.launch_gemv(x, w, config)
            self.assertEqual((got.shape, got.dtype), ((n,), BF16))
            self.assertLess(rel(got, x.float() @ w.float().T), 1e-2, (n, k, config))

    def test_gemv_with_the_gated_activation_rounds_like_eager(self):
        x, y, w = self.randn(300), self.randn(300), self.randn(12, 300)
        want = (F.gelu(x, approximate="tanh") * y).float() @ w.float().T
        got = self.DK.launch_gemv(x, w, (2, 128, 4), gelu_mul=y)
        self.assertLess(rel(got, want), 1e-2)
        self.assertGreater(rel(self.DK.launch_gemv(x, w, (2, 128, 4)), want), 0.1, "the activation is applied")

    def test_attention_attends_the_causal_prefix_or_the_window_only(self):
        heads, kv_heads, dim, length = 4, 2, 16, 100
        k, v = self.randn(1, kv_heads, length, dim), self.randn(1, kv_heads, length, dim)
        for window in (0, 40):
            for p in (0, 5, 31, 32, 70, length - 1):
                q = self.randn(1, heads, 1, dim)
                kp = torch.arange(length)
                ok = (kp <= p) & ((p - kp < window) if window else True)
                want = sdpa(q, k, v, attn_mask=ok[None, None, None], scale=0.3, enable_gqa=True)
                got = self.DK.launch_decode_attention(q, k, v, torch.tensor([p]), 0.3, window)
                self.assertEqual(got.shape, q.shape)
                self.assertLess(rel(got, want), 1e-2, (window, p))

    def run_layer(self, kind, shared, has_v, ple, scalar, p):
        hidden, heads, kv_heads, inter, length, window = 64, 4, 2, 96, 48, 8
        hd = 16 if kind == "sliding" else 32
        w = layer_weights(self.g, hidden, heads, kv_heads, hd, inter, ple, window if kind == "sliding" else 0,
                          shared, has_v, scalar)
        cos, sin = rotary_tables(length, hd, hd // 2 if kind == "sliding" else hd // 8)
        k0, v0 = self.randn(1, kv_heads, length, hd), self.randn(1, kv_heads, length, hd)
        x = self.randn(1, 1, hidden)
        ple_in = self.randn(ple) if ple else None
        pos = torch.tensor([p])
        kp = torch.arange(length)
        ok = (kp <= p) & ((p - kp < w["window"]) if w["window"] else True)
        k1, v1, k2, v2 = k0.clone(), v0.clone(), k0.clone(), v0.clone()
        want = self.S.gemma4_layer(x, None if ple_in is None else ple_in[None, None], cos[:, [p]], sin[:, [p]],
                                   ok[None, None, None], k1, v1, pos, w, shared, EPS, rope)
        _, h = self.DK.add_norm(None, x.view(-1), None, EPS, next_norm=w["ln_in"])
        nxt = 1 + self.randn(hidden)
        got, h_next = self.DK.layer_step(x.view(-1), h, ple_in, cos[0], sin[0], pos, k2, v2, w, shared, EPS, nxt)
        case = (kind, shared, has_v, ple, scalar, p)
        self.assertLess(rel(got, want.view(-1)), 2e-2, case)
        self.assertLess(rel(h_next, self.S.gemma4_rms_norm(got, nxt, EPS)), 5e-3, case)
        if shared:
            self.assertTrue(torch.equal(k2, k0) and torch.equal(v2, v0), "a shared layer writes no cache")
        else:
            self.assertLess(rel(k2[:, :, p], k1[:, :, p]), 2e-2, case)
            self.assertLess(rel(v2[:, :, p], v1[:, :, p]), 2e-2, case)
            others = torch.arange(length) != p
            self.assertTrue(torch.equal(k2[:, :, others], k0[:, :, others]), "only position p is written")
            self.assertTrue(torch.equal(v2[:, :, others], v0[:, :, others]), "only position p is written")
        return got, h_next, k2, v2

    def test_with_programmatic_dependent_launch_every_kernel_waits_before_it_touches_activations(self):
        """use_pdl(True): every kernel is launched with launch_pdl and the interpreter refuses a program that stores,
        or loads a buffer some kernel stored to, before its gdc_wait, or never waits; the layer's results are the
        same bits as without it (the GEMV's first weight tile is only loaded earlier)."""
        for kind, shared, has_v, ple, scalar in (("sliding", False, True, 16, True), ("full", True, True, 0, False)):
            results = []
            for on in (False, True):
                self.g.manual_seed(11)
                self.DK.use_pdl(on)
                try:
                    results.append(self.run_layer(kind, shared, has_v, ple, scalar, 5))
                finally:
                    self.DK.use_pdl(False)
            for off, on in zip(*results):
                self.assertTrue(torch.equal(off, on), kind)

    def test_the_interpreter_refuses_a_pdl_program_that_touches_activations_before_it_waits(self):
        with triton_cpu.interpreted():
            import triton
            import triton.language as tl

            @triton.jit
            def scale(src, dst, WAIT: tl.constexpr, READ_FIRST: tl.constexpr):
                i = tl.arange(0, 4)
                if READ_FIRST:
                    v = tl.load(src + i)
                if WAIT:
                    tl.extra.cuda.gdc_wait()
                v = tl.load(src + i)
                tl.store(dst + i, v * 2)

            weights, a, b = self.randn(4), torch.zeros(4, dtype=BF16), torch.zeros(4, dtype=BF16)
            scale[(1,)](weights, a, WAIT=True, READ_FIRST=True, launch_pdl=True)  # weights: no kernel wrote them
            self.assertTrue(torch.equal(a, weights * 2))
            with self.assertRaisesRegex(RuntimeError, "load before gdc_wait"):
                scale[(1,)](a, b, WAIT=True, READ_FIRST=True, launch_pdl=True)  # a: the kernel before wrote it
            with self.assertRaisesRegex(RuntimeError, "never called gdc_wait|store before gdc_wait"):
                scale[(1,)](weights, b, WAIT=False, READ_FIRST=False, launch_pdl=True)
            scale[(1,)](a, b, WAIT=False, READ_FIRST=True)  # without launch_pdl the stream orders the kernels
            self.assertTrue(torch.equal(b, a * 2))

    def test_layer_step_matches_the_eager_layer_for_every_kind_of_layer(self):
        for kind, shared, has_v, ple, scalar in (("sliding", False, True, 16, True), ("full", False, False, 16, True),
                                                 ("sliding", True, True, 16, False), ("full", True, True, 0, False)):
            for p in (0, 3, 20):
                self.run_layer(kind, shared, has_v, ple, scalar, p)

    def test_a_whole_decode_step_with_triton_layers_matches_the_eager_step(self):
        """Gemma4Static.forward for one token, --triton-layers against eager gemma4_layer: the chaining of each
        layer's next-input norm, shared caches, per-layer inputs and skipped layers (the broken examples'); and
        precompile, which runs each distinct layer once before the first step."""
        hidden, heads, kv_heads, inter, ple, length, window, vocab = 64, 4, 2, 96, 16, 48, 8, 50
        types_ = ["sliding_attention", "sliding_attention", "full_attention"] * 2
        shared = [False, False, False, False, True, True]
        fast = object.__new__(self.S.Gemma4Static)
        fast.types, fast.shared, fast.src = types_, shared, {"sliding_attention": 3, "full_attention": 2}
        fast.layers, fast.eps, fast.rope, fast.window = [None] * len(types_), EPS, rope, window
        fast.step_layer, fast.small, fast.kernels = self.S.gemma4_layer, 0, False
        fast.kpos = torch.arange(length)
        fast.w, fast.k, fast.v, fast.rot = [], {}, {}, {}
        for i, t in enumerate(types_):
            hd = 16 if t == "sliding_attention" else 32
            fast.w.append(layer_weights(self.g, hidden, heads, kv_heads, hd, inter, ple,
                                        window if t == "sliding_attention" else 0, shared[i], True, i % 2 == 0))
            if not shared[i]:
                fast.k[i], fast.v[i] = self.randn(1, kv_heads, length, hd), self.randn(1, kv_heads, length, hd)
            fast.rot.setdefault(t, rotary_tables(length, hd, hd // 4))
        embed, per_layer, final = self.randn(vocab, hidden), self.randn(vocab, len(types_), ple), 1 + self.randn(hidden)
        fast.m = types.SimpleNamespace(
            embed_tokens=lambda ids: embed[ids], hidden_size_per_layer_input=ple,
            config=types.SimpleNamespace(hidden_size=hidden),
            get_per_layer_inputs=lambda ids, x: per_layer[ids],
            project_per_layer_inputs=lambda x, p: p,
            norm=lambda x: self.S.gemma4_rms_norm(x, final, EPS))
        before = {i: (fast.k[i].clone(), fast.v[i].clone()) for i in fast.k}
        fast.skip, fast.decode_skip = set(), set()
        fast.precompile(1)  # runs every distinct layer once, writing position 0 only
        for i, (k, v) in before.items():
            self.assertTrue(torch.equal(fast.k[i][:, :, 1:], k[:, :, 1:]), i)
            self.assertTrue(torch.equal(fast.v[i][:, :, 1:], v[:, :, 1:]), i)
        ids, pos = torch.tensor([[11]]), torch.tensor([9])
        outputs = []
        for skip in (set(), {1, 4}):
            caches = {i: (fast.k[i].clone(), fast.v[i].clone()) for i in fast.k}
            fast.skip, fast.decode_skip = set(), skip
            fast.triton_layers = False
            want = fast.forward(ids, pos)
            want_k = {i: fast.k[i].clone() for i in fast.k}
            for i, (k, v) in caches.items():
                fast.k[i], fast.v[i] = k.clone(), v.clone()
            fast.triton_layers = True
            with torch.no_grad():
                got = fast.forward(ids, pos)
            self.assertEqual(got.shape, (1, 1, hidden))
            self.assertLess(rel(got, want), 3e-2, skip)
            for i in fast.k:
                self.assertLess(rel(fast.k[i][:, :, 9], want_k[i][:, :, 9]), 2e-2, (skip, i))
            for i, (k, v) in caches.items():
                fast.k[i], fast.v[i] = k, v
            outputs.append(got)
        self.assertGreater(rel(outputs[1], outputs[0]), 0.05, "skipped layers are skipped")


if __name__ == "__main__":
    unittest.main()
