"""Decode fidelity: the scoring rule, in plain Python (no torch), mirrored by Agora's TypeScript core.

See FIDELITY.md for the normative definition; tests/fidelity-vectors.json holds the shared test vectors.
"""
from __future__ import annotations

import math
from typing import Iterable, Optional, Sequence


def token_margin(ref_logit_top1: float, ref_logit_emitted: float) -> float:
    """How far below the reference's best choice the emitted token sits, in logits (= nats of log-probability)."""
    m = float(ref_logit_top1) - float(ref_logit_emitted)
    if math.isnan(m):
        return math.inf
    return m if m > 0.0 else 0.0


def is_faithful(margin: float, tolerance: float) -> bool:
    return margin <= tolerance


def score_prompt(tokens: Sequence[dict], tolerance: float) -> dict:
    """tokens: per emitted token {emitted, ref_top1, ref_logit_emitted, ref_logit_top1}."""
    n = len(tokens)
    faithful = 0
    top1 = 0
    max_margin = 0.0
    first_unfaithful = None
    for i, t in enumerate(tokens):
        margin = token_margin(t["ref_logit_top1"], t["ref_logit_emitted"])
        if int(t["emitted"]) == int(t["ref_top1"]):
            top1 += 1
            margin = 0.0
        if is_faithful(margin, tolerance):
            faithful += 1
        elif first_unfaithful is None:
            first_unfaithful = i
        max_margin = max(max_margin, margin)
    return {
        "tokens": n,
        "faithful": faithful,
        "top1": top1,
        "fidelity": (faithful / n) if n else 1.0,
        "max_margin": max_margin,
        "first_unfaithful": first_unfaithful,
    }


def exact_match(emitted: Sequence[int], reference: Optional[Sequence[int]]) -> dict:
    """Position-wise comparison with the reference greedy decode of the same prompt."""
    if reference is None:
        return {"compared": 0, "matched": 0, "first_divergence": None, "identical": None}
    n = min(len(emitted), len(reference))
    matched = sum(1 for i in range(n) if int(emitted[i]) == int(reference[i]))
    first = next((i for i in range(n) if int(emitted[i]) != int(reference[i])), None)
    if first is None and len(emitted) != len(reference):
        first = n
    return {"compared": n, "matched": matched, "first_divergence": first, "identical": first is None}


def score(prompts: Iterable[dict], tolerance: float) -> dict:
    """prompts: [{tokens: [...per-token dicts...], emitted: [ids], reference: [ids] | None}].

    Pools every emitted token of every prompt: fidelity = faithful tokens / emitted tokens.
    """
    total = faithful = top1 = compared = matched = identical = with_ref = on_greedy_path = 0
    per_prompt = []
    for p in prompts:
        s = score_prompt(p["tokens"], tolerance)
        emitted = p.get("emitted")
        if emitted is None:
            emitted = [t["emitted"] for t in p["tokens"]]
        e = exact_match(emitted, p.get("reference"))
        # Teacher-forced on the emitted prefix, the reference's first choice up to the first disagreement is its
        # own greedy decode: so this is the first divergence from the reference model's greedy decode, for every
        # prompt, with no stored decode needed.
        div = next((i for i, t in enumerate(p["tokens"]) if int(t["emitted"]) != int(t["ref_top1"])), None)
        on_greedy_path += 1 if div is None else 0
        e["first_divergence_from_reference_greedy"] = div
        total += s["tokens"]
        faithful += s["faithful"]
        top1 += s["top1"]
        if p.get("reference") is not None:
            with_ref += 1
            compared += e["compared"]
            matched += e["matched"]
            identical += 1 if e["identical"] else 0
        per_prompt.append({**s, **e})
    return {
        "tokens": total,
        "faithful": faithful,
        "fidelity": (faithful / total) if total else 1.0,
        "top1_rate": (top1 / total) if total else 1.0,
        "exact_match_rate": (matched / compared) if compared else None,
        "identical_prompt_rate": (identical / with_ref) if with_ref else None,
        "reference_greedy_identical_rate": (on_greedy_path / len(per_prompt)) if per_prompt else None,
        "per_prompt": per_prompt,
    }
