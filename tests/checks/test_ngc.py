"""NVIDIA NGC builds of torch: family checks against the upstream release, the sourced table."""

from __future__ import annotations

from pathlib import Path

import pytest

from compataudit.checks import CheckContext, run_checks
from compataudit.compat.builds import resolve_builds
from compataudit.compat.matrices import load_matrices
from compataudit.compat.ngc import meets_min_driver, ngc_release_of, ngc_view, upstream_version
from compataudit.inputs import read_stack_file
from compataudit.model import (
    BuildInfo,
    Environment,
    Finding,
    Gpu,
    NvidiaInfo,
    Package,
    ProbeStatus,
)
from compataudit.options import EnvOptions
from compataudit.sources.whatif import apply_what_if, empty_environment
from tests.envs import environment

DOCKER = Path(__file__).parent.parent / "fixtures" / "inputs" / "docker"
NGC_24_07 = "2.4.0a0+3bcc3cddb5.nv24.07"


def _env(
    *packages: Package,
    env_vars: tuple[tuple[str, str], ...] = (),
    driver: str | None = None,
    builds: tuple[BuildInfo, ...] = (),
) -> Environment:
    nvidia = None
    if driver is not None:
        nvidia = NvidiaInfo(
            status=ProbeStatus.OK,
            driver_version=driver,
            gpus=(Gpu(0, "Tesla V100-SXM2-16GB", compute_capability="7.0"),),
        )
    return environment(python="3.10.12", packages=packages, env_vars=env_vars, nvidia=nvidia, builds=builds)


def _codes(env: Environment) -> list[tuple[str, str]]:
    findings: list[Finding] = run_checks(CheckContext(env, load_matrices()))
    return [(f.code, f.title) for f in findings]


@pytest.mark.parametrize(
    ("version", "release", "upstream"),
    [
        (NGC_24_07, "24.07", "2.4.0"),
        ("2.1.0a0+4136153.nv23.6", "23.06", "2.1.0"),  # Jetson spelling: one-digit month
        ("2.5.1+cu124", None, None),
        ("2.4.0a0+git59b3fa1", None, None),
    ],
)
def test_release_and_upstream_from_the_version(
    version: str, release: str | None, upstream: str | None
) -> None:
    assert ngc_release_of(version) == release
    assert upstream_version(version) == upstream


def test_torchvision_from_another_family_over_an_ngc_torch() -> None:
    env = _env(Package("torch", NGC_24_07), Package("torchvision", "0.20.1"))
    titles = [t for c, t in _codes(env) if c == "TCH001"]
    assert titles == [
        f"torchvision 0.20.1 was built for torch 2.5, not NVIDIA's torch {NGC_24_07} (NGC 24.07, torch 2.4)"
    ]


def test_the_matching_family_and_the_images_own_torchvision_pass() -> None:
    assert not [
        c
        for c, _ in _codes(_env(Package("torch", NGC_24_07), Package("torchvision", "0.19.1")))
        if c.startswith("TCH")
    ]
    own = _env(Package("torch", NGC_24_07), Package("torchvision", "0.19.0a0+d23a6e1"))
    assert not [c for c, _ in _codes(own) if c.startswith("TCH")]


def test_a_release_missing_from_the_table_is_said_not_guessed() -> None:
    codes = _codes(_env(Package("torch", NGC_24_07), driver="470.82.01"))
    (title,) = [t for c, t in codes if c == "MAT001"]
    assert title == f"torch {NGC_24_07} is not in the compatibility data"
    (finding,) = [
        f
        for f in run_checks(CheckContext(_env(Package("torch", NGC_24_07)), load_matrices()))
        if f.code == "MAT001"
    ]
    assert "NVIDIA's NGC build of torch 2.4 (container 24.07)" in finding.detail
    assert not [c for c, _ in codes if c.startswith("DRV")]  # CUDA unknown: no driver verdict


def test_inside_a_container_the_variable_names_the_release() -> None:
    """Probed in an NGC container: version.py gives CUDA, NVIDIA_PYTORCH_VERSION the release."""
    build = BuildInfo("torch", "torch", "2.4.0a0+3bcc3cddb5", cuda="12.5", source="/usr/.../version.py")
    env = _env(
        Package("torch", "2.4.0a0+3bcc3cddb5"),
        Package("torchvision", "0.20.1"),
        env_vars=(("NVIDIA_PYTORCH_VERSION", "24.07"),),
        builds=(build,),
    )
    assert [c for c, _ in _codes(env) if c == "TCH001"] == ["TCH001"]
    (resolved,) = resolve_builds(env, load_matrices())
    assert (resolved.cuda, resolved.source) == ("12.5", "ngc 24.07")


def test_sourced_rows_and_the_driver_rule() -> None:
    view = ngc_view(load_matrices())
    row = view.release("pytorch", "20.02")
    assert row is not None and (row.framework, row.cuda, row.min_driver) == (
        "1.4.0a0+a5b4d78",
        "10.2.89",
        "440.33.01",
    )
    assert all(s.startswith("https://docs.nvidia.com/") for r in view.releases for s in r.sources)
    assert meets_min_driver("450.36.06", "450") is True
    assert meets_min_driver("440.33.01", "450") is False


def test_forward_compatibility_on_an_old_data_center_branch() -> None:
    env = _env(Package("torch", "1.4.0a0+a5b4d78.nv20.02"), driver="418.87.01")
    codes = dict(_codes(env))
    assert "DRV001" in codes  # the driver finding stands for other GPUs
    assert codes["NGC001"].startswith("NGC 20.02 needs driver >= 440.33.01")
    assert "NGC001" not in dict(_codes(_env(Package("torch", "1.4.0a0+a5b4d78.nv20.02"), driver="435.21")))


def test_dockerfile_on_an_ngc_image_gets_the_family_check() -> None:
    stack = read_stack_file(str(DOCKER / "Dockerfile.ngc"))
    assert (stack.ngc_container, stack.ngc_release) == ("pytorch", "25.12")
    env = apply_what_if(
        empty_environment(), EnvOptions(requirements=(str(DOCKER / "Dockerfile.ngc"),), probe=False)
    )
    torch = env.package("torch")
    assert torch is not None and torch.version == "2.10.0a0+b4e4ee81d3"
    assert env.env_var("NVIDIA_PYTORCH_VERSION") == "25.12" and env.python.version == "3.12"
    titles = [t for c, t in _codes(env) if c == "TCH001"]
    assert titles and "NGC 25.12, torch 2.10" in titles[0]


def test_dockerfile_on_an_unknown_ngc_release(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM nvcr.io/nvidia/pytorch:24.07-py3\n")
    env = apply_what_if(
        empty_environment(), EnvOptions(requirements=(str(tmp_path / "Dockerfile"),), probe=False)
    )
    assert env.package("torch") is None
    assert any("pytorch:24.07 is not in matrices/ngc.toml" in n for n in env.notes)


def test_what_if_pin_of_an_ngc_torch_gets_its_cuda_and_driver_rule() -> None:
    """``--pin torch==…nv20.02 --driver 418.87.01``: CUDA 10.2.89 from the row, the driver verdicts."""
    opts = EnvOptions(pins=("torch==1.4.0a0+a5b4d78.nv20.02",), driver="418.87.01", probe=False)
    env = apply_what_if(empty_environment(), opts)
    (resolved,) = resolve_builds(env, load_matrices())
    assert (resolved.cuda, resolved.source) == ("10.2", "ngc 20.02")
    codes = dict(_codes(env))
    assert "DRV001" in codes and "MAT001" not in codes
    assert codes["NGC001"].startswith(
        "NGC 20.02 needs driver >= 440.33.01; on a data-center GPU driver 418.87.01"
    )
    newer = apply_what_if(empty_environment(), EnvOptions(pins=opts.pins, driver="450.51.05", probe=False))
    assert not [c for c, _ in _codes(newer) if c.startswith(("DRV", "NGC"))]


# The 19.11 notes read do not print the torch version: a source-build version stands in here,
# and the container's variable names the release (as in a probed container).
SOURCE_BUILD = "1.4.0a0+synthetic"


@pytest.mark.parametrize(
    ("driver", "ngc001"),
    [("418.87.01", "NGC 19.11 needs driver >= 440.30"), ("435.21", None)],
)
def test_a_1911_container_on_an_old_driver(driver: str, ngc001: str | None) -> None:
    env = _env(Package("torch", SOURCE_BUILD), env_vars=(("NVIDIA_PYTORCH_VERSION", "19.11"),), driver=driver)
    (resolved,) = resolve_builds(env, load_matrices())
    assert (resolved.cuda, resolved.cudnn, resolved.source) == ("10.2", "7.6.5", "ngc 19.11")
    codes = dict(_codes(env))
    assert "DRV001" in codes  # CUDA 10.2 needs a newer driver than either
    assert (codes["NGC001"][: len(ngc001)] if ngc001 else codes.get("NGC001")) == ngc001


def test_sourced_rows_state_only_what_their_notes_print() -> None:
    view = ngc_view(load_matrices())
    r1905 = view.release("pytorch", "19.05")
    assert r1905 is not None and r1905.cuda is None and r1905.cudnn == "7.6.0"  # "10.1 Update 1"
    tf = view.release("tensorflow", "23.01")
    assert tf is not None and (tf.cuda, tf.min_driver) == ("12.0.1", "525")
    assert tf.datacenter_drivers == ("450.51", "470.57", "510.47", "515.65", "525.85")
    assert len({(r.container, r.release) for r in view.releases}) == len(view.releases)


def test_dockerfile_on_a_release_without_its_torch_version(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM nvcr.io/nvidia/pytorch:19.11-py3\n")
    env = apply_what_if(
        empty_environment(), EnvOptions(requirements=(str(tmp_path / "Dockerfile"),), probe=False)
    )
    assert env.package("torch") is None and env.python.version == "3.6"
    assert any("does not name the pytorch version nvcr.io/nvidia/pytorch:19.11 ships" in n for n in env.notes)


# NVIDIA's TensorFlow carries the release in its local label (tensorflow 2.10.1+nv22.10); the
# 22.10 notes: CUDA 11.8.0, driver 520 or later, 450.51 / 470.57 / 510.47 / 515.65 on data-center
# GPUs; 23.01: CUDA 12.0.1, driver 525.


def test_an_ngc_tensorflow_gets_its_release_cuda_not_the_upstream_wheels() -> None:
    env = _env(Package("tensorflow", "2.10.1+nv22.10", pinned=True), driver="470.82.01")
    [build] = [b for b in resolve_builds(env, load_matrices()) if b.framework == "tensorflow"]
    assert (build.cuda, build.source, build.archs) == ("11.8", "ngc 22.10", ())
    codes = {f.code for f in run_checks(CheckContext(env, load_matrices()))}
    assert {"DRV002", "NGC001"} <= codes  # CUDA 11.8 on 470 only through MVC; the R470 branch is listed
    upstream = _env(Package("tensorflow", "2.10.1", pinned=True), driver="470.82.01")
    [plain] = [b for b in resolve_builds(upstream, load_matrices()) if b.framework == "tensorflow"]
    assert plain.cuda == "11.2"  # the PyPI wheel's build


def test_an_ngc_tensorflow_on_a_branch_its_notes_do_not_list() -> None:
    env = _env(Package("tensorflow", "2.11.0+nv23.01", pinned=True), driver="465.19.01")
    findings = run_checks(CheckContext(env, load_matrices()))
    assert "DRV001" in {f.code for f in findings}
    assert "NGC001" not in {f.code for f in findings}


def test_an_ngc_tensorflow_release_missing_from_the_table_is_not_guessed() -> None:
    env = _env(Package("tensorflow", "2.17.0+nv24.08", pinned=True), driver="470.82.01")
    # neither the table's row nor PyPI's wheel describes it: the build stays unknown
    assert [b for b in resolve_builds(env, load_matrices()) if b.framework == "tensorflow"] == []
