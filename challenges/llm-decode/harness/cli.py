"""python3 -m harness --submission DIR --split NAME --out FILE [overrides]

Starts the submission's server (manifest.json) on loopback, warms it up, times greedy batch-1 decodes,
then scores the very tokens it emitted with the trusted reference model. Writes a HarnessResult JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

from . import HARNESS_NAME, HARNESS_VERSION
from . import client, data, fidelity, speculation, stats, system

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_settings(path=None) -> dict:
    path = path or os.environ.get("AGORA_LLM_DECODE_SETTINGS") or os.path.join(HERE, "settings.json")
    with open(path) as f:
        return json.load(f)


def parse(argv):
    ap = argparse.ArgumentParser(prog="python3 -m harness", description=__doc__)
    ap.add_argument("--submission", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--settings", default=None, help="settings JSON (default: settings.json beside the harness)")
    ap.add_argument("--model", default=None, help="checkpoint directory (default: settings 'model' or "
                                                  "$AGORA_LLM_DECODE_MODEL)")
    ap.add_argument("--data", default=None)
    for k, t in (("prompts", int), ("max-tokens", int), ("heldout", int), ("repeats", int), ("warmup", int),
                 ("fidelity-tolerance", float), ("fidelity-threshold", float),
                 ("perplexity-ratio-threshold", float), ("startup-timeout-s", float), ("request-timeout-s", float),
                 ("max-wall-s", float)):
        ap.add_argument(f"--{k}", type=t, default=None)
    ap.add_argument("--interleave-baseline", default=None,
                    help="also serve this trusted submission (e.g. the baseline, assembled by tools/assemble.py) and time one of its "
                         "repeats after each of the submission's, for a paired speed-up")
    ap.add_argument("--no-bandwidth", action="store_true")
    ap.add_argument("--prompt-seed", default=None,
                    help="seed that draws each repeat's prompts and held-out probes from the split's pools "
                         "(default: a fresh random one per job; recorded in extra.settings.prompt_seed)")
    ap.add_argument("--write-reference", action="store_true",
                    help="store the split's reference decodes (baseline only): the timed decodes, plus an untimed "
                         "decode of every pool prompt no repeat drew, for all of the split's prompts")
    ap.add_argument("--python", default=sys.executable, help="substituted for {python} in the serve command")
    ap.add_argument("--log-dir", default=None, help="where the submission's output goes (default: a temp dir)")
    ap.add_argument("--unsandboxed", action="store_true",
                    help="run the submission WITHOUT the sandbox, with your own rights (only for code you trust); "
                         "by default a harness run by hand uses the runner's sandbox, as a runner does")
    return ap.parse_args(argv)


REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
UNSANDBOXED_WARNING = (
    "!" * 78 + "\n"
    "!!! --unsandboxed: the submission runs WITHOUT a sandbox, with YOUR rights: your\n"
    "!!! files, your network, your clock and, run as root, the whole machine.\n"
    "!!! Use it only for code you wrote or read.\n" + "!" * 78)


def standalone_sandbox(a):
    """Run by hand (no AGORA_SANDBOX_EXEC from a runner): the runner's sandbox with the challenge's limits
    (packages/runner/src/standalone.ts prints the prefix), unless --unsandboxed. Raises when it cannot."""
    if os.environ.get("AGORA_SANDBOX_EXEC") is not None:
        return
    if a.unsandboxed:
        print(UNSANDBOXED_WARNING, file=sys.stderr)
        return
    script = os.path.join(REPO, "packages", "runner", "src", "standalone.ts")
    node = os.path.join(REPO, "node_modules", ".bin", "node")
    if not os.path.exists(node):
        node = shutil.which("node") or "node"
    if not os.path.exists(script):
        raise RuntimeError(f"the sandbox for a harness run by hand is the runner's ({script}), not found here; run the "
                           "job through `agora runner`, or pass --unsandboxed for code you trust")
    r = subprocess.run([node, script, "--challenge", HERE, "--submission", a.submission], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"could not build the sandbox prefix ({node} {script}): {r.stderr.strip()[-800:]}")
    os.environ["AGORA_SANDBOX_EXEC"] = r.stdout.strip()


def resolve(a, s):
    cfg = dict(s)
    for k in ("prompts", "max_tokens", "heldout", "repeats", "warmup", "fidelity_tolerance", "fidelity_threshold",
              "perplexity_ratio_threshold", "startup_timeout_s", "request_timeout_s", "max_wall_s"):
        v = getattr(a, k)
        if v is not None:
            cfg[k] = v
    model = a.model or os.environ.get("AGORA_LLM_DECODE_MODEL") or cfg["model"]
    cfg["model"] = model if os.path.isabs(model) else os.path.join(HERE, model)
    d = a.data or cfg["data"]
    cfg["data"] = d if os.path.isabs(d) else os.path.join(HERE, d)
    if a.interleave_baseline:
        cfg["interleave_baseline"] = a.interleave_baseline
    if a.no_bandwidth:
        cfg["measure_bandwidth"] = False
    return cfg


def draw(pool_size, repeats, per_repeat, seed, what):
    """Disjoint draws from a pool: shuffle the pool indices once (seeded), repeat r takes the next n.

    n = per_repeat, reduced to pool_size // repeats when the pool cannot give every repeat per_repeat
    distinct items; an item is never used by two repeats of a job. Returns (n, [[pool index]...]).
    """
    if per_repeat <= 0 or pool_size == 0:
        return 0, [[] for _ in range(repeats)]
    if pool_size < repeats:
        raise RuntimeError(f"the split has {pool_size} {what}, fewer than the {repeats} repeats: every repeat needs "
                           "its own (run tools/make_data.py with more, or fewer --repeats)")
    n = min(per_repeat, pool_size // repeats)
    order = list(range(pool_size))
    random.Random(f"{what}-{seed}").shuffle(order)
    return n, [order[r * n:(r + 1) * n] for r in range(repeats)]


def timed_request(index, prompt):
    """A decode request for pool prompt `index`."""
    return {"kind": "timed", "index": index, "prompt": prompt, "heldout_from": None}


def build_requests(split_data, cfg, split, seed):
    """Per repeat, its own timed prompts and held-out probes, disjoint from every other repeat's.

    Returns (requests per repeat, {"prompts": n, "heldout": m}): the counts per repeat actually used.
    "index" of a request is its index in the split's pool (prompts.json / heldout.json).
    """
    P = split_data["prompts"]
    if P is None:
        raise RuntimeError(f"no prompts for split '{split}' in {cfg['data']}: run tools/make_data.py first")
    R = cfg["repeats"]
    n, pdraw = draw(len(P["prompts"]), R, cfg["prompts"], seed, "prompts")
    H = split_data["heldout"]
    texts = H["texts"] if H is not None else []
    m, hdraw = draw(len(texts), R, cfg["heldout"] or 0, seed, "heldout")
    per = []
    for r in range(R):
        reqs = [timed_request(i, P["prompts"][i]) for i in pdraw[r]]
        reqs += [{"kind": "heldout", "index": j, "prompt": texts[j]["ids"], "heldout_from": texts[j]["heldout_from"]}
                 for j in hdraw[r]]
        per.append(reqs)
    return per, {"prompts": n, "heldout": m}


def run(a) -> dict:
    t_job = time.perf_counter()
    cfg = resolve(a, load_settings(a.settings))
    res = {
        "harness": {"name": HARNESS_NAME, "version": HARNESS_VERSION},
        "split": a.split,
        "status": "ok",
        "failure": None,
        "metric": {"name": "tokens_per_second", "unit": "tokens/s", "direction": "maximize", "samples": []},
        "guardrails": [],
        "samples": [],
        "environment": {},
        "extra": {},
    }
    timings = {}
    env = system.fingerprint()
    sb = client.sandbox_prefix()
    env["sandbox"] = "none" if sb is None else {"exec": sb}
    res["environment"] = env
    split_data = data.load_split(cfg["data"], a.split)
    seed = a.prompt_seed if a.prompt_seed is not None else secrets.token_hex(8)
    cfg["prompt_seed"] = seed
    per_repeat, drawn = build_requests(split_data, cfg, a.split, seed)
    reqs = [q for rq in per_repeat for q in rq]  # every request of the job (shapes for the warm-up)
    wb = system.weight_bytes(cfg["model"])
    bw = None
    if cfg.get("measure_bandwidth", True):
        t = time.perf_counter()
        bw = system.measure_bandwidth()
        timings["bandwidth_s"] = time.perf_counter() - t
    log_dir = a.log_dir or tempfile.mkdtemp(prefix="agora-llm-decode-")
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, "submission.log")
    outputs = []  # per repeat: the outputs of per_repeat[r], in the same positions
    extra_decodes = {}
    deadline = t_job + cfg["max_wall_s"]
    sub = None
    base = None
    try:
        sub = client.SubmissionProcess(a.submission, cfg["model"], log_path, a.python)
        res["extra"]["submission_command"] = sub.argv
        sub.start()
        timings["startup_s"] = sub.wait_healthy(cfg["startup_timeout_s"])
        # warm-up: requests shaped like the timed ones, with prompts of their own
        rng = random.Random(f"warmup-{a.split}")
        vocab = split_data["prompts"].get("vocab_size", 262144)
        lens = [len(r["prompt"]) for r in reqs]
        t = time.perf_counter()
        for _ in range(cfg["warmup"]):
            L = rng.choice(lens)
            p = [2] + [rng.randrange(3, vocab) for _ in range(L - 1)]
            client.complete(sub.port, p, cfg["max_tokens"], cfg["request_timeout_s"], cfg["stream"])
        timings["warmup_s"] = time.perf_counter() - t
        base = None
        if cfg.get("interleave_baseline"):
            base = _start_baseline(cfg, a, log_dir, reqs, vocab, res)
        clocks = []
        counts_before = client.stats(sub.port)
        t = time.perf_counter()
        for r in range(cfg["repeats"]):
            rq = per_repeat[r]
            order = list(range(len(rq)))
            random.Random(f"order-{seed}-{r}").shuffle(order)
            clocks.append(system.clocks_now())
            outs = _repeat(sub, rq, order, cfg, deadline)
            outputs.append(outs)
            secs = sum(o["t_end"] - o["t0"] for o in outs)
            res["metric"]["samples"].append(sum(len(o["tokens"]) for o in outs) / secs)
            if base is not None and base.get("proc") is not None:
                try:
                    bo = _repeat(base["proc"], rq, order, cfg, deadline)  # the same requests, same order
                    base["samples"].append(sum(len(o["tokens"]) for o in bo) / sum(o["t_end"] - o["t0"] for o in bo))
                except client.SubmissionError as e:
                    if e.code == "job_timeout":
                        raise
                    base["error"] = f"{e.code}: {e.reason[:1000]}"
                    base["proc"].stop()
                    base["proc"] = None
        timings["timed_s"] = time.perf_counter() - t
        if counts_before is not None:  # a submission that reports its own accounting (speculative decoding)
            got = sum(len(o["tokens"]) - 1 for outs in outputs for o in outs)
            res["extra"]["speculative"] = speculation.summarise(counts_before, client.stats(sub.port), got)
        env["clocks_during_repeats"] = clocks
        if a.write_reference:
            extra_decodes = _decode_rest_of_pool(sub, split_data, per_repeat, cfg, deadline)
    except client.SubmissionError as e:
        res["status"] = "failed"
        res["failure"] = {"code": e.code, "reason": e.reason[:4000]}
    finally:
        if sub is not None:
            sub.stop()
        if base is not None and base.get("proc") is not None:
            base["proc"].stop()
    if base is not None:
        _summarise_baseline(res, base)
    if sub is not None:
        res["extra"]["submission_log_tail"] = sub.log_tail(4000)
    if res["status"] == "ok":
        score(res, cfg, per_repeat, outputs, split_data, a, timings, extra_decodes)
    tps = stats.mean(res["metric"]["samples"]) if res["metric"]["samples"] else None
    ds = system.datasheet_bandwidth(env.get("gpu"))
    res["extra"]["roofline"] = system.roofline(wb, bw["gbps"] if bw else None, ds, tps)
    if bw:
        res["extra"]["roofline"]["bandwidth_measurement"] = bw
    timings["total_s"] = time.perf_counter() - t_job
    lw = timings.get("startup_s", 0) + timings.get("warmup_s", 0)
    timings["load_and_warmup_share"] = lw / timings["total_s"]
    res["extra"]["timings"] = timings
    res["extra"]["settings"] = {k: cfg[k] for k in ("prompts", "max_tokens", "heldout", "repeats", "warmup",
                                                     "stream", "fidelity_tolerance", "fidelity_threshold",
                                                     "perplexity_ratio_threshold")}
    # Each repeat has prompts and held-out probes of its own, drawn from the split's pools with this seed
    # (docs/decisions/0072); the counts per repeat are below the settings where the pools are too small.
    res["extra"]["settings"]["prompt_seed"] = seed
    res["extra"]["settings"]["prompts_per_repeat"] = drawn["prompts"]
    res["extra"]["settings"]["heldout_per_repeat"] = drawn["heldout"]
    res["extra"]["settings"]["prompt_pool"] = len(split_data["prompts"]["prompts"])
    res["extra"]["settings"]["heldout_pool"] = len(split_data["heldout"]["texts"]) if split_data["heldout"] else 0
    res["extra"]["model_dir"] = cfg["model"]
    res["extra"]["model_config"] = _model_summary(cfg["model"])
    if tps:
        res["extra"]["tokens_per_second"] = {"mean": tps, "stdev": stats.stdev(res["metric"]["samples"]),
                                             "ci95": stats.ci95(res["metric"]["samples"])}
    return res


def _repeat(proc, reqs, order, cfg, deadline):
    outs = [None] * len(reqs)
    for i in order:
        if time.perf_counter() > deadline:
            raise client.SubmissionError("job_timeout", f"the job exceeded its {cfg['max_wall_s']:.0f}s "
                                                        "wall-clock limit; the submission is too slow")
        if not proc.alive():
            raise client.SubmissionError("crashed", f"the server exited (code {proc.proc.returncode}). "
                                                    f"Last output:\n{proc.log_tail()}")
        outs[i] = client.complete(proc.port, reqs[i]["prompt"], cfg["max_tokens"], cfg["request_timeout_s"],
                                  cfg["stream"])
    return outs


def _decode_rest_of_pool(proc, split_data, per_repeat, cfg, deadline):
    """--write-reference: untimed decodes of the pool prompts no repeat drew, so the reference covers the pool."""
    drawn = {q["index"] for rq in per_repeat for q in rq if q["kind"] == "timed"}
    rest = [timed_request(i, p) for i, p in enumerate(split_data["prompts"]["prompts"]) if i not in drawn]
    outs = _repeat(proc, rest, range(len(rest)), cfg, deadline)
    return {q["index"]: o["tokens"] for q, o in zip(rest, outs)}


def _start_baseline(cfg, a, log_dir, reqs, vocab, res):
    """The challenge's own baseline, served beside the submission and timed in alternation with it."""
    d = cfg["interleave_baseline"]
    d = d if os.path.isabs(d) else os.path.join(HERE, d)
    base = {"dir": d, "samples": [], "error": None, "proc": None}
    try:
        p = client.SubmissionProcess(d, cfg["model"], os.path.join(log_dir, "baseline.log"), a.python)
        if p.prefix:  # trusted code of the challenge: not run through the submission sandbox
            p.argv = p.argv[len(p.prefix):]
            p.prefix = None
            p.report = None
        p.start()
        base["proc"] = p
        base["startup_s"] = p.wait_healthy(cfg["startup_timeout_s"])
        rng = random.Random("warmup-baseline")
        lens = [len(r["prompt"]) for r in reqs]
        for _ in range(cfg["warmup"]):
            L = rng.choice(lens)
            client.complete(p.port, [2] + [rng.randrange(3, vocab) for _ in range(L - 1)], cfg["max_tokens"],
                            cfg["request_timeout_s"], cfg["stream"])
    except client.SubmissionError as e:
        base["error"] = f"{e.code}: {e.reason[:1000]}"
        if base["proc"] is not None:
            base["proc"].stop()
        base["proc"] = None
    return base


def _summarise_baseline(res, base):
    out = {"submission": base["dir"], "samples": base["samples"], "error": base["error"],
           "startup_s": base.get("startup_s")}
    sub = res["metric"]["samples"][: len(base["samples"])]
    if base["samples"] and sub:
        ratios = [x / y for x, y in zip(sub, base["samples"])]
        out["speedup_per_repeat"] = ratios
        out["speedup_mean"] = stats.mean(ratios)
        out["speedup_ci95"] = stats.ci95(ratios)
    res["extra"]["interleaved_baseline"] = out


def _model_summary(model_dir):
    try:
        with open(os.path.join(model_dir, "config.json")) as f:
            c = json.load(f)
    except OSError:
        return None
    keys = ("model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "vocab_size",
            "tie_word_embeddings", "agora_random_model")
    return {k: c.get(k) for k in keys if k in c}


def score(res, cfg, per_repeat, outputs, split_data, a, timings, extra_decodes=None):
    from .reference import Reference, perplexity

    t = time.perf_counter()
    ref = Reference(cfg["model"])
    timings["reference_load_s"] = time.perf_counter() - t
    res["extra"]["reference_implementation"] = ref.implementation
    t = time.perf_counter()
    refdec = split_data["reference"]
    ref_decodes = None
    if refdec and refdec.get("decodes"):
        ref_decodes = refdec["decodes"]
    scored, sub_lp, ref_lp = [], [], []
    ref_heldout_cache = {}
    ttft, gaps, per_req_tps = [], [], []
    for r, outs in enumerate(outputs):
        for req, o in zip(per_repeat[r], outs):
            emitted = o["tokens"]
            sc = ref.score(req["prompt"], emitted, req["heldout_from"])
            reference = None
            if req["kind"] == "timed" and ref_decodes and req["index"] < len(ref_decodes) \
                    and ref_decodes[req["index"]] is not None:  # by pool index: any subset of the pool works
                reference = ref_decodes[req["index"]][: len(emitted)]
            scored.append({"tokens": sc["tokens"], "emitted": emitted, "reference": reference})
            if req["kind"] == "heldout":
                k = req["heldout_from"]
                sub_lp.extend(o["prompt_logprobs"][k:])
                if req["index"] not in ref_heldout_cache:
                    ref_heldout_cache[req["index"]] = sc["heldout_logprobs"]
                ref_lp.extend(ref_heldout_cache[req["index"]])
            secs = o["t_end"] - o["t0"]
            tt = o["times"][0] - o["t0"]
            g = [b - a_ for a_, b in zip(o["times"], o["times"][1:])]
            ttft.append(tt)
            gaps.extend(g)
            tps = len(emitted) / secs
            per_req_tps.append(tps)
            margins = [fidelity.token_margin(x["ref_logit_top1"], x["ref_logit_emitted"])
                       if x["emitted"] != x["ref_top1"] else 0.0 for x in sc["tokens"]]
            ps = fidelity.score_prompt(sc["tokens"], cfg["fidelity_tolerance"])
            em = fidelity.exact_match(emitted, reference)
            res["samples"].append({
                "repeat": r, "kind": req["kind"], "index": req["index"], "prompt_tokens": len(req["prompt"]),
                "new_tokens": len(emitted), "seconds": secs, "tokens_per_second": tps, "ttft_s": tt,
                "decode_tokens_per_second": (len(emitted) - 1) / (o["times"][-1] - o["times"][0])
                if len(emitted) > 1 and o["times"][-1] > o["times"][0] else None,
                "fidelity": ps["fidelity"], "first_unfaithful": ps["first_unfaithful"],
                "max_margin": ps["max_margin"], "first_divergence": em["first_divergence"],
                "emitted": emitted, "ref_top1": [x["ref_top1"] for x in sc["tokens"]], "margin": margins,
            })
    fid = fidelity.score(scored, cfg["fidelity_tolerance"])
    timings["scoring_s"] = time.perf_counter() - t
    fd = {k: v for k, v in fid.items() if k != "per_prompt"}
    fd["tolerance"] = cfg["fidelity_tolerance"]
    fd["first_divergence"] = [p["first_divergence"] for p in fid["per_prompt"]]
    fd["first_divergence_from_reference_greedy"] = [p["first_divergence_from_reference_greedy"]
                                                    for p in fid["per_prompt"]]
    all_m = [m for s in res["samples"] for m in s["margin"]]
    nz = [m for m in all_m if m > 0]
    fd["margin_of_emitted"] = {"nonzero_share": len(nz) / len(all_m) if all_m else 0.0,
                               "p99": stats.percentile(all_m, 99), "p999": stats.percentile(all_m, 99.9),
                               "max": max(all_m) if all_m else None}
    res["guardrails"].append({"name": "decode_fidelity", "value": fid["fidelity"],
                              "threshold": cfg["fidelity_threshold"], "op": ">=",
                              "passed": fid["fidelity"] >= cfg["fidelity_threshold"], "detail": fd})
    if sub_lp:
        ppl_s, ppl_r = perplexity(sub_lp), perplexity(ref_lp)
        ratio = ppl_s / ppl_r
        res["guardrails"].append({"name": "perplexity", "value": ratio,
                                  "threshold": cfg["perplexity_ratio_threshold"], "op": "<=",
                                  "passed": ratio <= cfg["perplexity_ratio_threshold"],
                                  "detail": {"definition": "submission perplexity / reference perplexity, "
                                                           "teacher-forced over the held-out segments",
                                             "submission_perplexity": ppl_s, "reference_perplexity": ppl_r,
                                             "tokens": len(sub_lp), "requests_per_repeat":
                                                 [sum(1 for q in rq if q["kind"] == "heldout") for rq in per_repeat]}})
    else:
        res["guardrails"].append({"name": "perplexity", "value": None,
                                  "threshold": cfg["perplexity_ratio_threshold"], "op": "<=", "passed": False,
                                  "detail": {"error": "no held-out texts in this split's data"}})
    res["extra"]["latency"] = {
        "ttft_s": {f"p{q}": stats.percentile(ttft, q) for q in (50, 90, 99)},
        "per_token_s": {f"p{q}": stats.percentile(gaps, q) for q in (50, 90, 99, 99.9)},
        "request_tokens_per_second": {f"p{q}": stats.percentile(per_req_tps, q) for q in (10, 50, 90)},
    }
    if a.write_reference:
        # decodes[i] belongs to pool prompt i: the timed decode of whichever repeat drew it, else the untimed
        # decode after the repeats (every repeat has its own prompts, so the reference must cover the pool)
        by_index = dict(extra_decodes or {})
        for rq, outs in zip(per_repeat, outputs):
            for q, o in zip(rq, outs):
                if q["kind"] == "timed":
                    by_index[q["index"]] = o["tokens"]
        decodes = [by_index.get(i) for i in range(len(split_data["prompts"]["prompts"]))]
        p = data.write(cfg["data"], a.split, "reference", {
            "max_tokens": cfg["max_tokens"], "decodes": decodes,
            "producer": {"submission": os.path.abspath(a.submission), "prompt_seed": cfg["prompt_seed"],
                         "covers": "every pool prompt (timed decodes of the repeats, untimed for the rest)"}})
        res["extra"]["wrote_reference"] = p
    ref.close()


def main(argv=None) -> int:
    a = parse(argv)
    try:
        standalone_sandbox(a)
        res = run(a)
    except Exception as e:  # harness or infrastructure fault: no result, non-zero exit
        import traceback

        traceback.print_exc()
        print(f"harness error: {e}", file=sys.stderr)
        return 2
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(res, f)
    os.replace(tmp, a.out)
    g = ", ".join(f"{x['name']}={x['value'] if x['value'] is None else round(x['value'], 5)} "
                  f"{'pass' if x['passed'] else 'FAIL'}" for x in res["guardrails"])
    tps = res["metric"]["samples"]
    print(f"[harness] status={res['status']} tokens/s={[round(x, 2) for x in tps]} {g}"
          + (f" failure={res['failure']['code']}" if res["failure"] else ""), file=sys.stderr)
    return 0
