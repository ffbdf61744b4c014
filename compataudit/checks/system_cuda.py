"""Frameworks that load the *system* CUDA libraries by soname, against the system CUDA there is.

TensorFlow releases before the ``tensorflow[and-cuda]`` extra (2.14) ship no CUDA libraries:
a CUDA build ``dlopen``s ``libcudart.so.11.0`` and friends from the system (an ``nvidia/cuda``
image, ``/usr/local/cuda``). A system CUDA of another major version has none of those sonames,
so TensorFlow finds no GPU and runs on the CPU. Facts from ``matrices/tensorflow.toml`` (the
tested build configurations and each wheel's ``build_info.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from compataudit.checks import CheckContext, CheckFn
from compataudit.compat.builds import resolve_builds
from compataudit.compat.tensorflow import TfRelease, python_ok, tensorflow_matrix
from compataudit.model import Finding, ProbeStatus
from compataudit.rules import finding
from compataudit.versions import major_minor, parse_version

AREA = "cuda"
_SOURCES = (
    "https://www.tensorflow.org/install/source#gpu",
    "https://www.tensorflow.org/install/pip",
    "https://github.com/tensorflow/tensorflow/issues/45930",
)


def _bundling_release(ctx: CheckContext, after: str) -> TfRelease | None:
    """The first release after ``after`` whose ``[and-cuda]`` wheels bring CUDA, on this Python."""
    start = parse_version(after)
    for release in tensorflow_matrix(ctx.matrices).releases:
        version = parse_version(release.version)
        if start is None or version is None or version <= start or not release.and_cuda:
            continue
        if python_ok(release, ctx.env.python.version) is not False:
            return release
    return None


def check_tensorflow_system_cuda(ctx: CheckContext) -> Iterator[Finding]:
    """INP002: a TensorFlow CUDA build without bundled CUDA on a system CUDA of another major."""
    system = ctx.env.toolkit.nvcc_version
    have = major_minor(system)
    in_image = ctx.env.stack is not None and ctx.env.stack.mode == "image"
    # An image without any system CUDA (python:3.11) on a machine with GPUs has none of the
    # libraries either; elsewhere an unknown system CUDA is nothing to compare.
    bare_image = in_image and ctx.env.toolkit.status is ProbeStatus.ABSENT and bool(ctx.env.nvidia.gpus)
    if have is None and not bare_image:
        return
    build = next((b for b in resolve_builds(ctx.env, ctx.matrices) if b.framework == "tensorflow"), None)
    need = major_minor(build.cuda) if build else None
    if build is None or need is None or (have is not None and need[0] == have[0]):
        return
    release = tensorflow_matrix(ctx.matrices).release_for(build.version)
    if release is None or release.and_cuda:
        return  # unknown release, or one whose [and-cuda] extra can bring its own libraries
    dist = build.components[0]
    cudnn = (release.cudnn or "").split(".")[0]
    where = "the image's" if in_image else "this system's"
    found = f"{where} CUDA is {system}" if system else "the image has no system CUDA"
    soname = f"libcudart.so.{need[0]}.0" if need[0] == 11 else f"libcudart.so.{need[0]}"
    bundling = _bundling_release(ctx, build.version)
    alternatives = []
    if in_image:
        example = " (e.g. nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04)" if build.cuda == "11.8" else ""
        alternatives.append(
            f"Build FROM an nvidia/cuda {build.cuda} base image with cuDNN {cudnn or '(any)'}{example}"
        )
    else:
        alternatives.append(
            f"Install the CUDA {build.cuda} runtime and cuDNN {cudnn or '(any)'} libraries where the "
            "dynamic loader finds them (LD_LIBRARY_PATH)"
        )
    if bundling is not None:
        alternatives.append(
            f'or install a TensorFlow whose wheels bring their own CUDA: pip install "tensorflow[and-cuda]=='
            f'{bundling.newest_patch}"'
        )
    yield finding(
        "INP002",
        f"{dist} {build.version} needs the system CUDA {need[0]} libraries; {found}",
        f"{dist} {build.version} is a CUDA {build.cuda} build that ships no CUDA libraries (TensorFlow "
        f"before the [and-cuda] extra of 2.14): it loads {soname}, cuBLAS and cuDNN {cudnn or ''} "
        f"from the system by soname. {found[0].upper() + found[1:]}, which does not provide them, so "
        "TensorFlow sees no GPU and runs on the CPU.",
        components=[dist, "cuda"],
        fix="; ".join(alternatives),
        sources=(*release.sources[:2], *_SOURCES),
    )


CHECKS: tuple[CheckFn, ...] = (check_tensorflow_system_cuda,)
