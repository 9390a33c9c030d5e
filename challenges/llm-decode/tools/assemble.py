"""Assemble an example submission's self-contained bundle from the repository's one copy of each file
(docs/decisions/0101).

A folder of submissions/ holds only what its example changes over its parent. Its bundle.json names the parent
("parent": a sibling folder, or null) and the files it takes from the harness ("harness_files": names in harness/,
the toy model the CPU tests serve). The bundle is the parent's bundle with the folder's own files laid over it (a
file of the same path replaces the parent's); bundle.json itself is left out. The assembled folder is what is
uploaded, diffed against its parent's and run.

  python3 tools/assemble.py NAME OUT_DIR     NAME a folder of submissions/; OUT_DIR is created (it must not exist)
  python3 tools/assemble.py --parent NAME    prints NAME's parent (nothing for none)
"""
from __future__ import annotations

import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUBMISSIONS = os.path.join(ROOT, "submissions")
HARNESS = os.path.join(ROOT, "harness")
SPEC = "bundle.json"
SKIP = {"__pycache__", SPEC}


def spec(name: str) -> dict:
    """NAME's bundle.json, checked: {"parent": str | None, "harness_files": [str, ...] (optional)}."""
    folder = os.path.join(SUBMISSIONS, name)
    if os.sep in name or name.startswith(".") or not os.path.isdir(folder):
        raise ValueError(f"no example folder submissions/{name}")
    with open(os.path.join(folder, SPEC)) as f:
        s = json.load(f)
    if not isinstance(s, dict) or set(s) - {"parent", "harness_files"} or "parent" not in s:
        raise ValueError(f"submissions/{name}/{SPEC}: expected {{'parent': ..., 'harness_files': [...]}}, got {s!r}")
    if s["parent"] is not None and not isinstance(s["parent"], str):
        raise ValueError(f"submissions/{name}/{SPEC}: parent must be a folder name or null")
    files = s.get("harness_files", [])
    if not isinstance(files, list) or not all(isinstance(x, str) and os.path.basename(x) == x for x in files):
        raise ValueError(f"submissions/{name}/{SPEC}: harness_files must be file names in harness/")
    return s


def lineage(name: str) -> list[str]:
    """The examples from the root ancestor down to NAME."""
    chain = [name]
    while (parent := spec(chain[-1])["parent"]) is not None:
        if parent in chain:
            raise ValueError(f"submissions/{name}: its parents form a cycle ({' -> '.join(chain + [parent])})")
        chain.append(parent)
    return chain[::-1]


def own_files(name: str) -> dict[str, str]:
    """Bundle path -> source file, for the files NAME itself adds or replaces (its folder and its harness files)."""
    out = {f: os.path.join(HARNESS, f) for f in spec(name).get("harness_files", [])}
    folder = os.path.join(SUBMISSIONS, name)
    for d, dirs, files in os.walk(folder):
        dirs[:] = sorted(x for x in dirs if x not in SKIP)
        for f in sorted(files):
            rel = os.path.relpath(os.path.join(d, f), folder)
            if rel not in SKIP and not f.endswith(".pyc"):
                out[rel] = os.path.join(d, f)
    return out


def sources(name: str) -> dict[str, str]:
    """Bundle path -> source file, for NAME's whole assembled bundle."""
    out: dict[str, str] = {}
    for example in lineage(name):
        out.update(own_files(example))
    return dict(sorted(out.items()))


def assemble(name: str, out_dir: str) -> dict[str, str]:
    """Writes NAME's bundle into out_dir (created; it must not exist). Returns sources(name)."""
    files = sources(name)
    os.makedirs(out_dir)
    for rel, src in files.items():
        dst = os.path.join(out_dir, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
    return files


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--parent":
        print(spec(argv[1])["parent"] or "")
        return 0
    if len(argv) != 2 or argv[0].startswith("-"):
        print(__doc__.strip().split("\n\n")[-1], file=sys.stderr)
        return 2
    for rel in assemble(argv[0], argv[1]):
        print(rel)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
