"""Example llm-decode submission server: OpenAI-compatible /v1/completions over token ids, batch 1, greedy.

One file, stdlib HTTP only. Engines:
  - transformers checkpoints (Gemma4ForCausalLM or any AutoModelForCausalLM) with a static KV cache;
    optional torch.compile of the decode step with CUDA graphs (--compile);
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


class Gemma4Static:
    """A gpt-fast-style decode path over a transformers Gemma 4 text model: the model's own modules and weights,
    with our own static KV cache indexed by a position tensor and an explicit mask, so that a decode step has
    fixed shapes and no Python-side state (friendly to torch.compile and CUDA graphs)."""

    def __init__(self, hf, max_len, device, dtype):
        from transformers.models.gemma4 import modeling_gemma4 as mg

        self.rope = mg.apply_rotary_pos_emb
        self.m = hf.model
        cfg = hf.config
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
        self.kpos = torch.arange(max_len, device=device)
        self.skip = set()
        self.decode_skip = set()  # layers skipped only when decoding one token (path splitting demo)
        self.attn_impl = "sdpa"

    def _attn(self, i, a, h, cos, sin, pos, mask):
        B, T, _ = h.shape
        hd = a.head_dim
        q = a.q_norm(a.q_proj(h).view(B, T, -1, hd))
        q = self.rope(q, cos, sin, unsqueeze_dim=2).transpose(1, 2)
        if self.shared[i]:
            j = self.src[self.types[i]]
            K, V = self.k[j], self.v[j]
        else:
            k = a.k_proj(h).view(B, T, -1, hd)
            v = a.v_proj(h).view(B, T, -1, hd) if getattr(a, "v_proj", None) is not None else k
            k = self.rope(a.k_norm(k), cos, sin, unsqueeze_dim=2).transpose(1, 2)
            v = a.v_norm(v).transpose(1, 2)
            self.k[i].index_copy_(2, pos, k)
            self.v[i].index_copy_(2, pos, v)
            K, V = self.k[i], self.v[i]
        if self.attn_impl == "sdpa":
            o = torch.nn.functional.scaled_dot_product_attention(q, K, V, attn_mask=mask, scale=a.scaling,
                                                                 enable_gqa=True)
        else:  # explicit grouped attention with a float32 softmax
            nkv = K.shape[1]
            qg = q.reshape(B, nkv, -1, hd)  # [B, kv, group*T, hd] (heads of one group are contiguous)
            sc = torch.matmul(qg, K.transpose(-1, -2)).float() * a.scaling
            m_ = mask.expand(B, q.shape[1], T, -1).reshape(B, nkv, -1, mask.shape[-1])
            sc = sc.masked_fill(~m_, float("-inf")).softmax(-1).to(V.dtype)
            o = torch.matmul(sc, V).reshape(B, -1, T, hd)
        return a.o_proj(o.transpose(1, 2).reshape(B, T, -1))

    def forward(self, ids, pos):
        """ids [1, T], pos [T] -> final-normed hidden states [1, T, H]; writes the KV of these positions."""
        m = self.m
        x = m.embed_tokens(ids)
        ple = None
        if getattr(m, "hidden_size_per_layer_input", 0):
            ple = m.project_per_layer_inputs(x, m.get_per_layer_inputs(ids, x))
        position_ids = pos.unsqueeze(0)
        pe = {t: m.rotary_emb(x, position_ids, t) for t in set(self.types)}
        qp, kp = pos[:, None], self.kpos[None, :]
        causal = kp <= qp
        masks = {"full_attention": causal[None, None], "sliding_attention": (causal & (qp - kp < self.window))[None, None]}
        skip = self.skip | self.decode_skip if ids.shape[1] == 1 else self.skip
        for i, L in enumerate(self.layers):
            if i in skip:
                continue
            t = self.types[i]
            res = x
            h = L.input_layernorm(x)
            h = self._attn(i, L.self_attn, h, pe[t][0], pe[t][1], pos, masks[t])
            x = res + L.post_attention_layernorm(h)
            res = x
            h = L.post_feedforward_layernorm(L.mlp(L.pre_feedforward_layernorm(x)))
            x = res + h
            if ple is not None:
                res = x
                h = L.act_fn(L.per_layer_input_gate(x)) * ple[:, :, i, :]
                x = res + L.post_per_layer_input_norm(L.per_layer_projection(h))
            ls = getattr(L, "layer_scalar", None)
            if ls is not None:
                x = x * ls
        return m.norm(x)


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
            self.fast = Gemma4Static(self.model, self.max_len, self.device, dtype)
            self.fast.attn_impl = args.attn
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
        self.step_fn = self._step_eager
        self.graph = None
        if args.cuda_graph and not args.compile:
            self._capture()
        if args.compile:
            if self.engine == "static":
                for b in list(self.fast.k.values()) + list(self.fast.v.values()) + [self.fast.kpos]:
                    torch._dynamo.mark_static_address(b)
            self.step_fn = torch.compile(self._step_eager, mode=None if args.compile_mode == "default" else
                                         args.compile_mode, fullgraph=args.fullgraph)
            t0 = time.time()
            lp, tok = self.prefill([2] + list(range(3, 40)))
            for _ in range(4):
                tok = self.step(tok)
            log(f"decode step compiled with {args.compile_mode}{' fullgraph' if args.fullgraph else ''} "
                f"and warmed up in {time.time() - t0:.1f}s")

    @torch.inference_mode()
    def _capture(self):
        """Record one eager decode step as a CUDA graph (fixed shapes, no host syncs), replayed per token."""
        t0 = time.time()
        self.prefill([2] + list(range(3, 40)))
        st = torch.cuda.Stream()
        st.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(st):
            for _ in range(3):
                self._step_eager(self.tok, self.pos)
        torch.cuda.current_stream().wait_stream(st)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.graph_out = self._step_eager(self.tok, self.pos)
        torch.cuda.synchronize()
        log(f"decode step captured as a CUDA graph in {time.time() - t0:.1f}s")

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
            nxt = self.step_fn(self.tok, self.pos)
        self.n += 1
        return self._pick(nxt.item())


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


def prompt_logprobs(logits, ids, rows=None):
    """logits [T, V'] float -> per prompt position the log-probability of that prompt token (first: None)."""
    lse = torch.logsumexp(logits[:-1], dim=-1)
    nxt = torch.tensor(ids[1:], dtype=torch.long, device=logits.device)
    if rows is not None:
        # map vocabulary ids into the kept rows; tokens outside the kept vocabulary get a floor value
        lut = torch.full((int(rows.max()) + 2 + int(nxt.max()),), -1, dtype=torch.long, device=logits.device)
        lut[rows.to(logits.device)] = torch.arange(rows.numel(), device=logits.device)
        j = lut[nxt]
        got = logits[:-1].gather(1, j.clamp(min=0).unsqueeze(1)).squeeze(1) - lse
        got = torch.where(j >= 0, got, torch.full_like(got, -100.0))
    else:
        got = logits[:-1].gather(1, nxt.unsqueeze(1)).squeeze(1) - lse
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


def main(argv=None, **defaults):
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=int(os.environ.get("AGORA_PORT", "8000")))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--model", default=os.environ.get("AGORA_MODEL_DIR"))
    ap.add_argument("--device", default=None)
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--max-len", type=int, default=2048)
    ap.add_argument("--engine", choices=["hf", "static"], default="hf",
                    help="hf: transformers forward with its StaticCache; static: Gemma4Static (own static KV cache)")
    ap.add_argument("--attn", choices=["sdpa", "manual"], default="sdpa")
    ap.add_argument("--cuda-graph", action="store_true", help="capture the eager decode step as a CUDA graph")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--compile-mode", default="reduce-overhead")
    ap.add_argument("--fullgraph", action="store_true")
    ap.add_argument("--skip-layers", default=None, help="deliberately broken: layer indices to skip, e.g. 30-36")
    ap.add_argument("--keep-vocab", default=None, help="deliberately broken: JSON list of token ids to keep")
    ap.add_argument("--decode-only", action="store_true",
                    help="deliberately broken (path splitting): apply --skip-layers to decode steps only, so that "
                         "prompt log-probabilities come from the clean model")
    ap.set_defaults(**defaults)
    args = ap.parse_args(argv)
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
