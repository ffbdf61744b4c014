"""Driver and GPU-architecture checks over fake resolved builds (no framework resolvers involved)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from compataudit.checks import cuda as cuda_checks
from compataudit.compat import builds
from compataudit.compat.builds import ResolvedBuild
from compataudit.compat.matrices import Matrices
from compataudit.model import Environment, Finding, Gpu, NvidiaInfo, ProbeStatus
from tests.checks.check_helpers import findings_of
from tests.envs import environment

TORCH_CU124 = ResolvedBuild(
    "torch",
    ("torch",),
    "2.5.1+cu124",
    "cu124",
    "12.4",
    archs=("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"),
)
TORCH_CPU = ResolvedBuild("torch", ("torch",), "2.5.1+cpu", "cpu", None)


class FakeCompat:
    """A framework compat module that records what it was asked."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.calls: list[tuple[str | None, tuple[str, ...]]] = []

    def resolve_build(self, env: Environment, matrices: Matrices) -> ResolvedBuild | None:
        return None

    def suggest_build(
        self,
        env: Environment,
        matrices: Matrices,
        build: ResolvedBuild,
        *,
        max_cuda: str | None,
        gpu_ccs: tuple[str, ...],
    ) -> str | None:
        self.calls.append((max_cuda, gpu_ccs))
        return self.answer


@pytest.fixture
def compat(monkeypatch: pytest.MonkeyPatch) -> FakeCompat:
    fake = FakeCompat("pip install torch==2.5.1+cu118 --index-url https://download.pytorch.org/whl/cu118")
    monkeypatch.setattr(builds, "framework_module", lambda name: fake if name == "torch" else None)
    return fake


def _run(
    monkeypatch: pytest.MonkeyPatch,
    build_list: list[ResolvedBuild],
    nvidia: NvidiaInfo,
    system: str = "Linux",
) -> list[Finding]:
    monkeypatch.setattr(builds, "resolve_builds", lambda env, matrices: list(build_list))
    return findings_of(cuda_checks, environment(system=system, nvidia=nvidia))


def _ok(driver: str | None, *ccs: str) -> NvidiaInfo:
    gpus = tuple(Gpu(index=i, name=f"GPU {i}", compute_capability=cc) for i, cc in enumerate(ccs))
    return NvidiaInfo(status=ProbeStatus.OK, source="nvml", driver_version=driver, gpus=gpus)


def test_drv001_names_framework_driver_fix_and_sources(
    monkeypatch: pytest.MonkeyPatch, compat: FakeCompat
) -> None:
    [f] = _run(monkeypatch, [TORCH_CU124], _ok("470.82.01", "8.6"))
    assert f.code == "DRV001"
    assert (
        f.title == "NVIDIA driver 470.82.01 is too old for torch 2.5.1+cu124 (CUDA 12.4 needs >= 550.54.14)"
    )
    assert f.components == ("torch", "nvidia-driver")
    assert "11.8 at most" in f.detail
    assert f.fix is not None and f.fix.startswith("Upgrade the NVIDIA driver to >= 550.54.14")
    assert "cu118" in f.fix
    # 470.82.01 runs CUDA 11.4 in full (11.8 only through minor-version compatibility, DRV002)
    assert compat.calls == [("11.4", ("8.6",))]
    assert "https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html" in f.sources


def test_drv001_without_a_suggestion_uses_a_generic_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builds, "framework_module", lambda name: None)
    [f] = _run(monkeypatch, [TORCH_CU124], _ok("470.82.01"))
    assert f.fix == (
        "Upgrade the NVIDIA driver to >= 550.54.14, or install a torch build for CUDA 11.8 or older"
    )


def test_drv002_between_floor_and_toolkit_minimum(
    monkeypatch: pytest.MonkeyPatch, compat: FakeCompat
) -> None:
    [f] = _run(monkeypatch, [TORCH_CU124], _ok("530.30.02"))
    assert (f.code, f.severity.value) == ("DRV002", "warning")
    # the cure offered besides the driver is a build this driver runs in full: no DRV002 after it
    assert f.fix == (
        "Upgrade the NVIDIA driver to >= 550.54.14, or install a build it runs in full "
        f"(CUDA <= 12.1): {compat.answer}"
    )
    assert compat.calls == [("12.1", ())]
    assert "CUDA 12.4 GA needs driver >= 550.54.14" in f.detail


@pytest.mark.parametrize("driver", ["550.54.14", "560.35.03", "580.65.06", "610.43.02"])
def test_new_enough_drivers_are_silent(
    monkeypatch: pytest.MonkeyPatch, compat: FakeCompat, driver: str
) -> None:
    assert _run(monkeypatch, [TORCH_CU124], _ok(driver)) == []


@pytest.mark.parametrize(
    "nvidia",
    [
        pytest.param(NvidiaInfo(status=ProbeStatus.SKIPPED), id="what-if-no-driver"),
        pytest.param(NvidiaInfo(status=ProbeStatus.ERROR), id="probe-error"),
        pytest.param(NvidiaInfo(status=ProbeStatus.TIMEOUT), id="probe-timeout"),
        pytest.param(_ok("garbage"), id="unreadable-driver"),
        pytest.param(_ok(None), id="gpu-cc-only-what-if"),
    ],
)
def test_unknown_driver_stays_silent(
    monkeypatch: pytest.MonkeyPatch, compat: FakeCompat, nvidia: NvidiaInfo
) -> None:
    assert _run(monkeypatch, [TORCH_CU124], nvidia) == []


def test_drv003_only_when_probed_absent(monkeypatch: pytest.MonkeyPatch, compat: FakeCompat) -> None:
    compat.answer = "pip install torch==2.5.1+cpu --index-url https://download.pytorch.org/whl/cpu"
    [f] = _run(monkeypatch, [TORCH_CU124], NvidiaInfo(status=ProbeStatus.ABSENT))
    assert (f.code, f.components) == ("DRV003", ("torch", "nvidia-driver"))
    assert f.fix is not None and "whl/cpu" in f.fix
    assert compat.calls == [(None, ())]


def test_drv004_cpu_build_with_gpu(monkeypatch: pytest.MonkeyPatch, compat: FakeCompat) -> None:
    [f] = _run(monkeypatch, [TORCH_CPU], _ok("550.54.14", "8.6", "8.6"))
    assert f.code == "DRV004"
    assert f.title == "torch 2.5.1+cpu is a CPU-only build but 2 NVIDIA GPU(s) are present"
    # 550.54.14 runs up to CUDA 12.4 in full (12.9 only through minor-version compatibility)
    assert compat.calls == [("12.4", ("8.6", "8.6"))]


def test_cpu_build_without_gpu_is_fine(monkeypatch: pytest.MonkeyPatch, compat: FakeCompat) -> None:
    assert _run(monkeypatch, [TORCH_CPU], NvidiaInfo(status=ProbeStatus.ABSENT)) == []


def test_arc001_and_arc002_per_gpu(monkeypatch: pytest.MonkeyPatch, compat: FakeCompat) -> None:
    build = replace(TORCH_CU124, archs=("sm_75", "sm_80", "sm_90", "compute_90"))
    found = _run(monkeypatch, [build], _ok("560.35.03", "6.1", "8.9", "12.0", "junk"))
    assert [(f.code, f.components) for f in found] == [
        ("ARC001", ("torch", "gpu")),
        ("ARC002", ("torch", "gpu")),
    ]
    assert found[0].title == "torch 2.5.1+cu124 has no kernels for sm_61 (GPU 0)"
    assert "Pascal" in found[0].detail
    assert "GPU 2" in found[1].title


def test_windows_uses_windows_drivers(monkeypatch: pytest.MonkeyPatch, compat: FakeCompat) -> None:
    assert _run(monkeypatch, [TORCH_CU124], _ok("551.61"), system="Windows") == []
    [f] = _run(monkeypatch, [TORCH_CU124], _ok("527.40"), system="Windows")
    assert f.code == "DRV001" and "551.61" in f.title and "527.41" in f.detail


def test_no_frameworks_no_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(monkeypatch, [], _ok("470.82.01", "8.6")) == []


def test_arc_title_uses_the_reported_gpu_name(monkeypatch: pytest.MonkeyPatch, compat: FakeCompat) -> None:
    gpu = Gpu(index=1, name="NVIDIA GeForce GTX 1080", compute_capability="6.1")
    nvidia = NvidiaInfo(status=ProbeStatus.OK, driver_version="550.54.14", gpus=(gpu,))
    build = replace(TORCH_CU124, archs=("sm_75", "sm_80"))
    [f] = _run(monkeypatch, [build], nvidia)
    assert f.title == "torch 2.5.1+cu124 has no kernels for sm_61 (GPU 1 (NVIDIA GeForce GTX 1080))"
    assert f.fix == compat.answer


@pytest.mark.parametrize(
    ("visible", "expected"),
    [
        (None, ["ARC001"]),  # both GPUs checked: the Pascal one has no kernels
        ("1", []),  # only the Ada GPU is visible
        ("GPU-ada", []),
        ("0", ["ARC001"]),
        ("", []),
        ("-1", []),
    ],
)
def test_hidden_gpus_are_not_checked(
    visible: str | None, expected: list[str], monkeypatch: pytest.MonkeyPatch, compat: FakeCompat
) -> None:
    build = replace(TORCH_CU124, archs=("sm_75", "sm_80", "sm_89", "sm_90"))
    gpus = (
        Gpu(index=0, name="Tesla P100", uuid="GPU-pascal", compute_capability="6.0"),
        Gpu(index=1, name="L4", uuid="GPU-ada", compute_capability="8.9"),
    )
    nvidia = replace(_ok("560.35.03"), gpus=gpus, visible_devices=visible)
    monkeypatch.setattr(builds, "resolve_builds", lambda env, matrices: [build])
    found = findings_of(
        cuda_checks, environment(nvidia=nvidia, env_vars=(("CUDA_DEVICE_ORDER", "PCI_BUS_ID"),))
    )
    assert [f.code for f in found] == expected
    assert all(call[1] in ((), ("8.9",), ("6.0", "8.9"), ("6.0",)) for call in compat.calls)


def test_drv004_counts_only_visible_gpus(monkeypatch: pytest.MonkeyPatch, compat: FakeCompat) -> None:
    assert _run(monkeypatch, [TORCH_CPU], replace(_ok("550.54.14", "8.6"), visible_devices="")) == []
