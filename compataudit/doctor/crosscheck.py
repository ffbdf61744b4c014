"""Fact readers for ``explain``: what the message itself says, then the environment.

Each analyser refines one :class:`~compataudit.doctor.diagnosis.Hit` in place:
it may change the kind (the dispatcher message names its own cause), add
evidence, raise confidence when the environment confirms the cause (torch is
``+cpu``; torchvision pins another torch) or lower it when the environment
contradicts it, and make the fix exact using the matrices when they answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from packaging.version import Version

from compataudit import doctor as k
from compataudit.doctor import crosscheck_keras, crosscheck_native, crosscheck_ops, crosscheck_versions
from compataudit.doctor.diagnosis import fill
from compataudit.doctor.envfacts import (
    CONFIRM,
    CONTRADICT,
    GH,
    confirm,
    cuda_expected,
    torch_build,
    version_of,
)
from compataudit.model import Environment
from compataudit.versions import in_range, local_variant, major_minor, minor_of, parse_version

if TYPE_CHECKING:
    from compataudit.doctor.diagnosis import Hit

_CONTAINERS = {"ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Module"}
# Dispatch keys that are not kernels of a backend: AutogradCUDA or AutocastCUDA in the
# list says nothing about CUDA kernels (a CPU-only build lists them too).
_NOT_KERNELS = ("Autograd", "Autocast", "ADInplaceOrView", "FuncTorch", "Python", "Batched", "Vmap")
_ARCH = re.compile(r"^(?:sm|compute)_(\d+)(\d)[af]?$")
_REGISTERED = re.compile(r"^\s*(?P<key>\w+): (?:fallthrough )?registered at", re.M)


def _available_keys(op: str, text: str) -> list[str]:
    """The dispatch keys the message lists for ``op`` (a cut-off list counts up to the cut),
    else the keys of its "KEY: registered at" lines."""
    listed = re.search(re.escape(op) + r"' is only available for these backends: \[([^\]\n]*)", text)
    if listed:
        return [b.strip() for b in listed.group(1).split(",") if b.strip()]
    return [m.group("key") for m in _REGISTERED.finditer(text)]


# --------------------------------------------------------------------------- analysers


def dispatcher(hit: Hit, text: str, env: Environment | None) -> None:
    """Read op, backend and the available-backend list of a "Could not run" message."""
    op, backend = hit.facts.get("op", ""), hit.facts.get("backend", "")
    available = _available_keys(op, text)
    kernels = [b for b in available if not b.startswith(_NOT_KERNELS)]
    namespace = op.split("::")[0]
    key = backend.removesuffix("TensorId")
    if available:
        hit.evidence.append(f"`{op}` has kernels for: {', '.join(kernels[:8]) or 'no backend'}")
    has_cuda = any(b.endswith("CUDA") for b in kernels)
    if namespace == "torchvision":
        hit.kind, hit.confidence = k.TORCH_EXTENSION_MISMATCH, 0.85
        hit.summary = (
            f"torchvision's compiled op `{op}` has no {key} kernel: the torchvision "
            "binary does not match torch (e.g. a CPU torchvision beside a CUDA torch)."
        )
        hit.fix = (
            "Reinstall torch and torchvision as a matched pair from the same index "
            "(https://github.com/pytorch/vision#installation)."
        )
        hit.components = ["torch", "torchvision"]
        hit.sources = [GH + "ultralytics/ultralytics/issues/1774", GH + "pytorch/vision/issues/3058"]
        torchvision_pair(hit, text, env)
    elif namespace == "quantized" or key.startswith("Quantized"):
        hit.kind, hit.confidence = k.QUANTIZATION_MISMATCH, 0.8
        hit.summary = (
            f"`{op}` got a tensor of the wrong kind for {key}: a float tensor reaches "
            "a quantized op (no QuantStub) or a quantized tensor a float op "
            "(no DeQuantStub / unconverted module)."
        )
        hit.fix = (
            "Put QuantStub/DeQuantStub around the quantized region and prepare + convert "
            "every layer on the path."
        )
        hit.sources = [GH + "pytorch/pytorch/issues/34583", GH + "pytorch/pytorch/issues/28483"]
    elif key == "Meta":
        hit.kind, hit.confidence = k.META_DEVICE_WEIGHTS, 0.75
        hit.summary = f"`{op}` ran on meta tensors: weights were never materialised."
        hit.fix = "Load without device_map offloading, or use `to_empty()` + `load_state_dict`."
    elif key == "MPS":
        hit.kind, hit.confidence = k.MPS_UNSUPPORTED_OP, 0.8
        hit.summary = f"The installed torch has no Apple-MPS kernel for `{op}`."
        hit.fix = (
            "Set PYTORCH_ENABLE_MPS_FALLBACK=1 before Python starts, upgrade torch, or "
            "run that step on the CPU."
        )
    elif namespace not in {"aten", "prim", "prims", ""}:
        hit.kind, hit.confidence = k.TORCH_EXTENSION_MISMATCH, 0.75
        hit.summary = (
            f"The `{namespace}` extension has no {key} kernel for `{op}`: it was built "
            "without that backend or for another torch."
        )
        hit.fix = f"Reinstall the package providing `{namespace}` built for your torch and CUDA."
        hit.components = ["torch"]
    elif "CUDA" in key and not has_cuda:
        hit.kind, hit.confidence = k.CPU_ONLY_BUILD, 0.8 if available else 0.6
        mac = " (the list holds MPS: this is macOS)" if "MPS" in kernels else ""
        hit.summary = (
            f"`{op}` got CUDA tensors but this torch has no CUDA kernels: a CPU-only "
            f"build{mac}. Typical: a TorchScript model or checkpoint made on a GPU."
        )
        hit.fix = (
            "Load with `map_location=device` (torch.load / torch.jit.load), or install a CUDA build of torch."
        )
        hit.sources = [
            GH + "enesmsahin/simple-lama-inpainting/issues/10",
            GH + "pytorch/pytorch/issues/119678",
        ]
        cuda_expected(hit, text, env)
    elif key == "CPU" and has_cuda and not any(b.endswith("CPU") for b in kernels):
        hit.kind, hit.confidence = k.CUDA_ONLY_EXTENSION_OP, 0.75
        hit.summary = (
            f"`{op}` has CUDA kernels only and got CPU tensors (a model, or part of one, left on "
            "or offloaded to the CPU)."
        )
        hit.fix = "Run that step on the GPU (move the module and its inputs with `.to('cuda')`)."
        hit.sources = [GH + "pollockjj/ComfyUI-MultiGPU/issues/108"]
        crosscheck_ops.cuda_only_op(hit, text, env)
    else:
        hit.kind, hit.confidence = k.API_VERSION_MISMATCH, 0.35
        hit.summary = f"`{op}` has no kernel for {key} in this torch build."
        hit.fix = "Move the tensors to a device the op supports, or upgrade torch."


def module_forward(hit: Hit, text: str, env: Environment | None) -> None:
    if hit.facts.get("cls") in _CONTAINERS:
        hit.kind, hit.confidence = k.API_VERSION_MISMATCH, 0.7
        hit.summary = (
            f"A container (`{hit.facts['cls']}`) was called like a model: usually "
            "code written for another version of a dependency (timm, diffusers)."
        )
        hit.fix = (
            "Loop over the container's children instead of calling it, or install the "
            "dependency version the project was written for."
        )
        hit.sources += [GH + "pytorch/pytorch/issues/55459", GH + "chenziwenhaoshuai/Vision-KAN/issues/3"]


def abstract_class(hit: Hit, text: str, env: Environment | None) -> None:
    methods = hit.facts.get("methods", "").replace("'", "").strip(", ")
    hit.facts["methods"] = methods
    cls = hit.facts.get("cls", "?")
    hit.summary = f"`{cls}` leaves abstract method(s) {methods} unimplemented."
    if methods == "forward":
        hit.kind = k.MISSING_FORWARD


def torchvision_pair(hit: Hit, text: str, env: Environment | None) -> None:
    """torchvision's wheel pins an exact torch; a different torch (or variant) confirms."""
    torch, tv = version_of(env, "torch"), version_of(env, "torchvision")
    if env is None or torch is None or tv is None:
        return
    pkg = env.package("torchvision")
    pins = [
        m.group(1) for r in (pkg.requires if pkg else ()) if (m := re.match(r"^torch\s*==\s*([\w.+]+)", r))
    ]
    tv_variant, torch_variant = local_variant(tv), local_variant(torch)
    t_ver = parse_version(torch)
    pinned = parse_version(pins[0]) if pins else None
    if pinned is not None and t_ver is not None and pinned not in (t_ver, Version(t_ver.public)):
        confirm(hit, CONFIRM, f"torchvision {tv} requires torch=={pins[0]} but torch {torch} is installed")
    elif tv_variant != torch_variant and (tv_variant or torch_variant):
        confirm(hit, CONFIRM, f"torch {torch} and torchvision {tv} are different build variants")
    try:
        from compataudit.compat import torch as torch_compat
        from compataudit.compat.matrices import load_matrices

        matrices = load_matrices()
        row = torch_compat.torchvision_for_torch(matrices, torch)
        partner = torch_compat.exact_pair(row.pairs, torch) if row else None
        if row is not None:
            want = partner or row.torchvision
            if minor_of(tv) != row.torchvision:
                confirm(
                    hit,
                    CONFIRM,
                    f"torch {minor_of(torch)} pairs with torchvision {row.torchvision}, not {tv}",
                )
            command = torch_compat.install_command(matrices, torch, torch_variant, torchvision=want)
            hit.fix = f"Reinstall the matched pair: `{command}`."
            hit.sources += list(row.sources)
    except Exception:
        return


def torchvision_cuda(hit: Hit, text: str, env: Environment | None) -> None:
    """torchvision's CUDA check: read both versions, then compare the installed pair."""
    m = re.search(
        r"PyTorch has CUDA\s+Version\s*=\s*(?P<torch>[\d.]+) and torchvision has CUDA\s+Version\s*=\s*"
        r"(?P<tv>[\d.]+)",
        text,
    )
    if m:
        hit.summary = (
            f"torch was built for CUDA {m.group('torch')} but torchvision for CUDA {m.group('tv')}: "
            "one of them came from another index."
        )
    torchvision_pair(hit, text, env)


def xformers_dispatch(hit: Hit, text: str, env: Environment | None) -> None:
    if "wasn't build with CUDA support" in text or "xFormers wasn't built" in text:
        hit.kind, hit.confidence = k.TORCH_EXTENSION_MISMATCH, 0.8
        hit.summary = "xformers' CUDA kernels are not loaded: the wheel was built for another torch."
        hit.fix = (
            "Install the xformers wheel built for your torch (`python -m xformers.info` "
            "shows what it was built for), or uninstall xformers."
        )
    elif m := re.search(
        r"requires device with capability > \((\d+), (\d+)\) but your GPU has "
        r"capability \((\d+), (\d+)\)",
        text,
    ):
        hit.kind, hit.confidence = k.GPU_ARCH_UNSUPPORTED, 0.8
        hit.summary = (
            f"The GPU (compute capability {m.group(3)}.{m.group(4)}) is too old for "
            "the xformers kernels that accept these inputs."
        )
        hit.fix = "Use fp16/bf16 inputs for another kernel, or torch's scaled_dot_product_attention."
    elif "device=cpu" in text:
        hit.kind, hit.confidence = k.CPU_ONLY_BUILD, 0.6
        hit.summary = "xformers attention got CPU tensors; its kernels need CUDA."
        hit.fix = "Move the inputs to the GPU (and install a CUDA torch), or do not use xformers."
        cuda_expected(hit, text, env)


def xformers_build(hit: Hit, text: str, env: Environment | None) -> None:
    torch = version_of(env, "torch")
    have = parse_version(hit.facts.get("have"))
    if torch is not None and have is not None and parse_version(torch) == have:
        confirm(hit, CONFIRM, f"torch {torch} is installed; xformers expects {hit.facts.get('built')}")


def gpu_arch(hit: Hit, text: str, env: Environment | None) -> None:
    listed = re.search(r"supports CUDA capabilities ((?:sm_\d+\s*)+)", text)
    if listed:
        hit.evidence.append("this torch supports: " + " ".join(listed.group(1).split()))
    if env is None or not env.nvidia.gpus:
        return
    from compataudit.compat.cuda import arch_supported  # the matrices' code: only when a GPU is known

    build = torch_build(env)
    archs = tuple(build.archs) if build else ()
    for gpu in env.nvidia.gpus:
        cc = gpu.compute_capability
        if cc and major_minor(cc) and archs and arch_supported(cc, archs) == "none":
            confirm(
                hit,
                CONFIRM,
                f"GPU {gpu.index} ({gpu.name}) has compute capability "
                f"{gpu.compute_capability}; this torch has {' '.join(archs)}",
            )
            targets = [(int(m.group(1)), int(m.group(2))) for a in archs if (m := _ARCH.match(a))]
            lowest = min(targets, default=(0, 0))
            if (mm := major_minor(cc)) and mm < lowest:
                hit.summary = (
                    f"The GPU (compute capability {cc}) is older than the lowest architecture this "
                    f"torch build has (sm_{lowest[0]}{lowest[1]}): the build no longer supports it."
                )
                hit.fix = (
                    f"Install an older torch release whose wheels include sm_{cc.replace('.', '')}, "
                    "build torch from source for it, or run on the CPU."
                )
            return


def driver(hit: Hit, text: str, env: Environment | None) -> None:
    found = hit.facts.get("found", "")
    if found.isdigit():  # the CUDA driver API version: 11040 -> 11.4
        value = int(found)
        hit.facts["found_cuda"] = f"{value // 1000}.{value % 1000 // 10}"
        hit.summary = fill(hit.signature.summary, hit.facts)
        hit.fix = fill(hit.signature.fix, hit.facts)
    build = torch_build(env) if env is not None else None
    found_cuda = hit.facts.get("found_cuda")
    if build is not None and build.cuda and found_cuda and in_range(build.cuda, ">" + found_cuda):
        confirm(hit, CONFIRM, f"torch {build.version} is built for CUDA {build.cuda}")


def numpy_abi(hit: Hit, text: str, env: Environment | None) -> None:
    numpy, torch = version_of(env, "numpy"), version_of(env, "torch")
    if numpy is None:
        return
    if in_range(numpy, "<2") is True:
        confirm(hit, CONTRADICT, f"numpy {numpy} is installed (not NumPy 2)")
        return
    if torch is not None and _torch_numpy2(torch) is False:
        confirm(hit, CONFIRM, f"numpy {numpy} beside torch {torch}, built for NumPy 1.x")
        hit.fix = '`pip install "numpy<2"`, or upgrade torch to >= 2.3.'
    elif torch is not None:
        hit.evidence.append(
            f"environment: numpy {numpy} with torch {torch}, which supports "
            "NumPy 2: the module built for NumPy 1.x is another extension "
            "named in the traceback"
        )


def _torch_numpy2(torch: str) -> bool | None:
    """Whether this torch release works with NumPy 2: the matrices, else pytorch#132179."""
    try:
        from compataudit.compat import torch as torch_compat
        from compataudit.compat.matrices import load_matrices

        release = torch_compat.release_for(load_matrices(), torch)
        if release is not None:
            return release.numpy2
    except Exception:  # matrices unavailable: fall back to the cited fact
        pass
    old = in_range(torch, "<2.3")  # 2.3.0 is the first torch built for NumPy 2
    return None if old is None else not old


def mps(hit: Hit, text: str, env: Environment | None) -> None:
    if env is None:
        return
    if env.platform.system == "Darwin":
        confirm(hit, 0.05, f"macOS {env.platform.machine}")
    if env.env_var("PYTORCH_ENABLE_MPS_FALLBACK") == "1":
        hit.evidence.append(
            "environment: PYTORCH_ENABLE_MPS_FALLBACK=1 is set, yet the error "
            "came: it must be set before torch is imported"
        )


ANALYSERS: dict[str, Callable[[Hit, str, Environment | None], None]] = {
    "dispatcher": dispatcher,
    "cuda_expected": cuda_expected,
    "module_forward": module_forward,
    "abstract_class": abstract_class,
    "torchvision_pair": torchvision_pair,
    "torchvision_cuda": torchvision_cuda,
    "xformers_dispatch": xformers_dispatch,
    "xformers_build": xformers_build,
    "gpu_arch": gpu_arch,
    "driver": driver,
    "numpy_abi": numpy_abi,
    "mps": mps,
    **crosscheck_keras.ANALYSERS,
    **crosscheck_ops.ANALYSERS,
    **crosscheck_native.ANALYSERS,
    **crosscheck_versions.ANALYSERS,
}


def analyse(hit: Hit, text: str, env: Environment | None) -> None:
    """Run the hit's analyser (facts from the text, then the environment)."""
    name = hit.signature.analyzer
    if name:
        ANALYSERS[name](hit, text, env)
