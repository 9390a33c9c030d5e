"""A speculative-decoding submission's own accounting, read by the harness around the timed repeats
(GET /v1/agora/stats; RULES.md, docs/decisions/0130), checked against what the harness received, and turned into
the acceptance rate and the cost per accepted token.

The counters are the submission's word (it could lie about its draft); the harness checks the one it can see:
the tokens it emitted after each request's first (which comes from the prefill) must equal the tokens the
harness received after the first. Bytes are weights read in full per forward (lookup-only embeddings excluded).
"""
from __future__ import annotations

COUNTERS = ("cycles", "proposed", "accepted", "emitted", "draft_steps")


def summarise(before: dict | None, after: dict | None, received_after_first: int) -> dict | None:
    """The timed repeats' accounting: after - before, checked against received_after_first (the tokens the
    harness received past each timed request's first). None when the submission reports no stats."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None
    try:
        d = {k: int(after[k]) - int(before.get(k, 0)) for k in COUNTERS}
        k = int(after["draft_tokens"])
        bd, bt = float(after["draft_bytes_per_step"]), float(after["target_bytes_per_forward"])
    except (KeyError, TypeError, ValueError) as e:
        return {"error": f"malformed stats: {e}"}
    out = {"counts": d, "draft_tokens": k, "draft_bytes_per_step": bd, "target_bytes_per_forward": bt,
           "consistent": d["emitted"] == received_after_first, "received_after_first": received_after_first}
    if d["cycles"] <= 0 or d["proposed"] <= 0:
        return out
    acc = d["accepted"] / d["proposed"]
    per_cycle = (d["accepted"] + d["cycles"]) / d["cycles"]  # tokens one cycle yields: the kept proposals + 1
    draft_bytes = d["draft_steps"] * bd
    out.update({
        "acceptance_rate": acc,
        "accepted_per_cycle": d["accepted"] / d["cycles"],
        "tokens_per_cycle": per_cycle,
        # the draft's bytes read per accepted proposal: (k draft steps x bytes) / (k x acceptance) per cycle
        "draft_bytes_per_accepted_token": draft_bytes / d["accepted"] if d["accepted"] else None,
        # everything read per token produced (draft steps + one target forward per cycle), against the target
        # alone (one forward per token): below 1 is what speculation buys at batch 1, if the forward's cost is
        # its bytes
        "bytes_per_token": (draft_bytes + d["cycles"] * bt) / (d["accepted"] + d["cycles"]),
        "bytes_per_token_vs_target": (draft_bytes + d["cycles"] * bt) / (d["accepted"] + d["cycles"]) / bt
        if bt else None,
    })
    return out
