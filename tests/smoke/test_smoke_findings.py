"""Smoke results -> findings, with fixes taken from what the static audit found."""

from __future__ import annotations

import pytest

from compataudit.model import (
    Finding,
    Package,
    Severity,
    SmokeResult,
    SmokeStatus,
)
from compataudit.rules import finding
from compataudit.smoke.findings import explaining_finding, smoke_findings
from tests.envs import environment

ENV = environment(
    ("torch", "2.5.1+cu124"),
    ("tensorflow-cpu", "2.21.0"),
    ("keras", "3.15.1"),
    ("jax", "0.10.2"),
    ("jaxlib", "0.10.2"),
)

DRIVER_OLD = finding(
    "DRV001",
    "torch 2.5.1+cu124 needs a newer NVIDIA driver",
    components=("torch", "nvidia-driver"),
    fix="Upgrade the NVIDIA driver, or install torch==2.5.1+cu118",
    sources=("https://docs.nvidia.com/deploy/cuda-compatibility/",),
)
ARCH_MISSING = finding(
    "ARC001",
    "GPU 0 (sm_120) is not in the torch build",
    components=("torch", "gpu"),
    fix="pip install torch==2.7.0",
)
CPU_BUILD = finding(
    "DRV004",
    "tensorflow-cpu on a GPU machine",
    components=("tensorflow-cpu",),
    fix="pip install tensorflow[and-cuda]",
)
BROKEN_KERAS = finding(
    "PKG004", "keras is half-installed", components=("keras",), fix="pip install --force-reinstall keras"
)
INFO_ONLY = finding("MAT001", "torch 2.5.1 is unknown", components=("torch",))


def result(framework: str, device: str, status: SmokeStatus, **kw: object) -> SmokeResult:
    return SmokeResult(framework=framework, device=device, status=status, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (SmokeStatus.FAIL, "SMK001"),
        (SmokeStatus.ERROR, "SMK002"),
        (SmokeStatus.CRASH, "SMK003"),
        (SmokeStatus.TIMEOUT, "SMK004"),
        (SmokeStatus.PASS, None),
        (SmokeStatus.SKIP, None),
    ],
)
def test_one_finding_per_failed_result(status: SmokeStatus, code: str | None) -> None:
    found = smoke_findings([result("torch", "cpu", status, detail="x")], ENV, [])
    assert [f.code for f in found] == ([code] if code else [])
    if code:
        assert found[0].severity is Severity.ERROR and found[0].area == "smoke"
        assert found[0].fix  # a default fix even without static findings
        assert found[0].components == ("torch",)


@pytest.mark.parametrize(
    ("smoke", "static", "cause"),
    [
        (result("torch", "cuda:0", SmokeStatus.ERROR), [INFO_ONLY, DRIVER_OLD], "DRV001"),
        (result("torch", "cuda:0", SmokeStatus.ERROR), [ARCH_MISSING, DRIVER_OLD], "DRV001"),
        (result("torch", "cuda:0", SmokeStatus.FAIL), [ARCH_MISSING], "ARC001"),
        (result("torch", "all", SmokeStatus.CRASH), [DRIVER_OLD], "DRV001"),  # failed before any device
        (
            result("torch", "cpu", SmokeStatus.ERROR),
            [DRIVER_OLD, ARCH_MISSING],
            None,
        ),  # GPU causes, CPU failure
        (result("torch", "cpu", SmokeStatus.ERROR), [INFO_ONLY], None),  # info is no explanation
        (result("jax", "cuda:0", SmokeStatus.ERROR), [DRIVER_OLD], None),  # another framework's finding
        (result("tensorflow", "cuda", SmokeStatus.ERROR), [CPU_BUILD], "DRV004"),  # --device cuda, CPU build
        (
            result("keras", "cuda:0", SmokeStatus.ERROR, runtime=(("backend", "torch"),)),
            [DRIVER_OLD],
            "DRV001",
        ),  # keras runs on torch here
        (result("keras", "cpu", SmokeStatus.ERROR, runtime=(("backend", "jax"),)), [BROKEN_KERAS], "PKG004"),
    ],
)
def test_explaining_finding(smoke: SmokeResult, static: list[Finding], cause: str | None) -> None:
    found = explaining_finding(smoke, static)
    assert (found.code if found else None) == cause


def test_fix_points_at_the_static_finding() -> None:
    smoke = result(
        "torch",
        "cuda:0",
        SmokeStatus.ERROR,
        dtype="float16",
        detail="RuntimeError: The NVIDIA driver on your system is too old",
        device_name="NVIDIA A100-SXM4-80GB",
        framework_version="2.5.1+cu124",
        runtime=(("torch", "2.5.1+cu124"), ("cuda", "12.4")),
    )
    (f,) = smoke_findings([smoke], ENV, [DRIVER_OLD])
    assert f.code == "SMK002"
    assert f.title == "torch smoke kernel failed on cuda:0 (float16)"
    assert f.fix == f"{DRIVER_OLD.fix} (DRV001: {DRIVER_OLD.title})"
    assert f.sources == DRIVER_OLD.sources
    assert f.components == ("torch", "gpu", "nvidia-driver")
    assert f.detail == (
        "RuntimeError: The NVIDIA driver on your system is too old; device: NVIDIA A100-SXM4-80GB; "
        "torch 2.5.1+cu124; cuda 12.4"
    )


@pytest.mark.parametrize(
    ("smoke", "title", "components", "fix_part"),
    [
        (
            result(
                "tensorflow",
                "all",
                SmokeStatus.CRASH,
                dtype="all",
                detail="killed by SIGSEGV while importing",
            ),
            "tensorflow smoke kernel crashed",
            ("tensorflow-cpu",),
            "pip install --force-reinstall --no-cache-dir 'tensorflow-cpu==2.21.0'",
        ),
        (
            result("jax", "cpu", SmokeStatus.FAIL, framework_version="0.10.2"),
            "jax conv2d computes wrong numbers on cpu (float32)",
            ("jax",),
            "'jax==0.10.2'",
        ),
        (
            result("torch", "cpu", SmokeStatus.FAIL),
            "torch conv2d computes wrong numbers on cpu (float32)",
            ("torch",),
            "'torch==2.5.1' (from the index that provides the +cu124 build)",
        ),
        (
            result("torch", "mps", SmokeStatus.TIMEOUT),
            "torch smoke kernel hung on mps (float32)",
            ("torch", "gpu"),
            "--smoke-timeout",
        ),
        (
            result("keras", "all", SmokeStatus.ERROR, dtype="all"),
            "keras smoke kernel failed",
            ("keras",),
            "python -c 'import keras'",
        ),
    ],
)
def test_default_findings(smoke: SmokeResult, title: str, components: tuple[str, ...], fix_part: str) -> None:
    (f,) = smoke_findings([smoke], ENV, [])
    assert f.title == title
    assert f.components == components
    assert f.fix is not None and fix_part in f.fix


NO_DEVICE = "jax sees no device matching 'cuda' (it sees: cpu)"


def _no_device(framework: str, **runtime: str) -> SmokeResult:
    detail = NO_DEVICE.replace("jax", framework, 1)
    return result(framework, "cuda", SmokeStatus.ERROR, detail=detail, runtime=tuple(runtime.items()))


@pytest.mark.parametrize(
    ("packages", "smoke", "fix_part"),
    [
        # jaxlib alone is the CPU backend: no plugin, no GPU, ever
        ((), _no_device("jax"), "has no CUDA plugin"),
        # Keras runs on tensorflow-cpu here: the backend decides
        ((), _no_device("keras", backend="tensorflow"), "runs on tensorflow, here a CPU-only build"),
        # with the CUDA plugin jax can use a GPU: this machine simply has none
        ((Package("jax-cuda13-plugin", "0.10.2"),), _no_device("jax"), "shows no NVIDIA driver or GPU"),
    ],
)
def test_a_device_the_framework_cannot_see(
    packages: tuple[Package, ...], smoke: SmokeResult, fix_part: str
) -> None:
    from dataclasses import replace

    from compataudit.model import NvidiaInfo, ProbeStatus

    no_driver = NvidiaInfo(status=ProbeStatus.ABSENT)
    env = replace(ENV, packages=ENV.packages + packages, nvidia=no_driver)
    (f,) = smoke_findings([smoke], env, [])
    assert f.fix is not None and fix_part in f.fix
    assert "nvidia-smi" not in f.fix  # no driver here: nothing to check it with
