"""Triton kernels for the one-token decode step of Gemma4Static (agora_serve.py --kernels).

At batch 1 every product is a matrix-vector product, bound by reading the weights once. Two kernels:
  - gemv: y = W x, a few rows per program and wide 16-byte loads along K, float32 accumulation; tile shapes per
    (N, K) from a sweep on the H100 (tools/bench_kernels.py). Faster than cuBLAS on every E4B shape measured.
  - decode_attention: one query token against the static KV cache, all query heads of a KV head reading that head's
    keys and values in place (no expansion of the cache for grouped-query attention), only the positions the mask
    lets through (the causal prefix, or the sliding window), online softmax in float32.
Both are registered as torch custom ops, so torch.compile treats them as opaque calls and CUDA graphs capture them.
Imported only on a GPU; the CPU tests never load Triton.
"""
from __future__ import annotations

import torch
import triton
import triton.language as tl


@triton.jit
def _gemv_kernel(x_ptr, w_ptr, y_ptr, N, K, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    rows = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
    row_ok = rows < N
    acc = tl.zeros([BLOCK_N, BLOCK_K], dtype=tl.float32)
    for k0 in range(0, K, BLOCK_K):
        cols = k0 + tl.arange(0, BLOCK_K)
        col_ok = cols < K
        xv = tl.load(x_ptr + cols, mask=col_ok, other=0.0).to(tl.float32)
        w = tl.load(w_ptr + rows[:, None] * K + cols[None, :], mask=row_ok[:, None] & col_ok[None, :], other=0.0)
        acc += w.to(tl.float32) * xv[None, :]
    tl.store(y_ptr + rows, tl.sum(acc, axis=1).to(y_ptr.dtype.element_ty), mask=row_ok)


# (N, K) -> (BLOCK_N, BLOCK_K, num_warps): the fastest of tools/bench_kernels.py's sweep on the H100 for the gemma-4
# E4B shapes (BENCHMARKS.md); other shapes get gemv_config's rule, the sweep's usual winner
GEMV_CONFIGS: dict[tuple[int, int], tuple[int, int, int]] = {
    (2560, 10240): (2, 2048, 8), (4096, 2560): (2, 512, 2), (6144, 2560): (2, 512, 2)}


def gemv_config(n: int, k: int) -> tuple[int, int, int]:
    return GEMV_CONFIGS.get((n, k)) or (2, min(1024, triton.next_power_of_2(k)), 4)


def launch_gemv(x: torch.Tensor, w: torch.Tensor, config=None) -> torch.Tensor:
    """x [K] contiguous, w [N, K] row-major -> y [N] in x's dtype (float32 accumulation)."""
    n, k = w.shape
    block_n, block_k, warps = config or gemv_config(n, k)
    y = torch.empty(n, dtype=x.dtype, device=x.device)
    _gemv_kernel[(triton.cdiv(n, block_n),)](x, w, y, n, k, BLOCK_N=block_n, BLOCK_K=block_k, num_warps=warps)
    return y


@torch.library.custom_op("agora_decode::gemv", mutates_args=())
def gemv(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """x [..., K] holding one token, w [N, K] -> x @ w.T [..., N]."""
    return launch_gemv(x.reshape(-1).contiguous(), w).view(*x.shape[:-1], w.shape[0])


@gemv.register_fake
def _(x, w):
    return x.new_empty(*x.shape[:-1], w.shape[0])


@triton.jit
def _attention_split_kernel(q_ptr, k_ptr, v_ptr, pos_ptr, m_ptr, l_ptr, acc_ptr, scale, L,
                            WINDOW: tl.constexpr, GROUP: tl.constexpr, D: tl.constexpr, SPLITS: tl.constexpr,
                            CHUNK: tl.constexpr):
    # program (query head, split): softmax statistics and weighted values of the split's CHUNK positions of the
    # attended span, in float32; the query head's KV head is head // GROUP (the layout of enable_gqa)
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
def _attention_combine_kernel(m_ptr, l_ptr, acc_ptr, o_ptr, D: tl.constexpr, SPLITS: tl.constexpr):
    head = tl.program_id(0)
    sp = tl.arange(0, SPLITS)
    m = tl.load(m_ptr + head * SPLITS + sp)
    scale = tl.exp(m - tl.max(m, axis=0))  # split 0 is never empty (it starts at the span's first position)
    l = tl.sum(tl.load(l_ptr + head * SPLITS + sp) * scale, axis=0)
    d = tl.arange(0, D)
    acc = tl.load(acc_ptr + (head * SPLITS + sp[:, None]) * D + d[None, :])
    o = tl.sum(acc * scale[:, None], axis=0) / l
    tl.store(o_ptr + head * D + d, o.to(o_ptr.dtype.element_ty))



@torch.library.custom_op("agora_decode::decode_attention", mutates_args=())
def decode_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, pos: torch.Tensor, scale: float,
                     window: int) -> torch.Tensor:
    """q [1, Hq, 1, D], k and v [1, Hkv, L, D] (the static cache), pos [1] the query's position -> [1, Hq, 1, D];
    the query attends positions <= pos, and with window > 0 only the last `window` of them. The span is cut into
    chunks attended in parallel (flash-decoding), then combined; the grid is fixed by L and window, not by pos, so
    that one CUDA graph serves every position (chunks past pos return at once)."""
    _, hq, _, dim = q.shape
    hkv, length = k.shape[1], k.shape[2]
    chunk = 32 if dim <= 256 else 16  # a chunk's keys and values, in float32, fit one program's registers
    splits = triton.next_power_of_2(triton.cdiv(min(window, length) if window > 0 else length, chunk))
    m = torch.empty(hq, splits, dtype=torch.float32, device=q.device)
    l = torch.empty_like(m)
    acc = torch.empty(hq, splits, dim, dtype=torch.float32, device=q.device)
    _attention_split_kernel[(hq, splits)](q.contiguous(), k, v, pos, m, l, acc, scale, length, WINDOW=window,
                                          GROUP=hq // hkv, D=dim, SPLITS=splits, CHUNK=chunk,
                                          num_warps=4 if dim <= 256 else 8)
    o = q.new_empty(q.shape)
    _attention_combine_kernel[(hq,)](m, l, acc, o, D=dim, SPLITS=splits, num_warps=4)
    return o


@decode_attention.register_fake
def _(q, k, v, pos, scale, window):
    return q.new_empty(q.shape)
