"""What-if verdicts of the architecture ceiling through the real resolvers.

torch 2.6 cu126 and 2.8 cu126 are only on download.pytorch.org and their architecture lists
are not in the data; CUDA 12.6 cannot target sm_120 (CUDA 12.8 added it), and torch release
wheels ship no PTX, so a compute-capability 12.0 GPU gets ARC001 instead of silence.
TensorFlow 2.20 / 2.21 (CUDA 12.5.1, SASS sm_60-sm_89 + PTX compute_90) fail on cc 12.0
(tensorflow#99592, #89272, #111958): ARC001, not a PTX JIT warning.
"""

from __future__ import annotations

import pytest

from compataudit.checks import CheckContext
from compataudit.checks import cuda as cuda_checks
from compataudit.compat.matrices import load_matrices
from compataudit.model import Finding
from compataudit.options import EnvOptions
from compataudit.sources.whatif import apply_what_if, empty_environment


def _arc(pin: str, cc: str) -> list[Finding]:
    env = apply_what_if(
        empty_environment(), EnvOptions(pins=(pin,), driver="575.51.03", gpu_ccs=(cc,), python="3.12.8")
    )
    ctx = CheckContext(env, load_matrices())
    return list(cuda_checks.check_gpu_arch(ctx))


@pytest.mark.parametrize(
    ("pin", "cc", "codes"),
    [
        pytest.param("torch==2.6.0+cu126", "12.0", ["ARC001"], id="torch26-cu126-blackwell"),
        pytest.param("torch==2.8.0+cu126", "12.0", ["ARC001"], id="torch28-cu126-blackwell"),
        pytest.param("torch==2.6.0+cu126", "10.0", ["ARC001"], id="torch26-cu126-b200"),
        pytest.param("torch==2.6.0+cu126", "9.0", [], id="torch26-cu126-hopper-within-ceiling"),
        pytest.param("torch==2.7.0+cu128", "12.0", [], id="torch27-cu128-unknown-list-no-ceiling"),
        # the PyPI build's list is read from the wheel and wins: 2.6 cu124 has no sm_120
        pytest.param("torch==2.6.0", "12.0", ["ARC001"], id="torch26-pypi-list"),
        pytest.param("torch==2.8.0", "12.0", [], id="torch28-pypi-cu128-has-sm120"),
        pytest.param("tensorflow==2.20.0", "12.0", ["ARC001"], id="tf220-blackwell"),
        pytest.param("tensorflow==2.21.0", "12.0", ["ARC001"], id="tf221-blackwell"),
        pytest.param("tensorflow==2.20.0", "9.0", ["ARC002"], id="tf220-hopper-ptx-jit"),
        pytest.param("tensorflow==2.20.0", "8.9", [], id="tf220-ada-sass"),
    ],
)
def test_ceiling_verdicts(pin: str, cc: str, codes: list[str]) -> None:
    assert [f.code for f in _arc(pin, cc)] == codes


def test_the_ceiling_finding_says_why() -> None:
    [f] = _arc("torch==2.6.0+cu126", "12.0")
    assert f.title.startswith("torch 2.6.0+cu126 has no kernels for sm_120")
    assert "built with CUDA 12.6; sm_120 (Blackwell) needs CUDA 12.8 or newer" in f.detail
    assert "torch release builds ship no PTX" in f.detail
    assert "https://github.com/pytorch/pytorch/issues/175567" in f.sources
    [tf] = _arc("tensorflow==2.20.0", "12.0")
    assert "CUDA_ERROR_INVALID_PTX" in tf.detail and "PTX version 8.5" in tf.detail
    assert "https://github.com/tensorflow/tensorflow/issues/111958" in tf.sources
    assert tf.fix is not None and "NGC" in tf.fix


def test_a_source_build_beyond_its_ceiling_may_still_carry_ptx() -> None:
    from compataudit.compat.builds import ResolvedBuild

    env = apply_what_if(
        empty_environment(), EnvOptions(driver="575.51.03", gpu_ccs=("12.0",), python="3.12.8")
    )
    build = ResolvedBuild("torch", ("torch",), "2.6.0a0+git1eba9b3", "cu126", "12.6", source="version.py")
    [f] = list(cuda_checks._ceiling_findings(CheckContext(env, load_matrices()), build))
    assert (f.code, f.severity.value) == ("ARC002", "warning")
    assert "only through PTX JIT, if it ships PTX" in f.title
