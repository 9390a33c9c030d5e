"""Speculative decoding, greedy and exact (docs/decisions/0130): a small draft model of the same architecture
proposes k tokens one at a time, the target model scores the last emitted token and all k proposals in one forward,
and the longest prefix of proposals that the target ranks first is kept, plus the target's own next token. Every
emitted token is the target's argmax given the emitted prefix, so the output is the target's greedy decode; the
draft changes only how many target forwards it takes.

  python3 speculative.py --model TARGET --draft DRAFT --draft-tokens 4 [the optimized example's flags]

The server is the optimized example's (agora_serve.py, engines.py) with the engine wrapped; GET /v1/agora/stats
reports the accounting (cycles, proposed, accepted, emitted, draft steps, bytes of weights per draft step and per
target forward), which the harness turns into the acceptance rate and the cost per accepted token.
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

LOOKUP_ONLY = ("embed_tokens.weight", "embed_tokens_per_layer.weight")  # read one row per token, not whole


def weight_bytes(named) -> int:
    """Bytes of weights one forward reads in full: every parameter but the lookup-only embedding tables."""
    return sum(t.numel() * t.element_size() for name, t in named if not name.endswith(LOOKUP_ONLY))


class Speculator:
    """Greedy speculative decoding over a draft and a target adapter (ToyDraft/ToyTarget, HFDraft/HFTarget).
    Serves protocol.py's engine interface: prefill(ids) -> (prompt log-probabilities, first token), step(tok)."""

    def __init__(self, target, draft, k: int):
        if k < 1:
            raise ValueError("--draft-tokens must be at least 1")
        self.t, self.d, self.k = target, draft, k
        self.queue: list = []
        self.n = 0  # tokens both caches hold (the last emitted token is not yet in either)
        self.counts = {"cycles": 0, "proposed": 0, "accepted": 0, "emitted": 0, "draft_steps": 0}

    def prefill(self, ids):
        lp, first = self.t.prefill(ids)
        self.d.prefill(ids)
        self.n, self.queue = len(ids), []
        return lp, first

    def step(self, tok):
        if not self.queue:
            self.queue = self._cycle(tok)
        self.counts["emitted"] += 1
        return self.queue.pop(0)

    def _cycle(self, tok) -> list:
        n, k = self.n, self.k
        props = self.d.propose(tok, n, k)  # the draft reads tok, props[0..k-2] at positions n..n+k-1
        props, got = self.t.verify(tok, props, n)  # the target's argmax after tok and after each proposal
        a = accepted_prefix(props, got)
        steps = k
        if a == k:  # every proposal kept: the draft has not read the last one yet
            self.d.feed(props[-1], n + k)
            steps += 1
        self.n = n + a + 1
        c = self.counts
        c["cycles"] += 1
        c["proposed"] += k
        c["accepted"] += a
        c["draft_steps"] += steps
        return props[:a] + [got[a]]

    def stats(self) -> dict:
        return dict(self.counts, draft_tokens=self.k, draft_bytes_per_step=self.d.bytes,
                    target_bytes_per_forward=self.t.bytes)


def accepted_prefix(props: list, got: list) -> int:
    """How many proposals the target keeps: the longest prefix where proposal i is the target's argmax after the
    tokens before it (got[i])."""
    a = 0
    while a < len(props) and props[a] == got[a]:
        a += 1
    return a


# ------------------------------------------------------------------------------------ the toy model (CPU tests)
def _truncate(cache, n):
    for kv in (cache["k"], cache["v"]):
        for i in list(kv):
            kv[i] = kv[i][:n]
    cache["len"] = n


class ToyDraft:
    def __init__(self, eng):
        import torch

        self.e, self.torch = eng, torch
        self.bytes = weight_bytes(eng.m.w.items())

    def prefill(self, ids):
        self.e.prefill(ids)

    def _one(self, tok):
        h = self.e.m.backbone(self.torch.tensor([tok], dtype=self.torch.long), self.e.cache)
        return int(self.e.m.head(h[-1:]).argmax(-1))

    def propose(self, tok, n, k):
        _truncate(self.e.cache, n)
        out = []
        for _ in range(k):
            tok = self._one(tok)
            out.append(tok)
        return out

    def feed(self, tok, pos):
        _truncate(self.e.cache, pos)
        self._one(tok)


class ToyTarget:
    def __init__(self, eng):
        import torch

        self.e, self.torch = eng, torch
        self.bytes = weight_bytes(eng.m.w.items())

    def prefill(self, ids):
        return self.e.prefill(ids)

    def verify(self, tok, props, n):
        _truncate(self.e.cache, n)
        with self.torch.no_grad():
            h = self.e.m.backbone(self.torch.tensor([tok] + props, dtype=self.torch.long), self.e.cache)
            return props, self.e.m.head(h).argmax(-1).tolist()


# --------------------------------------------------------------------- transformers checkpoints (the GPU path)
class HFDraft:
    """engines.HFEngine's captured one-token step, chained on the GPU: k steps, no host synchronisation."""

    def __init__(self, eng, k):
        import torch

        if eng.graph is None:
            raise ValueError("the draft needs a captured decode step (--triton-layers, --compile or --cuda-graph)")
        self.e, self.torch = eng, torch
        self.bytes = weight_bytes(eng.model.named_parameters())
        self.props = torch.zeros(k, dtype=torch.long, device=eng.device)

    def prefill(self, ids):
        self.e.prefill(ids)

    def propose(self, tok, n, k):
        e = self.e
        e.tok.fill_(tok)
        for i in range(k):
            e.pos.fill_(n + i)
            e.graph.replay()
            e.tok.copy_(e.graph_out.view(1, 1))
            self.props[i:i + 1].copy_(e.graph_out.view(1))
        return self.props

    def feed(self, tok, pos):
        self.e.n = pos
        self.e.step(tok)


class HFTarget:
    """The target's forward over the last emitted token and the k proposals, captured as one CUDA graph (the
    prefill path of Gemma4Static at positions n..n+k; keys and values past the accepted tokens are overwritten
    before any later query can attend them)."""

    def __init__(self, eng, k):
        import torch
        from engines import capture_cuda_graph

        self.e, self.torch = eng, torch
        self.bytes = weight_bytes(eng.model.named_parameters())
        dev = eng.device
        self.ids = torch.zeros((1, k + 1), dtype=torch.long, device=dev)
        self.ar = torch.arange(k + 1, dtype=torch.long, device=dev)
        self.pos = self.ar.clone()

        def core():
            h = eng._backbone(self.ids, self.pos)[0]
            return eng._head(h).argmax(-1)

        with torch.inference_mode():
            self.graph, self.out = capture_cuda_graph(core, warmup=2)

    def prefill(self, ids):
        return self.e.prefill(ids)

    def verify(self, tok, props, n):
        with self.torch.inference_mode():
            self.ids[0, 0] = tok
            self.ids[0, 1:].copy_(props)
            self.torch.add(self.ar, n, out=self.pos)
            self.graph.replay()
            both = self.torch.cat([props, self.out]).tolist()  # the cycle's one host synchronisation
        k = props.shape[0]
        return both[:k], both[k:]


def build(args):
    """The Speculator for the target at args.model and the draft at args.draft (relative to this folder)."""
    import json

    from engines import HFEngine, ToyEngine

    draft_dir = args.draft if os.path.isabs(args.draft) else os.path.join(HERE, args.draft)
    with open(os.path.join(args.model, "config.json")) as f:
        toy = json.load(f).get("model_type") == "agora_toy_gemma4"
    if toy:
        return Speculator(ToyTarget(ToyEngine(args.model, args)), ToyDraft(ToyEngine(draft_dir, args)),
                          args.draft_tokens)
    target = HFEngine(args.model, args)
    draft = HFEngine(draft_dir, args)
    return Speculator(HFTarget(target, args.draft_tokens), HFDraft(draft, args.draft_tokens), args.draft_tokens)


def main(argv=None):
    import argparse

    import agora_serve

    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--draft", required=True, help="the draft checkpoint (a folder; relative to this bundle)")
    ap.add_argument("--draft-tokens", type=int, default=4, help="proposals per cycle (k)")
    own, rest = ap.parse_known_args(argv)
    args = agora_serve.parse_args(rest)
    args.draft, args.draft_tokens = own.draft, own.draft_tokens
    agora_serve.serve(build(args), args)


if __name__ == "__main__":
    main()
