"""The example submissions are self-contained bundles that share files by copy
(docs/decisions/0006): the copies must not drift apart."""
import hashlib
import os
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUBS = os.path.join(ROOT, "submissions")


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class ExampleBundles(unittest.TestCase):
    def test_shared_files_are_identical_copies(self):
        shared = {
            "agora_serve.py": os.path.join(SUBS, "baseline", "agora_serve.py"),
            "decode_kernels.py": os.path.join(SUBS, "baseline", "decode_kernels.py"),
            "toy_gemma.py": os.path.join(ROOT, "harness", "toy_gemma.py"),
            "safetensors_lite.py": os.path.join(ROOT, "harness", "safetensors_lite.py"),
        }
        subs = sorted(d for d in os.listdir(SUBS) if os.path.isdir(os.path.join(SUBS, d)))
        self.assertGreaterEqual(len(subs), 4)
        for name, canonical in shared.items():
            want = digest(canonical)
            for sub in subs:
                path = os.path.join(SUBS, sub, name)
                self.assertTrue(os.path.exists(path), path)
                self.assertEqual(digest(path), want, f"{sub}/{name} differs from {os.path.relpath(canonical, ROOT)}")


if __name__ == "__main__":
    unittest.main()
