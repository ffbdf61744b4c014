"""Fact readers for custom ops, tensor placement and base-class methods (``explain``).

See :mod:`compataudit.doctor.signatures_ops` for the messages. An analyser may
reject its hit by setting the confidence to 0: the text matched, but its facts
say it is not this cause (a bare NotImplementedError raised at module level).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from compataudit import doctor as k
from compataudit.doctor.envfacts import CONFIRM, confirm, is_cpu_only, version_of
from compataudit.model import Environment

if TYPE_CHECKING:
    from compataudit.doctor.diagnosis import Hit

# `torch.cuda.FloatTensor`, `torch.HalfTensor`, `CUDAFloatTensor`, `cuda:0`, `cpu`.
_TENSOR_TYPE = re.compile(r"^(?:torch\.)?(?P<cuda>cuda\.|CUDA)?(?P<dtype>[A-Z][a-z]+)Tensor$")


def _device_of(name: str) -> tuple[str, str]:
    """(device, dtype) of a legacy tensor type name or a device string."""
    m = _TENSOR_TYPE.match(name)
    if m:
        return ("cuda" if m.group("cuda") else "cpu"), m.group("dtype")
    return name.split(":")[0], ""


def tensor_types(hit: Hit, text: str, env: Environment | None) -> None:
    """Tell a device mismatch from a dtype mismatch, from the two type names."""
    first = hit.facts.get("input") or hit.facts.get("input2") or hit.facts.get("a", "")
    second = hit.facts.get("weight") or hit.facts.get("weight2") or hit.facts.get("b", "")
    (dev1, dtype1), (dev2, dtype2) = _device_of(first), _device_of(second)
    if dev1 == dev2 and dtype1 != dtype2:
        hit.kind = k.DTYPE_MISMATCH
        hit.summary = f"The input is {dtype1} but the weight is {dtype2} (both on {dev1})."
        hit.fix = (
            "Cast one to the other's dtype (`x.to(weight.dtype)`, `x.float()`), or run the "
            "step under `torch.autocast`; a half-precision model needs half inputs."
        )
    elif dev1 != dev2 and "a" not in hit.facts:  # D2 words its own summary
        hit.summary = f"The input is on {dev1} but the weight is on {dev2} ({first} vs {second})."
    if env is not None and "cuda" in (dev1, dev2) and is_cpu_only(env):
        hit.evidence.append(
            "environment: this torch is a CPU-only build, so the traceback comes from "
            "another machine: diagnose it there"
        )


def extension_without_cuda(hit: Hit, text: str, env: Environment | None) -> None:
    """An extension without CUDA kernels: a CPU torch or mmcv-lite explains it."""
    if env is None:
        return
    if env.package("mmcv-lite") is not None:
        confirm(hit, CONFIRM, "mmcv-lite is installed: it ships no compiled ops")
    if is_cpu_only(env):
        confirm(
            hit,
            CONFIRM,
            f"torch {version_of(env, 'torch')} is a CPU-only build: an extension built "
            "against it has no CUDA kernels; install a CUDA torch first, then rebuild it",
        )


def cuda_only_op(hit: Hit, text: str, env: Environment | None) -> None:
    """A CUDA-only op on the CPU: on a machine without GPU or CUDA torch it cannot run at all."""
    if env is None:
        return
    if is_cpu_only(env):
        confirm(
            hit,
            CONFIRM,
            f"torch {version_of(env, 'torch')} is a CPU-only build: this op cannot run on this "
            "machine; install a CUDA build of torch (and rebuild the extension) on a GPU machine",
        )
    elif not env.nvidia.gpus:
        hit.evidence.append("environment: no NVIDIA GPU was found here, so this op cannot run here")


def mmcv_device(hit: Hit, text: str, env: Environment | None) -> None:
    """`..._impl: implementation for device X not found`: cpu means a CUDA-only op on the CPU."""
    op, device = hit.facts.get("op", "?"), hit.facts.get("device", "").replace("\n", "")
    if device == "cpu":
        hit.kind = k.CUDA_ONLY_EXTENSION_OP
        hit.summary = f"mmcv's `{op}` has CUDA kernels only and got CPU tensors."
        hit.fix = (
            "Run the model on a CUDA GPU (`device='cuda'`), or choose a config whose ops have "
            "CPU implementations."
        )
        cuda_only_op(hit, text, env)
    else:
        hit.summary = (
            f"mmcv's compiled `{op}` has no {device.upper()} kernel: mmcv was built without "
            "CUDA (a CPU-only build, mmcv-lite, or a wheel for another torch/CUDA)."
        )
        extension_without_cuda(hit, text, env)


# --------------------------------------------------------------------------- base-class methods

# A frame line, with its source line when the traceback shows it: CPython / rich
# (`File "p.py", line 3, in f`) and IPython (`p.py in C.f(...)`, `File p.py:3, in C.f()`).
_FRAME_LINE = re.compile(
    r'(?P<path>[^\s"]+\.pyc?)"?(?:, line \d+|:\d+)?,? in (?:(?P<owner>\w+)\.)?(?P<fn>[\w<>]+)'
)
_RAISE = re.compile(r"^\s*(?:-+>\s*\d+\s+)?raise NotImplementedError\b", re.M)
_USER_CLASS = re.compile(r"^\s*class (?P<cls>\w+)\((?P<bases>[^)]*)\)\s*:", re.M)
# Where well-known base classes live: path fragment -> the class users subclass.
_KNOWN_BASES = (
    (
        re.compile(r"torch_geometric[/\\]data[/\\](?:in_memory_)?dataset\.pyc?$"),
        "torch_geometric.data.Dataset",
    ),
    (re.compile(r"torch[/\\]utils[/\\]data[/\\]dataset\.pyc?$"), "torch.utils.data.Dataset"),
    (re.compile(r"torch[/\\]nn[/\\]modules[/\\]module\.pyc?$"), "torch.nn.Module"),
    (re.compile(r"torch[/\\]optim[/\\]optimizer\.pyc?$"), "torch.optim.Optimizer"),
    (re.compile(r"torch[/\\]autograd[/\\]function\.pyc?$"), "torch.autograd.Function"),
    (
        re.compile(r"keras[/\\](?:src[/\\]layers[/\\]layer|engine[/\\](?:base_layer|topology))\.pyc?$"),
        "keras Layer",
    ),
    (re.compile(r"keras[/\\](?:src[/\\]models[/\\]model|engine[/\\]training)\.pyc?$"), "keras Model"),
)
# A message that says a subclass must provide the method (else the raiser explains what it
# does not support, e.g. JAX's "MLIR translation rule ... not found for platform": no base class).
_ABSTRACT_MESSAGE = re.compile(
    r"subclass|sub-class|derived class|child class|abstract|overrid|must (?:be )?(?:implement|defin)|"
    r"should (?:be )?(?:implement|defin)|needs? to be (?:implement|defin)|(?:please|to) implement|"
    r"not implemented (?:in|by|for) (?:the )?(?:base|this class)",
    re.I,
)
# Dunders that are not "a subclass must override me": attribute hooks and construction.
_NOT_ABSTRACT_DUNDERS = {"__getattr__", "__getattribute__", "__setattr__", "__init__", "__new__", "__del__"}


def _base_class(path: str) -> tuple[str | None, str]:
    """The well-known class a frame's file defines, else None and a short path for the text."""
    for rx, name in _KNOWN_BASES:
        if rx.search(path):
            return name, name
    parts = re.split(r"[/\\]", re.split(r"site-packages[/\\]|dist-packages[/\\]", path)[-1])
    return None, "/".join(parts[-3:])


def _frames(text: str, end: int) -> list[tuple[re.Match[str], int, int]]:
    """Frame matches before ``end`` with their absolute start and end offsets."""
    found: list[tuple[re.Match[str], int, int]] = []
    offset = 0
    for line in text[:end].split("\n"):
        # Bounded lines keep the frame regex linear on pasted blobs.
        if ".py" in line and len(line) <= 2000:
            found += [(m, offset + m.start(), offset + m.end()) for m in _FRAME_LINE.finditer(line)]
        offset += len(line) + 1
    return found


def _is_method(fn: str, owner: str | None, caller_code: str, user: list[str]) -> bool:
    """Evidence that the raising function is a method a subclass should provide."""
    if fn.startswith("__") and fn.endswith("__"):
        return fn not in _NOT_ABSTRACT_DUNDERS
    attribute_call = re.search(r"\.\s*" + re.escape(fn) + r"\s*\(", caller_code) is not None
    return bool(owner) or attribute_call or bool(user)


def base_method(hit: Hit, text: str, env: Environment | None) -> None:
    """Read the raising frame: which base-class method, and whose subclass left it out.

    No known cause (confidence 0) when the raiser is a plain function, or when its message
    explains an unsupported case rather than asking a subclass for the method.
    """
    frames = _frames(text, hit.position)
    if not frames:
        hit.confidence = 0.0
        return
    last, last_start, last_end = frames[-1]
    raised_here = _RAISE.search(text, last_end, hit.position) is not None
    message = hit.facts.get("message", "").strip()
    method, path = last.group("fn"), last.group("path")
    known, where = _base_class(path)
    caller_code = text[frames[-2][2] : last_start] if len(frames) > 1 else ""
    user = [m.group("cls") for m in _USER_CLASS.finditer(text)]
    unsupported = bool(message) and not _ABSTRACT_MESSAGE.search(message)
    if (
        method == "<module>"
        or (message and not raised_here)
        or (unsupported and not known)
        or (not known and not _is_method(method, last.group("owner"), caller_code, user))
    ):
        hit.confidence = 0.0  # no known cause: say nothing rather than guess a base class
        return
    base = f"`{known}`" if known else f"the base class in `{where}`"
    owner = last.group("owner") or known
    who = f"`{user[-1]}`" if user else f"your subclass of `{owner}`" if owner else "your subclass"
    if method in {"forward", "_forward_unimplemented"}:
        hit.kind, method = k.MISSING_FORWARD, "forward"
    elif method == "call":
        hit.kind = k.MISSING_CALL
    elif method == "backward" and known == "torch.autograd.Function":
        hit.kind = k.MISSING_BACKWARD
        hit.components = ["torch"]
        who = f"`{user[-1]}`" if user else "your autograd.Function (or one a library defines)"
    # Naming the user's own class is the most specific answer there is.
    hit.confidence = 0.9 if user else 0.7 if raised_here or not message else 0.5
    hit.facts.update(method=method, base=known or where)
    hit.summary = f"`{method}` of {base} raised NotImplementedError: {who} does not implement it."
    hit.fix = f"Define `{method}` in {who} (check its spelling and indentation)."
    if hit.kind == k.MISSING_BACKWARD:
        hit.fix = (
            f"Define `@staticmethod def backward(ctx, *grad_outputs)` in {who}, returning one "
            "gradient per forward input (an old-style Function needs a torch release it was written for)."
        )
    raised = " (raise NotImplementedError)" if raised_here else ""
    hit.evidence.append(f"raised in: {path} in {method}{raised}")


ANALYSERS: dict[str, Callable[[Hit, str, Environment | None], None]] = {
    "tensor_types": tensor_types,
    "extension_without_cuda": extension_without_cuda,
    "cuda_only_op": cuda_only_op,
    "mmcv_device": mmcv_device,
    "base_method": base_method,
}
