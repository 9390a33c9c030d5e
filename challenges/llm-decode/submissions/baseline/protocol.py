"""The submission protocol (RULES.md, "Submission interface"): OpenAI-compatible /v1/completions over token ids,
batch 1, greedy, streamed (server-sent events) or not, with the prompt's log-probabilities on request; stdlib HTTP
only. Any engine with prefill(ids) -> (log-probabilities, first token) and step(token) -> next token serves it, one
request at a time."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler


class Server:
    def __init__(self, engine, model_name):
        self.engine = engine
        self.lock = threading.Lock()
        self.model_name = model_name


def make_handler(srv: Server):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, fmt, *a):
            pass

        def _json(self, code, obj):
            b = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def do_GET(self):
            if self.path in ("/health", "/v1/health"):
                return self._json(200, {"status": "ok"})
            if self.path == "/v1/agora/stats" and hasattr(srv.engine, "stats"):
                with srv.lock:  # between requests: the counters of finished requests only
                    return self._json(200, srv.engine.stats())
            if self.path == "/v1/models":
                return self._json(200, {"object": "list", "data": [{"id": srv.model_name, "object": "model"}]})
            return self._json(404, {"error": "not found"})

        def do_POST(self):
            if self.path != "/v1/completions":
                return self._json(404, {"error": "not found"})
            try:
                req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                prompt = req["prompt"]
                if prompt and isinstance(prompt[0], list):
                    prompt = prompt[0]
                prompt = [int(x) for x in prompt]
                n = int(req.get("max_tokens", 16))
                if float(req.get("temperature", 0) or 0) != 0:
                    raise ValueError("only greedy decoding (temperature 0) is served")
            except Exception as e:  # noqa: BLE001
                return self._json(400, {"error": {"message": f"bad request: {e}"}})
            stream = bool(req.get("stream", False))
            want_plp = req.get("prompt_logprobs") is not None
            with srv.lock:
                try:
                    self._generate(prompt, n, stream, want_plp)
                except BrokenPipeError:
                    pass

        def _chunk(self, token_ids, plp=None, finish=None):
            ch = {"index": 0, "text": "", "token_ids": token_ids, "finish_reason": finish}
            if plp is not None:
                ch["prompt_logprobs"] = plp
                ch["prompt_token_ids"] = None
            return {"id": "cmpl-agora", "object": "text_completion", "model": srv.model_name, "choices": [ch]}

        def _generate(self, prompt, n, stream, want_plp):
            eng = srv.engine
            lp, tok = eng.prefill(prompt)
            plp = None
            if want_plp:
                plp = [None] + [{str(prompt[i]): {"logprob": lp[i], "rank": None, "decoded_token": ""}}
                                for i in range(1, len(prompt))]
            if stream:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()

                def send(obj):
                    self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
                    self.wfile.flush()

                send(self._chunk([tok], plp, "length" if n == 1 else None))
                for i in range(1, n):
                    tok = eng.step(tok)
                    send(self._chunk([tok], None, "length" if i == n - 1 else None))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            else:
                toks = [tok]
                for _ in range(1, n):
                    toks.append(eng.step(toks[-1]))
                out = self._chunk(toks, plp, "length")
                out["usage"] = {"prompt_tokens": len(prompt), "completion_tokens": n}
                self._json(200, out)

    return H
