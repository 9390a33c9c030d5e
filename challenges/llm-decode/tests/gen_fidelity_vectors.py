"""Regenerate fidelity-vectors.json (the shared test vectors for the Python and TypeScript scorers).

Values are exact binary fractions so that both implementations agree bit for bit at the boundaries.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import fidelity  # noqa: E402


def tok(emitted, top1, le, lt):
    return {"emitted": emitted, "ref_top1": top1, "ref_logit_emitted": le, "ref_logit_top1": lt}


CASES = [
    {"name": "all top-1", "tolerance": 0.5, "prompts": [
        {"tokens": [tok(5, 5, 3.0, 3.0), tok(9, 9, 1.25, 1.25), tok(7, 7, -2.0, -2.0)], "reference": [5, 9, 7]}]},
    {"name": "near tie inside tolerance counts as faithful", "tolerance": 0.5, "prompts": [
        {"tokens": [tok(5, 5, 3.0, 3.0), tok(8, 9, 1.0, 1.25), tok(7, 7, 2.0, 2.0)], "reference": [5, 9, 4]}]},
    {"name": "margin exactly at tolerance is faithful", "tolerance": 0.25, "prompts": [
        {"tokens": [tok(1, 2, 4.75, 5.0), tok(3, 4, 4.5, 5.0)], "reference": [2, 4]}]},
    {"name": "one early flip does not condemn later tokens", "tolerance": 0.125, "prompts": [
        {"tokens": [tok(10, 11, 0.0, 2.0), tok(12, 12, 1.0, 1.0), tok(13, 13, 1.5, 1.5), tok(14, 14, 0.5, 0.5)],
         "reference": [11, 20, 21, 22]}]},
    {"name": "pooled over prompts, one without reference", "tolerance": 1.0, "prompts": [
        {"tokens": [tok(1, 1, 0.0, 0.0), tok(2, 3, -1.5, 0.0)], "reference": [1, 3]},
        {"tokens": [tok(4, 4, 2.0, 2.0), tok(5, 6, 1.0, 1.75), tok(7, 7, 0.0, 0.0)], "reference": None}]},
    {"name": "emitted token above the reported top-1 logit (rounding) has margin 0", "tolerance": 0.0, "prompts": [
        {"tokens": [tok(3, 4, 2.5, 2.25), tok(6, 6, 1.0, 1.0)], "reference": [4, 6]}]},
    {"name": "tolerance zero: only the reference's own choice (or an exact tie) passes", "tolerance": 0.0,
     "prompts": [{"tokens": [tok(3, 4, 2.25, 2.25), tok(5, 4, 2.0, 2.25), tok(6, 6, 0.0, 0.0)],
                  "reference": [4, 4, 6, 9]}]},
    {"name": "reference decode shorter than emission", "tolerance": 0.5, "prompts": [
        {"tokens": [tok(1, 1, 0.0, 0.0), tok(2, 2, 0.0, 0.0), tok(3, 3, 0.0, 0.0)], "reference": [1, 2]}]},
]


def main():
    out = {"description": "Decode-fidelity test vectors; see challenges/llm-decode/FIDELITY.md. Inputs per emitted "
                          "token: emitted id, reference top-1 id, reference logit of the emitted token, reference "
                          "top-1 logit; per prompt an optional reference decode. Outputs: pooled fidelity, top-1 "
                          "rate, exact-match rate, identical-prompt rate, and per prompt faithful count, fidelity, "
                          "first unfaithful index and first divergence.",
           "cases": []}
    for c in CASES:
        s = fidelity.score(c["prompts"], c["tolerance"])
        out["cases"].append({
            "name": c["name"], "tolerance": c["tolerance"], "prompts": c["prompts"],
            "expected": {
                "tokens": s["tokens"], "faithful": s["faithful"], "fidelity": s["fidelity"],
                "top1_rate": s["top1_rate"], "exact_match_rate": s["exact_match_rate"],
                "identical_prompt_rate": s["identical_prompt_rate"],
                "per_prompt": [{k: p[k] for k in ("tokens", "faithful", "fidelity", "max_margin", "first_unfaithful",
                                                  "first_divergence")} for p in s["per_prompt"]],
            }})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fidelity-vectors.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(path)


if __name__ == "__main__":
    main()
