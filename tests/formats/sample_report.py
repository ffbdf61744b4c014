"""The one shared report every format (and the schema tests) render: see make_report()."""

from __future__ import annotations

from compataudit.model import (
    BuildInfo,
    Environment,
    Finding,
    Gpu,
    NvidiaInfo,
    Package,
    PlatformInfo,
    ProbeStatus,
    PythonInfo,
    Report,
    Severity,
    SmokeResult,
    SmokeStatus,
    Summary,
)


def make_report() -> Report:
    """A report with findings of every severity and smoke results of every status."""
    env = Environment(
        python=PythonInfo(version="3.11.9", executable="/opt/venv/bin/python", env_kind="venv"),
        platform=PlatformInfo(system="Linux", machine="x86_64", os_name="Ubuntu 22.04.4 LTS"),
        packages=(
            Package(name="numpy", version="2.1.3"),
            Package(name="torch", version="2.5.1+cu124"),
            Package(name="torchvision", version="0.19.1+cu124"),
        ),
        nvidia=NvidiaInfo(
            status=ProbeStatus.OK,
            source="nvml",
            driver_version="535.183.01",
            cuda_driver_version="12.2",
            gpus=(Gpu(index=0, name="NVIDIA A100-SXM4-40GB", compute_capability="8.0"),),
        ),
        builds=(
            BuildInfo(
                framework="torch",
                distribution="torch",
                version="2.5.1+cu124",
                cuda="12.4",
                cudnn="9.1.0",
                archs=("sm_80", "sm_90"),
            ),
        ),
    )
    findings = (
        Finding(
            code="TCH001",
            severity=Severity.ERROR,
            title="torchvision 0.19.1 is built for torch 2.4, not 2.5.1",
            detail="torchvision 0.19 pairs with torch 2.4; with torch 2.5.1 its ops fail "
            "to register: 'operator torchvision::nms does not exist'.",
            components=("torch", "torchvision"),
            fix="pip install torchvision==0.20.1 --index-url https://download.pytorch.org/whl/cu124",
            sources=("https://github.com/pytorch/vision#installation",),
            area="torch",
        ),
        Finding(
            code="DRV002",
            severity=Severity.WARNING,
            title="Driver 535.183.01 runs CUDA 12.4 only through minor-version compatibility",
            detail="CUDA 12.4 wants driver >= 550.54.14; 535 is above the CUDA 12 floor, "
            "so PTX JIT fails: 50%, a:b, c,d.",
            components=("nvidia-driver", "torch"),
            fix="Upgrade the NVIDIA driver to 550.54.14 or newer.",
            sources=("https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/",),
            area="cuda",
        ),
        Finding(
            code="MAT001",
            severity=Severity.INFO,
            title="numpy 2.1.3 is not in compataudit's compatibility data",
            detail="",
            components=("numpy",),
            area="matrices",
        ),
        Finding(
            code="POL001",
            severity=Severity.ERROR,
            title="torch 2.5.1+cu124 violates the policy pin torch>=2.6",
            detail="[tool.compataudit] require = ['torch>=2.6']",
            components=("torch",),
            fix="pip install 'torch>=2.6'",
            area="policy",
        ),
    )
    smoke = (
        SmokeResult(
            framework="torch",
            device="cpu",
            status=SmokeStatus.PASS,
            forward_ms=1.25,
            backward_ms=2.5,
            max_rel_error=3e-7,
            framework_version="2.5.1+cu124",
        ),
        SmokeResult(
            framework="torch",
            device="cuda:0",
            status=SmokeStatus.FAIL,
            dtype="float16",
            forward_ms=0.5,
            backward_ms=0.75,
            max_rel_error=0.25,
            detail="max relative error 0.25 > 0.01",
            device_name="NVIDIA A100-SXM4-40GB",
        ),
        SmokeResult(
            framework="jax", device="gpu:0", status=SmokeStatus.CRASH, detail="killed by signal 11 (SIGSEGV)"
        ),
        SmokeResult(
            framework="tensorflow",
            device="cpu",
            status=SmokeStatus.SKIP,
            detail="tensorflow is not installed",
        ),
    )
    summary = Summary(errors=2, warnings=1, infos=1, smoke_failed=2, exit_code=1)
    return Report(environment=env, findings=findings, smoke=smoke, summary=summary, tool_version="0.1.0")
