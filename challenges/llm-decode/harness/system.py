"""Environment fingerprint, on-the-spot memory bandwidth, and the roofline of a checkpoint."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

# Datasheet memory bandwidth, GB/s (10^9 bytes/s), by substring of the device name.
DATASHEET_GBPS = [
    ("H100 SXM", 3350.0), ("H100 80GB HBM3", 3350.0), ("H100 PCIe", 2000.0), ("H100 NVL", 3900.0),
    ("H100", 3350.0), ("H200", 4800.0), ("A100-SXM4-80GB", 2039.0), ("A100 80GB PCIe", 1935.0),
    ("A100", 1555.0), ("A10G", 600.0), ("L4", 300.0), ("L40S", 864.0), ("B200", 8000.0),
]


def datasheet_bandwidth(name: str | None):
    if not name:
        return None
    for key, v in DATASHEET_GBPS:
        if key.lower() in name.lower():
            return v
    return None


def _smi(fields: str):
    try:
        out = subprocess.run(["nvidia-smi", f"--query-gpu={fields}", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=20)
        if out.returncode != 0:
            return None
        return [x.strip() for x in out.stdout.strip().splitlines()[0].split(",")]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return None


def fingerprint() -> dict:
    env = {"python": sys.version.split()[0], "platform": platform.platform(), "cpu_count": os.cpu_count()}
    try:
        import torch

        env["torch"] = torch.__version__
        env["cuda_runtime"] = getattr(torch.version, "cuda", None)
        if torch.cuda.is_available():
            p = torch.cuda.get_device_properties(0)
            env["gpu"] = p.name
            env["gpu_memory_gib"] = round(p.total_memory / 2**30, 1)
            env["gpu_sm_count"] = p.multi_processor_count
            env["cudnn"] = torch.backends.cudnn.version()
    except ImportError:
        env["torch"] = None
    try:
        import transformers

        env["transformers"] = transformers.__version__
    except ImportError:
        env["transformers"] = None
    try:
        import triton

        env["triton"] = triton.__version__
    except ImportError:
        pass
    q = _smi("name,driver_version,clocks.sm,clocks.mem,clocks.max.sm,clocks.max.mem,pstate,temperature.gpu,"
             "power.draw,power.limit")
    if q:
        keys = ["smi_name", "driver", "clock_sm_mhz", "clock_mem_mhz", "clock_max_sm_mhz", "clock_max_mem_mhz",
                "pstate", "temperature_c", "power_w", "power_limit_w"]
        env.update(dict(zip(keys, q)))
    return env


def clocks_now() -> dict | None:
    q = _smi("clocks.sm,clocks.mem,temperature.gpu,power.draw")
    return dict(zip(["clock_sm_mhz", "clock_mem_mhz", "temperature_c", "power_w"], q)) if q else None


def measure_bandwidth(gbytes: float = 4.0, iters: int = 20):
    """Read bandwidth of device memory, GB/s: a reduction over a large bf16 buffer (bytes read only)."""
    import torch

    if not torch.cuda.is_available():
        return None
    n = int(gbytes * 1e9) // 2
    x = torch.ones(n, dtype=torch.bfloat16, device="cuda")
    for _ in range(3):
        x.sum(dtype=torch.float32)
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        a = torch.cuda.Event(enable_timing=True)
        b = torch.cuda.Event(enable_timing=True)
        a.record()
        x.sum(dtype=torch.float32)
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b) / 1e3)
    times.sort()
    med = times[len(times) // 2]
    del x
    torch.cuda.empty_cache()
    return {"gbps": n * 2 / med / 1e9, "bytes": n * 2, "median_s": med, "best_gbps": n * 2 / times[0] / 1e9,
            "method": f"sum over a {n * 2 / 1e9:.1f} GB bf16 buffer, median of {iters} (CUDA events)"}


LOOKUP_ONLY = ("embed_tokens_per_layer",)


def weight_bytes(model_dir: str) -> dict:
    """Bytes of weights read per decoded token: every tensor except tables that are only looked up."""
    from .safetensors_lite import checkpoint_tensor_bytes

    tb = checkpoint_tensor_bytes(model_dir)
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    has_head = any(k.endswith("lm_head.weight") for k in tb)
    total = sum(tb.values())
    lookup = 0
    for k, v in tb.items():
        if any(s in k for s in LOOKUP_ONLY):
            lookup += v
        elif k.endswith("embed_tokens.weight") and has_head:
            lookup += v  # untied: the input embedding is a row lookup; the head is read whole
    return {"checkpoint_bytes": total, "lookup_only_bytes": lookup, "bytes_per_token": total - lookup,
            "tied_embeddings": not has_head, "tensors": len(tb), "model_type": cfg.get("model_type")}


def roofline(wb: dict, measured_gbps, datasheet_gbps, tokens_per_second) -> dict:
    bpt = wb["bytes_per_token"]
    ceil_m = measured_gbps * 1e9 / bpt if measured_gbps else None
    ceil_d = datasheet_gbps * 1e9 / bpt if datasheet_gbps else None
    return {
        "bytes_per_token": bpt,
        "checkpoint_bytes": wb["checkpoint_bytes"],
        "lookup_only_bytes": wb["lookup_only_bytes"],
        "measured_bandwidth_gbps": measured_gbps,
        "datasheet_bandwidth_gbps": datasheet_gbps,
        "ceiling_tokens_per_second": ceil_m,
        "datasheet_ceiling_tokens_per_second": ceil_d,
        "share_of_ceiling": (tokens_per_second / ceil_m) if (ceil_m and tokens_per_second) else None,
        "share_of_datasheet_ceiling": (tokens_per_second / ceil_d) if (ceil_d and tokens_per_second) else None,
        "note": "weights only (KV-cache reads excluded); lookup-only tables (per-layer embeddings, untied input "
                "embedding) are not counted",
    }
