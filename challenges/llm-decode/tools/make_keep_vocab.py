"""For the deliberately broken vocab-prune example: the token ids seen in a split's public data."""
import argparse
import json
import os
import sys


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="public")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    seen = set()
    d = os.path.join(a.data, a.split)
    for name, key in (("prompts", "prompts"), ("reference", "decodes")):
        p = os.path.join(d, name + ".json")
        if os.path.exists(p):
            for seq in json.load(open(p))[key]:
                seen.update(seq)
    p = os.path.join(d, "heldout.json")
    if os.path.exists(p):
        for t in json.load(open(p))["texts"]:
            seen.update(t["ids"])
    json.dump(sorted(seen), open(a.out, "w"))
    print(f"{len(seen)} token ids kept", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
