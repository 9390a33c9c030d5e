"""Starting the untrusted submission server and talking to it (OpenAI-compatible completions, token ids)."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time


class SubmissionError(Exception):
    """The submission's fault: becomes status 'failed' with this code and an actionable reason."""

    def __init__(self, code: str, reason: str):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def read_manifest(sub_dir: str) -> dict:
    path = os.path.join(sub_dir, "manifest.json")
    if not os.path.exists(path):
        raise SubmissionError("bad_manifest", f"no manifest.json in the submission folder ({sub_dir})")
    try:
        with open(path) as f:
            m = json.load(f)
    except Exception as e:  # noqa: BLE001
        raise SubmissionError("bad_manifest", f"manifest.json is not valid JSON: {e}")
    serve = m.get("serve")
    if not (isinstance(serve, list) and serve and all(isinstance(x, str) for x in serve)):
        raise SubmissionError("bad_manifest", 'manifest.json needs "serve": a non-empty list of strings (argv)')
    env = m.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise SubmissionError("bad_manifest", 'manifest.json "env" must map strings to strings')
    return m


def sandbox_prefix():
    raw = os.environ.get("AGORA_SANDBOX_EXEC")
    if not raw:
        return None
    p = json.loads(raw)
    if not (isinstance(p, list) and all(isinstance(x, str) for x in p)):
        raise ValueError("AGORA_SANDBOX_EXEC must be a JSON array of strings")
    return p


# Host variables a submission may rely on (which GPUs, how many threads); nothing else of the harness's
# environment reaches the sandbox, whose environment is built from `--env` only.
PASS_THROUGH_ENV = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def python_binds(python: str) -> list:
    """Host directories the serve command's {python} needs that the sandbox does not bind already (it binds
    /usr read-only): a venv's or conda's prefix and the interpreter's own directory."""
    import sys

    out = []
    cands = [os.path.dirname(os.path.realpath(python))]
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        cands += [sys.prefix, sys.base_prefix, sys.exec_prefix]
    for d in cands:
        d = os.path.abspath(d)
        if d in ("/", "/usr") or d.startswith("/usr/") or not os.path.isdir(d):
            continue
        if d not in out:
            out.append(d)
    return out


def model_binds(model_dir: str) -> list:
    """The checkpoint directory, plus where its top-level links point (a Hugging Face cache snapshot links
    its files into ../../blobs), so that the submission can read every file of it inside the sandbox."""
    d = os.path.abspath(model_dir)
    out = [d]
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return out
    real = os.path.realpath(d)
    for n in names:
        p = os.path.join(d, n)
        if not os.path.islink(p):
            continue
        t = os.path.realpath(p)
        if t == real or t.startswith(real + os.sep) or not os.path.exists(t):
            continue
        t = t if os.path.isdir(t) else os.path.dirname(t)
        if t not in out:
            out.append(t)
    return out


def unreadable_by_others(model_dir: str, limit: int = 5) -> list:
    """Paths of the checkpoint (model_binds) that a user other than the owner cannot read, or enter for a folder.
    A root runner's sandbox reads the checkpoint as an unprivileged user (decision 0095); to the submission such
    a file looks missing (safetensors says "No such file or directory"), which stopped every H200 job on
    2026-12-01/02 (decision 0130)."""
    out = []
    for root in model_binds(model_dir):
        for d, dirs, files in os.walk(root):
            entries = [(d, 0o005)] + [(os.path.join(d, f), 0o004) for f in sorted(files)]
            for path, need in entries:
                try:
                    mode = os.stat(path).st_mode
                except OSError:
                    continue
                if mode & need != need:
                    out.append(path)
                    if len(out) >= limit:
                        return out
    return out


def sandboxed_prefix(prefix: list, port: int, ro: list, env: dict) -> list:
    """AGORA_SANDBOX_EXEC's prefix (it always ends with `--`) with the submission's port forwarded through the
    sandbox's loopback bridge, extra read-only binds (the checkpoint, the Python environment) and the
    submission's environment, all inserted before that final `--`. A prefix not ending with `--` is not the
    runner's sandbox (exec.ts) and is used as it is: the submission then shares the harness's loopback."""
    if not prefix or prefix[-1] != "--":
        return prefix
    have = {prefix[i + 1] for i, x in enumerate(prefix[:-1]) if x == "--ro"}
    extra = ["--forward-port", str(port)]
    for d in ro:
        d = os.path.abspath(d)
        if d not in have:
            have.add(d)
            extra += ["--ro", d]
    for k, v in env.items():
        extra += ["--env", f"{k}={v}"]
    return prefix[:-1] + extra + ["--"]


class SubmissionProcess:
    def __init__(self, sub_dir: str, model_dir: str, log_path: str, python: str):
        self.sub_dir = os.path.abspath(sub_dir)
        self.manifest = read_manifest(self.sub_dir)
        self.port = free_port()
        subst = {"{port}": str(self.port), "{model}": os.path.abspath(model_dir), "{python}": python}
        argv = []
        for a in self.manifest["serve"]:
            for k, v in subst.items():
                a = a.replace(k, v)
            argv.append(a)
        own = dict(self.manifest.get("env", {}))
        own.update({"AGORA_PORT": str(self.port), "AGORA_MODEL_DIR": os.path.abspath(model_dir),
                    "PYTHONUNBUFFERED": "1"})
        self.prefix = sandbox_prefix()
        if self.prefix is not None and os.geteuid() == 0:
            bad = unreadable_by_others(model_dir)
            if bad:  # the runner's setup, not the submission: a harness error, so the job is retried elsewhere
                raise RuntimeError(f"the checkpoint is not readable by the sandbox's unprivileged user: {bad} "
                                   f"(chmod -R a+rX {os.path.abspath(model_dir)})")
        if self.prefix is not None:
            # The sandbox has its own loopback and builds its environment from --env only: the harness reaches
            # the server through the bridge on the same port number, and the checkpoint is bound read-only.
            inner = {k: os.environ[k] for k in PASS_THROUGH_ENV if k in os.environ}
            inner.update(own)
            self.prefix = sandboxed_prefix(self.prefix, self.port, model_binds(model_dir) + python_binds(python), inner)
            if self.prefix[-1] == "--":
                if "--report" in self.prefix[:-1]:
                    self.report = self.prefix[self.prefix.index("--report") + 1]
                else:
                    self.report = log_path + ".sandbox.json"
                    self.prefix = self.prefix[:-1] + ["--report", self.report, "--"]
        self.argv = (self.prefix or []) + argv
        env = dict(os.environ)
        env.pop("AGORA_SANDBOX_EXEC", None)
        env.update(own)
        self.env = env
        self.log_path = log_path
        self.proc = None

    report = None

    def sandbox_fault(self):
        """Why the sandbox launcher (exec.ts) could not start the submission, or None. It writes its report
        on the host, out of the submission's reach: {"error": "sandbox_unavailable" | "sandbox_error", ...}."""
        if not (self.prefix and self.report):
            return None
        try:
            with open(self.report) as f:
                r = json.load(f)
        except (OSError, ValueError):
            return None
        if isinstance(r, dict) and r.get("error"):
            return f"{r['error']}: {r.get('message', '')}"
        return None

    def start(self):
        self.logf = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(self.argv, cwd=self.sub_dir, env=self.env, stdout=self.logf,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as e:
            raise SubmissionError("start_failed", f"could not execute the serve command {self.argv}: {e}")

    def log_tail(self, n=3000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(0, size - n))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_healthy(self, timeout_s: float):
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout_s:
            if not self.alive():
                fault = self.sandbox_fault()
                if fault:  # infrastructure, not the submission: a harness error, so the job is retried
                    raise RuntimeError(f"the sandbox could not start the submission ({fault})")
                raise SubmissionError(
                    "start_failed",
                    f"the server exited with code {self.proc.returncode} before answering GET /health. "
                    f"Last output:\n{self.log_tail()}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/health")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return time.monotonic() - t0
            except OSError:
                pass
            time.sleep(0.2)
        raise SubmissionError("start_timeout",
                              f"the server did not answer GET /health with 200 on 127.0.0.1:{self.port} within "
                              f"{timeout_s:.0f}s (it must listen on the port given by {{port}} / $AGORA_PORT). "
                              f"Last output:\n{self.log_tail()}")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                self.proc.wait(timeout=15)
        self.logf.close()


def _parse_prompt_logprobs(plp, prompt):
    """Accepts vLLM's list of {token_id: {logprob}} (first None) or a list of numbers (first None)."""
    if plp is None:
        return None
    if not isinstance(plp, list) or len(plp) != len(prompt):
        raise SubmissionError("protocol_error", f"prompt_logprobs must be a list of {len(prompt)} entries "
                                                f"(one per prompt token, the first null), got "
                                                f"{type(plp).__name__} of {len(plp) if isinstance(plp, list) else '?'}")
    out = [None]
    for i in range(1, len(prompt)):
        e = plp[i]
        if isinstance(e, (int, float)):
            out.append(float(e))
        elif isinstance(e, dict):
            v = e.get(str(prompt[i]))
            if v is None:
                raise SubmissionError("protocol_error", f"prompt_logprobs[{i}] has no entry for the prompt token "
                                                        f"{prompt[i]}")
            out.append(float(v["logprob"] if isinstance(v, dict) else v))
        else:
            raise SubmissionError("protocol_error", f"prompt_logprobs[{i}] is neither a number nor an object")
    return out


def _chunk_token_ids(obj):
    ch = obj["choices"][0]
    if "token_ids" in ch and ch["token_ids"] is not None:
        return [int(t) for t in ch["token_ids"]]
    lp = ch.get("logprobs") or {}
    toks = lp.get("tokens")
    if toks is not None:  # vLLM return_tokens_as_token_ids: "token_id:123"
        return [int(str(t).split(":")[-1]) for t in toks]
    raise SubmissionError("protocol_error", "a completion chunk carries no token ids: return choices[0].token_ids "
                                            "(vLLM: return_token_ids=true)")


def complete(port: int, prompt: list, max_tokens: int, timeout_s: float, stream: bool = True) -> dict:
    """One timed request. Returns tokens, prompt log-probabilities and client-side timestamps."""
    body = json.dumps({
        "model": "submission", "prompt": prompt, "max_tokens": max_tokens, "min_tokens": max_tokens,
        "temperature": 0, "top_p": 1, "ignore_eos": True, "stream": stream, "prompt_logprobs": 0,
        "return_token_ids": True, "return_tokens_as_token_ids": True, "skip_special_tokens": False,
    }).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    tokens, times, plp = [], [], None
    try:
        t0 = time.perf_counter()
        conn.request("POST", "/v1/completions", body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        if r.status != 200:
            raise SubmissionError("protocol_error", f"POST /v1/completions answered HTTP {r.status}: "
                                                    f"{r.read(2000).decode('utf-8', 'replace')}")
        if stream:
            while True:
                line = r.readline()
                if not line:
                    break
                line = line.strip()
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    break
                now = time.perf_counter()
                obj = json.loads(data)
                ids = _chunk_token_ids(obj)
                if "prompt_logprobs" in obj["choices"][0] and obj["choices"][0]["prompt_logprobs"] is not None:
                    plp = obj["choices"][0]["prompt_logprobs"]
                if ids:
                    tokens.extend(ids)
                    times.extend([now] * len(ids))
        else:
            obj = json.loads(r.read())
            now = time.perf_counter()
            tokens = _chunk_token_ids(obj)
            times = [now] * len(tokens)
            plp = obj["choices"][0].get("prompt_logprobs")
        t_end = time.perf_counter()
    except (socket.timeout, TimeoutError):
        raise SubmissionError("request_timeout", f"a completion of {max_tokens} tokens took longer than "
                                                 f"{timeout_s:.0f}s")
    except (ConnectionError, http.client.HTTPException, OSError) as e:
        raise SubmissionError("crashed", f"the connection to the server failed during a completion: {e}")
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise SubmissionError("protocol_error", f"could not parse the completion response: {e!r}")
    finally:
        conn.close()
    if len(tokens) != max_tokens:
        raise SubmissionError("protocol_error", f"asked for exactly {max_tokens} tokens (ignore_eos, min_tokens) "
                                                f"and got {len(tokens)}")
    if plp is None:
        raise SubmissionError("protocol_error", "no prompt_logprobs in the response (request had prompt_logprobs=0)")
    return {"tokens": tokens, "prompt_logprobs": _parse_prompt_logprobs(plp, prompt), "t0": t0, "times": times,
            "t_end": t_end}


def stats(port: int, timeout_s: float = 10.0):
    """The submission's own accounting (GET /v1/agora/stats; optional): a dict, or None where it has none."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request("GET", "/v1/agora/stats")
        r = conn.getresponse()
        body = r.read(65536)
        if r.status != 200:
            return None
        obj = json.loads(body)
        return obj if isinstance(obj, dict) else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()
