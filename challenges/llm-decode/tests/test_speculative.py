"""Speculative decoding (submissions/speculative-draft) and the training recipe (tools/train_model.py) on CPU:
the verification keeps the target's greedy decode exactly, the accounting adds up, the harness's summary of it is
the arithmetic of decision 0130, and training is deterministic (docs/decisions/0130)."""
import argparse
import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from harness import speculation  # noqa: E402

try:
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Accounting(unittest.TestCase):
    """Pure arithmetic: no torch."""

    def test_accepted_prefix_stops_at_the_first_disagreement(self):
        sys.path.insert(0, os.path.join(ROOT, "submissions", "speculative-draft"))
        S = load(os.path.join(ROOT, "submissions", "speculative-draft", "speculative.py"), "speculative_acc")
        self.assertEqual(S.accepted_prefix([5, 6, 7], [5, 6, 7, 8]), 3)
        self.assertEqual(S.accepted_prefix([5, 6, 7], [5, 9, 7, 8]), 1)  # a later match does not count
        self.assertEqual(S.accepted_prefix([5, 6, 7], [4, 6, 7, 8]), 0)

    def test_summary_is_acceptance_and_bytes_per_token(self):
        before = {"cycles": 10, "proposed": 40, "accepted": 20, "emitted": 30, "draft_steps": 41}
        # 100 cycles of k=4: 250 proposals kept, 10 cycles kept all 4 (one extra draft step each)
        after = {"cycles": 110, "proposed": 440, "accepted": 270, "emitted": 380, "draft_steps": 451,
                 "draft_tokens": 4, "draft_bytes_per_step": 10.0, "target_bytes_per_forward": 100.0}
        s = speculation.summarise(before, after, received_after_first=350)
        self.assertTrue(s["consistent"])
        self.assertEqual(s["counts"], {"cycles": 100, "proposed": 400, "accepted": 250, "emitted": 350,
                                       "draft_steps": 410})
        self.assertAlmostEqual(s["acceptance_rate"], 0.625)
        self.assertAlmostEqual(s["tokens_per_cycle"], 3.5)
        self.assertAlmostEqual(s["draft_bytes_per_accepted_token"], 4100 / 250)
        self.assertAlmostEqual(s["bytes_per_token"], (4100 + 100 * 100) / 350)
        self.assertAlmostEqual(s["bytes_per_token_vs_target"], (4100 + 10000) / 350 / 100)

    def test_summary_flags_a_count_the_harness_did_not_see(self):
        after = {"cycles": 5, "proposed": 20, "accepted": 20, "emitted": 25, "draft_steps": 25, "draft_tokens": 4,
                 "draft_bytes_per_step": 1, "target_bytes_per_forward": 2}
        self.assertFalse(speculation.summarise({}, after, received_after_first=24)["consistent"])
        self.assertIsNone(speculation.summarise(None, after, 25))
        self.assertIn("error", speculation.summarise({}, {"cycles": 1}, 0))


@unittest.skipUnless(HAVE_TORCH, "torch is not installed: the speculative-decoding tests need PyTorch (CPU)")
class GreedyExact(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from harness import toy_gemma

        cls.tmp = tempfile.mkdtemp(prefix="llm-decode-spec-")
        cls.target_dir = os.path.join(cls.tmp, "target")
        cls.draft_dir = os.path.join(cls.tmp, "draft")
        toy_gemma.write_checkpoint(cls.target_dir, seed=3)
        toy_gemma.write_checkpoint(cls.draft_dir, seed=4, num_hidden_layers=2, num_kv_shared_layers=0)
        sub = os.path.join(ROOT, "submissions")
        for d in (os.path.join(sub, "speculative-draft"), os.path.join(sub, "baseline"), os.path.join(ROOT, "harness")):
            if d not in sys.path:
                sys.path.insert(0, d)
        cls.S = load(os.path.join(sub, "speculative-draft", "speculative.py"), "speculative_gx")
        cls.E = load(os.path.join(sub, "baseline", "engines.py"), "engines_gx")
        cls.ref = toy_gemma.load(cls.target_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def engine(self, model_dir):
        return self.E.ToyEngine(model_dir, argparse.Namespace(skip_layers=None, keep_vocab=None))

    def decode(self, spec, prompt, n):
        lp, tok = spec.prefill(prompt)
        out = [tok]
        while len(out) < n:
            out.append(spec.step(out[-1]))
        return out

    def greedy(self, prompt, n):
        import torch

        ids = list(prompt)
        for _ in range(n):
            ids.append(int(self.ref.logits(torch.tensor(ids))[-1].argmax()))
        return ids[len(prompt):]

    def test_any_draft_gives_the_targets_greedy_decode(self):
        prompts = [[2, 17, 99, 301, 45], [2] + list(range(40, 70))]
        for draft, k in ((self.draft_dir, 3), (self.target_dir, 4)):
            spec = self.S.Speculator(self.S.ToyTarget(self.engine(self.target_dir)),
                                     self.S.ToyDraft(self.engine(draft)), k)
            for p in prompts:
                self.assertEqual(self.decode(spec, p, 20), self.greedy(p, 20), (draft, p))
            c = spec.stats()
            self.assertEqual(c["emitted"], 2 * 19)  # every token past each request's first
            self.assertEqual(c["proposed"], k * c["cycles"])
            self.assertGreaterEqual(c["accepted"] + c["cycles"], c["emitted"])  # a request's last cycle may overrun
            if draft == self.target_dir:  # the target as its own draft: every proposal is kept
                self.assertEqual(c["accepted"], c["proposed"])
                self.assertEqual(c["draft_steps"], (k + 1) * c["cycles"])
            else:
                self.assertLess(c["accepted"], c["proposed"])
            self.assertGreater(c["draft_bytes_per_step"], 0)
            self.assertGreater(c["target_bytes_per_forward"], c["draft_bytes_per_step"] if draft != self.target_dir
                               else 0)


@unittest.skipUnless(HAVE_TORCH, "torch is not installed: the training recipe's test needs PyTorch (CPU)")
class TrainingRecipe(unittest.TestCase):
    def test_the_recipe_is_deterministic_and_learns(self):
        T = load(os.path.join(ROOT, "tools", "train_model.py"), "train_model_t")
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "repo")
            os.makedirs(os.path.join(src, "docs"))
            os.makedirs(os.path.join(src, "node_modules"))
            for i in range(20):  # some of them held out by their path's hash
                with open(os.path.join(src, "docs", f"n{i}.md"), "w") as f:
                    f.write(f"# note {i}\n" + "the quick brown fox jumps over the lazy dog. " * 12)
            with open(os.path.join(src, "node_modules", "x.md"), "w") as f:
                f.write("not part of the corpus")
            files = T.corpus_files(src)
            self.assertEqual(len(files), 20)
            self.assertTrue(any(T.held_out(f) for f in files) and not all(T.held_out(f) for f in files))
            metas, blobs = [], []
            for run in ("a", "b"):
                out = os.path.join(tmp, run)
                metas.append(T.train("tiny", out, arch="toy", seed=7, steps=4, root=src, log=lambda s: None))
                with open(os.path.join(out, "model.safetensors"), "rb") as f:
                    blobs.append(hashlib.sha256(f.read()).hexdigest())
            self.assertEqual(blobs[0], blobs[1])  # same corpus, seed and device: the same weights
            self.assertEqual(metas[0]["corpus"], metas[1]["corpus"])
            self.assertEqual(metas[0]["corpus"]["files"], 20)
            other = T.train("tiny", os.path.join(tmp, "c"), arch="toy", seed=8, steps=4, root=src, log=lambda s: None)
            self.assertNotEqual(other["final_loss"], metas[0]["final_loss"])
            self.assertLess(metas[0]["heldout_perplexity"], T.VOCAB)  # better than uniform after a few steps
            split = T.write_split(os.path.join(tmp, "data"), root=src, prompts=4, heldout=2, max_len=64)
            self.assertEqual(split, {"prompts": 4, "heldout": 2})


if __name__ == "__main__":
    unittest.main()
