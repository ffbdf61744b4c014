"""INP002: TensorFlow before the [and-cuda] extra loads the system CUDA by soname."""

from __future__ import annotations

from dataclasses import replace

import pytest

from compataudit.checks import CheckContext
from compataudit.checks.system_cuda import check_tensorflow_system_cuda
from compataudit.compat.matrices import load_matrices
from compataudit.model import (
    Environment,
    Package,
    PlatformInfo,
    ProbeStatus,
    PythonInfo,
    StackSource,
    ToolkitInfo,
)


def _env(dist: str, version: str, nvcc: str | None, *, image: bool = False) -> Environment:
    return Environment(
        python=PythonInfo(version="3.11.7"),
        platform=PlatformInfo(system="Linux", machine="x86_64"),
        packages=(Package(dist, version, pinned=True),),
        toolkit=ToolkitInfo(status=ProbeStatus.OK if nvcc else ProbeStatus.ABSENT, nvcc_version=nvcc),
        stack=StackSource(files=("Dockerfile",), mode="image") if image else None,
    )


def _findings(env: Environment) -> list[str]:
    return [f.title for f in check_tensorflow_system_cuda(CheckContext(env=env, matrices=load_matrices()))]


@pytest.mark.parametrize(
    ("dist", "version", "nvcc", "fires"),
    [
        ("tensorflow", "2.12.0", "12.1", True),  # CUDA 11.8 build in a CUDA 12 image
        ("tensorflow", "2.13.1", "13.0.88", True),
        ("tensorflow", "2.10.0", "12.4", True),  # CUDA 11.2 build
        ("tensorflow", "2.12.0", "11.8", False),  # the CUDA it was built for
        ("tensorflow", "2.12.0", "11.2", False),  # same major: the sonames are libcudart.so.11.0
        ("tensorflow", "2.12.0", None, False),  # no system CUDA known: nothing to compare
        ("tensorflow", "2.15.0", "13.0", False),  # [and-cuda] wheels bring their own
        ("tensorflow-cpu", "2.12.0", "12.1", False),  # not a CUDA build
    ],
)
def test_system_cuda_major(dist: str, version: str, nvcc: str | None, fires: bool) -> None:
    assert bool(_findings(_env(dist, version, nvcc))) is fires


def test_the_fix_depends_on_where() -> None:
    ctx = CheckContext(env=_env("tensorflow", "2.12.0", "12.1", image=True), matrices=load_matrices())
    (image,) = check_tensorflow_system_cuda(ctx)
    assert image.fix is not None and image.fix.startswith("Build FROM an nvidia/cuda 11.8 base image")
    host = replace(ctx, env=replace(ctx.env, stack=None))
    (on_host,) = check_tensorflow_system_cuda(host)
    assert on_host.fix is not None and on_host.fix.startswith("Install the CUDA 11.8 runtime")
    assert "https://www.tensorflow.org/install/source#gpu" in on_host.sources


def test_an_image_without_system_cuda_on_a_gpu_machine() -> None:
    from compataudit.model import Gpu, NvidiaInfo

    env = _env("tensorflow", "2.12.0", None, image=True)
    assert _findings(env) == []  # no GPU here: nothing would use CUDA anyway
    gpu = NvidiaInfo(
        status=ProbeStatus.OK, driver_version="550.54.14", gpus=(Gpu(0, "A100", compute_capability="8.0"),)
    )
    (title,) = _findings(replace(env, nvidia=gpu))
    assert title.endswith("the image has no system CUDA")
