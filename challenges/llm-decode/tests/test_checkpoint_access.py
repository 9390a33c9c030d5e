"""The harness refuses, as an infrastructure fault, a checkpoint that the sandbox's unprivileged user cannot read
(a root runner drops the submission to another uid: decision 0095; every H200 job failed on it: decision 0130)."""
import json
import os
import sys
import tempfile
import unittest
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from harness import client  # noqa: E402


class CheckpointAccess(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.model = os.path.join(self.tmp.name, "model")
        os.makedirs(self.model)
        for name in ("config.json", "model.safetensors"):
            with open(os.path.join(self.model, name), "w") as f:
                f.write("{}")
        os.chmod(self.model, 0o755)
        for name in ("config.json", "model.safetensors"):
            os.chmod(os.path.join(self.model, name), 0o644)
        self.sub = os.path.join(self.tmp.name, "sub")
        os.makedirs(self.sub)
        with open(os.path.join(self.sub, "manifest.json"), "w") as f:
            json.dump({"serve": ["{python}", "serve.py", "--port", "{port}"]}, f)

    def tearDown(self):
        self.tmp.cleanup()

    def test_files_and_folders_others_cannot_read_are_named(self):
        self.assertEqual(client.unreadable_by_others(self.model), [])
        os.chmod(os.path.join(self.model, "model.safetensors"), 0o600)
        self.assertEqual(client.unreadable_by_others(self.model), [os.path.join(self.model, "model.safetensors")])
        os.chmod(self.model, 0o750)
        self.assertEqual(client.unreadable_by_others(self.model)[0], self.model)

    def test_a_root_runners_sandboxed_job_stops_before_the_submission_starts(self):
        os.chmod(os.path.join(self.model, "model.safetensors"), 0o600)
        env = {"AGORA_SANDBOX_EXEC": json.dumps(["/nonexistent/exec", "--"])}
        with mock.patch.dict(os.environ, env), mock.patch.object(os, "geteuid", return_value=0):
            with self.assertRaisesRegex(RuntimeError, "not readable by the sandbox's unprivileged user"):
                client.SubmissionProcess(self.sub, self.model, os.path.join(self.tmp.name, "log"), sys.executable)
        with mock.patch.dict(os.environ, env), mock.patch.object(os, "geteuid", return_value=1000):
            client.SubmissionProcess(self.sub, self.model, os.path.join(self.tmp.name, "log"), sys.executable)
        os.chmod(os.path.join(self.model, "model.safetensors"), 0o644)
        with mock.patch.dict(os.environ, env), mock.patch.object(os, "geteuid", return_value=0):
            client.SubmissionProcess(self.sub, self.model, os.path.join(self.tmp.name, "log"), sys.executable)


if __name__ == "__main__":
    unittest.main()
