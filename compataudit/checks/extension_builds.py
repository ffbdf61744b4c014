"""What compiled extensions' own metadata says they were built for, and source builds.

EXT003: an extension whose wheel names another torch - an exact ``torch==`` pin in
its Requires-Dist (xformers, vllm, sglang...) or a ``+ptXYcuNNN`` local label (the PyG
wheels) - or another CUDA major than the installed torch's. EXT004: the system CUDA
toolkit against torch's CUDA, the way torch.utils.cpp_extension compares them
before it compiles anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from compataudit.checks import CheckContext, CheckFn
from compataudit.compat import torch as tm
from compataudit.compat.extensions import extensions_view
from compataudit.model import Environment, Finding, Package, Severity
from compataudit.rules import finding
from compataudit.versions import (
    cuda_variant,
    in_range,
    marker_applies,
    marker_environment,
    minor_of,
    parse_requirement,
    parse_version,
    platform_markers,
)

AREA = "extensions"
# torch and the partners whose pairing the TCH rules judge from the torch matrix.
_JUDGED_ELSEWHERE = ("torch", "torchvision", "torchaudio")
# +pt24cu121, +pt113cpu, +pt25cu124: the PyG wheels' local label (torch major, minor; variant)
_PT_LABEL = re.compile(r"^pt(\d)(\d{1,2})(cpu|cu\d{2,3})$")
_CU_LABEL = re.compile(r"^cu(\d{2,3})$")
_EXACT = re.compile(r"^==\s*([0-9][^,;\s*]*)$")
CPP_EXTENSION_SOURCE = "https://github.com/pytorch/pytorch/blob/main/torch/utils/cpp_extension.py"


def _torch(env: Environment) -> tuple[Package, str, str | None] | None:
    """(torch, its public version, its CUDA major.minor or None for a CPU build)."""
    torch = env.package("torch")
    parsed = parse_version(torch.version) if torch else None
    if torch is None or parsed is None:
        return None
    build = env.build("torch")
    cuda = build.cuda if build is not None else None
    if cuda is None and parsed.local and _CU_LABEL.match(parsed.local):
        digits = parsed.local[2:]
        cuda = f"{digits[:-1]}.{digits[-1]}"
    return torch, parsed.public, cuda


def _variant_cuda(variant: str) -> str | None:
    """``cu121`` -> ``12.1``; ``cpu`` -> None."""
    if not variant.startswith("cu"):
        return None
    digits = variant[2:]
    return f"{digits[:-1]}.{digits[-1]}"


def _major(cuda: str | None) -> str | None:
    return cuda.split(".")[0] if cuda else None


def _matching_build_fix(ctx: CheckContext, pkg: Package, torch_version: str) -> tuple[str, tuple[str, ...]]:
    """The command installing the release of ``pkg`` built for ``torch_version``, and its source."""
    build = extensions_view(ctx.matrices).build_for(pkg.name, torch_version)
    if build is not None:
        return f'pip install "{pkg.name}=={build.version}"', build.sources
    return (
        f"Install the {pkg.name} release built for torch {torch_version} (its release notes name "
        f"one), or the torch it was built for"
    ), ()


def check_extension_pins(ctx: CheckContext) -> Iterator[Finding]:
    """EXT003: an extension's exact torch pin or +ptXYcuNNN label matches the installed torch."""
    found = _torch(ctx.env)
    if found is None:
        return
    torch, public, torch_cuda = found
    markers: dict[str, str] | None = None
    for pkg in ctx.env.packages:
        if pkg.name in _JUDGED_ELSEWHERE:
            continue
        if "+pt" in pkg.version:
            parsed = parse_version(pkg.version)
            label = _PT_LABEL.match(parsed.local) if parsed is not None and parsed.local else None
            if label is not None:
                yield from _label_finding(ctx, pkg, label, public, torch_cuda)
                continue
        for line in pkg.requires:
            if not line.startswith("torch") or "==" not in line:
                continue  # cheap: most lines of most packages are not a torch pin
            req = parse_requirement(line)
            if req is None or req.name != "torch" or not _EXACT.match(req.specifier):
                continue
            if markers is None:
                markers = marker_environment(ctx.env) or platform_markers(ctx.env)
            if not marker_applies(req.marker, markers):
                continue
            if in_range(torch.version, req.specifier) is not False:
                continue
            fix, fix_sources = _matching_build_fix(ctx, pkg, public)
            pinned = _EXACT.match(req.specifier)
            want = pinned.group(1) if pinned else req.specifier
            yield finding(
                "EXT003",
                f"{pkg.name} {pkg.version} was built for torch {want}, "
                f"not the installed torch {torch.version}",
                f"Its wheel declares `torch{req.specifier}`: its compiled code links that release's "
                "C++ API, so `import` fails with an undefined symbol (or loads and crashes) under "
                "another one.",
                components=(pkg.name, "torch"),
                fix=fix,
                sources=(f"https://pypi.org/project/{pkg.name}/{pkg.version}/", *fix_sources),
            )


def _label_finding(
    ctx: CheckContext, pkg: Package, label: re.Match[str], public: str, torch_cuda: str | None
) -> Iterator[Finding]:
    built_torch = f"{label.group(1)}.{label.group(2)}"
    variant = label.group(3)
    built_cuda = _variant_cuda(variant)
    comps = (pkg.name, "torch")
    parsed = parse_version(pkg.version)
    base = parsed.public if parsed is not None else pkg.version
    torch_minor = minor_of(public)
    want_variant = cuda_variant(torch_cuda) if torch_cuda else "cpu"
    fix = (
        f"pip install --force-reinstall --no-deps {pkg.name}=={base} -f "
        f"https://data.pyg.org/whl/torch-{torch_minor}.0+{want_variant}.html"
    )
    source = "https://data.pyg.org/whl/"
    if built_torch != torch_minor:
        yield finding(
            "EXT003",
            f"{pkg.name} {pkg.version} was built for torch {built_torch}, not the installed torch {public}",
            f"The local label +pt{label.group(1)}{label.group(2)}{variant} names the torch release and "
            "variant the wheel was compiled against; another torch minor fails at import with an "
            "undefined symbol.",
            components=comps,
            fix=fix,
            sources=(source,),
        )
    elif built_cuda and _major(built_cuda) != _major(torch_cuda):
        have = f"CUDA {torch_cuda}" if torch_cuda else "a CPU build"
        yield finding(
            "EXT003",
            f"{pkg.name} {pkg.version} is a CUDA {built_cuda} build; the installed torch is {have}",
            "Its CUDA kernels link the CUDA runtime and torch's CUDA libraries of another CUDA "
            "major, which this torch does not load: `import` fails with a missing library.",
            components=comps,
            fix=fix,
            sources=(source,),
        )


def check_toolkit_against_torch(ctx: CheckContext) -> Iterator[Finding]:
    """EXT004: nvcc's CUDA against torch's, as torch.utils.cpp_extension compares them."""
    found = _torch(ctx.env)
    nvcc = ctx.env.toolkit.nvcc_version
    if found is None or nvcc is None:
        return
    torch, public, torch_cuda = found
    if torch_cuda is None:
        return  # a CPU torch: cpp_extension skips this comparison (CUDA builds fail otherwise)
    have, want = _major_minor(nvcc), _major_minor(torch_cuda)
    if have is None or want is None or have == want:
        return
    where = ctx.env.toolkit.nvcc_path or "nvcc"
    have_text, want_text = f"{have[0]}.{have[1]}", f"{want[0]}.{want[1]}"
    variant = cuda_variant(have_text)
    release = tm.release_for(ctx.matrices, public)
    other = (
        tm.family_command(ctx.env, ctx.matrices, public, variant)
        if release is not None and variant in release.variants
        else None
    )
    home = f"/usr/local/cuda-{want_text}"
    fix = f"Install the CUDA {want_text} toolkit and `export CUDA_HOME={home}`" + (
        f"; or use torch's CUDA {have_text} build: {other}" if other else ""
    )
    if have[0] != want[0]:
        yield finding(
            "EXT004",
            f"The system CUDA toolkit ({have_text}) is another major than torch's CUDA ({want_text}): "
            "source builds of CUDA extensions will refuse",
            f"{where} reports CUDA {nvcc}; torch {torch.version} was built with CUDA {torch_cuda}. "
            "torch.utils.cpp_extension stops with `The detected CUDA version "
            f"({have_text}) mismatches the version that was used to compile PyTorch ({want_text})` - "
            "every `pip install` that compiles (flash-attn, apex, DeepSpeed ops, xformers or "
            "torch-scatter from source) and every `cpp_extension.load`.",
            components=("cuda", "torch"),
            fix=fix,
            sources=(CPP_EXTENSION_SOURCE,),
        )
    else:
        yield finding(
            "EXT004",
            f"The system CUDA toolkit ({have_text}) is another minor than torch's CUDA ({want_text})",
            f"{where} reports CUDA {nvcc}; torch {torch.version} was built with CUDA {torch_cuda}. "
            "torch.utils.cpp_extension warns (`has a minor version mismatch`) and builds; a kernel "
            "that uses a newer feature than the older of the two may still fail to compile or load.",
            components=("cuda", "torch"),
            fix=fix,
            sources=(CPP_EXTENSION_SOURCE,),
            severity=Severity.INFO,
        )


def _major_minor(version: str) -> tuple[int, int] | None:
    parsed = parse_version(version)
    if parsed is None:
        return None
    release = (*parsed.release, 0)
    return release[0], release[1]


CHECKS: tuple[CheckFn, ...] = (check_extension_pins, check_toolkit_against_torch)
