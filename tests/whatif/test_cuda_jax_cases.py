"""What-if cases for the CUDA, nvidia-wheel and JAX checks, each named for the fact it tests.

The environment comes from the real what-if layer (``--pin/--driver/--gpu-cc/--python``
on an empty ``--no-probe`` environment). torch / TensorFlow builds are fixed fakes (their
resolvers belong to other modules); JAX builds come from the real ``compat.jax`` resolver.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from compataudit.checks import CheckContext, nvidia_wheels
from compataudit.checks import cuda as cuda_checks
from compataudit.checks import jax as jax_checks
from compataudit.compat import builds
from compataudit.compat import jax as jax_compat
from compataudit.compat.builds import ResolvedBuild
from compataudit.compat.matrices import Matrices
from compataudit.model import Environment, Finding, NvidiaInfo, PlatformInfo, ProbeStatus
from compataudit.options import EnvOptions
from compataudit.sources.whatif import apply_what_if, empty_environment

MATRICES = Matrices(Path(__file__).resolve().parents[2] / "matrices")
TORCH_ARCHS = ("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90")


def torch(cuda: str | None, *archs: str) -> ResolvedBuild:
    variant = f"cu{cuda.replace('.', '')}" if cuda else "cpu"
    return ResolvedBuild("torch", ("torch",), f"2.5.1+{variant}", variant, cuda, archs=archs or TORCH_ARCHS)


TF_CPU = ResolvedBuild("tensorflow", ("tensorflow-cpu",), "2.18.0", "cpu", None)


def _findings(
    monkeypatch: pytest.MonkeyPatch,
    *,
    pins: tuple[str, ...] = (),
    driver: str | None = None,
    ccs: tuple[str, ...] = (),
    python: str | None = "3.11.7",
    fake: ResolvedBuild | None = None,
    system: str = "Linux",
    nvidia: NvidiaInfo | None = None,
) -> list[Finding]:
    env = apply_what_if(empty_environment(), EnvOptions(pins=pins, driver=driver, gpu_ccs=ccs, python=python))
    if system != "Linux":
        env = replace(env, platform=PlatformInfo(system=system, machine="AMD64"))
    if nvidia is not None:
        env = replace(env, nvidia=nvidia)

    def resolve(env: Environment, matrices: Matrices) -> list[ResolvedBuild]:
        found = [fake] if fake else []
        jax_build = jax_compat.resolve_build(env, matrices)
        return found + ([jax_build] if jax_build else [])

    monkeypatch.setattr(builds, "resolve_builds", resolve)
    monkeypatch.setattr(builds, "framework_module", lambda name: jax_compat if name == "jax" else None)
    ctx = CheckContext(env=env, matrices=MATRICES)
    checks = (*cuda_checks.CHECKS, *nvidia_wheels.CHECKS, *jax_checks.CHECKS)
    return [f for check in checks for f in check(ctx)]


JAX10 = ("jax==0.10.2", "jaxlib==0.10.2")
CU12 = (*JAX10, "jax-cuda12-plugin==0.10.2", "jax-cuda12-pjrt==0.10.2")
CU13 = (*JAX10, "jax-cuda13-plugin==0.10.2", "jax-cuda13-pjrt==0.10.2")

CASES = [
    # ------------------------------------------------ driver vs CUDA (release notes Table 3, MVC page)
    pytest.param(
        {"fake": torch("12.4"), "driver": "470.82.01"}, ["DRV001"], id="drv-470-below-12x-floor-cu124"
    ),
    pytest.param(
        {"fake": torch("12.1"), "driver": "525.60.13"}, ["DRV002"], id="mvc-12x-floor-525.60.13-cu121-runs"
    ),
    pytest.param({"fake": torch("12.1"), "driver": "530.30.02"}, [], id="table3-12.1-needs-530.30.02"),
    pytest.param({"fake": torch("12.1"), "driver": "525.60.12"}, ["DRV001"], id="one-below-12x-floor"),
    pytest.param(
        {"fake": torch("12.4"), "driver": "530.30.02"}, ["DRV002"], id="table3-12.4-needs-550.54.14"
    ),
    pytest.param({"fake": torch("12.4"), "driver": "550.54.14"}, [], id="table3-12.4-ga-exact"),
    pytest.param({"fake": torch("12.4"), "driver": "550.54.13"}, ["DRV002"], id="table3-12.4-one-below"),
    pytest.param({"fake": torch("12.6"), "driver": "560.35.03"}, [], id="table3-12.6-update1-driver"),
    pytest.param({"fake": torch("12.8"), "driver": "570.26"}, [], id="table3-12.8-two-part-driver"),
    pytest.param(
        {"fake": torch("12.9"), "driver": "570.124.06"}, ["DRV002"], id="table3-12.9-needs-575.51.03"
    ),
    pytest.param({"fake": torch("11.8"), "driver": "535.104.05"}, [], id="backward-compat-newer-driver"),
    pytest.param({"fake": torch("11.8"), "driver": "450.80.02"}, ["DRV002"], id="mvc-11x-floor-450.80.02"),
    pytest.param({"fake": torch("11.8"), "driver": "450.80.01"}, ["DRV001"], id="below-11x-floor"),
    pytest.param({"fake": torch("11.0"), "driver": "450.51.05"}, [], id="table3-11.0-ga-own-minimum"),
    pytest.param({"fake": torch("10.2"), "driver": "440.33"}, [], id="table3-10.2-440.33"),
    pytest.param({"fake": torch("10.2"), "driver": "418.39"}, ["DRV001"], id="no-mvc-before-cuda-11"),
    pytest.param({"fake": torch("13.0"), "driver": "580.65.06"}, [], id="table3-13.0-580.65.06"),
    pytest.param({"fake": torch("13.0"), "driver": "575.57.08"}, ["DRV001"], id="cuda13-needs-r580"),
    pytest.param({"fake": torch("12.8"), "driver": "580.65.06"}, [], id="r580-runs-cuda12-backward"),
    pytest.param({"fake": torch("13.0"), "driver": "610.43.02"}, [], id="r610-runs-cuda13"),
    pytest.param(
        {"fake": torch("12.4"), "driver": "551.61", "system": "Windows"}, [], id="windows-12.4-551.61"
    ),
    pytest.param(
        {"fake": torch("12.4"), "driver": "527.40", "system": "Windows"},
        ["DRV001"],
        id="windows-below-527.41",
    ),
    pytest.param(
        {"fake": torch("13.0"), "driver": "580.88", "system": "Windows"}, [], id="windows-cuda13-580.88"
    ),
    pytest.param({"fake": torch("14.0"), "driver": "470.82.01"}, [], id="unknown-cuda-major-silent"),
    # ------------------------------------------------ driver presence (DRV003 / DRV004)
    pytest.param({"fake": torch("12.4")}, [], id="no-probe-without-driver-is-silent"),
    pytest.param(
        {"fake": torch("12.4"), "nvidia": NvidiaInfo(status=ProbeStatus.ABSENT)},
        ["DRV003"],
        id="probed-no-driver",
    ),
    pytest.param(
        {"fake": torch(None), "driver": "550.54.14", "ccs": ("8.6",)}, ["DRV004"], id="cpu-torch-gpu"
    ),
    pytest.param(
        {"fake": TF_CPU, "driver": "550.54.14", "ccs": ("8.6",)}, ["DRV004"], id="tensorflow-cpu-gpu"
    ),
    pytest.param({"fake": torch(None), "driver": "550.54.14"}, [], id="cpu-build-no-gpu"),
    # ------------------------------------------------ architectures (binary / PTX compatibility)
    pytest.param(
        {"fake": torch("12.4", "sm_75", "sm_80", "sm_86", "sm_90"), "driver": "550.54.14", "ccs": ("6.1",)},
        ["ARC001"],
        id="sm61-gpu-archs-7.5-plus",
    ),
    pytest.param(
        {"fake": torch("12.4", "sm_80", "sm_86"), "driver": "550.54.14", "ccs": ("8.9",)},
        [],
        id="cc8.9-sass-same-major",
    ),
    pytest.param(
        {"fake": torch("12.4", "sm_80", "sm_90", "compute_90"), "driver": "570.26", "ccs": ("12.0",)},
        ["ARC002"],
        id="cc12.0-compute90-ptx-jit",
    ),
    pytest.param(
        {"fake": torch("12.4", "sm_80", "sm_90"), "driver": "570.26", "ccs": ("12.0",)},
        ["ARC001"],
        id="cc12.0-no-ptx",
    ),
    pytest.param(
        {"fake": torch("12.4", "sm_80", "sm_86"), "driver": "550.54.14", "ccs": ("9.0",)},
        ["ARC001"],
        id="sm8x-cubin-not-on-hopper",
    ),
    pytest.param(
        {"fake": torch("12.4", "sm_90a"), "driver": "550.54.14", "ccs": ("9.0",)},
        [],
        id="arch-specific-sm90a-on-h100",
    ),
    pytest.param(
        {"fake": torch("12.8", "sm_90a"), "driver": "570.26", "ccs": ("10.0",)},
        ["ARC001"],
        id="arch-specific-not-forward",
    ),
    pytest.param(
        {"fake": torch("11.8", "sm_50", "compute_90"), "driver": "520.61.05", "ccs": ("3.7",)},
        ["ARC001"],
        id="kepler-below-every-target",
    ),
    pytest.param(
        {"fake": torch("12.4", "7.5", "8.0+PTX"), "driver": "550.54.14", "ccs": ("8.6",)},
        [],
        id="dotted-arch-spelling",
    ),
    pytest.param(
        {"fake": torch("12.8", "sm_100"), "driver": "570.26", "ccs": ("10.3",)}, [], id="b300-runs-sm100"
    ),
    pytest.param(
        {"fake": torch("12.4", "sm_80"), "driver": "550.54.14", "ccs": ("8.6", "6.1")},
        ["ARC001"],
        id="one-of-two-gpus-uncovered",
    ),
    pytest.param(
        {"fake": replace(torch("12.4"), archs=()), "driver": "550.54.14", "ccs": ("6.1",)},
        [],
        id="unknown-archs-silent",
    ),
    pytest.param({"fake": torch("12.4", "sm_80"), "ccs": ("6.1",)}, ["ARC001"], id="gpu-cc-without-driver"),
    # ------------------------------------------------ jax / jaxlib / plugins (jax version.py, setup.py)
    pytest.param({"pins": ("jax==0.4.30", "jaxlib==0.4.31")}, ["JAX001"], id="jaxlib-newer-than-jax"),
    pytest.param({"pins": ("jax==0.4.31", "jaxlib==0.4.29")}, ["JAX001"], id="jax-0.4.31-min-jaxlib-0.4.30"),
    pytest.param({"pins": ("jax==0.4.31", "jaxlib==0.4.30")}, [], id="jaxlib-at-minimum-0.4.30"),
    pytest.param({"pins": JAX10}, [], id="jax-0.10.2-this-venv"),
    pytest.param({"pins": ("jax==0.10.2", "jaxlib==0.10.0")}, ["JAX001"], id="jax-0.10.2-min-jaxlib-0.10.1"),
    pytest.param(
        {"pins": (*JAX10, "jax-cuda12-plugin==0.10.1"), "driver": "550.54.14"},
        ["JAX002"],
        id="plugin-must-equal-jaxlib",
    ),
    pytest.param(
        {"pins": (*JAX10, "jax-cuda13-plugin==0.10.2", "jax-cuda13-pjrt==0.10.1"), "driver": "580.65.06"},
        ["JAX002"],
        id="pjrt-must-equal-plugin",
    ),
    pytest.param({"pins": JAX10, "python": "3.10"}, ["PY001", "PY001"], id="jax-0.7-plus-needs-3.11"),
    pytest.param(
        {"pins": ("jax==0.11.0", "jaxlib==0.11.0"), "python": "3.11"},
        ["PY001", "PY001"],
        id="jax-0.11-needs-3.12",
    ),
    pytest.param(
        {"pins": ("jax==0.4.30", "jaxlib==0.4.30"), "python": "3.13"},
        ["PY001", "PY001"],
        id="py313-wheels-from-0.4.34",
    ),
    pytest.param({"pins": ("jax==0.4.34", "jaxlib==0.4.34"), "python": "3.13"}, [], id="jax-0.4.34-py313"),
    pytest.param({"pins": ("jax==0.99.0", "jaxlib==0.99.0")}, ["MAT001"], id="unknown-jax-release"),
    # ------------------------------------------------ jax as a CUDA build (installation.md, .bazelrc)
    pytest.param({"pins": CU12, "driver": "470.82.01"}, ["DRV001"], id="jax-cuda12-driver-470"),
    pytest.param({"pins": CU12, "driver": "530.30.02"}, [], id="jax-cuda12-min-cuda-12.1"),
    pytest.param(
        {"pins": (*CU12, "nvidia-cuda-runtime-cu12==12.9.79"), "driver": "535.104.05"},
        ["DRV002"],
        id="jax-pip-cudart-12.9-on-r535",
    ),
    pytest.param({"pins": CU13, "driver": "575.57.08"}, ["DRV001"], id="jax-cuda13-needs-r580"),
    pytest.param({"pins": CU13, "driver": "580.65.06", "ccs": ("8.6",)}, [], id="jax-cuda13-r580-ampere"),
    pytest.param(
        {"pins": CU13, "driver": "580.65.06", "ccs": ("7.0",)}, ["ARC001"], id="jax-cuda13-sm75-floor"
    ),
    pytest.param({"pins": CU12, "driver": "550.54.14", "ccs": ("7.0",)}, [], id="jax-cuda12-volta-sass"),
    pytest.param(
        # the plugin wheel ships SASS sm_120 besides PTX compute_120 (recorded/jax_wheels.json)
        {"pins": CU12, "driver": "570.26", "ccs": ("12.0",)},
        [],
        id="jax-cuda12-blackwell-sass",
    ),
    pytest.param(
        {
            "pins": ("jax==0.4.31", "jaxlib==0.4.31", "jax-cuda12-plugin==0.4.31", "jax-cuda12-pjrt==0.4.31"),
            "driver": "550.54.14",
            "ccs": ("9.0",),
        },
        [],  # .bazelrc says compute_90; the wheel ships SASS sm_90 and PTX compute_90
        id="jax-0.4.31-hopper-sass",
    ),
    pytest.param({"pins": JAX10, "driver": "550.54.14", "ccs": ("8.0",)}, ["DRV004"], id="jax-cpu-with-gpu"),
    pytest.param(
        {"pins": CU12, "nvidia": NvidiaInfo(status=ProbeStatus.ABSENT)}, ["DRV003"], id="jax-cuda12-no-driver"
    ),
]


@pytest.mark.parametrize(("case", "codes"), CASES)
def test_case(monkeypatch: pytest.MonkeyPatch, case: dict[str, Any], codes: list[str]) -> None:
    found = _findings(monkeypatch, **case)
    assert sorted(f.code for f in found) == sorted(codes)


def test_at_least_fifty_cases() -> None:
    assert len(CASES) >= 50


def test_pin_torch_cu124_driver_470_gives_drv001_on_torch_and_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    """The documented what-if: --pin torch==2.5.1+cu124 --driver 470.82.01 --gpu-cc 8.6."""
    [f] = _findings(
        monkeypatch, pins=("torch==2.5.1+cu124",), driver="470.82.01", ccs=("8.6",), fake=torch("12.4")
    )
    assert (f.code, f.components) == ("DRV001", ("torch", "nvidia-driver"))
    assert f.fix is not None and "550.54.14" in f.fix


def test_jax_drv001_names_every_jax_component_and_a_fitting_build(monkeypatch: pytest.MonkeyPatch) -> None:
    [f] = _findings(monkeypatch, pins=CU13, driver="535.104.05", ccs=("8.6",))
    assert f.components == ("jax", "jaxlib", "jax-cuda13-plugin", "jax-cuda13-pjrt", "nvidia-driver")
    assert f.fix == (  # 535.104.05 runs CUDA 12.2 in full (12.9 only through MVC)
        "Upgrade the NVIDIA driver to >= 580.65.06, or install a build this driver runs "
        "(CUDA <= 12.2): pip uninstall -y jax-cuda13-plugin jax-cuda13-pjrt; "
        'pip install "jax[cuda12]==0.10.2"'
    )
