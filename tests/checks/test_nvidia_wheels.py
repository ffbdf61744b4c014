"""nvidia-* wheel pins, conflicts and mixed CUDA families."""

from __future__ import annotations

import pytest

from compataudit.checks import nvidia_wheels
from compataudit.compat.cuda import cuda_view
from compataudit.model import Finding, Package
from tests.checks.check_helpers import MATRICES, findings_of
from tests.envs import environment

# Requires-Dist lines as torch 2.5.1 and tensorflow 2.18.0 write them (abridged)
TORCH_CUDNN = 'nvidia-cudnn-cu12==9.1.0.70; platform_system == "Linux" and platform_machine == "x86_64"'
TF_CUDNN = 'nvidia-cudnn-cu12==9.3.0.75; extra == "and-cuda"'


def _run(*packages: Package, system: str = "Linux") -> list[Finding]:
    return findings_of(nvidia_wheels, environment(system=system, packages=packages))


def _pkg(name: str, version: str, *requires: str) -> Package:
    return Package(name=name, version=version, requires=requires)


def test_nvw001_installed_wheel_outside_pin() -> None:
    [f] = _run(_pkg("torch", "2.5.1", TORCH_CUDNN), _pkg("nvidia-cudnn-cu12", "9.5.1.17"))
    assert f.code == "NVW001"
    assert f.components == ("torch", "nvidia-cudnn-cu12")
    assert f.fix == 'pip install "nvidia-cudnn-cu12==9.1.0.70"'
    assert f.sources == ("https://pypi.org/project/torch/2.5.1/",)


@pytest.mark.parametrize(
    "packages",
    [
        pytest.param(
            (_pkg("torch", "2.5.1", TORCH_CUDNN), _pkg("nvidia-cudnn-cu12", "9.1.0.70")), id="matches"
        ),
        pytest.param((_pkg("torch", "2.5.1", TORCH_CUDNN),), id="not-installed-is-PKG001s"),
        pytest.param(
            (_pkg("torch", "2.5.1", "nvidia-cudnn-cu12>=9.1"), _pkg("nvidia-cudnn-cu12", "9.5.1.17")),
            id="range-not-pin",
        ),
        pytest.param(
            (_pkg("torch", "2.5.1", "nvidia-cudnn-cu12==9.1.*"), _pkg("nvidia-cudnn-cu12", "9.1.1.17")),
            id="wildcard-pin-ok",
        ),
        pytest.param(
            (
                _pkg("torch", "2.5.1", 'nvidia-cudnn-cu12==9.1.0.70; platform_system == "Windows"'),
                _pkg("nvidia-cudnn-cu12", "9.5.1.17"),
            ),
            id="marker-other-os",
        ),
        pytest.param((_pkg("torch", "2.5.1", "this is not a requirement"),), id="garbage-requires"),
        pytest.param(
            (
                _pkg("nvidia-cudnn-cu12", "9.1.0.70", "nvidia-cublas-cu12==12.1.0"),
                _pkg("nvidia-cublas-cu12", "12.4.5.8"),
            ),
            id="nvidia-to-nvidia-ignored",
        ),
        pytest.param(
            (_pkg("torch", "2.5.1", TORCH_CUDNN), _pkg("nvidia-cudnn-cu12", "not.a.version")),
            id="unreadable-version",
        ),
    ],
)
def test_quiet_cases(packages: tuple[Package, ...]) -> None:
    assert _run(*packages) == []


def test_pins_behind_an_extra_count() -> None:
    [f] = _run(_pkg("tensorflow", "2.18.0", TF_CUDNN), _pkg("nvidia-cudnn-cu12", "9.1.0.70"))
    assert (f.code, f.components) == ("NVW001", ("tensorflow", "nvidia-cudnn-cu12"))


def test_nvw002_two_frameworks_disagree() -> None:
    found = _run(
        _pkg("torch", "2.5.1", TORCH_CUDNN),
        _pkg("tensorflow", "2.18.0", TF_CUDNN),
        _pkg("nvidia-cudnn-cu12", "9.3.0.75"),
    )
    assert sorted(f.code for f in found) == ["NVW001", "NVW002"]
    conflict = next(f for f in found if f.code == "NVW002")
    assert conflict.components == ("torch", "tensorflow", "nvidia-cudnn-cu12")
    assert conflict.title == "torch and tensorflow pin different nvidia-cudnn-cu12 versions"


def test_agreeing_pins_are_not_a_conflict() -> None:
    assert (
        _run(
            _pkg("torch", "2.5.1", TORCH_CUDNN),
            _pkg("jax-cuda12-plugin", "0.4.31", "nvidia-cudnn-cu12==9.1.*"),
            _pkg("nvidia-cudnn-cu12", "9.1.0.70"),
        )
        == []
    )


def test_nvw003_cu12_beside_cuda13_unsuffixed() -> None:
    [f] = _run(
        _pkg("nvidia-cublas-cu12", "12.4.5.8"),
        _pkg("nvidia-cublas", "13.0.0.19"),
        _pkg("torch", "2.9.0", "nvidia-cublas==13.0.0.19"),
    )
    assert f.code == "NVW003"
    assert f.title == "nvidia-* wheels of CUDA 12 and 13 are installed together"
    assert f.fix == "pip uninstall -y nvidia-cublas-cu12"
    assert "cuda" in f.components


def test_nvw003_all_needed_suggests_separate_environments() -> None:
    [f] = _run(
        _pkg("nvidia-cudnn-cu11", "8.5.0.96"),
        _pkg("nvidia-cudnn-cu12", "9.1.0.70"),
        _pkg("a", "1", "nvidia-cudnn-cu11"),
        _pkg("b", "1", "nvidia-cudnn-cu12"),
    )
    assert f.code == "NVW003" and f.fix is not None and "one environment per CUDA major" in f.fix


def test_nvidia_ml_py_is_not_a_cuda_wheel() -> None:
    assert _run(_pkg("nvidia-ml-py", "13.615.71"), _pkg("nvidia-cublas-cu12", "12.4.5.8")) == []


@pytest.mark.parametrize(
    ("name", "version", "major"),
    [
        ("nvidia-cudnn-cu12", "9.1.0.70", 12),
        ("nvidia-nccl-cu13", "2.27.7", 13),
        ("nvidia-cuda-runtime", "13.0.48", 13),
        ("nvidia-cuda-runtime", "garbage", None),
        ("nvidia-ml-py", "13.615.71", None),
        ("nvidia-cudnn-cu11", "8.9.7", 11),
        ("nvidia-cublas", "13.1.1.3", 13),
        # numbered on their own: cuFFT 12.0 and cuRAND 10.4 ship with CUDA 13.0
        ("nvidia-cufft", "12.0.0.61", None),
        ("nvidia-curand", "10.4.0.35", None),
    ],
)
def test_wheel_cuda_major(name: str, version: str, major: int | None) -> None:
    view = cuda_view(MATRICES)
    found = nvidia_wheels.wheel_cuda_major(
        name, version, view.unsuffixed_wheels, view.library_versioned_wheels
    )
    assert found == major


def test_torch_2_14_1s_own_cuda_13_wheels_are_one_family() -> None:
    # torch 2.14.1's default build pins cuda-toolkit[...]==13.0.3; these are the component
    # versions that toolkit's own Requires-Dist pins (matrices/harvested/cuda.json)
    assert (
        _run(
            _pkg("nvidia-cuda-runtime", "13.0.96"),
            _pkg("nvidia-cublas", "13.1.1.3"),
            _pkg("nvidia-cufft", "12.0.0.61"),
            _pkg("nvidia-curand", "10.4.0.35"),
            _pkg("nvidia-cusolver", "12.0.4.66"),
            _pkg("nvidia-cusparse", "12.6.3.3"),
            _pkg("nvidia-nvjitlink", "13.0.88"),
            _pkg("nvidia-cudnn-cu13", "9.24.0.43"),
            _pkg("nvidia-nccl-cu13", "2.30.7"),
        )
        == []
    )
