"""Minimal safetensors reader/writer (torch only), for machines without the `safetensors` package.

Format: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, raw bytes.
"""
from __future__ import annotations

import json
import os
import struct

_DTYPES = {
    "F32": ("float32", 4),
    "F16": ("float16", 2),
    "BF16": ("bfloat16", 2),
    "I64": ("int64", 8),
    "I32": ("int32", 4),
    "U8": ("uint8", 1),
    "F64": ("float64", 8),
}


def read_header(path: str) -> dict:
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n))


def tensor_bytes(header: dict) -> dict:
    """name -> number of bytes, from a header (no tensor data read)."""
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = b - a
    return out


def checkpoint_tensor_bytes(model_dir: str) -> dict:
    out = {}
    for fn in sorted(os.listdir(model_dir)):
        if fn.endswith(".safetensors"):
            out.update(tensor_bytes(read_header(os.path.join(model_dir, fn))))
    return out


def load(path: str, device: str = "cpu") -> dict:
    import torch

    header = read_header(path)
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            dtype_name, _ = _DTYPES[info["dtype"]]
            a, b = info["data_offsets"]
            f.seek(base + a)
            buf = bytearray(f.read(b - a))
            dt = getattr(torch, dtype_name)
            t = torch.frombuffer(buf, dtype=dt) if b > a else torch.empty(0, dtype=dt)
            out[name] = t.reshape(info["shape"]).to(device)
    return out


def save(tensors: dict, path: str, metadata: dict | None = None) -> None:
    import torch

    rev = {getattr(torch, v[0]): k for k, v in _DTYPES.items()}
    header = {}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().tobytes()
        else:
            raw = t.numpy().tobytes()
        header[name] = {"dtype": rev[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for raw in blobs:
            f.write(raw)
