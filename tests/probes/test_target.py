"""--env PATH: venvs (a real one), conda prefixes (recorded conda-meta), interpreters, auto-detection."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compataudit.cli.app import main
from compataudit.errors import UsageError
from compataudit.model import Environment, Package
from compataudit.options import EnvOptions
from compataudit.probes.target import auto_target, find_target, probe_target
from compataudit.sources import build_environment
from tests.envs import environment

CONDA_META = Path(__file__).parent.parent / "fixtures" / "conda-meta"
TORCH_VERSION_PY = (
    "__version__ = '2.1.0'\ndebug = False\ncuda = '12.1'\ngit_version = "
    "'7bcf7da3a268b435777fe87c7794c382f444e86d'\nhip = None\n"
)


def _dist(site: Path, name: str, version: str, module: str | None = None) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nbody\n")
    (site / (module or name)).mkdir(exist_ok=True)


def conda_prefix(root: Path) -> Path:
    """A conda environment on disk: recorded conda-meta records plus their site-packages."""
    prefix = root / "envs" / "train"
    shutil.copytree(CONDA_META, prefix / "conda-meta")
    site = prefix / "lib" / "python3.11" / "site-packages"
    _dist(site, "torch", "2.1.0")
    (site / "torch" / "version.py").write_text(TORCH_VERSION_PY)
    _dist(site, "torchvision", "0.17.0")
    _dist(site, "numpy", "1.26.0")
    return prefix


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real venv (no pip) with torch 2.4.1 and torchvision 0.20.1 metadata in its site-packages."""
    path = tmp_path_factory.mktemp("target") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    (site,) = path.glob("lib/python3*/site-packages")
    _dist(site, "torch", "2.4.1")
    _dist(site, "torchvision", "0.20.1")
    return path


def test_venv_is_read_through_its_interpreter(venv: Path) -> None:
    env = build_environment(EnvOptions(env_path=str(venv)))
    assert env.target is not None and (env.target.kind, env.target.selected_by) == ("venv", "--env")
    assert env.python.version == "{}.{}.{}".format(*sys.version_info[:3])
    assert env.python.executable is not None and env.python.executable.startswith(str(venv))
    assert {p.name: p.version for p in env.packages} == {"torch": "2.4.1", "torchvision": "0.20.1"}


def test_interpreter_path_is_accepted(venv: Path) -> None:
    target = find_target(str(venv / "bin" / "python"))
    assert (target.kind, target.python) == ("interpreter", str(venv / "bin" / "python"))


def test_report_names_the_audited_environment(venv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--no-smoke", "--env", str(venv), "-f", "json"])
    assert exit_info.value.code == 1
    report = json.loads(capsys.readouterr().out)
    assert report["environment"]["target"]["path"] == str(venv)
    assert "TCH001" in {f["code"] for f in report["findings"]}


def test_conda_prefix_without_a_runnable_interpreter(tmp_path: Path) -> None:
    prefix = conda_prefix(tmp_path)
    env = build_environment(EnvOptions(env_path=str(prefix)))
    assert env.target is not None and env.target.kind == "conda"
    assert env.python.version == "3.11.5"  # from conda-meta/python-3.11.5-*.json
    packages = {p.name: p for p in env.packages}
    assert (packages["torch"].version, packages["torch"].channel) == ("2.1.0", "pytorch")
    assert packages["pytorch-cuda"].version == "12.1"
    assert packages["cuda-runtime"].channel == "nvidia"
    assert "libjpeg-turbo" not in packages  # not part of the audited stack
    build = env.build("torch")
    assert build is not None and build.cuda == "12.1"


def test_conda_prefix_audit_finds_the_mismatched_torchvision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = conda_prefix(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--no-smoke", "--env", str(prefix)])
    out = capsys.readouterr().out
    assert exit_info.value.code == 1
    assert f"Auditing the conda environment {prefix}" in out
    assert "conda: pytorch" in out and "TCH001" in out


def test_conda_build_facts_fill_in_when_no_version_py(tmp_path: Path) -> None:
    prefix = conda_prefix(tmp_path)
    (prefix / "lib" / "python3.11" / "site-packages" / "torch" / "version.py").unlink()
    env = build_environment(EnvOptions(env_path=str(prefix)))
    build = env.build("torch")
    assert build is not None and (build.cuda, build.cudnn) == ("12.1", "8.9.2")
    assert build.source is not None and build.source.endswith(".json")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p, "no such environment"),
        (lambda p: (p.mkdir(), p)[1], "not a venv"),
        (lambda p: (p.write_text("x"), p)[1], "not an executable"),
    ],
)
def test_bad_env_paths(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path / "nothing")  # type: ignore[operator]
    with pytest.raises(UsageError, match=message):
        find_target(str(path))


def test_bad_env_on_the_cli_is_exit_2_with_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--no-smoke", "--env", str(tmp_path / "missing"), "-f", "json"])
    assert exit_info.value.code == 2
    assert "no such environment" in json.loads(capsys.readouterr().out)["error"]["message"]


def test_env_with_snapshot_is_a_usage_error(venv: Path) -> None:
    with pytest.raises(UsageError, match="--env"):
        build_environment(EnvOptions(env_path=str(venv), snapshot="x.json", probe=False))


def _bare(*packages: Package) -> Environment:
    return environment(python="3.11.9", packages=packages)


def test_auto_detects_the_activated_env_from_a_tool_env(venv: Path) -> None:
    tool_env = _bare(Package("typer", "0.12.0"))
    target = auto_target(tool_env, {"VIRTUAL_ENV": str(venv)})
    assert target is not None and (target.path, target.selected_by) == (str(venv), "VIRTUAL_ENV")


def test_no_auto_detection_when_ours_has_a_framework_or_names_itself(venv: Path) -> None:
    assert auto_target(_bare(Package("torch", "2.4.1")), {"VIRTUAL_ENV": str(venv)}) is None
    assert auto_target(_bare(), {"VIRTUAL_ENV": sys.prefix}) is None
    assert auto_target(_bare(), {"CONDA_PREFIX": "/nonexistent/env"}) is None


def test_auto_detected_target_is_probed_and_said(venv: Path) -> None:
    target = auto_target(_bare(), {"CONDA_PREFIX": str(venv)})
    assert target is not None
    env = probe_target(target, _bare())
    assert env.target == target and env.package("torchvision") is not None


def test_smoke_kernels_run_with_the_target_interpreter(venv: Path) -> None:
    """The venv's `torch` is an empty directory: only its interpreter imports that one (ours has
    the real torch), as a namespace package without ``__version__``."""
    from compataudit.smoke.runner import run_smoke

    env = build_environment(EnvOptions(env_path=str(venv)))
    (result,) = run_smoke(env, frameworks=["torch"], timeout=60)
    assert result.status.value == "error"
    assert "module 'torch' has no attribute '__version__'" in (result.detail or "")


@pytest.mark.parametrize(
    "command",
    [["check", "--no-smoke"], ["snapshot"], ["smoke"], ["suggest"], ["explain", "-"]],
)
def test_every_command_takes_env(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("NotImplementedError\n"))
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--env", str(tmp_path / "missing")])
    assert exit_info.value.code == 2
    assert "no such environment" in capsys.readouterr().err


def test_snapshot_of_another_env_records_it(
    venv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["snapshot", "--env", str(venv), "-o", str(tmp_path / "node.json")])
    assert exit_info.value.code == 0
    snapshot = json.loads((tmp_path / "node.json").read_text())
    assert snapshot["target"]["kind"] == "venv"
    assert {p["name"] for p in snapshot["packages"]} == {"torch", "torchvision"}
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:  # audited elsewhere: the target survives the trip
        main(["check", "--snapshot", str(tmp_path / "node.json"), "-f", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["environment"]["target"]["path"] == str(venv)


def test_conda_tensorflow_and_jaxlib_builds(tmp_path: Path) -> None:
    """conda-forge's tensorflow (code in tensorflow-base) and jaxlib: CUDA from the build string."""
    from compataudit.probes.conda import merge_conda

    meta = tmp_path / "conda-meta"
    meta.mkdir()
    records = [
        ("tensorflow", "2.15.0", "cuda120py311h5e1a4b4_3"),
        ("tensorflow-base", "2.15.0", "cuda120py311h7e1b7e8_3"),
        ("jaxlib", "0.4.23", "cuda120py311hd88f75c_200"),
        ("cudnn", "8.9.7.29", "h092f7fd_3"),
    ]
    for name, version, build in records:
        (meta / f"{name}-{version}-{build}.json").write_text(
            json.dumps(
                {
                    "name": name,
                    "version": version,
                    "build": build,
                    "build_number": 3,
                    "channel": "https://conda.anaconda.org/conda-forge/linux-64",
                    "files": [],
                }
            )
        )
    env = merge_conda(_bare(Package("tensorflow", "2.15.0", "/site")), tmp_path)
    tf, jaxlib = env.build("tensorflow"), env.build("jaxlib")
    assert tf is not None and (tf.cuda, tf.is_cuda_build) == ("12.0", True)
    assert jaxlib is not None and jaxlib.cuda == "12.0"
    packages = {p.name: p for p in env.packages}
    assert packages["tensorflow"].channel == "conda-forge"
    assert packages["jaxlib"].channel == "conda-forge"  # conda-only: added from its record
    assert env.toolkit.cudnn_version == "8.9.7.29"  # conda's cuDNN serves the environment


@pytest.mark.parametrize(
    ("answer", "valid"),
    [
        ({"version": "3.11.7", "path": ["/x"], "bits": 64}, True),
        ({"version": "3.13.0rc1", "path": []}, True),
        ({"version": ["3", "11"], "path": []}, False),
        ({"version": "3.11.7", "path": [1]}, False),
        ({"version": "3.11.7", "path": "/x"}, False),
        ({"version": "3.11.7", "bits": "64"}, False),
        ({"version": "3.11.7", "bits": True}, False),
        ({"version": "3.11.7", "prefix": "x" * 5000}, False),
        ({"version": "3.11.7; rm -rf"}, False),
        ([1, 2], False),
    ],
)
def test_an_interpreters_answer_is_validated(answer: object, valid: bool) -> None:
    from compataudit.probes.target import _valid_answer

    assert _valid_answer(answer) is valid


def _script(tmp_path: Path, body: str) -> str:
    script = tmp_path / "python"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return str(script)


def test_a_hung_interpreter_and_its_child_are_killed(tmp_path: Path) -> None:
    from compataudit import lifecycle
    from compataudit.probes.target import ask_interpreter
    from tests.processes import alive

    pidfile = tmp_path / "child"
    python = _script(tmp_path, f"sleep 300 &\necho $! > {pidfile}\nsleep 300\n")
    with lifecycle.subreaper():
        assert ask_interpreter(python, timeout=1.0) is None
    child = int(pidfile.read_text())
    assert not alive(child)


@pytest.mark.parametrize(
    "body",
    [
        "printf '\\000\\377ELF'\n",
        "head -c 100000 /dev/zero | tr '\\0' '['\n",
        "head -c 5000000 /dev/zero\n",
        'echo \'{"version": ["3", "11"]}\'\n',
    ],
)
def test_a_lying_interpreter_gives_no_answer(tmp_path: Path, body: str) -> None:
    from compataudit.probes.target import ask_interpreter

    assert ask_interpreter(_script(tmp_path, body), timeout=5.0) is None


def test_a_lying_pyvenv_cfg_gives_no_version(tmp_path: Path) -> None:
    from compataudit.probes.target import _layout_version

    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\nversion = ['3', '11']\n")
    assert _layout_version(tmp_path) is None
