"""GPU architecture cases for the torch releases whose lists come from their PyPI wheels.

torch 2.6.0 (cu124), 2.7.0 (cu126) and 2.8.0 (cu128): the ``torch.cuda.get_arch_list()``
string baked into each PyPI wheel (tools/wheel_archs.py; cited in matrices/torch.toml).
The most common Blackwell failure - a plain ``pip install torch==2.7.0`` (the cu126
build) on an RTX 50xx (compute capability 12.0) - must be ARC001 with a fix that serves
sm_120; variants whose list is not in the data are judged only by their CUDA's ceiling
(no CUDA 12.6 build holds sm_120 code; tests/whatif/test_arch_ceiling_cases.py).
"""

from __future__ import annotations

import pytest

from compataudit.checks import CheckContext
from compataudit.checks import cuda as cuda_checks
from compataudit.compat import torch as torch_compat
from compataudit.compat.matrices import load_matrices
from compataudit.model import Finding
from compataudit.options import EnvOptions
from compataudit.sources.whatif import apply_what_if, empty_environment

BLACKWELL_DRIVER = "575.51.03"  # runs CUDA 12.9: every 12.x build below


def _arch_findings(pins: tuple[str, ...], cc: str) -> list[Finding]:
    env = apply_what_if(
        empty_environment(),
        EnvOptions(pins=pins, driver=BLACKWELL_DRIVER, gpu_ccs=(cc,), python="3.12.8"),
    )
    ctx = CheckContext(env, load_matrices())
    return list(cuda_checks.check_gpu_arch(ctx))


@pytest.mark.parametrize(
    ("pins", "cc", "codes"),
    [
        pytest.param(("torch==2.7.0",), "12.0", ["ARC001"], id="2.7.0-pypi-cu126-on-rtx50xx"),
        pytest.param(("torch==2.7.1",), "12.0", ["ARC001"], id="2.7.1-pypi-cu126-on-rtx50xx"),
        pytest.param(("torch==2.7.0+cu126",), "12.0", ["ARC001"], id="2.7.0+cu126-on-rtx50xx"),
        pytest.param(("torch==2.6.0",), "12.0", ["ARC001"], id="2.6.0-pypi-cu124-on-rtx50xx"),
        pytest.param(("torch==2.8.0",), "12.0", [], id="2.8.0-pypi-cu128-has-sm120"),
        pytest.param(("torch==2.8.0",), "10.0", [], id="2.8.0-pypi-cu128-has-sm100"),
        pytest.param(("torch==2.8.0",), "6.1", ["ARC001"], id="2.8.0-cu128-dropped-pascal"),
        pytest.param(("torch==2.8.0",), "7.0", [], id="2.8.0-cu128-keeps-volta"),
        pytest.param(("torch==2.7.0",), "5.2", [], id="2.7.0-cu126-maxwell-sass"),
        pytest.param(("torch==2.6.0",), "8.9", [], id="2.6.0-ada-runs-sm86"),
        # lists that are not in the data: only the CUDA ceiling, never a guess
        pytest.param(("torch==2.6.0+cu126",), "12.0", ["ARC001"], id="2.6-cu126-list-unknown-ceiling"),
        pytest.param(("torch==2.6.0+cu126",), "8.9", [], id="2.6-cu126-list-unknown"),
        pytest.param(("torch==2.7.0+cu128",), "12.0", [], id="2.7-cu128-list-unknown"),
        pytest.param(("torch==2.8.0+cu129",), "12.0", [], id="2.8-cu129-list-unknown"),
    ],
)
def test_arch_case(pins: tuple[str, ...], cc: str, codes: list[str]) -> None:
    assert sorted(f.code for f in _arch_findings(pins, cc)) == codes


def test_blackwell_fix_installs_a_build_with_sm120() -> None:
    [found] = _arch_findings(("torch==2.7.0", "torchvision==0.22.0"), "12.0")
    assert "sm_120" in found.title and "no kernel image is available" in found.detail
    assert found.fix == 'pip install "torch==2.8.*" "torchvision==0.23.*"'
    # the release the fix names really serves cc 12.0 from its default (PyPI) build
    matrices = load_matrices()
    variant = torch_compat.variant_info(matrices, "2.8.0", "cu128")
    assert variant is not None and "12.0" in variant.archs
    assert torch_compat.default_variant(matrices, "2.8.0") == "cu128"


def test_rows_read_from_wheels_cite_the_wheel() -> None:
    matrices = load_matrices()
    for version, variant in (("2.6.0", "cu124"), ("2.7.0", "cu126"), ("2.8.0", "cu128")):
        info = torch_compat.variant_info(matrices, version, variant)
        assert info is not None and info.archs
        assert any(
            s.startswith("https://files.pythonhosted.org/") and f"torch-{version}-" in s for s in info.sources
        )
