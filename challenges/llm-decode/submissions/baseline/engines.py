"""The baseline's engines: a transformers checkpoint (Gemma4ForCausalLM, or any AutoModelForCausalLM) with
transformers' StaticCache and an eager decode loop (HFEngine), and the plain-PyTorch toy model used by the CPU tests
(ToyEngine, config model_type agora_toy_gemma4). An engine serves protocol.py: prefill(ids) -> (prompt
log-probabilities, first token), step(token) -> next token. HFEngine also drives static_engine.Gemma4Static (the
optimized example's file) with --engine static and its capture flags, and the deliberately broken variants' flags
(--skip-layers, --decode-only, --keep-vocab)."""
from __future__ import annotations

import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def log(*a):
    print("[serve]", *a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- engines


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
            from static_engine import Gemma4Static  # the optimized example's file

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
