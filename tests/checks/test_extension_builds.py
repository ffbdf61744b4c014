"""EXT003 (extension built for another torch / CUDA) and EXT004 (toolkit vs torch's CUDA)."""

from __future__ import annotations

import pytest

from compataudit.checks import extension_builds
from compataudit.model import (
    BuildInfo,
    Environment,
    Finding,
    Package,
    PlatformInfo,
    ProbeStatus,
    PythonInfo,
    Severity,
    ToolkitInfo,
)
from tests.checks.check_helpers import findings_of

# Requires-Dist of xformers 0.0.29.post3's Linux wheel (PyPI metadata).
XFORMERS_PIN = "torch==2.6.0"


def _run(
    *packages: Package, torch: str = "2.6.0", cuda: str | None = "12.4", nvcc: str | None = None
) -> list[Finding]:
    env = Environment(
        python=PythonInfo(version="3.11.7"),
        platform=PlatformInfo(system="Linux", machine="x86_64"),
        packages=(Package("torch", torch), *packages),
        builds=(BuildInfo("torch", "torch", version=torch, cuda=cuda, source="torch/version.py"),),
        toolkit=ToolkitInfo(status=ProbeStatus.OK, nvcc_version=nvcc, nvcc_path="/usr/local/cuda/bin/nvcc"),
    )
    return findings_of(extension_builds, env)


def test_exact_torch_pin_that_holds_is_silent() -> None:
    assert _run(Package("xformers", "0.0.29.post3", requires=(XFORMERS_PIN,))) == []


def test_exact_torch_pin_that_does_not_hold_is_an_error_naming_the_pin() -> None:
    (f,) = _run(Package("xformers", "0.0.29.post3", requires=(XFORMERS_PIN,)), torch="2.5.1+cu124")
    assert f.code == "EXT003" and f.severity is Severity.ERROR
    assert f.title == "xformers 0.0.29.post3 was built for torch 2.6.0, not the installed torch 2.5.1+cu124"
    assert f.components == ("xformers", "torch")
    assert f.fix is not None and "xformers" in f.fix


def test_a_pin_behind_an_extra_or_a_range_is_not_an_exact_build_pin() -> None:
    pkg = Package("bitsandbytes", "0.45.0", requires=("torch<3,>=2.0", 'torch==2.4.0; extra == "test"'))
    assert _run(pkg, torch="2.6.0") == []


@pytest.mark.parametrize(
    ("version", "torch", "cuda", "expected"),
    [
        ("2.1.2+pt24cu121", "2.4.1", "12.1", None),
        ("2.1.2+pt24cu121", "2.4.1", "12.4", None),  # same CUDA major: loads
        ("2.1.2+pt24cu121", "2.5.1", "12.4", "was built for torch 2.4, not the installed torch 2.5.1"),
        ("2.1.2+pt24cu118", "2.4.1", "12.1", "is a CUDA 11.8 build; the installed torch is CUDA 12.1"),
        ("2.1.2+pt24cu121", "2.4.1+cpu", None, "is a CUDA 12.1 build; the installed torch is a CPU build"),
        ("2.1.2+pt24cpu", "2.4.1", "12.1", None),  # a CPU build beside a CUDA torch loads
        ("2.1.2+pt113cu117", "1.13.1", "11.7", None),
        ("2.1.2+pt113cu117", "2.0.1", "11.7", "was built for torch 1.13"),
    ],
)
def test_pyg_local_labels(version: str, torch: str, cuda: str | None, expected: str | None) -> None:
    found = _run(Package("torch-scatter", version), torch=torch, cuda=cuda)
    if expected is None:
        assert found == []
    else:
        (f,) = found
        assert f.code == "EXT003" and expected in f.title
        assert f.fix is not None and "https://data.pyg.org/whl/torch-" in f.fix


def test_pyg_fix_names_the_installed_torchs_wheel_page() -> None:
    (f,) = _run(Package("torch-scatter", "2.1.2+pt24cu121"), torch="2.5.1", cuda="12.4")
    assert f.fix == (
        "pip install --force-reinstall --no-deps torch-scatter==2.1.2 -f https://data.pyg.org/whl/torch-2.5.0+cu124.html"
    )


def test_torchvision_is_left_to_the_tch_rules() -> None:
    assert _run(Package("torchvision", "0.20.1", requires=("torch==2.5.1",)), torch="2.6.0") == []


@pytest.mark.parametrize(
    ("nvcc", "cuda", "severity"),
    [
        ("12.4.131", "12.4", None),
        # the installed stack runs either way: only source builds refuse (major) or warn (minor)
        ("12.6.85", "12.4", Severity.INFO),
        ("13.0.88", "12.8", Severity.WARNING),
        ("11.8.89", "12.1", Severity.WARNING),
        ("13.0.88", None, None),  # CPU torch: cpp_extension does not compare
    ],
)
def test_toolkit_against_torch(nvcc: str, cuda: str | None, severity: Severity | None) -> None:
    found = _run(nvcc=nvcc, cuda=cuda, torch="2.6.0")
    if severity is None:
        assert found == []
        return
    (f,) = found
    assert f.code == "EXT004" and f.severity is severity
    assert f.components == ("cuda", "torch")
    assert "CUDA_HOME" in (f.fix or "")
    if severity is Severity.WARNING:
        assert "mismatches the version that was used to compile PyTorch" in f.detail


def test_no_nvcc_no_finding() -> None:
    assert _run(nvcc=None) == []


def test_the_fix_installs_the_release_built_for_the_installed_torch() -> None:
    (f,) = _run(Package("xformers", "0.0.29.post3", requires=(XFORMERS_PIN,)), torch="2.8.0")
    assert f.fix == 'pip install "xformers==0.0.32.post2"'  # the newest xformers pinning torch==2.8.0
    assert "https://pypi.org/project/xformers/0.0.32.post2/#files" in f.sources
