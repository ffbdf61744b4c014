"""-r audits the environment a file builds: images and locks alone, requirement files fresh or
layered (--onto-current), the GPU side from this machine or the what-if flags."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from compataudit.audit import run_audit
from compataudit.cli.app import main
from compataudit.errors import UsageError
from compataudit.model import (
    BuildInfo,
    Environment,
    Package,
    PlatformInfo,
    ProbeStatus,
    PythonInfo,
    Report,
    ToolkitInfo,
)
from compataudit.options import AuditOptions, EnvOptions
from compataudit.sources.whatif import apply_what_if
from tests.schema_helpers import assert_valid_report

DOCKERFILE = "FROM nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04\nRUN pip install tensorflow==2.12.0\n"


def _host() -> Environment:
    """A dev machine's venv holding other versions (as the project's own venv does), CUDA 13."""
    return Environment(
        python=PythonInfo(version="3.11.7", executable="/venv/bin/python"),
        platform=PlatformInfo(system="Linux", machine="x86_64"),
        packages=(
            Package("keras", "3.15.1", "/venv/site"),
            Package("numpy", "2.4.6", "/venv/site"),
            Package("protobuf", "7.36.2", "/venv/site"),
            Package("tensorflow-cpu", "2.21.0", "/venv/site"),
            Package("torch", "2.13.0+cpu", "/venv/site"),
        ),
        builds=(BuildInfo("torch", "torch", "2.13.0+cpu", is_cuda_build=False, source="version.py"),),
        toolkit=ToolkitInfo(
            status=ProbeStatus.OK, nvcc_version="13.0.88", nvcc_path="/usr/local/cuda/bin/nvcc"
        ),
        env_vars=(("CUDA_VISIBLE_DEVICES", "0"),),
    )


def _audit(tmp_path: Path, name: str, text: str, **opts: object) -> Report:
    (tmp_path / name).write_text(text)
    env = apply_what_if(_host(), EnvOptions(requirements=(str(tmp_path / name),), **opts))  # type: ignore[arg-type]
    return run_audit(env, AuditOptions())


def _codes(report: Report) -> set[str]:
    return {f.code for f in report.findings}


def test_the_issue_dockerfile_audits_the_image_not_the_host(tmp_path: Path) -> None:
    report = _audit(tmp_path, "Dockerfile", DOCKERFILE)
    env = report.environment
    assert env.stack is not None and env.stack.mode == "image"
    names = {p.name for p in env.packages}
    assert "tensorflow" in names and not names & {"numpy", "protobuf", "tensorflow-cpu", "torch"}
    assert env.package("keras") is not None and env.package("keras").version == "2.12.0"  # type: ignore[union-attr]
    assert env.env_vars == () and env.toolkit.nvcc_version == "12.1"
    (error,) = [f for f in report.findings if f.severity.value == "error"]
    assert error.code == "INP002" and error.components == ("tensorflow", "cuda")
    assert "libcudart.so.11.0" in error.detail and "12.1" in error.title
    assert error.fix is not None
    assert "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04" in error.fix
    assert "tensorflow[and-cuda]==2.14.1" in error.fix
    assert not _codes(report) & {"KER001", "NPY001", "DEP001"}  # the host's versions are not in it


def test_a_one_line_requirements_file_is_a_fresh_environment(tmp_path: Path) -> None:
    report = _audit(tmp_path, "requirements.txt", "tensorflow==2.12.0\n")
    env = report.environment
    assert env.stack is not None and env.stack.mode == "fresh"
    assert env.package("numpy") is None and env.package("torch") is None
    assert env.toolkit.nvcc_version == "13.0.88"  # the system side stays this machine's
    (error,) = [f for f in report.findings if f.severity.value == "error"]
    assert error.code == "INP002" and "this system's CUDA is 13.0.88" in error.title
    assert error.fix is not None and "LD_LIBRARY_PATH" in error.fix


def test_onto_current_layers_the_file_as_pip_would(tmp_path: Path) -> None:
    report = _audit(tmp_path, "requirements.txt", "tensorflow==2.12.0\n", onto_current=True, env_path=None)
    env = report.environment
    assert env.stack is not None and env.stack.mode == "layered"
    changed = "\n".join(env.stack.changed)
    assert "keras 3.15.1 -> 2.12.0" in changed
    assert "numpy 2.4.6 -> a release satisfying <1.24,>=1.22 (tensorflow 2.12.0)" in changed
    # pip installs tensorflow beside tensorflow-cpu; torch is untouched, with its build facts
    assert {"tensorflow", "tensorflow-cpu", "torch"} <= {p.name for p in env.packages}
    assert env.build("torch") is not None
    assert env.package("numpy") is not None and env.package("numpy").version == ""  # type: ignore[union-attr]


def test_onto_current_refuses_a_dockerfile(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="builds an environment of its own"):
        _audit(tmp_path, "Dockerfile", DOCKERFILE, onto_current=True)


def test_a_range_on_an_old_driver_is_an_error(tmp_path: Path) -> None:
    report = _audit(tmp_path, "req.txt", "torch>=2.4,<2.6\n", driver="470.82.01", gpu_ccs=("8.6",))
    torch = report.environment.package("torch")
    assert torch is not None and (torch.version, torch.requested) == ("2.5.1", "torch>=2.4,<2.6")
    assert "DRV001" in _codes(report)
    (drv,) = [f for f in report.findings if f.code == "DRV001"]
    assert "CUDA 12.4" in drv.title


def test_ranges_on_a_recent_driver_are_clean(tmp_path: Path) -> None:
    report = _audit(
        tmp_path, "req.txt", "torch>=2.4\ntorchvision>=0.19\n", driver="595.45.04", gpu_ccs=("8.6",)
    )
    assert report.summary.errors == 0 and report.summary.warnings == 0
    assert {p.name for p in report.environment.packages} == {"torch", "torchvision"}


def test_nothing_auditable_is_a_warning_not_a_clean_bill(tmp_path: Path) -> None:
    report = _audit(tmp_path, "req.txt", "requests>=2\nflask==3.0.0\n-e .\n")
    (warning,) = report.findings
    assert warning.code == "INP001" and warning.severity.value == "warning"
    assert "requests>=2" in warning.detail and "not part of the stack" in warning.detail


def test_json_says_which_environment_and_keeps_the_requirement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "req.txt").write_text("torch>=2.4,<2.6\n")
    with pytest.raises(SystemExit):
        main(["check", "--no-probe", "--python", "3.11", "-r", str(tmp_path / "req.txt"), "-f", "json"])
    data = json.loads(capsys.readouterr().out)
    assert_valid_report(data)
    stack = data["environment"]["stack"]
    assert (stack["mode"], stack["files"]) == ("fresh", [str(tmp_path / "req.txt")])
    (torch,) = [p for p in data["environment"]["packages"] if p["name"] == "torch"]
    assert (torch["version"], torch["requested"]) == ("2.5.1", "torch>=2.4,<2.6")


def test_the_table_header_names_the_audited_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--no-probe", "-r", str(tmp_path / "Dockerfile")])
    out = capsys.readouterr().out
    assert exit_info.value.code == 1
    assert "Auditing the image" in out and "none of this machine's packages" in out
    assert "INP002" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--onto-current"], "--onto-current applies to -r files"),
        (["--extra", "gpu"], "--extra applies to -r files"),
    ],
)
def test_flags_that_need_a_file(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--no-probe", *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_extra_needs_a_pyproject(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "req.txt").write_text("torch==2.5.1\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--no-probe", "-r", str(tmp_path / "req.txt"), "--extra", "gpu"])
    assert exit_info.value.code == 2
    assert "pyproject.toml" in capsys.readouterr().err


def test_a_lock_file_stands_alone() -> None:
    lock = Path(__file__).parent.parent / "fixtures" / "inputs" / "uv.lock"
    env = apply_what_if(_host(), EnvOptions(requirements=(str(lock),)))
    assert env.stack is not None and env.stack.mode == "lock"
    assert env.package("keras") is None and env.package("tensorflow-cpu") is None
    assert all(p.pinned for p in env.packages)


def test_the_gpu_side_stays_this_machines(tmp_path: Path) -> None:
    (tmp_path / "req.txt").write_text("torch==2.5.1\n")
    host = replace(_host(), nvidia=replace(_host().nvidia, status=ProbeStatus.OK, driver_version="550.54.14"))
    env = apply_what_if(host, EnvOptions(requirements=(str(tmp_path / "req.txt"),)))
    assert env.nvidia.driver_version == "550.54.14"


@pytest.mark.parametrize(
    ("index", "torch", "torchvision"),
    [
        # the only index: the newest release it has a build of (cu121 builds end with 2.5)
        ("--index-url https://download.pytorch.org/whl/cu121", "2.5.1+cu121", "0.20.1+cu121"),
        # an extra index: pip takes the highest version of either, PyPI's 2.15.0 here
        ("--extra-index-url https://download.pytorch.org/whl/cu121", "2.15.0", "0.29.2"),
        # CPU wheels exist for every release; the local label sorts above PyPI's same version
        ("--extra-index-url https://download.pytorch.org/whl/cpu", "2.15.0+cpu", "0.29.2+cpu"),
    ],
)
def test_a_pytorch_index_serves_only_the_releases_it_has(
    tmp_path: Path, index: str, torch: str, torchvision: str
) -> None:
    report = _audit(tmp_path, "req.txt", f"{index}\ntorch>=2.3\ntorchvision\n")
    versions = {p.name: p.version for p in report.environment.packages}
    assert (versions["torch"], versions["torchvision"]) == (torch, torchvision)
