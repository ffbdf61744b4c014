"""cuDNN checks: the cuDNN each CUDA build loads (CDN001) and the GPUs it supports (CDN002).

Facts: torch variant cuDNN (matrices/torch.toml, the wheels' nvidia-cudnn pins); TensorFlow's
tested cuDNN (tensorflow.org "tested build configurations"); the loader rule "matching major
version and equal or higher minor version" (TensorFlow's own error text); NVIDIA's cuDNN 9.17.0
support matrix (compute capability 7.5-12.0, matrices/cuda.toml).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from compataudit.checks import cudnn
from compataudit.compat.matrices import load_matrices
from compataudit.model import Environment, Finding, Package, ProbeStatus, ToolkitInfo
from compataudit.options import EnvOptions
from compataudit.sources.whatif import apply_what_if, empty_environment
from tests.checks.check_helpers import findings_of

JAX_062 = ("jax==0.6.2", "jaxlib==0.6.2", "jax-cuda12-plugin==0.6.2", "jax-cuda12-pjrt==0.6.2")
JAX_053 = ("jax==0.5.3", "jaxlib==0.5.3", "jax-cuda12-plugin==0.5.3", "jax-cuda12-pjrt==0.5.3")


def _env(*pins: str, ccs: tuple[str, ...] = ("8.6",), system_cudnn: str | None = None) -> Environment:
    env = apply_what_if(
        empty_environment(),
        EnvOptions(pins=pins, driver="575.51.03", gpu_ccs=ccs, python="3.11.9"),
    )
    if system_cudnn is not None:
        toolkit = ToolkitInfo(
            status=ProbeStatus.OK, cudnn_version=system_cudnn, cudnn_source="/usr/include/cudnn_version.h"
        )
        env = replace(env, toolkit=toolkit)
    return env


def _findings(env: Environment) -> list[Finding]:
    return findings_of(cudnn, env, load_matrices())


def _codes(env: Environment) -> list[str]:
    return sorted(f.code for f in _findings(env))


@pytest.mark.parametrize(
    ("pins", "system", "codes"),
    [
        # torch 2.7 (PyPI cu126) was built with cuDNN 9.5.1.17
        pytest.param(("torch==2.7.0", "nvidia-cudnn-cu12==9.5.1.17"), None, [], id="torch-exact"),
        pytest.param(("torch==2.7.0", "nvidia-cudnn-cu12==9.8.0.87"), None, [], id="torch-newer-minor"),
        pytest.param(
            ("torch==2.7.0", "nvidia-cudnn-cu12==9.1.0.70"), None, ["CDN001"], id="torch-older-minor"
        ),
        pytest.param(("torch==2.7.0", "nvidia-cudnn-cu12==8.9.7.29"), None, ["CDN001"], id="torch-cudnn8"),
        pytest.param(("torch==2.7.0",), None, [], id="torch-no-wheel-unknown"),
        # torch never loads a system cuDNN
        pytest.param(("torch==2.7.0",), "8.9.7", [], id="torch-ignores-system"),
        # a cu13 torch loads nvidia-cudnn-cu13, not the cu12 wheel
        pytest.param(
            ("torch==2.13.0", "nvidia-cudnn-cu12==8.9.7.29"), None, [], id="torch-cu13-other-family"
        ),
        pytest.param(
            ("torch==2.13.0", "nvidia-cudnn-cu13==9.19.0.56"), None, ["CDN001"], id="torch-cu13-older"
        ),
        # TensorFlow 2.15 was tested with cuDNN 8.9 (and-cuda pins 8.9.4.25)
        pytest.param(("tensorflow==2.15.0", "nvidia-cudnn-cu12==8.9.4.25"), None, [], id="tf215-and-cuda"),
        pytest.param(
            ("tensorflow==2.15.0", "nvidia-cudnn-cu12==9.3.0.75"), None, ["CDN001"], id="tf215-cudnn9"
        ),
        pytest.param(
            ("tensorflow==2.15.0", "nvidia-cudnn-cu12==8.6.0.163"), None, ["CDN001"], id="tf215-older"
        ),
        # TensorFlow 2.10 (CUDA 11.2, cuDNN 8.1) loads the system cuDNN
        pytest.param(("tensorflow==2.10.0",), "8.1.0", [], id="tf210-system-8.1"),
        pytest.param(("tensorflow==2.10.0",), "8.9.7", [], id="tf210-system-newer-minor"),
        pytest.param(("tensorflow==2.10.0",), "7.6.5", ["CDN001"], id="tf210-system-cudnn7"),
        pytest.param(("tensorflow==2.10.0",), "9.3.0", ["CDN001"], id="tf210-system-cudnn9"),
        pytest.param(("tensorflow==2.10.0",), None, [], id="tf210-no-system-cudnn-found-silent"),
        # TensorFlow 2.10 has no [and-cuda] extra: it never loads the pip wheel
        pytest.param(
            ("tensorflow==2.10.0", "nvidia-cudnn-cu11==9.1.0.70"), "8.1.0", [], id="tf210-ignores-wheel"
        ),
        pytest.param(("tensorflow-cpu==2.15.0", "nvidia-cudnn-cu12==9.3.0.75"), None, [], id="tf-cpu-silent"),
        # jax-cuda12-plugin 0.6.2 requires nvidia-cudnn-cu12>=9.8,<10 (its wheel's Requires-Dist);
        # torch 2.7's PyPI wheel pins nvidia-cudnn-cu12==9.5.1.17
        pytest.param(
            (*JAX_062, "torch==2.7.0", "nvidia-cudnn-cu12==9.5.1.17"), None, ["CDN001"], id="jax062-torch27"
        ),
        pytest.param((*JAX_062, "nvidia-cudnn-cu12==9.8.0.87"), None, [], id="jax062-cudnn98"),
        pytest.param((*JAX_062, "nvidia-cudnn-cu12==8.9.7.29"), None, ["CDN001"], id="jax062-cudnn8"),
        # 0.5.3's plugin still accepts cuDNN >= 9.1
        pytest.param((*JAX_053, "nvidia-cudnn-cu12==9.5.1.17"), None, [], id="jax053-cudnn95"),
        # no wheel: the system cuDNN, as XLA loads it
        pytest.param(JAX_062, "9.1.0", ["CDN001"], id="jax062-system-91"),
        pytest.param(JAX_062, None, [], id="jax062-no-cudnn-found-silent"),
        # jax-cuda13-plugin 0.12.1: nvidia-cudnn-cu13>=9.12.0.46
        pytest.param(
            ("jax==0.12.1", "jaxlib==0.12.1", "jax-cuda13-plugin==0.12.1", "nvidia-cudnn-cu13==9.5.1.17"),
            None,
            ["CDN001"],
            id="jax0121-cu13-older",
        ),
        pytest.param(
            ("jax==0.6.2", "jaxlib==0.6.2", "nvidia-cudnn-cu12==8.9.7.29"), None, [], id="jax-cpu-silent"
        ),
    ],
)
def test_cdn001(pins: tuple[str, ...], system: str | None, codes: list[str]) -> None:
    assert _codes(_env(*pins, system_cudnn=system)) == codes


def test_cdn001_names_the_rule_and_the_fix() -> None:
    [f] = _findings(_env("tensorflow==2.10.0", system_cudnn="7.6.5"))
    assert f.title == "tensorflow 2.10.0 needs cuDNN 8.x but would load cuDNN 7.6.5"
    assert "system cuDNN 7.6.5 (/usr/include/cudnn_version.h)" in f.detail
    assert "libcudnn.so.8 is not found" in f.detail
    assert f.fix == (
        "Install cuDNN 8.x (>= 8.1) for CUDA 11 on the system library path (libcudnn.so.8), "
        "or point LD_LIBRARY_PATH at it"
    )
    assert f.components == ("tensorflow", "cudnn")
    [older] = _findings(_env("torch==2.7.0", "nvidia-cudnn-cu12==9.1.0.70"))
    assert older.title == "torch 2.7.0 needs cuDNN 9.5 or newer but would load cuDNN 9.1.0"
    assert "equal or higher minor version" in older.detail
    assert older.fix == 'pip install "nvidia-cudnn-cu12>=9.5,<10"'


def test_cdn001_for_jax_names_the_plugins_requirement() -> None:
    [f] = _findings(_env(*JAX_062, "torch==2.7.0", "nvidia-cudnn-cu12==9.5.1.17"))
    assert f.title == "jax 0.6.2 needs cuDNN 9.8 or newer but would load cuDNN 9.5.1"
    assert "requires cuDNN >= 9.8 (jax-cuda12-plugin's own Requires-Dist" in f.detail
    assert f.fix == 'pip install "nvidia-cudnn-cu12>=9.8,<10"'
    assert f.sources == ("https://github.com/jax-ml/jax/blob/main/jax/_src/xla_bridge.py",)


def test_cdn001_leaves_a_framework_pin_to_nvw001() -> None:
    """A real torch install pins its cuDNN wheel exactly: NVW001 reports the mismatch, once."""
    env = _env("nvidia-cudnn-cu12==9.1.0.70")
    torch = Package(
        "torch",
        "2.7.0",
        requires=(
            'nvidia-cudnn-cu12==9.5.1.17; platform_system == "Linux" and platform_machine == "x86_64"',
        ),
    )
    env = replace(env, packages=(*env.packages, torch))
    assert _codes(env) == []
    unpinned = replace(env, packages=(*env.packages[:-1], replace(torch, requires=())))
    assert _codes(unpinned) == ["CDN001"]


@pytest.mark.parametrize(
    ("cc", "codes"),
    [
        pytest.param("8.6", [], id="ampere-listed"),
        pytest.param("7.5", [], id="turing-floor"),
        pytest.param("7.0", ["CDN002"], id="volta-dropped"),
        pytest.param("6.1", ["CDN002"], id="pascal-dropped"),
        pytest.param("12.0", [], id="blackwell-ceiling"),
        pytest.param("12.1", [], id="gb10-same-major-as-ceiling"),
    ],
)
def test_cdn002_cudnn_9_17_0_support_matrix(cc: str, codes: list[str]) -> None:
    env = _env("torch==2.11.0+cu128", "nvidia-cudnn-cu12==9.17.0.29", ccs=(cc,))
    assert [f.code for f in _findings(env) if f.code == "CDN002"] == codes


def test_cdn002_only_for_releases_in_the_data() -> None:
    """9.17.1 has no support-matrix row: no judgement, never a guess from 9.17.0."""
    env = _env("torch==2.11.0+cu128", "nvidia-cudnn-cu12==9.17.1.4", ccs=("7.0",))
    assert [f.code for f in _findings(env) if f.code == "CDN002"] == []


def test_cdn002_cites_the_support_matrix() -> None:
    env = _env("torch==2.11.0+cu128", "nvidia-cudnn-cu12==9.17.0.29", ccs=("7.0",))
    [f] = [f for f in _findings(env) if f.code == "CDN002"]
    assert f.sources == ("https://docs.nvidia.com/deeplearning/sdk/cudnn-support-matrix/index.html",)
    assert "7.5 to 12.0" in f.detail
