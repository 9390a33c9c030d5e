import json, sys
best = None
for line in open(sys.argv[1]):
    if line.startswith('{"mode"'):
        r = json.loads(line)
        if r["worst_margin"] < 0.5 and (best is None or r["decode_tokens_per_s"] > best["decode_tokens_per_s"]):
            best = r
flags = best["mode"].split(":")[1].split("+")
small = next((f[6:] for f in flags if f.startswith("small=")), "0")
print(small, "+".join(flags))
