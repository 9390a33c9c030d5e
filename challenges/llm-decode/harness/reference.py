"""The trusted reference model: teacher-forced scoring of emitted tokens, and greedy decodes for the data."""
from __future__ import annotations

import json
import math
import os
import time

import torch


class Reference:
    def __init__(self, model_dir: str, device: str | None = None, dtype: str = "bfloat16"):
        with open(os.path.join(model_dir, "config.json")) as f:
            cfg = json.load(f)
        self.kind = "toy" if cfg.get("model_type") == "agora_toy_gemma4" else "transformers"
        t0 = time.time()
        if self.kind == "toy":
            from . import toy_gemma

            self.device = "cpu"
            self.m = toy_gemma.load(model_dir)
            self.vocab = self.m.c["vocab_size"]
            self.implementation = "agora toy_gemma (plain PyTorch, float32, CPU)"
        else:
            import transformers

            self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
            cls = getattr(transformers, "Gemma4ForCausalLM", None) if cfg.get("model_type") == "gemma4_text" else None
            cls = cls or transformers.AutoModelForCausalLM
            self.m = cls.from_pretrained(model_dir, dtype=getattr(torch, dtype), device_map=self.device)
            self.m.eval()
            self.vocab = self.m.config.vocab_size
            self.implementation = f"transformers {transformers.__version__} {cls.__name__} eager, {dtype}"
        self.load_s = time.time() - t0

    @torch.no_grad()
    def logits(self, ids: list) -> torch.Tensor:
        """Teacher-forced logits [T, V] in float32 (after the final soft-cap)."""
        if self.kind == "toy":
            return self.m.logits(torch.tensor(ids, dtype=torch.long)).float()
        t = torch.tensor([ids], dtype=torch.long, device=self.device)
        with torch.inference_mode():
            return self.m(input_ids=t, use_cache=False).logits[0].float()

    @torch.no_grad()
    def score(self, prompt: list, emitted: list, heldout_from: int | None = None) -> dict:
        """Per emitted token: the reference's view of it, given the submission's own prefix.

        Returns tokens [{emitted, ref_top1, ref_logit_emitted, ref_logit_top1}], and the reference's
        prompt log-probabilities of prompt[heldout_from:] when heldout_from is given.
        """
        ids = list(prompt) + list(emitted)
        L = self.logits(ids)
        P = len(prompt)
        rows = L[P - 1: P - 1 + len(emitted)]
        top_v, top_i = rows.max(-1)
        em = torch.tensor(emitted, dtype=torch.long, device=rows.device)
        ev = rows.gather(1, em.unsqueeze(1)).squeeze(1)
        tokens = [{"emitted": int(e), "ref_top1": int(i), "ref_logit_emitted": float(a), "ref_logit_top1": float(b)}
                  for e, i, a, b in zip(emitted, top_i.tolist(), ev.tolist(), top_v.tolist())]
        out = {"tokens": tokens}
        if heldout_from is not None:
            seg = L[heldout_from - 1: P - 1]
            tgt = torch.tensor(prompt[heldout_from:], dtype=torch.long, device=seg.device)
            lp = seg.gather(1, tgt.unsqueeze(1)).squeeze(1) - torch.logsumexp(seg, -1)
            out["heldout_logprobs"] = [float(x) for x in lp.tolist()]
        return out

    @torch.no_grad()
    def greedy(self, prompt: list, n: int) -> list:
        """Plain greedy decode with the reference implementation (eager, dynamic cache)."""
        if self.kind == "toy":
            cache = self.m.new_cache()
            h = self.m.backbone(torch.tensor(prompt, dtype=torch.long), cache)
            tok = int(self.m.head(h[-1:]).argmax(-1))
            out = [tok]
            while len(out) < n:
                h = self.m.backbone(torch.tensor([tok], dtype=torch.long), cache)
                tok = int(self.m.head(h).argmax(-1))
                out.append(tok)
            return out
        with torch.inference_mode():
            t = torch.tensor([prompt], dtype=torch.long, device=self.device)
            r = self.m(input_ids=t, use_cache=True)
            pkv = r.past_key_values
            tok = int(r.logits[0, -1].argmax())
            out = [tok]
            while len(out) < n:
                r = self.m(input_ids=torch.tensor([[tok]], device=self.device), past_key_values=pkv, use_cache=True)
                pkv = r.past_key_values
                tok = int(r.logits[0, -1].argmax())
                out.append(tok)
            return out

    def close(self):
        del self.m
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def perplexity(logprobs: list) -> float:
    if not logprobs:
        return float("nan")
    return math.exp(-sum(logprobs) / len(logprobs))
