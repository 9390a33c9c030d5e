"""End-to-end tests of the harness on CPU with the toy model (plain PyTorch; no transformers, no GPU)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import assemble as ASSEMBLE  # noqa: E402


def read_text(path):
    with open(path) as f:
        return f.read()


def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


def read_json(path):
    with open(path) as f:
        return json.load(f)


try:
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

ENV = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
ENV.pop("AGORA_SANDBOX_EXEC", None)
COMMON = ["--max-tokens", "16", "--repeats", "2", "--warmup", "1"]


def sh(args, **kw):
    return subprocess.run([sys.executable] + args, cwd=ROOT, env=kw.pop("env", ENV), capture_output=True, text=True,
                          timeout=300, **kw)


MEMO_SERVE = r'''"""The baseline, remembering its answers: a memoizing server (what the harness must defeat)."""
import os
import sys

import agora_serve as S

LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "memo.log")


class Memo:
    def __init__(self, eng):
        self.eng, self.memo, self.replay, self.rec = eng, {}, None, None

    def prefill(self, ids):
        key = tuple(ids)
        with open(LOG, "a") as f:
            f.write(("hit" if key in self.memo else "miss") + "\n")
        if key in self.memo:
            lp, toks = self.memo[key]
            self.replay = iter(toks[1:])
            return lp, toks[0]
        lp, tok = self.eng.prefill(ids)
        self.replay, self.rec = None, [tok]
        self.memo[key] = (lp, self.rec)
        return lp, tok

    def step(self, tok):
        if self.replay is not None:
            return next(self.replay)
        t = self.eng.step(tok)
        self.rec.append(t)
        return t


_Server = S.Server
S.Server = lambda engine, name: _Server(Memo(engine), name)
S.main(sys.argv[1:])
'''


def check_result_schema(tc, r):
    """Mirror of HarnessResult (packages/core/src/schemas/result.ts)."""
    tc.assertEqual(set(r) - {"harness", "split", "status", "failure", "metric", "guardrails", "samples",
                             "environment", "extra"}, set())
    tc.assertIsInstance(r["harness"]["name"], str)
    tc.assertIsInstance(r["harness"]["version"], str)
    tc.assertTrue(1 <= len(r["split"]) <= 32)
    tc.assertIn(r["status"], ("ok", "failed"))
    if r["failure"] is not None:
        tc.assertLessEqual(len(r["failure"]["code"]), 64)
        tc.assertLessEqual(len(r["failure"]["reason"]), 4000)
    m = r["metric"]
    tc.assertEqual((m["name"], m["unit"], m["direction"]), ("tokens_per_second", "tokens/s", "maximize"))
    tc.assertTrue(all(isinstance(x, (int, float)) for x in m["samples"]))
    for g in r["guardrails"]:
        tc.assertTrue(1 <= len(g["name"]) <= 64)
        tc.assertTrue(g["value"] is None or isinstance(g["value"], (int, float)))
        tc.assertIsInstance(g["threshold"], (int, float))
        tc.assertIn(g["op"], ("<=", ">="))
        tc.assertIsInstance(g["passed"], bool)
        tc.assertIsInstance(g.get("detail", {}), dict)
    tc.assertTrue(all(isinstance(s, dict) for s in r["samples"]))
    tc.assertIsInstance(r["environment"], dict)
    tc.assertIsInstance(r["extra"], dict)
    json.dumps(r, allow_nan=False)


@unittest.skipUnless(HAVE_TORCH, "torch is not installed: the llm-decode harness tests need PyTorch (CPU is enough)")
class HarnessEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="llm-decode-test-")
        cls.model = os.path.join(cls.tmp, "model")
        cls.data = os.path.join(cls.tmp, "data")
        r = sh(["tools/make_checkpoint.py", "--size", "toy", "--out", cls.model])
        assert r.returncode == 0, r.stderr
        for split, n in (("public", "5"), ("private", "5"), ("wide", "64")):
            r = sh(["tools/make_data.py", "--model", cls.model, "--split", split, "--data", cls.data, "--prompts", n,
                    "--heldout", "3", "--min-len", "8", "--max-len", "40", "--heldout-continuation", "16"])
            assert r.returncode == 0, r.stderr
        for name in os.listdir(os.path.join(ROOT, "submissions")):
            ASSEMBLE.assemble(name, cls.bundle(name))
        cls.base = cls.harness(cls.bundle("baseline"), "public", "--write-reference")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def bundle(cls, name):
        """The assembled example (tools/assemble.py), as it is uploaded."""
        return os.path.join(cls.tmp, "bundles", name)

    @classmethod
    def harness(cls, sub, split, *extra, env=None):
        out = os.path.join(cls.tmp, f"{os.path.basename(sub)}-{split}-{len(os.listdir(cls.tmp))}.json")
        # --unsandboxed: these score the repository's own examples (trusted code) to test the harness's logic;
        # tests/test_sandbox.py runs the harness under the runner's sandbox.
        r = sh(["-m", "harness", "--submission", sub, "--split", split, "--out", out, "--model", cls.model,
                "--data", cls.data, "--unsandboxed", *COMMON, *extra], env=env or ENV)
        assert r.returncode == 0, r.stdout + r.stderr
        return read_json(out)

    def g(self, res, name):
        return next(x for x in res["guardrails"] if x["name"] == name)

    def test_baseline_passes_and_result_is_complete(self):
        r = self.base
        check_result_schema(self, r)
        self.assertEqual(r["status"], "ok", r["failure"])
        self.assertEqual(len(r["metric"]["samples"]), 2)
        self.assertTrue(self.g(r, "decode_fidelity")["passed"])
        self.assertEqual(self.g(r, "decode_fidelity")["value"], 1.0)
        self.assertTrue(self.g(r, "perplexity")["passed"])
        self.assertAlmostEqual(self.g(r, "perplexity")["value"], 1.0, places=4)
        self.assertEqual(r["environment"]["sandbox"], "none")
        for k in ("bytes_per_token", "measured_bandwidth_gbps", "datasheet_bandwidth_gbps",
                  "ceiling_tokens_per_second", "share_of_ceiling"):
            self.assertIn(k, r["extra"]["roofline"])
        self.assertGreater(r["extra"]["roofline"]["bytes_per_token"], 0)
        for k in ("startup_s", "warmup_s", "timed_s", "total_s", "load_and_warmup_share"):
            self.assertIn(k, r["extra"]["timings"])
        self.assertIn("per_token_s", r["extra"]["latency"])
        s = r["samples"][0]
        for k in ("emitted", "ref_top1", "margin", "tokens_per_second", "ttft_s", "first_divergence"):
            self.assertIn(k, s)
        self.assertEqual(len(s["emitted"]), 16)
        self.assertEqual(len(s["margin"]), 16)
        # pools of 5 prompts and 3 held-out texts over 2 repeats: 2 timed + 1 held-out request per repeat
        st = r["extra"]["settings"]
        self.assertEqual((st["prompts_per_repeat"], st["heldout_per_repeat"]), (2, 1))
        self.assertEqual((st["prompt_pool"], st["heldout_pool"]), (5, 3))
        self.assertRegex(st["prompt_seed"], "^[0-9a-f]{16}$")
        self.assertEqual(len(r["samples"]), 6)
        # --write-reference covers the whole pool (the prompt no repeat drew is decoded untimed), by pool index
        ref = read_json(os.path.join(self.data, "public", "reference.json"))
        self.assertEqual(len(ref["decodes"]), 5)
        self.assertTrue(all(d is not None and len(d) == 16 for d in ref["decodes"]))
        for s in r["samples"]:
            if s["kind"] == "timed":
                self.assertEqual(ref["decodes"][s["index"]], s["emitted"])

    def test_baseline_repeat_matches_reference_decodes(self):
        r = self.harness(self.bundle("baseline"), "public", "--prompt-seed", "other-draw")
        fd = self.g(r, "decode_fidelity")["detail"]
        self.assertEqual(fd["exact_match_rate"], 1.0)
        self.assertEqual(fd["identical_prompt_rate"], 1.0)
        self.assertEqual(fd["first_divergence"], [None] * 6)
        self.assertEqual(fd["first_divergence_from_reference_greedy"], [None] * 6)
        self.assertEqual(fd["reference_greedy_identical_rate"], 1.0)

    def draws(self, r):
        """Per repeat: (timed pool indices, held-out pool indices), from the result's per-request records."""
        out = {}
        for s in r["samples"]:
            t, h = out.setdefault(s["repeat"], ([], []))
            (t if s["kind"] == "timed" else h).append(s["index"])
        return [out[k] for k in sorted(out)]

    def test_repeats_have_disjoint_prompts_and_heldout_probes(self):
        for r in (self.base, self.harness(self.bundle("baseline"), "wide", "--prompts", "8")):
            d = self.draws(r)
            self.assertEqual(len(d), 2)
            st = r["extra"]["settings"]
            for t, h in d:
                self.assertEqual(len(t), st["prompts_per_repeat"])
                self.assertEqual(len(h), st["heldout_per_repeat"])
                self.assertEqual(len(set(t)), len(t))
            self.assertEqual(set(d[0][0]) & set(d[1][0]), set(), d)
            self.assertEqual(set(d[0][1]) & set(d[1][1]), set(), d)
            self.assertEqual(self.g(r, "perplexity")["detail"]["requests_per_repeat"], [1, 1])
        self.assertEqual(st["prompts_per_repeat"], 8)  # the wide pool (64) gives the full count

    def test_prompt_seed_draws_fresh_prompts_per_job_and_reproduces_when_given(self):
        a = self.harness(self.bundle("baseline"), "wide", "--prompts", "8")
        b = self.harness(self.bundle("baseline"), "wide", "--prompts", "8")
        self.assertNotEqual(a["extra"]["settings"]["prompt_seed"], b["extra"]["settings"]["prompt_seed"])
        self.assertNotEqual(self.draws(a), self.draws(b))
        c = self.harness(self.bundle("baseline"), "wide", "--prompts", "8", "--prompt-seed", "repro-1")
        e = self.harness(self.bundle("baseline"), "wide", "--prompts", "8", "--prompt-seed", "repro-1")
        self.assertEqual(c["extra"]["settings"]["prompt_seed"], "repro-1")
        self.assertEqual(self.draws(c), self.draws(e))
        self.assertEqual([s["emitted"] for s in c["samples"]], [s["emitted"] for s in e["samples"]])

    def test_memoizing_server_gets_no_hits(self):
        # the baseline behind a memo: (prompt) -> (prompt log-probs, tokens), replayed when a prompt comes again;
        # every prompt it receives is logged as a hit or a miss
        sub = os.path.join(self.tmp, "memo")
        shutil.copytree(self.bundle("baseline"), sub)
        write_text(os.path.join(sub, "memo_serve.py"), MEMO_SERVE)
        m = read_json(os.path.join(sub, "manifest.json"))
        m["serve"] = [m["serve"][0], "memo_serve.py"] + m["serve"][2:]
        write_text(os.path.join(sub, "manifest.json"), json.dumps(m))
        memo_log = os.path.join(sub, "memo.log")
        # it does memoize: the same prompt twice (what the repeats of a job used to send) is a hit
        sys.path.insert(0, ROOT)
        from harness import client
        p = client.SubmissionProcess(sub, self.model, os.path.join(self.tmp, "memo-direct.log"), sys.executable)
        try:
            p.start()
            p.wait_healthy(120)
            prompt = read_json(os.path.join(self.data, "public", "prompts.json"))["prompts"][0]
            first = client.complete(p.port, prompt, 16, 60, True)
            again = client.complete(p.port, prompt, 16, 60, True)
        finally:
            p.stop()
        self.assertEqual(first["tokens"], again["tokens"])
        self.assertEqual(read_text(memo_log).split(), ["miss", "hit"])
        os.remove(memo_log)
        # a job: every repeat has prompts of its own, so the memo never hits, and its answers are right
        r = self.harness(sub, "public")
        self.assertEqual(r["status"], "ok", r["failure"])
        self.assertTrue(all(g["passed"] for g in r["guardrails"]), r["guardrails"])
        log = read_text(memo_log).split()
        self.assertEqual(len(log), 1 + 2 * 3)  # the warm-up request, then 2 repeats of 2 timed + 1 held-out
        self.assertEqual(log.count("hit"), 0, log)

    def test_optimized_example_runs_on_cpu(self):
        # the toy engine ignores --engine and --cuda-graph (no GPU here): the example must still serve and pass
        r = self.harness(self.bundle("optimized-cuda-graph"), "public", "--interleave-baseline",
                         self.bundle("baseline"))
        self.assertEqual(r["status"], "ok", r["failure"])
        self.assertTrue(all(g["passed"] for g in r["guardrails"]))
        ib = r["extra"]["interleaved_baseline"]
        self.assertIsNone(ib["error"])
        self.assertEqual(len(ib["samples"]), 2)
        self.assertEqual(len(ib["speedup_per_repeat"]), 2)
        check_result_schema(self, r)

    def test_speculative_example_keeps_the_greedy_decode_and_reports_its_acceptance(self):
        """A 2-layer random draft proposes; the target verifies: the reference's greedy decode exactly, and the
        harness's summary of the submission's accounting matches the tokens it received (decision 0130)."""
        sys.path.insert(0, os.path.join(ROOT, "harness"))
        import toy_gemma

        sub = self.bundle("speculative-draft")
        toy_gemma.write_checkpoint(os.path.join(sub, "draft-1"), seed=5, num_hidden_layers=2, num_kv_shared_layers=0)
        r = self.harness(sub, "public", "--prompt-seed", "other-draw")
        self.assertEqual(r["status"], "ok", r["failure"])
        fd = self.g(r, "decode_fidelity")
        self.assertEqual(fd["detail"]["first_divergence_from_reference_greedy"], [None] * 6)
        self.assertTrue(self.g(r, "perplexity")["passed"])
        sp = r["extra"]["speculative"]
        self.assertTrue(sp["consistent"], sp)
        self.assertEqual(sp["received_after_first"], 6 * 15)  # 2 repeats x 3 requests x (16 - 1) tokens
        self.assertEqual(sp["counts"]["proposed"], 4 * sp["counts"]["cycles"])
        self.assertTrue(0 <= sp["acceptance_rate"] < 1)
        self.assertGreater(sp["bytes_per_token"], 0)
        check_result_schema(self, r)

    def test_skipping_layers_fails_fidelity(self):
        r = self.harness(self.bundle("broken-skip-layers"), "public")
        self.assertEqual(r["status"], "ok", r["failure"])
        fid = self.g(r, "decode_fidelity")
        self.assertFalse(fid["passed"])
        self.assertLess(fid["value"], 0.9)
        self.assertFalse(self.g(r, "perplexity")["passed"])

    def test_path_splitting_passes_perplexity_but_fails_fidelity(self):
        r = self.harness(self.bundle("broken-path-split"), "public")
        self.assertEqual(r["status"], "ok", r["failure"])
        self.assertTrue(self.g(r, "perplexity")["passed"], self.g(r, "perplexity"))
        self.assertFalse(self.g(r, "decode_fidelity")["passed"])

    def test_vocab_pruned_to_public_tokens_passes_public_fails_private(self):
        sub = os.path.join(self.tmp, "vocab-prune")
        shutil.copytree(self.bundle("broken-vocab-prune"), sub)
        r = sh(["tools/make_keep_vocab.py", "--data", self.data, "--out", os.path.join(sub, "keep_vocab.json")])
        self.assertEqual(r.returncode, 0, r.stderr)
        pub = self.harness(sub, "public")
        priv = self.harness(sub, "private")
        self.assertTrue(self.g(pub, "decode_fidelity")["passed"], self.g(pub, "decode_fidelity"))
        self.assertFalse(self.g(priv, "decode_fidelity")["passed"])

    def test_crashing_server_is_a_failed_job_with_a_reason(self):
        sub = os.path.join(self.tmp, "crash")
        os.makedirs(sub)
        write_text(os.path.join(sub, "manifest.json"),
                   json.dumps({"serve": ["{python}", "-c", "import sys; print('boom: no GPU found'); sys.exit(3)"]}))
        r = self.harness(sub, "public")
        check_result_schema(self, r)
        self.assertEqual(r["status"], "failed")
        self.assertEqual(r["failure"]["code"], "start_failed")
        self.assertIn("boom: no GPU found", r["failure"]["reason"])

    def test_missing_manifest_and_wrong_token_count(self):
        sub = os.path.join(self.tmp, "empty")
        os.makedirs(sub)
        r = self.harness(sub, "public")
        self.assertEqual(r["failure"]["code"], "bad_manifest")
        sub2 = os.path.join(self.tmp, "short")
        shutil.copytree(self.bundle("baseline"), sub2)
        src = read_text(os.path.join(sub2, "protocol.py"))
        self.assertIn("for i in range(1, n):", src)
        write_text(os.path.join(sub2, "protocol.py"), src.replace("for i in range(1, n):", "for i in range(1, n - 1):"))
        r = self.harness(sub2, "public")
        self.assertEqual(r["status"], "failed")
        self.assertEqual(r["failure"]["code"], "protocol_error")

    def test_sandbox_prefix_is_used_and_recorded(self):
        env = dict(ENV, AGORA_SANDBOX_EXEC=json.dumps(["env", "AGORA_IN_SANDBOX=1"]))
        r = self.harness(self.bundle("baseline"), "public", env=env)
        self.assertEqual(r["status"], "ok", r["failure"])
        self.assertEqual(r["environment"]["sandbox"], {"exec": ["env", "AGORA_IN_SANDBOX=1"]})
        self.assertEqual(r["extra"]["submission_command"][:2], ["env", "AGORA_IN_SANDBOX=1"])


class ChallengeYaml(unittest.TestCase):
    def test_yaml_fields(self):
        try:
            import yaml
        except ImportError:
            self.skipTest("pyyaml not installed")
        c = yaml.safe_load(read_text(os.path.join(ROOT, "challenge.yaml")))
        self.assertEqual(c["id"], "llm-decode")
        self.assertEqual(c["hardware"][0], "gpu")
        self.assertEqual(c["metric"]["name"], "tokens_per_second")
        names = {g["name"] for g in c["guardrails"]}
        self.assertEqual(names, {"perplexity", "decode_fidelity"})
        s = read_json(os.path.join(ROOT, "settings.json"))
        g = {x["name"]: x for x in c["guardrails"]}
        self.assertEqual(g["decode_fidelity"]["threshold"], s["fidelity_threshold"])
        self.assertEqual(g["perplexity"]["threshold"], s["perplexity_ratio_threshold"])


if __name__ == "__main__":
    unittest.main()
