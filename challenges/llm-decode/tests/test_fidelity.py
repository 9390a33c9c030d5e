import json
import os
import unittest

from harness import fidelity

HERE = os.path.dirname(os.path.abspath(__file__))


class FidelityVectors(unittest.TestCase):
    def test_vectors(self):
        with open(os.path.join(HERE, "fidelity-vectors.json")) as f:
            d = json.load(f)
        self.assertGreaterEqual(len(d["cases"]), 6)
        for c in d["cases"]:
            with self.subTest(c["name"]):
                s = fidelity.score(c["prompts"], c["tolerance"])
                e = c["expected"]
                for k in ("tokens", "faithful", "fidelity", "top1_rate", "exact_match_rate", "identical_prompt_rate"):
                    self.assertEqual(s[k], e[k], k)
                for got, want in zip(s["per_prompt"], e["per_prompt"]):
                    for k, v in want.items():
                        self.assertEqual(got[k], v, k)

    def test_margin_is_never_negative_and_nan_is_unfaithful(self):
        self.assertEqual(fidelity.token_margin(1.0, 2.0), 0.0)
        self.assertEqual(fidelity.token_margin(float("nan"), 1.0), float("inf"))
        s = fidelity.score_prompt([{"emitted": 1, "ref_top1": 2, "ref_logit_emitted": float("nan"),
                                    "ref_logit_top1": 1.0}], 10.0)
        self.assertEqual(s["faithful"], 0)

    def test_first_divergence_from_reference_greedy_is_read_off_teacher_forcing(self):
        tok = lambda e, top: {"emitted": e, "ref_top1": top, "ref_logit_emitted": 1.0, "ref_logit_top1": 1.2}  # noqa: E731
        s = fidelity.score([{"tokens": [tok(5, 5), tok(6, 7), tok(8, 8)]}, {"tokens": [tok(1, 1)]}], tolerance=0.5)
        self.assertEqual([p["first_divergence_from_reference_greedy"] for p in s["per_prompt"]], [1, None])
        self.assertEqual(s["reference_greedy_identical_rate"], 0.5)

    def test_exact_match_first_divergence(self):
        self.assertEqual(fidelity.exact_match([1, 2, 3], [1, 2, 4])["first_divergence"], 2)
        self.assertIsNone(fidelity.exact_match([1, 2, 3], [1, 2, 3])["first_divergence"])
        self.assertEqual(fidelity.exact_match([1, 2], None)["compared"], 0)


if __name__ == "__main__":
    unittest.main()
