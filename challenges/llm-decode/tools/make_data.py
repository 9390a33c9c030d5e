"""Generate a split's prompts and held-out perplexity texts for a checkpoint.

  python3 tools/make_data.py --model model --split public [--prompts 128 --heldout 16 ...]

Prompts are seeded random token ids (a random model has no language; a real deployment replaces them with
tokenised text). Held-out texts are seeded prompts followed by the reference model's own greedy continuation,
so that the reference ranks them well and any damage to the model raises their perplexity. The private split
uses the seed in $AGORA_LLM_DECODE_PRIVATE_SEED (runners only). Reference decodes of the timed prompts are
written by the harness run on the baseline with --write-reference.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)

from harness import data  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--prompts", type=int, default=128)
    ap.add_argument("--min-len", type=int, default=16)
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--heldout", type=int, default=16)
    ap.add_argument("--heldout-prompt-len", type=int, default=32)
    ap.add_argument("--heldout-continuation", type=int, default=96)
    a = ap.parse_args(argv)
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    vocab = cfg["vocab_size"]
    seed = data.split_seed(a.split)
    prompts = data.make_prompts(seed, a.prompts, vocab, a.min_len, a.max_len)
    data.write(a.data, a.split, "prompts", {"vocab_size": vocab, "seed": seed if a.split != "private" else "secret",
                                             "min_len": a.min_len, "max_len": a.max_len, "prompts": prompts})
    if a.heldout:
        from harness.reference import Reference

        ref = Reference(a.model)
        hp = data.make_prompts(seed + "-heldout", a.heldout, vocab, a.heldout_prompt_len, a.heldout_prompt_len)
        texts = []
        t0 = time.time()
        for p in hp:
            cont = ref.greedy(p, a.heldout_continuation)
            texts.append({"ids": p + cont, "heldout_from": len(p)})
        data.write(a.data, a.split, "heldout", {"producer": ref.implementation, "continuation": a.heldout_continuation,
                                                 "texts": texts})
        print(f"held-out texts: {len(texts)} x {a.heldout_continuation} tokens in {time.time() - t0:.1f}s",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
