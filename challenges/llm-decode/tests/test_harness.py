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
        for split in ("public", "private"):
            r = sh(["tools/make_data.py", "--model", cls.model, "--split", split, "--data", cls.data, "--prompts", "5",
                    "--heldout", "3", "--min-len", "8", "--max-len", "40", "--heldout-continuation", "16"])
            assert r.returncode == 0, r.stderr
        cls.base = cls.harness("submissions/baseline", "public", "--write-reference")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def harness(cls, sub, split, *extra, env=None):
        out = os.path.join(cls.tmp, f"{os.path.basename(sub)}-{split}-{len(os.listdir(cls.tmp))}.json")
        r = sh(["-m", "harness", "--submission", sub, "--split", split, "--out", out, "--model", cls.model,
                "--data", cls.data, *COMMON, *extra], env=env or ENV)
        assert r.returncode == 0, r.stdout + r.stderr
        return json.load(open(out))

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
        # 5 timed + 3 held-out requests per repeat, 2 repeats
        self.assertEqual(len(r["samples"]), 16)
        self.assertTrue(os.path.exists(os.path.join(self.data, "public", "reference.json")))

    def test_baseline_repeat_matches_reference_decodes(self):
        r = self.harness("submissions/baseline", "public")
        fd = self.g(r, "decode_fidelity")["detail"]
        self.assertEqual(fd["exact_match_rate"], 1.0)
        self.assertEqual(fd["identical_prompt_rate"], 1.0)

    def test_optimized_example_runs_on_cpu(self):
        # the toy engine ignores --engine and --cuda-graph (no GPU here): the example must still serve and pass
        r = self.harness("submissions/optimized-cuda-graph", "public", "--interleave-baseline", "submissions/baseline")
        self.assertEqual(r["status"], "ok", r["failure"])
        self.assertTrue(all(g["passed"] for g in r["guardrails"]))
        ib = r["extra"]["interleaved_baseline"]
        self.assertIsNone(ib["error"])
        self.assertEqual(len(ib["samples"]), 2)
        self.assertEqual(len(ib["speedup_per_repeat"]), 2)
        check_result_schema(self, r)

    def test_skipping_layers_fails_fidelity(self):
        r = self.harness("submissions/broken-skip-layers", "public")
        self.assertEqual(r["status"], "ok", r["failure"])
        fid = self.g(r, "decode_fidelity")
        self.assertFalse(fid["passed"])
        self.assertLess(fid["value"], 0.9)
        self.assertFalse(self.g(r, "perplexity")["passed"])

    def test_path_splitting_passes_perplexity_but_fails_fidelity(self):
        r = self.harness("submissions/broken-path-split", "public")
        self.assertEqual(r["status"], "ok", r["failure"])
        self.assertTrue(self.g(r, "perplexity")["passed"], self.g(r, "perplexity"))
        self.assertFalse(self.g(r, "decode_fidelity")["passed"])

    def test_vocab_pruned_to_public_tokens_passes_public_fails_private(self):
        sub = os.path.join(self.tmp, "vocab-prune")
        shutil.copytree(os.path.join(ROOT, "submissions", "broken-vocab-prune"), sub)
        r = sh(["tools/make_keep_vocab.py", "--data", self.data, "--out", os.path.join(sub, "keep_vocab.json")])
        self.assertEqual(r.returncode, 0, r.stderr)
        pub = self.harness(sub, "public")
        priv = self.harness(sub, "private")
        self.assertTrue(self.g(pub, "decode_fidelity")["passed"], self.g(pub, "decode_fidelity"))
        self.assertFalse(self.g(priv, "decode_fidelity")["passed"])

    def test_crashing_server_is_a_failed_job_with_a_reason(self):
        sub = os.path.join(self.tmp, "crash")
        os.makedirs(sub)
        json.dump({"serve": ["{python}", "-c", "import sys; print('boom: no GPU found'); sys.exit(3)"]},
                  open(os.path.join(sub, "manifest.json"), "w"))
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
        shutil.copytree(os.path.join(ROOT, "submissions", "baseline"), sub2)
        with open(os.path.join(sub2, "agora_serve.py"), "a") as f:
            f.write("\n")
        src = open(os.path.join(sub2, "agora_serve.py")).read()
        src = src.replace("for i in range(1, n):", "for i in range(1, n - 1):")
        open(os.path.join(sub2, "agora_serve.py"), "w").write(src)
        r = self.harness(sub2, "public")
        self.assertEqual(r["status"], "failed")
        self.assertEqual(r["failure"]["code"], "protocol_error")

    def test_sandbox_prefix_is_used_and_recorded(self):
        env = dict(ENV, AGORA_SANDBOX_EXEC=json.dumps(["env", "AGORA_IN_SANDBOX=1"]))
        r = self.harness("submissions/baseline", "public", env=env)
        self.assertEqual(r["status"], "ok", r["failure"])
        self.assertEqual(r["environment"]["sandbox"], {"exec": ["env", "AGORA_IN_SANDBOX=1"]})
        self.assertEqual(r["extra"]["submission_command"][:2], ["env", "AGORA_IN_SANDBOX=1"])


class SharedFilesAreIdentical(unittest.TestCase):
    def test_copies(self):
        subs = os.path.join(ROOT, "submissions")
        for name, origin in (("toy_gemma.py", "harness"), ("safetensors_lite.py", "harness"),
                             ("agora_serve.py", "submissions/baseline")):
            want = open(os.path.join(ROOT, origin, name)).read()
            for d in sorted(os.listdir(subs)):
                p = os.path.join(subs, d, name)
                if os.path.isdir(os.path.join(subs, d)):
                    self.assertEqual(open(p).read(), want, p)


class ChallengeYaml(unittest.TestCase):
    def test_yaml_fields(self):
        try:
            import yaml
        except ImportError:
            self.skipTest("pyyaml not installed")
        c = yaml.safe_load(open(os.path.join(ROOT, "challenge.yaml")))
        self.assertEqual(c["id"], "llm-decode")
        self.assertEqual(c["hardware"][0], "gpu")
        self.assertEqual(c["metric"]["name"], "tokens_per_second")
        names = {g["name"] for g in c["guardrails"]}
        self.assertEqual(names, {"perplexity", "decode_fidelity"})
        s = json.load(open(os.path.join(ROOT, "settings.json")))
        g = {x["name"]: x for x in c["guardrails"]}
        self.assertEqual(g["decode_fidelity"]["threshold"], s["fidelity_threshold"])
        self.assertEqual(g["perplexity"]["threshold"], s["perplexity_ratio_threshold"])


if __name__ == "__main__":
    unittest.main()
