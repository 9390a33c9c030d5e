"""Triton kernels for the one-token decode step of Gemma4Static (agora_serve.py --kernels).

At batch 1 every product is a matrix-vector product, bound by reading the weights once. Two kernels, which the
compiled path (agora_serve.py --compile --kernels) uses as torch custom ops (register_ops) so that Inductor compiles
around them:
  - gemv: y = W x, a few rows per program and wide 16-byte loads along K, float32 accumulation; tile shapes per
    (N, K) from a sweep on the H100 (tools/bench_kernels.py). Faster than cuBLAS on every E4B shape measured.
  - decode_attention: one query token against the static KV cache, all query heads of a KV head reading that head's
    keys and values in place (no expansion of the cache for grouped-query attention), only the positions the mask
    lets through (the causal prefix, or the sliding window), online softmax in float32.
And layer_step: a whole one-token decoder layer as Triton kernels only (agora_serve.py --triton-layers): the
norms, rotary embedding, cache write, gated activations and residual adds fused into a few kernels around those two,
so that nothing is left for Inductor to compile (its compilation took about 17 s of a cold start on the H100,
BENCHMARKS.md). Not measured on the H100 yet (docs/decisions/0073).
The CPU tests run these kernels through tests/triton_cpu.py, an interpreter of the part of Triton they use.
"""
from __future__ import annotations

import torch
import triton
import triton.language as tl


@triton.jit
def _gelu_tanh(x):
    """gelu(approximate="tanh") in float32, tanh(u) written as 1 - 2 / (exp(2u) + 1) (saturates cleanly)."""
    u = 0.7978845608028654 * (x + 0.044715 * x * x * x)
    return 0.5 * x * (2.0 - 2.0 / (tl.exp(2.0 * u) + 1.0))


@triton.jit
def _gated_vector(x_ptr, x2_ptr, cols, col_ok, GELU_MUL: tl.constexpr):
    # x[cols] in float32; with GELU_MUL gelu(x) * x2, rounded like eager bfloat16 (gelu's result, then the product),
    # so that Gemma's gelu(gate) * up and gelu(gate) * per-layer input need no kernel of their own
    xv = tl.load(x_ptr + cols, mask=col_ok, other=0.0).to(tl.float32)
    if GELU_MUL:
        dt = x_ptr.dtype.element_ty
        xv = _gelu_tanh(xv).to(dt).to(tl.float32) * tl.load(x2_ptr + cols, mask=col_ok, other=0.0).to(tl.float32)
        xv = xv.to(dt).to(tl.float32)
    return xv


@triton.jit
def _gemv_kernel(x_ptr, x2_ptr, w_ptr, y_ptr, N, K, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
                 GELU_MUL: tl.constexpr, PDL: tl.constexpr):
    rows = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
    row_ok = rows < N
    cols = tl.arange(0, BLOCK_K)
    col_ok = cols < K
    # the first tile of weights comes before the wait: no kernel writes weights, so with PDL it is read while the
    # kernel before this one (which writes the vector) still runs
    w = tl.load(w_ptr + rows[:, None] * K + cols[None, :], mask=row_ok[:, None] & col_ok[None, :], other=0.0)
    if PDL:
        tl.extra.cuda.gdc_wait()
        tl.extra.cuda.gdc_launch_dependents()
    acc = w.to(tl.float32) * _gated_vector(x_ptr, x2_ptr, cols, col_ok, GELU_MUL)[None, :]
    for k0 in range(BLOCK_K, K, BLOCK_K):
        cols = k0 + tl.arange(0, BLOCK_K)
        col_ok = cols < K
        w = tl.load(w_ptr + rows[:, None] * K + cols[None, :], mask=row_ok[:, None] & col_ok[None, :], other=0.0)
        acc += w.to(tl.float32) * _gated_vector(x_ptr, x2_ptr, cols, col_ok, GELU_MUL)[None, :]
    tl.store(y_ptr + rows, tl.sum(acc, axis=1).to(y_ptr.dtype.element_ty), mask=row_ok)


# (N, K) -> (BLOCK_N, BLOCK_K, num_warps): the fastest of tools/bench_kernels.py's sweep on the H100 for the gemma-4
# E4B shapes (BENCHMARKS.md); other shapes get gemv_config's rule, the sweep's usual winner
GEMV_CONFIGS: dict[tuple[int, int], tuple[int, int, int]] = {
    (4096, 2560): (2, 512, 2), (6144, 2560): (2, 512, 2), (20480, 2560): (2, 512, 2)}

# Programmatic dependent launch (Hopper and later; use_pdl): every kernel here is launched so that it may start while
# the kernel before it in the stream finishes. Each one waits (gdc_wait) for that kernel to complete before it reads
# anything a kernel writes or writes anything itself, and only then lets the next kernel start
# (gdc_launch_dependents); only weights are read before the wait. Off by default.
PDL = False


def use_pdl(on: bool) -> None:
    global PDL
    PDL = bool(on)


def gemv_config(n: int, k: int) -> tuple[int, int, int]:
    return GEMV_CONFIGS.get((n, k)) or (2, min(1024, triton.next_power_of_2(k)), 4)


def launch_gemv(x: torch.Tensor, w: torch.Tensor, config=None, gelu_mul=None) -> torch.Tensor:
    """x [K] contiguous, w [N, K] row-major -> y [N] = w @ x in x's dtype (float32 accumulation); with gelu_mul
    (a [K] vector), w @ (gelu_tanh(x) * gelu_mul)."""
    n, k = w.shape
    block_n, block_k, warps = config or gemv_config(n, k)
    y = torch.empty(n, dtype=x.dtype, device=x.device)
    _gemv_kernel[(triton.cdiv(n, block_n),)](x, x if gelu_mul is None else gelu_mul, w, y, n, k, BLOCK_N=block_n,
                                             BLOCK_K=block_k, GELU_MUL=gelu_mul is not None, PDL=PDL,
                                             num_warps=warps, launch_pdl=PDL)
    return y


@triton.jit
def _attention_split_kernel(q_ptr, k_ptr, v_ptr, pos_ptr, m_ptr, l_ptr, acc_ptr, scale, L,
                            WINDOW: tl.constexpr, GROUP: tl.constexpr, D: tl.constexpr, SPLITS: tl.constexpr,
                            CHUNK: tl.constexpr, PDL: tl.constexpr):
    # program (query head, split): softmax statistics and weighted values of the split's CHUNK positions of the
    # attended span, in float32; the query head's KV head is head // GROUP (the layout of enable_gqa)
    if PDL:
        tl.extra.cuda.gdc_wait()
        tl.extra.cuda.gdc_launch_dependents()
    head, split = tl.program_id(0), tl.program_id(1)
    kv = head // GROUP
    pos = tl.load(pos_ptr).to(tl.int32)
    lo = 0
    if WINDOW > 0:
        lo = tl.maximum(pos - WINDOW + 1, 0)
    p_idx = lo + split * CHUNK + tl.arange(0, CHUNK)
    ok = p_idx <= pos  # a split beyond pos loads nothing and stores m = -inf, l = 0
    d = tl.arange(0, D)
    at = kv * L * D + p_idx[:, None] * D + d[None, :]
    kt = tl.load(k_ptr + at, mask=ok[:, None], other=0.0)
    vt = tl.load(v_ptr + at, mask=ok[:, None], other=0.0)
    q = tl.load(q_ptr + head * D + d).to(tl.float32)
    s = tl.where(ok, tl.sum(kt.to(tl.float32) * q[None, :], axis=1) * scale, float("-inf"))
    m = tl.max(s, axis=0)
    p = tl.exp(s - tl.where(m == float("-inf"), 0.0, m))
    out = head * SPLITS + split
    tl.store(m_ptr + out, m)
    tl.store(l_ptr + out, tl.sum(p, axis=0))
    tl.store(acc_ptr + out * D + d, tl.sum(p[:, None] * vt.to(tl.float32), axis=0))


@triton.jit
def _attention_combine_kernel(m_ptr, l_ptr, acc_ptr, o_ptr, D: tl.constexpr, SPLITS: tl.constexpr,
                              PDL: tl.constexpr):
    if PDL:
        tl.extra.cuda.gdc_wait()
        tl.extra.cuda.gdc_launch_dependents()
    head = tl.program_id(0)
    sp = tl.arange(0, SPLITS)
    m = tl.load(m_ptr + head * SPLITS + sp)
    scale = tl.exp(m - tl.max(m, axis=0))  # split 0 is never empty (it starts at the span's first position)
    l = tl.sum(tl.load(l_ptr + head * SPLITS + sp) * scale, axis=0)
    d = tl.arange(0, D)
    acc = tl.load(acc_ptr + (head * SPLITS + sp[:, None]) * D + d[None, :])
    o = tl.sum(acc * scale[:, None], axis=0) / l
    tl.store(o_ptr + head * D + d, o.to(o_ptr.dtype.element_ty))


def launch_decode_attention(q, k, v, pos, scale, window):
    """q [Hq * D] in any contiguous shape, k and v [1, Hkv, L, D] (the static cache), pos [1] the query's position
    -> q's shape; the query attends positions <= pos, and with window > 0 only the last `window` of them. The span
    is cut into chunks attended in parallel (flash-decoding), then combined; the grid is fixed by L and window, not
    by pos, so that one CUDA graph serves every position (chunks past pos return at once)."""
    hkv, length, dim = k.shape[1], k.shape[2], k.shape[3]
    hq = q.numel() // dim
    chunk = 32 if dim <= 256 else 16  # a chunk's keys and values, in float32, fit one program's registers
    splits = triton.next_power_of_2(triton.cdiv(min(window, length) if window > 0 else length, chunk))
    m = torch.empty(hq, splits, dtype=torch.float32, device=q.device)
    l = torch.empty_like(m)
    acc = torch.empty(hq, splits, dim, dtype=torch.float32, device=q.device)
    _attention_split_kernel[(hq, splits)](q, k, v, pos, m, l, acc, scale, length, WINDOW=window,
                                          GROUP=hq // hkv, D=dim, SPLITS=splits, CHUNK=chunk, PDL=PDL,
                                          num_warps=4 if dim <= 256 else 8, launch_pdl=PDL)
    o = torch.empty_like(q)
    _attention_combine_kernel[(hq,)](m, l, acc, o, D=dim, SPLITS=splits, PDL=PDL, num_warps=4, launch_pdl=PDL)
    return o


_registered = False


def register_ops():
    """torch.ops.agora_decode.gemv and .decode_attention for the compiled path (--compile --kernels): as custom ops,
    Inductor compiles around them as opaque calls. Registered on demand, so that layer_step (and the CPU tests,
    on a PyTorch without torch.library.custom_op) need none of it."""
    global _registered
    if _registered:
        return
    _registered = True

    @torch.library.custom_op("agora_decode::gemv", mutates_args=())
    def gemv(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """x [..., K] holding one token, w [N, K] -> x @ w.T [..., N]."""
        return launch_gemv(x.reshape(-1).contiguous(), w).view(*x.shape[:-1], w.shape[0])

    @gemv.register_fake
    def _(x, w):
        return x.new_empty(*x.shape[:-1], w.shape[0])

    @torch.library.custom_op("agora_decode::decode_attention", mutates_args=())
    def decode_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, pos: torch.Tensor, scale: float,
                         window: int) -> torch.Tensor:
        """q [1, Hq, 1, D], the cache, pos, as launch_decode_attention."""
        return launch_decode_attention(q.contiguous(), k, v, pos, scale, window)

    @decode_attention.register_fake
    def _(q, k, v, pos, scale, window):
        return q.new_empty(q.shape)


# ------------------------------------------------------------------------------------------------ layer_step
@triton.jit
def _head_norm_rope_kernel(src_ptr, qn_ptr, kn_ptr, cos_ptr, sin_ptr, pos_ptr, q_ptr, k_ptr, v_ptr, eps, L,
                           NQ: tl.constexpr, NK: tl.constexpr, V_SRC: tl.constexpr, D: tl.constexpr,
                           PDL: tl.constexpr):
    # program h: query head h (< NQ), key head h - NQ, or value head h - NQ - NK of the projected [q | k | v] row.
    # Query and key heads: RMSNorm with their weight, then rotary at pos; value heads: RMSNorm without weight.
    # Keys and values are written into the static cache [Hkv, L, D] at pos. Rounded like eager bfloat16 after the
    # norm (the rotary sum is one rounding, where eager rounds each product too).
    if PDL:
        tl.extra.cuda.gdc_wait()
        tl.extra.cuda.gdc_launch_dependents()
    h = tl.program_id(0)
    pos = tl.load(pos_ptr).to(tl.int32)
    dt = q_ptr.dtype.element_ty
    half = tl.arange(0, D // 2)
    if h < NQ + NK:
        if h < NQ:
            src = src_ptr + h * D
            w_ptr = qn_ptr
        else:
            src = src_ptr + NQ * D + (h - NQ) * D
            w_ptr = kn_ptr
        x1 = tl.load(src + half).to(tl.float32)
        x2 = tl.load(src + D // 2 + half).to(tl.float32)
        r = 1.0 / tl.sqrt((tl.sum(x1 * x1, axis=0) + tl.sum(x2 * x2, axis=0)) / D + eps)
        n1 = (x1 * r * tl.load(w_ptr + half).to(tl.float32)).to(dt).to(tl.float32)
        n2 = (x2 * r * tl.load(w_ptr + D // 2 + half).to(tl.float32)).to(dt).to(tl.float32)
        c1 = tl.load(cos_ptr + pos * D + half).to(tl.float32)
        c2 = tl.load(cos_ptr + pos * D + D // 2 + half).to(tl.float32)
        s1 = tl.load(sin_ptr + pos * D + half).to(tl.float32)
        s2 = tl.load(sin_ptr + pos * D + D // 2 + half).to(tl.float32)
        if h < NQ:
            dst = q_ptr + h * D
        else:
            dst = k_ptr + ((h - NQ) * L + pos) * D
        tl.store(dst + half, (n1 * c1 - n2 * s1).to(dt))
        tl.store(dst + D // 2 + half, (n2 * c2 + n1 * s2).to(dt))
    else:
        src = src_ptr + V_SRC * D + (h - NQ - NK) * D
        x1 = tl.load(src + half).to(tl.float32)
        x2 = tl.load(src + D // 2 + half).to(tl.float32)
        r = 1.0 / tl.sqrt((tl.sum(x1 * x1, axis=0) + tl.sum(x2 * x2, axis=0)) / D + eps)
        dst = v_ptr + ((h - NQ - NK) * L + pos) * D
        tl.store(dst + half, (x1 * r).to(dt))
        tl.store(dst + D // 2 + half, (x2 * r).to(dt))


@triton.jit
def _add_norm_kernel(x_ptr, d_ptr, w_ptr, s_ptr, wn_ptr, xo_ptr, ho_ptr, H, eps, ADD: tl.constexpr,
                     SCALE: tl.constexpr, NEXT: tl.constexpr, BLOCK: tl.constexpr, PDL: tl.constexpr):
    # one program over the hidden vector: with ADD, x + RMSNorm(d) * w (Gemma's post-norm residual), times the
    # layer scalar with SCALE, stored as the new x; without ADD, x is d as is. With NEXT also RMSNorm(x) * wn, the
    # next block's normed input. Rounded like eager bfloat16 after the norm, the add and the scaling.
    if PDL:
        tl.extra.cuda.gdc_wait()
        tl.extra.cuda.gdc_launch_dependents()
    c = tl.arange(0, BLOCK)
    ok = c < H
    dt = xo_ptr.dtype.element_ty
    y = tl.load(d_ptr + c, mask=ok, other=0.0).to(tl.float32)
    if ADD:
        r = 1.0 / tl.sqrt(tl.sum(y * y, axis=0) / H + eps)
        y = (y * r * tl.load(w_ptr + c, mask=ok, other=0.0).to(tl.float32)).to(dt).to(tl.float32)
        y = (tl.load(x_ptr + c, mask=ok, other=0.0).to(tl.float32) + y).to(dt).to(tl.float32)
        if SCALE:
            y = (y * tl.load(s_ptr).to(tl.float32)).to(dt).to(tl.float32)
        tl.store(xo_ptr + c, y.to(dt), mask=ok)
    if NEXT:
        r = 1.0 / tl.sqrt(tl.sum(y * y, axis=0) / H + eps)
        tl.store(ho_ptr + c, (y * r * tl.load(wn_ptr + c, mask=ok, other=0.0).to(tl.float32)).to(dt), mask=ok)


def add_norm(x, d, w, eps, scalar=None, next_norm=None):
    """x + RMSNorm(d) * w [* scalar] -> (new x, RMSNorm(new x) * next_norm or None); x None: (d, RMSNorm(d) *
    next_norm). One hidden vector [H]."""
    (n,) = d.shape
    xo = torch.empty_like(d) if x is not None else d
    ho = torch.empty_like(d) if next_norm is not None else d
    _add_norm_kernel[(1,)](d if x is None else x, d, d if w is None else w, d if scalar is None else scalar,
                           d if next_norm is None else next_norm, xo, ho, n, eps, ADD=x is not None,
                           SCALE=scalar is not None, NEXT=next_norm is not None, BLOCK=triton.next_power_of_2(n),
                           PDL=PDL, num_warps=8, launch_pdl=PDL)
    return xo, (ho if next_norm is not None else None)


def layer_step(x, h, ple, cos, sin, pos, K, V, w, shared, eps, next_norm):
    """One Gemma 4 decoder layer for one token, Triton kernels only (agora_serve.gemma4_layer's math).

    x: the residual stream [H]; h: RMSNorm(x) * the layer's input norm [H] (the previous layer's last kernel made
    it); ple: this layer's per-layer input [P] or None; cos, sin: the rotary tables [L, D] of the layer's kind; pos:
    [1]; K, V: the layer's cache (or, when shared, the cache it reads) [1, Hkv, L, D]; w: agora_serve's weights of
    the layer (fused q/k/v and gate/up); next_norm: the next layer's input norm, or None for the last layer.
    Returns (x, h) for the next layer: 9 to 12 kernels, of which 4 to 6 read weights."""
    hd = w["qn"].shape[0]
    length = K.shape[2]
    if shared:
        src = launch_gemv(h, w["q"])
        nq, nk, v_src = src.shape[0] // hd, 0, 0
    else:
        src = launch_gemv(h, w["qkv"])
        nq, nk = w["nq"] // hd, w["nk"] // hd
        v_src = nq + nk if src.shape[0] > w["nq"] + w["nk"] else nq  # no v projection: the values are the keys
    q = torch.empty(nq * hd, dtype=x.dtype, device=x.device)
    _head_norm_rope_kernel[(nq + 2 * nk,)](src, w["qn"], w.get("kn", w["qn"]), cos, sin, pos, q, K, V, eps, length,
                                           NQ=nq, NK=nk, V_SRC=v_src, D=hd, PDL=PDL, num_warps=4 if hd <= 256 else 8,
                                           launch_pdl=PDL)
    o = launch_gemv(launch_decode_attention(q, K, V, pos, w["scaling"], w["window"]), w["o"])
    x, h = add_norm(x, o, w["ln_post_attn"], eps, next_norm=w["ln_pre_ff"])
    gate_up = launch_gemv(h, w["gate_up"])
    inter = gate_up.shape[0] // 2
    d = launch_gemv(gate_up[:inter], w["down"], gelu_mul=gate_up[inter:])
    if ple is None:
        return add_norm(x, d, w["ln_post_ff"], eps, scalar=w.get("scalar"), next_norm=next_norm)
    x, _ = add_norm(x, d, w["ln_post_ff"], eps)
    p = launch_gemv(launch_gemv(x, w["ple_gate"]), w["ple_proj"], gelu_mul=ple)
    return add_norm(x, p, w["ln_ple"], eps, scalar=w.get("scalar"), next_norm=next_norm)
