"""Example llm-decode submission server: the entry point. Reads the flags, picks the engine for the checkpoint and
serves the protocol over HTTP until killed.

  - protocol.py: OpenAI-compatible /v1/completions over token ids, batch 1, greedy (RULES.md, "Submission
    interface"), stdlib HTTP only;
  - engines.py: transformers checkpoints (Gemma4ForCausalLM or any AutoModelForCausalLM) with transformers'
    StaticCache (--engine hf), and the plain-PyTorch toy model (config model_type agora_toy_gemma4) of the CPU tests;
  - static_engine.py and decode_kernels.py, in the optimized example: Gemma4Static (--engine static), the decode step
    captured as a CUDA graph (--cuda-graph), its layers compiled by Inductor (--compile) around Triton kernels
    (--kernels), or as Triton kernels only (--triton-layers, --pdl).
Deliberately broken variants for the guardrail demonstrations: --skip-layers, --decode-only, --keep-vocab.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from http.server import ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from engines import HFEngine, ToyEngine, log  # noqa: E402
from protocol import Server, make_handler  # noqa: E402


def parse_args(argv=None, **defaults):
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=int(os.environ.get("AGORA_PORT", "8000")))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--model", default=os.environ.get("AGORA_MODEL_DIR"))
    ap.add_argument("--device", default=None)
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--max-len", type=int, default=2048)
    ap.add_argument("--engine", choices=["hf", "static"], default="hf",
                    help="hf: transformers forward with its StaticCache; static: Gemma4Static (own static KV cache)")
    ap.add_argument("--cuda-graph", action="store_true", help="capture the eager decode step as a CUDA graph")
    ap.add_argument("--compile", action="store_true",
                    help="static engine: compile each layer kind's one-token step with Inductor, then capture the "
                         "whole decode step as a CUDA graph")
    ap.add_argument("--fuse", action="store_true", help="static engine: one q/k/v and one gate/up matrix per layer")
    ap.add_argument("--tune", action="store_true", help="with --compile: Inductor's coordinate-descent tuning")
    ap.add_argument("--small-gemv", type=int, default=0, metavar="N",
                    help="with --compile: one-token products with weights of at most N elements as fused reductions")
    ap.add_argument("--kernels", action="store_true",
                    help="static engine: Triton kernels (decode_kernels.py) for a one-token step's products and its "
                         "attention")
    ap.add_argument("--triton-layers", action="store_true",
                    help="static engine, with --fuse: the one-token step's layers as Triton kernels only "
                         "(decode_kernels.layer_step: no Inductor, whose compilation took about 20 s on a "
                         "cold cache), then the whole decode step and the prefill buckets captured as CUDA graphs")
    ap.add_argument("--precompile-threads", type=int, default=1,
                    help="with --triton-layers: threads compiling the layer kernels before the first step (more "
                         "than 1 overlaps Triton's compilations, but was slower on the H200: BENCHMARKS.md)")
    ap.add_argument("--pdl", action="store_true",
                    help="with --triton-layers: launch the layer kernels with programmatic dependent launch (Hopper), "
                         "so that each one starts, and reads its first weights, while the one before it finishes")
    ap.add_argument("--skip-layers", default=None, help="deliberately broken: layer indices to skip, e.g. 30-36")
    ap.add_argument("--keep-vocab", default=None, help="deliberately broken: JSON list of token ids to keep")
    ap.add_argument("--decode-only", action="store_true",
                    help="deliberately broken (path splitting): apply --skip-layers to decode steps only, so that "
                         "prompt log-probabilities come from the clean model")
    ap.set_defaults(**defaults)
    return ap.parse_args(argv)


def main(argv=None, **defaults):
    args = parse_args(argv, **defaults)
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    if cfg.get("model_type") == "agora_toy_gemma4":
        engine = ToyEngine(args.model, args)
    else:
        engine = HFEngine(args.model, args)
    serve(engine, args)


def serve(engine, args):
    """Serves the protocol over engine until killed (also the entry of examples that wrap an engine)."""
    srv = Server(engine, os.path.basename(os.path.normpath(args.model)))
    httpd = ThreadingHTTPServer((args.host, args.port), make_handler(srv))
    log(f"listening on {args.host}:{args.port}")
    httpd.serve_forever()


if __name__ == "__main__":
    main()
