"""The torch checks: titles, details, fixes and sources; the real stack; speed."""

from __future__ import annotations

import sys
from importlib import metadata

import pytest

from compataudit.checks import CheckContext, run_checks
from compataudit.checks import torch as torch_checks
from compataudit.compat.matrices import load_matrices
from compataudit.model import (
    BuildInfo,
    Finding,
    Package,
    ProbeStatus,
    Severity,
)
from tests.assertions import only
from tests.checks.check_helpers import findings_of
from tests.envs import environment

VOCABULARY = {
    "torch",
    "torchvision",
    "torchaudio",
    "numpy",
    "python",
    "nvidia-driver",
    "cuda",
    "cudnn",
    "gpu",
    "os",
}


def audit(
    *pins: tuple[str, str], python: str = "3.11.7", system: str = "Linux", builds: tuple[BuildInfo, ...] = ()
) -> list[Finding]:
    env = environment(*pins, python=python, system=system, pinned=True, builds=builds)
    return findings_of(torch_checks, env, load_matrices())


def test_py001_names_range_and_repairs_with_nearest_release() -> None:
    found = audit(("torch", "2.4.1"), ("torchvision", "0.19.1"), python="3.13.0")
    assert [g.components for g in found] == [("torch", "python"), ("torchvision", "python")]
    f = found[0]
    assert f.code == "PY001" and f.severity is Severity.ERROR and f.area == "python"
    assert f.title == "torch 2.4.1 does not support Python 3.13"
    assert f.detail == (
        "torch 2.4 publishes wheels for Python >=3.8,<3.13; this environment "
        "uses Python 3.13.0. torch 2.6 supports it."
    )
    assert f.components == ("torch", "python")
    # torch 2.6 and its torchvision 0.21 ship cp313 wheels: 2.6 is the nearest set
    assert f.fix == found[1].fix == 'pip install "torch==2.6.*" "torchvision==0.21.*"'
    assert "https://github.com/pytorch/pytorch/blob/main/RELEASE.md#release-compatibility-matrix" in f.sources


def test_py001_experimental_is_a_warning() -> None:
    f = only(audit(("torch", "2.5.1"), python="3.13.0"))
    assert f.severity is Severity.WARNING
    assert f.title == "torch 2.5.1 only has experimental support for Python 3.13"
    assert "(Python 3.13 is listed as experimental)" in f.detail


def test_tch001_fix_keeps_torch_and_its_variant_index() -> None:
    f = only(audit(("torch", "2.5.1+cu121"), ("torchvision", "0.19.0+cu121")))
    assert f.code == "TCH001"
    assert f.title == "torchvision 0.19.0+cu121 was built for torch 2.4, not torch 2.5.1+cu121"
    assert f.detail == ("torchvision 0.19 pairs with torch 2.4; torch 2.5.1+cu121 needs torchvision 0.20.x.")
    assert f.fix == (
        "pip install torch==2.5.1 torchvision==0.20.1 --index-url https://download.pytorch.org/whl/cu121"
    )
    assert "https://github.com/pytorch/vision/blob/main/README.md" in f.sources


def test_tch001_exact_pair_fix_uses_the_pair() -> None:
    # the torchvision 0.16.0 wheel pins torch==2.1.0 (recorded harvest): TCH004's error
    # replaces the patch-pair warning, as for an installed wheel, with the same pair fix
    f = only(audit(("torch", "2.1.2"), ("torchvision", "0.16.0"), ("torchaudio", "2.1.2")))
    assert (f.code, f.severity) == ("TCH004", Severity.ERROR)
    assert f.fix == "pip install torch==2.1.2 torchvision==0.16.2 torchaudio==2.1.2"


def test_tch002_stable_abi_torchaudio_needs_211() -> None:
    f = only(audit(("torch", "2.10.0"), ("torchaudio", "2.11.0")))
    assert f.code == "TCH002"
    assert f.detail == "torchaudio 2.11 works with torch >=2.11; torch 2.10.0 is installed."
    assert f.fix == "pip install torch==2.10.0 torchaudio==2.10.0"  # the wheel's exact pair
    assert "https://docs.pytorch.org/audio/2.11.0/installation.html" in f.sources


def test_tch003_reinstalls_extensions_from_torch_index() -> None:
    f = only(audit(("torch", "2.13.0"), ("torchaudio", "2.11.0+cu128")))
    assert f.code == "TCH003"
    assert f.title == "torchaudio 2.11.0+cu128 is a cu128 build but torch 2.13.0 is cu130"
    assert f.fix == (
        'pip install --force-reinstall --no-deps "torchaudio==2.11.*" '
        "--index-url https://download.pytorch.org/whl/cu130"
    )


def test_tch003_uses_probed_version_py() -> None:
    probe = BuildInfo(
        framework="torch",
        distribution="torch",
        version="2.13.0",
        cuda=None,
        source="/venv/torch/version.py",
        status=ProbeStatus.OK,
    )
    f = only(audit(("torch", "2.13.0"), ("torchvision", "0.28.0"), builds=(probe,)))
    assert f.code == "TCH003" and f.components == ("torch", "torchvision")
    assert "torch 2.13.0 is cpu" in f.title
    assert f.fix == (
        "pip install --force-reinstall --no-deps torchvision==0.28.0 "
        "--index-url https://download.pytorch.org/whl/cpu"
    )


def test_npy001_fix() -> None:
    f = only(audit(("torch", "2.1.0"), ("numpy", "2.0.0")))
    assert f.title == "numpy 2.0.0 is too new for torch 2.1.0"
    assert f.fix == 'pip install "numpy<2"'
    assert f.area == "numpy"
    assert f.sources[0] == "https://github.com/pytorch/pytorch/issues/132179"


def test_mat001_is_info_with_reason() -> None:
    f = only(audit(("torch", "2.16.0")))
    assert f.severity is Severity.INFO
    assert f.detail == "torch 2.16 is not in compataudit's data (newest torch known: 2.15)."
    nightly = only(audit(("torch", "2.7.0.dev20250101+cu128")))
    assert "nightly, pre-release or vendor build" in nightly.detail


@pytest.mark.parametrize(
    "pins",
    [
        (("torch", "2.5.1"), ("torchvision", "0.19.0+cpu"), ("torchaudio", "2.4.0"), ("numpy", "2.0.0")),
        (("torch", "2.4.1"), ("torchvision", "0.20.1")),
        (("torch", "2.13.0"), ("torchaudio", "2.11.0+cu128")),
        (("torch", "2.3.1"), ("torchvision", "0.18.1")),
    ],
)
def test_every_finding_is_complete(pins: tuple[tuple[str, str], ...]) -> None:
    findings = audit(*pins, python="3.13.0")
    assert findings
    for f in findings:
        assert f.title and f.detail
        assert set(f.components) <= VOCABULARY
        assert f.sources and all(s.startswith("https://") for s in f.sources)
        if f.severity is not Severity.INFO:
            assert f.fix and f.fix.startswith("pip install ")


@pytest.mark.parametrize(
    "version",
    ["2.4.0a0+07cecf4168.nv24.5", "2.99.0", "3.0.0.dev1", "2.7.0.dev20250101+cu128", "0.1.0", "1.0"],
)
def test_unknown_torch_never_errors(version: str) -> None:
    for python in ("3.8.0", "3.11.7", "3.15.0"):
        found = audit(("torch", version), ("torchvision", "0.99.0"), ("numpy", "2.0.0"), python=python)
        assert all(f.severity is Severity.INFO for f in found), found


def test_bad_input_does_not_raise() -> None:
    assert audit(("torch", ""), ("torchvision", "x.y"), python="") == []
    assert audit(("torch", "2.5.1"), ("numpy", "not-numpy"), python="three") == []


@pytest.mark.frameworks
def test_the_installed_stack_has_no_problem() -> None:
    present = {d.metadata["Name"].lower(): d.version for d in metadata.distributions()}
    installed = [
        (name, present[name]) for name in ("torch", "torchvision", "torchaudio", "numpy") if name in present
    ]
    assert ("torch", "2.13.0+cpu") in installed  # the stack this project develops on
    python = ".".join(str(p) for p in sys.version_info[:3])
    found = audit(*installed, python=python)
    assert [f for f in found if f.severity is not Severity.INFO] == []


def test_run_checks_includes_the_torch_area() -> None:
    env = environment(("torch", "2.4.1"), python="3.13.0", pinned=True)
    codes = {f.code for f in run_checks(CheckContext(env, load_matrices()))}
    assert "PY001" in codes


def _installed(*pkgs: Package, python: str = "3.12.3") -> list[Finding]:
    from compataudit.checks import packages as package_checks

    ctx = CheckContext(environment(python=python, packages=pkgs), load_matrices())
    return [
        f
        for check in (*torch_checks.CHECKS, *package_checks.CHECKS)
        for f in check(ctx)
        if f.code != "MAT001"
    ]


def test_tch004_an_unknown_torchvision_is_held_to_its_own_torch_pin() -> None:
    # the form of the real wheels' line; the data knows nothing of a 0.99 release
    vision = Package("torchvision", "0.99.0", requires=("torch==2.99.0",))
    f = only(_installed(Package("torch", "2.13.0"), vision))
    assert (f.code, f.severity) == ("TCH004", Severity.ERROR)
    assert f.title == "torchvision 0.99.0 requires torch==2.99.0, not torch 2.13.0"
    assert "declares `torch==2.99.0` in its own metadata" in f.detail
    # torch 2.13 is known: keep it and install its own torchvision
    assert f.fix == "pip install torch==2.13.0 torchvision==0.28.0"
    assert _installed(Package("torch", "2.99.0+cu130"), vision) == []


def test_tch004_moves_torch_when_the_data_knows_neither_side() -> None:
    vision = Package("torchvision", "9.1.0", requires=('torch==9.1.0; platform_system == "Linux"',))
    f = only(_installed(Package("torch", "9.0.0"), vision))
    assert f.code == "TCH004"
    assert f.fix == 'pip install "torch==9.1.0" torchvision==9.1.0'
    # the marker decides: on Windows the line does not apply
    env = environment(
        python="3.12.3", system="Windows", machine="AMD64", packages=(Package("torch", "9.0.0"), vision)
    )
    assert list(torch_checks.check_declared_torch(CheckContext(env, load_matrices()))) == []


def test_tch004_torchaudio_keeps_a_known_torch() -> None:
    audio = Package("torchaudio", "2.99.0", requires=("torch==2.99.0",))
    f = only(_installed(Package("torch", "2.13.0"), audio))
    assert f.code == "TCH004"
    assert f.fix == 'pip install torch==2.13.0 "torchaudio==2.11.*"'


def test_tch001_speaks_first_and_pkg002_stays_silent_for_the_torch_pin() -> None:
    vision = Package("torchvision", "0.19.0", requires=("torch==2.4.0",))
    f = only(_installed(Package("torch", "2.5.1"), vision))
    assert f.code == "TCH001"


def test_tch004_turns_the_patch_pair_warning_into_an_error_when_the_wheel_pins_torch() -> None:
    # torchvision 0.29.0's wheel requires torch==2.14.0; with torch 2.15.0 pip reports a conflict
    vision = Package("torchvision", "0.29.0", requires=("torch==2.14.0",))
    f = only(_installed(Package("torch", "2.15.0"), vision))
    assert (f.code, f.severity) == ("TCH004", Severity.ERROR)
    assert f.fix == "pip install torch==2.15.0 torchvision==0.29.2"
    # 0.29.2 declares torch>=2.14.0 and ships with 2.15.0: nothing to say
    assert (
        _installed(Package("torch", "2.15.0"), Package("torchvision", "0.29.2", requires=("torch>=2.14.0",)))
        == []
    )


def test_tch004_for_a_what_if_pin_reads_the_wheels_recorded_pins() -> None:
    # the torchaudio 2.5.0 wheel's Requires-Dist is torch==2.5.0 (matrices/harvested/torch.json):
    # pinned without METADATA, it is judged as the installed wheel would be
    audio = Package("torchaudio", "2.5.0", pinned=True)
    f = only(_installed(Package("torch", "2.5.1", pinned=True), audio))
    assert (f.code, f.severity) == ("TCH004", Severity.ERROR)
    assert f.title == "torchaudio 2.5.0 requires torch==2.5.0, not torch 2.5.1"
    assert "recorded from the package index" in f.detail and "torch 2.5.1 is pinned" in f.detail
    installed = only(
        _installed(Package("torch", "2.5.1"), Package("torchaudio", "2.5.0", requires=("torch==2.5.0",)))
    )
    assert (installed.code, installed.title) == (f.code, f.title)
    assert (
        _installed(Package("torch", "2.5.1", pinned=True), Package("torchaudio", "2.5.1", pinned=True)) == []
    )
    # a pin the harvest does not know stays with the matrices' verdict
    unknown = _installed(Package("torch", "2.5.1", pinned=True), Package("torchaudio", "2.99.0", pinned=True))
    assert "TCH004" not in {x.code for x in unknown}
