"""An interpreter, on PyTorch's CPU tensors, of the part of Triton that submissions/optimized-cuda-graph/decode_kernels.py uses.

CI has no GPU and no Triton, so without it the example's kernels would only ever run on the H100. Standing in for
the `triton` and `triton.language` modules while decode_kernels is imported (interpreted()), it runs each kernel
program by program in plain Python: a block is a torch tensor, a pointer is a flat tensor and a tensor of element
offsets, loads and stores honour their masks (and refuse offsets out of bounds), and `.to(dtype)` rounds to the
dtype's nearest value as Triton does. That checks a kernel's indexing, masking, branches and rounding points against
PyTorch. What it cannot check is what only the compiler sees (types that differ between branches, unsupported
constructs) and speed: tools/bench_kernels.py on a GPU does both.
"""
from __future__ import annotations

import contextlib
import math
import sys
import types

import torch

_program_ids: list[int] = [0, 0, 0]


class _Launch:
    """What the program being run may do under programmatic dependent launch (launch_pdl=True): until it calls
    gdc_wait, the kernel before it may still be running, so it may neither store nor load a buffer that any kernel
    stores to (only weights); and it must call gdc_wait. `written` holds every storage a kernel stored to while
    interpreted() was open (held, so that its address is not reused by a later tensor)."""

    pdl = False
    waited = False
    written: dict[int, object] = {}


def _gdc_wait():
    _Launch.waited = True


def _storage(flat: torch.Tensor):
    return flat.untyped_storage() if hasattr(flat, "untyped_storage") else flat.storage()  # PyTorch 1.13: storage()


def _storage_key(flat: torch.Tensor) -> int:
    return _storage(flat).data_ptr()


class Pointer:
    """A flat tensor (the argument's storage) and the offsets of the elements pointed at."""

    def __init__(self, flat: torch.Tensor, offsets):
        self.flat, self.offsets = flat, offsets

    @property
    def dtype(self):
        return types.SimpleNamespace(element_ty=self.flat.dtype)

    def __add__(self, delta):
        if isinstance(delta, torch.Tensor):
            delta = delta.long()
        return Pointer(self.flat, self.offsets + delta)

    __radd__ = __add__


def _as_pointer(arg):
    if isinstance(arg, torch.Tensor):
        if not arg.is_contiguous():
            raise ValueError("a kernel argument must be contiguous (the kernels index it as a flat array)")
        return Pointer(arg.reshape(-1), 0)
    return arg


def _load(ptr: Pointer, mask=None, other=0.0):
    if _Launch.pdl and not _Launch.waited and _storage_key(ptr.flat) in _Launch.written:
        raise RuntimeError("PDL: a load before gdc_wait of a buffer that a kernel writes")
    offsets = torch.as_tensor(ptr.offsets).long()
    n = ptr.flat.numel()
    if mask is None:
        if bool(((offsets < 0) | (offsets >= n)).any()):
            raise IndexError("unmasked load out of bounds")
        return ptr.flat[offsets]
    mask = torch.as_tensor(mask).expand(offsets.shape)
    if bool((mask & ((offsets < 0) | (offsets >= n))).any()):
        raise IndexError("masked-in load out of bounds")
    got = ptr.flat[offsets.clamp(0, n - 1)]
    return torch.where(mask, got, torch.tensor(other, dtype=got.dtype))


def _store(ptr: Pointer, value, mask=None):
    if _Launch.pdl and not _Launch.waited:
        raise RuntimeError("PDL: a store before gdc_wait")
    _Launch.written.setdefault(_storage_key(ptr.flat), _storage(ptr.flat))
    offsets = torch.as_tensor(ptr.offsets).long()
    value = torch.as_tensor(value).to(ptr.flat.dtype).expand(offsets.shape)
    keep = torch.ones(offsets.shape, dtype=torch.bool) if mask is None else torch.as_tensor(mask).expand(offsets.shape)
    if bool(((offsets[keep] < 0) | (offsets[keep] >= ptr.flat.numel())).any()):
        raise IndexError("store out of bounds")
    ptr.flat[offsets[keep]] = value[keep]


def _where(cond, a, b):
    like = a if isinstance(a, torch.Tensor) else b
    dtype = like.dtype if isinstance(like, torch.Tensor) else torch.float32
    return torch.where(torch.as_tensor(cond), torch.as_tensor(a, dtype=dtype), torch.as_tensor(b, dtype=dtype))


LANGUAGE = {
    "program_id": lambda axis: _program_ids[axis],
    "arange": lambda start, end: torch.arange(start, end),
    "zeros": lambda shape, dtype: torch.zeros(shape, dtype=dtype),
    "load": _load,
    "store": _store,
    "sum": lambda x, axis: torch.sum(x, dim=axis),
    "max": lambda x, axis: torch.amax(x, dim=axis),
    "maximum": lambda a, b: torch.maximum(torch.as_tensor(a), torch.as_tensor(b)),
    "where": _where,
    "exp": lambda x: torch.exp(torch.as_tensor(x)),
    "sqrt": lambda x: torch.sqrt(torch.as_tensor(x)),
    "constexpr": object,
    "float32": torch.float32,
    "int32": torch.int32,
    "extra": types.SimpleNamespace(cuda=types.SimpleNamespace(gdc_wait=_gdc_wait, gdc_launch_dependents=lambda: None)),
}


class JITFunction:
    """`kernel[grid](*args, **constexprs)` runs every program of the grid in turn; a plain call runs the function
    (a @triton.jit helper called from a kernel)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def __getitem__(self, grid):
        def launch(*args, num_warps=None, launch_pdl=False, **kwargs):
            args = [_as_pointer(a) for a in args]
            kwargs = {k: _as_pointer(v) for k, v in kwargs.items()}
            dims = tuple(grid) + (1,) * (3 - len(grid))
            _Launch.pdl = bool(launch_pdl)
            try:
                for z in range(dims[2]):
                    for y in range(dims[1]):
                        for x in range(dims[0]):
                            _program_ids[:] = [x, y, z]
                            _Launch.waited = False
                            self.fn(*args, **kwargs)
                            if _Launch.pdl and not _Launch.waited:
                                raise RuntimeError("PDL: a program launched with launch_pdl never called gdc_wait")
            finally:
                _Launch.pdl = False

        return launch


@contextlib.contextmanager
def interpreted():
    """While open, `import triton` and `import triton.language as tl` give this interpreter; a module imported
    inside keeps it after the block, and other tests see no `triton` module."""
    saved = {name: sys.modules.get(name) for name in ("triton", "triton.language")}
    language = types.ModuleType("triton.language")
    for name, value in LANGUAGE.items():
        setattr(language, name, value)
    triton = types.ModuleType("triton")
    triton.language = language
    triton.jit = JITFunction
    triton.cdiv = lambda a, b: -(-a // b)
    triton.next_power_of_2 = lambda n: 1 if n <= 1 else 2 ** math.ceil(math.log2(n))
    sys.modules["triton"], sys.modules["triton.language"] = triton, language
    _Launch.written.clear()
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
