"""The example submissions come from one source (docs/decisions/0101): each file exists once in the repository,
tools/assemble.py lays an example's own files over its parent's bundle, and the assembled bundle runs on its own."""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUBS = os.path.join(ROOT, "submissions")
_spec = importlib.util.spec_from_file_location("assemble", os.path.join(ROOT, "tools", "assemble.py"))
A = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(A)

# What each example is: baseline = the protocol server and plain transformers; optimized = baseline plus the fast
# engine; each broken example = optimized plus its one cheat (a flag of its command)
LINES = {
    "baseline": [],
    "optimized-cuda-graph": ["baseline"],
    "broken-skip-layers": ["baseline", "optimized-cuda-graph"],
    "broken-path-split": ["baseline", "optimized-cuda-graph"],
    "broken-vocab-prune": ["baseline", "optimized-cuda-graph"],
    "speculative-draft": ["baseline", "optimized-cuda-graph"],
    "speculative-large-draft": ["baseline", "optimized-cuda-graph", "speculative-draft"],
}
OWN = {
    "baseline": {"agora_serve.py", "engines.py", "protocol.py", "manifest.json", "toy_gemma.py",
                 "safetensors_lite.py"},
    "optimized-cuda-graph": {"static_engine.py", "decode_kernels.py", "manifest.json"},
    "speculative-draft": {"speculative.py", "manifest.json"},
}


def read(path):
    with open(path, "rb") as f:
        return f.read()


class ExampleBundles(unittest.TestCase):
    def test_every_example_declares_its_real_parent(self):
        self.assertEqual(sorted(d for d in os.listdir(SUBS) if os.path.isdir(os.path.join(SUBS, d))), sorted(LINES))
        for name, ancestors in LINES.items():
            self.assertEqual(A.lineage(name), ancestors + [name])

    def test_each_file_exists_once_in_the_repository(self):
        """No example folder repeats a file of another (manifest.json aside, each example's own command), and the
        harness files an example takes are not copied into its folder."""
        seen = {}
        for name in LINES:
            for rel, src in A.own_files(name).items():
                if rel == "manifest.json":
                    continue
                self.assertNotIn(rel, seen, f"{rel} is in both {seen.get(rel)} and {name}")
                seen[rel] = name
                if src.startswith(A.HARNESS):
                    self.assertFalse(os.path.exists(os.path.join(SUBS, name, rel)), f"{name}/{rel} copies harness/")
        for name, files in OWN.items():
            self.assertEqual(set(A.own_files(name)), files, name)

    def test_an_example_differs_from_its_parent_by_exactly_its_own_files(self):
        for name in LINES:
            parent = A.spec(name)["parent"]
            if parent is None:
                continue
            mine, theirs = A.sources(name), A.sources(parent)
            self.assertTrue(set(theirs) <= set(mine), name)
            changed = {rel for rel in mine if rel not in theirs or read(mine[rel]) != read(theirs[rel])}
            self.assertEqual(changed, set(A.own_files(name)), name)
        for name in ("broken-skip-layers", "broken-path-split", "broken-vocab-prune"):
            cheat = json.loads(read(os.path.join(SUBS, name, "manifest.json")))["serve"]
            base = json.loads(read(os.path.join(SUBS, "optimized-cuda-graph", "manifest.json")))["serve"]
            self.assertEqual(cheat[:len(base)], base, f"{name} runs the optimized command plus its cheat's flags")
            self.assertGreater(len(cheat), len(base), name)

    def test_an_assembled_bundle_is_self_contained(self):
        """Each bundle is a plain folder holding its lineage's files; its server imports with only its own folder
        on the path (python3 -I, run from elsewhere), so nothing is read from the repository."""
        with tempfile.TemporaryDirectory() as tmp:
            for name in LINES:
                out = os.path.join(tmp, name)
                files = A.assemble(name, out)
                got = sorted(os.path.relpath(os.path.join(d, f), out) for d, _, fs in os.walk(out) for f in fs)
                self.assertEqual(got, sorted(files), name)
                self.assertNotIn(A.SPEC, got)
                for rel, src in files.items():
                    self.assertEqual(read(os.path.join(out, rel)), read(src), (name, rel))
                if name not in OWN:
                    continue  # a broken example's code is its parent's (checked above): import each code once
                modules = ["agora_serve", "engines", "protocol", "toy_gemma", "safetensors_lite"]
                if "static_engine.py" in files:
                    modules.append("static_engine")
                if "speculative.py" in files:
                    modules.append("speculative")
                r = subprocess.run([sys.executable, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                                    "import importlib; [importlib.import_module(m) for m in sys.argv[2:]]",
                                    out] + modules, cwd=tmp, capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, f"{name}: {r.stderr}")
            self.assertRaises(FileExistsError, A.assemble, "baseline", os.path.join(tmp, "baseline"))

    def test_a_broken_declaration_is_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            subs = os.path.join(tmp, "submissions")
            for name, s in (("a", {"parent": "b"}), ("b", {"parent": "a"}), ("c", {"parent": "nowhere"}),
                            ("d", {"parent": None, "extra": 1}), ("e", {"parent": None, "harness_files": ["../x"]})):
                os.makedirs(os.path.join(subs, name))
                with open(os.path.join(subs, name, A.SPEC), "w") as f:
                    json.dump(s, f)
            saved = A.SUBMISSIONS
            A.SUBMISSIONS = subs
            try:
                self.assertRaisesRegex(ValueError, "cycle", A.lineage, "a")
                self.assertRaisesRegex(ValueError, "no example folder", A.lineage, "c")
                self.assertRaisesRegex(ValueError, "expected", A.spec, "d")
                self.assertRaisesRegex(ValueError, "harness_files", A.spec, "e")
                self.assertRaisesRegex(ValueError, "no example folder", A.spec, "../a")
            finally:
                A.SUBMISSIONS = saved


if __name__ == "__main__":
    unittest.main()
