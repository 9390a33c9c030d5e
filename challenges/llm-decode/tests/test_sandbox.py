"""The harness under the runner's sandbox prefix (AGORA_SANDBOX_EXEC): port bridge, read-only checkpoint, --env.

Three layers: the prefix rewriting itself; a stand-in for exec.ts that, like the real sandbox, gives the submission
only the environment passed with --env; and the real bubblewrap sandbox through packages/runner/src/sandbox/exec.ts
(skipped where bwrap or Node 24 cannot run it). CPU only, toy model, a few seconds.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(ROOT))
sys.path.insert(0, ROOT)

from harness import client  # noqa: E402

try:
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

NODE = os.path.join(REPO, "node_modules", ".bin", "node")
EXEC_TS = os.path.join(REPO, "packages", "runner", "src", "sandbox", "exec.ts")
ENV = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
ENV.pop("AGORA_SANDBOX_EXEC", None)
ARGS = ["--max-tokens", "8", "--repeats", "2", "--warmup", "1", "--no-bandwidth"]

# A stand-in for exec.ts: parses its flags up to `--`, records them, and runs the command with the --env
# variables only (plus PATH), as the real sandbox does.
FAKE_EXEC = r'''
import json, os, sys
argv = sys.argv[1:]
sep = argv.index("--")
flags, cmd = argv[:sep], argv[sep + 1:]
env = {"PATH": "/usr/bin:/bin"}
seen = {"forward_port": [], "ro": [], "env": {}}
i = 0
while i < len(flags):
    f, v = flags[i], flags[i + 1]
    i += 2
    if f == "--env":
        k, _, val = v.partition("=")
        env[k] = val
        seen["env"][k] = val
    elif f == "--forward-port":
        seen["forward_port"].append(int(v))
    elif f == "--ro":
        seen["ro"].append(v)
with open(os.environ["FAKE_EXEC_LOG"], "w") as fh:
    json.dump(seen, fh)
os.execvpe(cmd[0], cmd, env)
'''


def sandbox_usable():
    if not (os.path.exists(NODE) and os.path.exists(EXEC_TS)):
        return "Node 24 (node_modules/.bin/node) or packages/runner/src/sandbox/exec.ts is missing"
    if not shutil.which("bwrap"):
        return "bubblewrap (bwrap) is not installed"
    r = subprocess.run(["bwrap", "--unshare-all", "--ro-bind", "/", "/", "--", "/bin/true"], capture_output=True)
    if r.returncode != 0:
        return f"bwrap cannot make a sandbox here: {r.stderr.decode()[:200]}"
    return None


class PrefixRewriting(unittest.TestCase):
    def test_inserts_before_the_final_separator(self):
        p = ["node", "exec.ts", "--bundle", "/b", "--ro", "/opt/venv", "--"]
        out = client.sandboxed_prefix(p, 4242, ["/models/m", "/opt/venv"], {"A": "1", "B": "x=y"})
        self.assertEqual(out, ["node", "exec.ts", "--bundle", "/b", "--ro", "/opt/venv", "--forward-port", "4242",
                               "--ro", "/models/m", "--env", "A=1", "--env", "B=x=y", "--"])

    def test_other_prefixes_are_left_alone(self):
        self.assertEqual(client.sandboxed_prefix(["env", "X=1"], 1, ["/m"], {"A": "1"}), ["env", "X=1"])

    def test_model_binds_follow_links_out_of_the_checkpoint(self):
        with tempfile.TemporaryDirectory() as t:
            blobs, snap = os.path.join(t, "blobs"), os.path.join(t, "snapshots", "abc")
            os.makedirs(blobs)
            os.makedirs(snap)
            open(os.path.join(blobs, "f1"), "w").close()
            open(os.path.join(snap, "config.json"), "w").close()
            os.symlink("../../blobs/f1", os.path.join(snap, "model.safetensors"))
            os.symlink("/nonexistent/x", os.path.join(snap, "dangling"))
            self.assertEqual(client.model_binds(snap), [snap, os.path.realpath(blobs)])
            self.assertEqual(client.model_binds(blobs), [blobs])

    def test_python_binds_skip_what_the_sandbox_binds_already(self):
        if sys.prefix == sys.base_prefix == "/usr":
            self.assertEqual(client.python_binds(sys.executable), [])
        for d in client.python_binds(sys.executable):
            self.assertFalse(d == "/usr" or d.startswith("/usr/"), d)


@unittest.skipUnless(HAVE_TORCH, "torch is not installed: the llm-decode harness tests need PyTorch (CPU is enough)")
class UnderTheSandboxPrefix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="llm-decode-sandbox-test-")
        cls.model = os.path.join(cls.tmp, "model")
        cls.data = os.path.join(cls.tmp, "data")
        for args in (["tools/make_checkpoint.py", "--size", "toy", "--out", cls.model],
                     ["tools/make_data.py", "--model", cls.model, "--split", "public", "--data", cls.data,
                      "--prompts", "3", "--heldout", "2", "--min-len", "8", "--max-len", "24",
                      "--heldout-continuation", "8"]):
            r = subprocess.run([sys.executable] + args, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
            assert r.returncode == 0, r.stderr
        cls.bundle = os.path.join(cls.tmp, "bundle")
        r = subprocess.run([sys.executable, "tools/assemble.py", "baseline", cls.bundle], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_harness(self, prefix, extra_env=None):
        out = os.path.join(self.tmp, f"r-{len(os.listdir(self.tmp))}.json")
        env = dict(ENV, AGORA_SANDBOX_EXEC=json.dumps(prefix), **(extra_env or {}))
        r = subprocess.run([sys.executable, "-m", "harness", "--submission", self.bundle, "--split", "public", "--out",
                            out, "--model", self.model, "--data", self.data, "--log-dir",
                            os.path.join(self.tmp, "logs"), *ARGS], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
        return r, out

    def exec_prefix(self, *flags):
        scratch = tempfile.mkdtemp(dir=self.tmp)
        return [os.path.realpath(NODE), EXEC_TS, "--bundle", self.bundle, "--scratch", scratch, "--wall", "300",
                "--cpu", "300", "--mem", "4096", "--procs", "256", *flags, "--"]

    def harness(self, prefix, extra_env=None):
        r, out = self.run_harness(prefix, extra_env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(out) as f:
            return json.load(f)

    def test_the_submission_gets_its_port_model_and_env_through_flags(self):
        fake = os.path.join(self.tmp, "fake_exec.py")
        with open(fake, "w") as f:
            f.write(FAKE_EXEC)
        log = os.path.join(self.tmp, "fake.json")
        r = self.harness([sys.executable, fake, "--bundle", self.bundle, "--"], {"FAKE_EXEC_LOG": log})
        self.assertEqual(r["status"], "ok", r["failure"])
        with open(log) as f:
            seen = json.load(f)
        port = int(seen["env"]["AGORA_PORT"])
        self.assertEqual(seen["forward_port"], [port])
        self.assertIn(os.path.abspath(self.model), seen["ro"])
        self.assertEqual(seen["env"]["AGORA_MODEL_DIR"], os.path.abspath(self.model))
        self.assertEqual(seen["env"]["TOKENIZERS_PARALLELISM"], "false", "the manifest's env")
        self.assertEqual(seen["env"]["OMP_NUM_THREADS"], "1", "passed through")
        cmd = r["extra"]["submission_command"]
        self.assertEqual(cmd[cmd.index("--") + 1:][1:], ["agora_serve.py", "--port", str(port), "--model",
                                                         os.path.abspath(self.model)])

    def test_real_bubblewrap_sandbox_with_the_port_bridge(self):
        why = sandbox_usable()
        if why:
            self.skipTest(why)
        report = os.path.join(self.tmp, "sandbox-report.json")
        r = self.harness(self.exec_prefix("--report", report))
        self.assertEqual(r["status"], "ok", (r["failure"], r["extra"].get("submission_log_tail")))
        g = {x["name"]: x for x in r["guardrails"]}
        self.assertEqual(g["decode_fidelity"]["value"], 1.0)
        self.assertTrue(g["perplexity"]["passed"])
        self.assertEqual(len(r["metric"]["samples"]), 2)
        self.assertIn("--forward-port", r["extra"]["submission_command"])
        with open(report) as f:
            self.assertEqual(json.load(f)["sandbox"], "bubblewrap")

    def test_a_sandbox_that_cannot_start_is_a_harness_error_not_the_submissions_fault(self):
        why = sandbox_usable()
        if why:
            self.skipTest(why)
        r, out = self.run_harness(self.exec_prefix("--ro", os.path.join(self.tmp, "no-such-dir")))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("the sandbox could not start the submission (sandbox_error", r.stderr)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
