"""Every printed fix, run through the real installer, cures what it was printed for.

For each rule that carries an install fix: lay the broken stack out in a throwaway venv
(tiny wheels from :mod:`tests.wheelhouse`), audit it with ``check --env``, run the printed
fix as printed - each command on its own, with that venv's own pip (a ``python -m venv``
venv) or real uv (a ``uv venv`` venv, where the fix must come out as ``uv pip``) - with the
PyTorch index URLs pointed at local ``file://`` indexes, then audit again and require:
the finding is gone, no new error appeared, and the installer acted on the package the
finding is about (pip did not answer "Requirement already satisfied"; uv listed it as
installed).

The wheels' Requires-Dist lines are the real ones of those releases (harvested metadata),
cut down to the stack's own packages so that no unrelated dependency has to be served.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from compataudit.render import split_commands
from tests.wheelhouse import PYTORCH_INDEX, Wheel, build_index, build_wheel, tensorflow_wheel, torch_wheel

pytestmark = pytest.mark.slow

UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
ROOT = Path(__file__).resolve().parents[1]
GPU_A100 = ("--driver", "580.95.05", "--gpu-cc", "8.0")  # CUDA 13.0 in full


def _tv(version: str, torch: str) -> Wheel:
    return Wheel("torchvision", version, (f"torch=={torch}",))


def _ta(version: str, torch: str | None) -> Wheel:
    return Wheel("torchaudio", version, (f"torch=={torch}",) if torch else ())


def _cudnn(family: str, version: str) -> Wheel:
    """The cuDNN wheel of a CUDA family ("cu12", "cu13")."""
    return Wheel(f"nvidia-cudnn-{family}", version, module="nvidia/cudnn")


def _tf(name: str, version: str, cuda: str | None = None) -> Wheel:
    requires = ("keras<2.16,>=2.15.0", "numpy<2.0.0,>=1.23.5") if version.startswith("2.15") else ()
    if version.startswith("2.14"):
        requires = ("keras<2.15,>=2.14.0", "numpy>=1.23.5")
    if version.startswith("2.21"):
        requires = ("keras>=3.12.0", "numpy>=1.26.0")
    return tensorflow_wheel(name, version, cuda, requires)


_JAX_CUDA13 = ("jaxlib<=0.10.2,>=0.10.2", "jax-cuda13-plugin[with-cuda]<=0.10.2,>=0.10.2")
_JAX_CUDA12 = ("jaxlib<=0.10.2,>=0.10.2", "jax-cuda12-plugin[with-cuda]<=0.10.2,>=0.10.2")
_JAX = ("jaxlib<=0.10.2,>=0.10.1", "numpy>=2.0")
NUMPY1 = Wheel("numpy", "1.26.4")
NUMPY2 = Wheel("numpy", "2.4.1")
KERAS3 = Wheel("keras", "3.15.1", ("numpy",))


def _tf_cpu(version: str, keras: Wheel = KERAS3) -> tuple[Wheel, ...]:
    """tensorflow-cpu ``version`` with ``keras`` and numpy 1."""
    return (_tf("tensorflow-cpu", version), keras, NUMPY1)


TF_CPU_STACK = _tf_cpu("2.21.0")  # TensorFlow 2.21 (CPU) as installed
_CUDNN_PIN = 'nvidia-cudnn-cu13==9.20.0.48; platform_system == "Linux"'  # torch 2.13.0's own pin

# What each index serves. "pypi" stands for the default index; PyTorch's variant indexes
# carry the local label in every version, like the real ones.
CATALOGUE: dict[str, list[Wheel]] = {
    "pypi": [
        torch_wheel("2.13.0", "13.0"),  # PyPI's 2.13.0 is the CUDA 13.0 build
        _tv("0.28.0", "2.13.0"),
        _ta("2.11.0", None),  # torchaudio 2.11 declares no torch pin (stable ABI)
        _tf("tensorflow", "2.21.0", "12.5.1"),
        _tf("tensorflow-cpu", "2.21.0"),
        _tf("tensorflow-cpu", "2.15.1"),
        Wheel("tf-keras", "2.21.0", ("tensorflow<2.22,>=2.21",), module="tf_keras"),
        Wheel("keras", "2.15.0"),
        Wheel("keras", "3.15.1", ("numpy",)),
        Wheel("numpy", "1.26.4"),
        Wheel("numpy", "2.4.1"),
        Wheel("jaxlib", "0.10.2", ("numpy>=2.0",)),
        Wheel("jax", "0.10.2", ("jaxlib<=0.10.2,>=0.10.1", "numpy>=2.0"), extras={"cuda13": _JAX_CUDA13}),
        Wheel("jax-cuda13-plugin", "0.10.2", ("jax-cuda13-pjrt==0.10.2",), extras={"with-cuda": ()}),
        Wheel("jax-cuda13-pjrt", "0.10.2"),
        Wheel("protobuf", "6.33.0", module="google/protobuf"),
        Wheel("ml-dtypes", "0.5.4", ("numpy>=1.21",)),
        _cudnn("cu13", "9.20.0.48"),
        _tf("tensorflow", "2.14.1", "11.8"),
        Wheel("keras", "2.14.0"),
        Wheel("jax-cuda12-plugin", "0.10.2", ("jax-cuda12-pjrt==0.10.2",), extras={"with-cuda": ()}),
        Wheel("jax-cuda12-pjrt", "0.10.2"),
    ],
    "pytorch/cpu": [torch_wheel("2.13.0+cpu"), _tv("0.28.0+cpu", "2.13.0")],
    "pytorch/cu126": [torch_wheel("2.13.0+cu126", "12.6"), _tv("0.28.0+cu126", "2.13.0")],
    "pytorch/cu130": [torch_wheel("2.13.0+cu130", "13.0"), _tv("0.28.0+cu130", "2.13.0")],
    "pytorch/cu132": [torch_wheel("2.13.0+cu132", "13.2"), _tv("0.28.0+cu132", "2.13.0")],
}


def _drop_module(name: str) -> Callable[[Path], None]:
    def act(site: Path) -> None:
        shutil.rmtree(site / name)

    return act


def _stale_metadata(name: str, version: str) -> Callable[[Path], None]:
    """A second dist-info of ``name`` beside the installed one: an install stopped half way."""

    def act(site: Path) -> None:
        [current] = site.glob(f"{name}-*.dist-info")
        stale = site / f"{name}-{version}.dist-info"
        shutil.copytree(current, stale)
        meta = stale / "METADATA"
        text = re.sub(r"^Version: .*$", f"Version: {version}", meta.read_text(), flags=re.MULTILINE)
        meta.write_text(text)

    return act


@dataclass(frozen=True)
class Case:
    id: str
    code: str  # the finding the fix must cure
    component: str  # the distribution the installer must act on ("": the fix installs nothing)
    broken: tuple[Wheel, ...]
    flags: tuple[str, ...] = ()
    damage: Callable[[Path], None] | None = None  # what to break after installing
    needs_no_driver: bool = False
    shell: dict[str, str] = field(default_factory=dict)  # variables set in the user's shell
    config: str = ""  # a [tool.compataudit] table for --config
    # A uv project can hold it: False where uv's resolver refuses to lock the broken stack (a
    # declared requirement it violates) or heals it (a missing dependency).
    in_project: bool = True


CASES = [
    Case(
        "cpu-torch-on-a-gpu",
        "DRV004",
        "torch",
        (torch_wheel("2.13.0+cpu"), _tv("0.28.0+cpu", "2.13.0")),
        GPU_A100,
    ),
    Case(
        "driver-too-old", "DRV001", "torch", (torch_wheel("2.13.0+cu132", "13.2"),), ("--driver", "570.86.10")
    ),
    Case("driver-through-mvc", "DRV002", "torch", (torch_wheel("2.13.0+cu132", "13.2"),), GPU_A100),
    Case("cuda-torch-no-driver", "DRV003", "torch", (torch_wheel("2.13.0", "13.0"),), needs_no_driver=True),
    Case(
        "pascal-gpu",
        "ARC001",
        "torch",
        (torch_wheel("2.13.0", "13.0"),),
        ("--driver", "580.95.05", "--gpu-cc", "6.1"),
    ),
    Case(
        "cpu-tensorflow-on-a-gpu",
        "DRV004",
        "tensorflow",
        TF_CPU_STACK,
        GPU_A100,
    ),
    Case(
        "tf-keras-of-another-tf",
        "KER003",
        "tf-keras",
        (
            _tf("tensorflow-cpu", "2.21.0"),
            KERAS3,
            Wheel("tf-keras", "2.15.0", ("tensorflow<2.16,>=2.15",), module="tf_keras"),
            NUMPY1,
        ),
        in_project=False,
    ),
    Case("missing-dependency", "PKG001", "numpy", (KERAS3,), in_project=False),
    Case(
        "dependency-conflict",
        "PKG002",
        "numpy",
        (Wheel("jaxlib", "0.10.2", ("numpy>=2.0",)), NUMPY1),
        in_project=False,
    ),
    Case(
        "two-tensorflows",
        "PKG003",
        "tensorflow",
        (
            _tf("tensorflow", "2.21.0", "12.5.1"),
            _tf("tensorflow-cpu", "2.21.0"),
            KERAS3,
            NUMPY1,
        ),
        GPU_A100,
    ),
    Case(
        "files-gone",
        "PKG004",
        "torch",
        (torch_wheel("2.13.0+cpu"),),
        damage=_drop_module("torch"),
    ),
    Case(
        "two-metadata-dirs",
        "PKG006",
        "torch",
        (torch_wheel("2.13.0+cpu"),),
        damage=_stale_metadata("torch", "2.12.0"),
    ),
]


CASES += [
    Case(
        "extension-of-another-variant",
        "TCH003",
        "torchvision",
        (torch_wheel("2.13.0+cu130", "13.0"), _tv("0.28.0+cpu", "2.13.0")),
        GPU_A100,
    ),
    Case("numpy2-under-torch22", "NPY001", "numpy", (torch_wheel("2.2.2+cpu"), Wheel("numpy", "2.4.1"))),
    Case(
        "protobuf-too-old",
        "DEP001",
        "protobuf",
        (
            *TF_CPU_STACK,
            Wheel("protobuf", "5.29.0", module="google/protobuf"),
        ),
    ),
    Case(
        "ml-dtypes-too-old",
        "DEP002",
        "ml-dtypes",
        (
            *TF_CPU_STACK,
            Wheel("ml-dtypes", "0.3.1"),
        ),
    ),
    Case(
        "jaxlib-too-old",
        "JAX001",
        "jaxlib",
        (Wheel("jax", "0.10.2"), Wheel("jaxlib", "0.10.0"), Wheel("numpy", "2.4.1")),
    ),
    Case(
        "jax-plugin-of-another-jaxlib",
        "JAX002",
        "jax-cuda13-plugin",
        (
            Wheel("jax", "0.10.2", ("jaxlib<=0.10.2,>=0.10.1",), extras={"cuda13": _JAX_CUDA13}),
            Wheel("jaxlib", "0.10.2"),
            Wheel("jax-cuda13-plugin", "0.10.1", ("jax-cuda13-pjrt==0.10.1",), extras={"with-cuda": ()}),
            Wheel("jax-cuda13-pjrt", "0.10.1"),
        ),
        GPU_A100,
    ),
    Case(
        "cudnn-too-old",
        "CDN001",
        "nvidia-cudnn-cu13",
        (torch_wheel("2.13.0", "13.0"), _cudnn("cu13", "9.10.0.1")),
        GPU_A100,
    ),
    Case(
        "cudnn-wheel-not-the-pinned-one",
        "NVW001",
        "nvidia-cudnn-cu13",
        (
            torch_wheel("2.13.0", "13.0", (_CUDNN_PIN,)),
            _cudnn("cu13", "9.10.0.1"),
        ),
        GPU_A100,
        in_project=False,
    ),
]


CASES += [
    Case(
        "tensorflow-driver-too-old",
        "DRV001",
        "tensorflow",
        (_tf("tensorflow", "2.21.0", "12.5.1"), KERAS3, NUMPY1),
        ("--driver", "520.61.05", "--gpu-cc", "8.0"),
    ),
    Case(
        "cpu-jax-on-a-gpu",
        "DRV004",
        "jax-cuda13-plugin",
        (Wheel("jax", "0.10.2", _JAX, extras={"cuda13": _JAX_CUDA13}), Wheel("jaxlib", "0.10.2"), NUMPY2),
        GPU_A100,
    ),
    Case(
        "jax-cuda13-driver-too-old",
        "DRV001",
        "jax-cuda12-plugin",
        (
            Wheel("jax", "0.10.2", _JAX, extras={"cuda13": _JAX_CUDA13, "cuda12": _JAX_CUDA12}),
            Wheel("jaxlib", "0.10.2"),
            Wheel("jax-cuda13-plugin", "0.10.2", ("jax-cuda13-pjrt==0.10.2",), extras={"with-cuda": ()}),
            Wheel("jax-cuda13-pjrt", "0.10.2"),
            NUMPY2,
        ),
        ("--driver", "560.35.03", "--gpu-cc", "8.0"),
    ),
    Case(
        "cuda12-wheel-beside-cuda13",
        "NVW003",
        "nvidia-cudnn-cu12",
        (
            torch_wheel("2.13.0", "13.0", (_CUDNN_PIN,)),
            _cudnn("cu13", "9.20.0.48"),
            _cudnn("cu12", "9.10.2.21"),
        ),
        GPU_A100,
    ),
    Case(
        "legacy-keras-without-tf-keras",
        "KER005",
        "tf-keras",
        TF_CPU_STACK,
        shell={"TF_USE_LEGACY_KERAS": "1"},
    ),
    Case(
        "policy-pin",
        "POL001",
        "numpy",
        (KERAS3, NUMPY2),
        config='require = ["numpy<2"]',
    ),
]


CASES += [
    Case(
        "keras-backend-too-old",
        "KER006",
        "jax",
        (KERAS3, NUMPY2, Wheel("jax", "0.4.13"), Wheel("jaxlib", "0.4.13")),
        shell={"KERAS_BACKEND": "jax"},
        # Known limit: a project that pins jaxlib==0.4.13 itself makes `uv add "jax>=0.4.20"`
        # unsolvable (pip moves jaxlib along as a dependency; uv add does not touch another pin).
        in_project=False,
    ),
    Case(
        "keras-backend-not-installed",
        "KER006",
        "",  # the cure is a variable: export KERAS_BACKEND=tensorflow
        TF_CPU_STACK,
        shell={"KERAS_BACKEND": "jax"},
    ),
]


# An extension that pins another torch beside PyPI's torch 2.13.0: uv refuses to lock it.
CASES += [
    Case(name, code, extension.name, (torch_wheel("2.13.0", "13.0"), extension), GPU_A100, in_project=False)
    for name, code, extension in (
        ("torchvision-of-another-torch", "TCH001", _tv("0.27.0", "2.12.0")),
        ("torchaudio-of-another-torch", "TCH002", _ta("2.10.0", "2.10.0")),
        ("torchvision-pinning-another-torch", "TCH004", _tv("0.99.0", "2.99.0")),
    )
]
# A Keras that does not fit the TensorFlow beside it (its declared pins make uv refuse).
CASES += [
    Case(name, code, "keras", _tf_cpu(tf, keras), in_project=False)
    for name, code, tf, keras in (
        ("keras3-beside-tf215", "KER001", "2.15.1", KERAS3),
        ("keras2-beside-tf221", "KER002", "2.21.0", Wheel("keras", "2.15.0")),
        ("keras-of-another-tf", "KER004", "2.15.1", Wheel("keras", "2.14.0")),
    )
]


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("indexes")
    return {name: build_index(root / name, wheels) for name, wheels in CATALOGUE.items()}


def _site(venv: Path) -> Path:
    [site] = venv.glob("lib/python3*/site-packages")
    return site


def _make_venv(where: Path, installer: str) -> Path:
    """A fresh venv: made by uv (``uv venv``) or by ``python -m venv`` with this pip in it."""
    assert UV is not None
    if installer == "uv":
        subprocess.run([UV, "venv", "-q", "--python", sys.executable, str(where)], check=True)
        return where
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    import pip

    source = Path(pip.__file__).parent
    site = _site(where)
    shutil.copytree(source, site / "pip")
    for info in source.parent.glob(f"pip-{pip.__version__}.dist-info"):
        shutil.copytree(info, site / info.name)
    script = where / "bin" / "pip"
    script.write_text(f'#!/bin/sh\nexec "{where}/bin/python" -m pip "$@"\n')
    script.chmod(0o755)
    return where


def _installer_env(venv: Path, tmp: Path, pypi: str) -> dict[str, str]:
    """Only the local indexes, no user or machine configuration, this venv first on PATH."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "VIRTUAL_ENV", "CONDA"))}
    return keep | {
        "PATH": f"{venv / 'bin'}{os.pathsep}{Path(UV or 'uv').parent}{os.pathsep}/usr/bin:/bin",
        "VIRTUAL_ENV": str(venv),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_INDEX_URL": pypi,
        "PIP_NO_INPUT": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "UV_NO_CONFIG": "1",
        "UV_INDEX_URL": pypi,
        "UV_CACHE_DIR": str(tmp / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
    }


# Variables that change a verdict: the audit sees only the ones a case sets.
_VERDICT_VARIABLES = (
    "KERAS_BACKEND",
    "TF_USE_LEGACY_KERAS",
    "CUDA_VISIBLE_DEVICES",
    "NVIDIA_VISIBLE_DEVICES",
)


def _audit(venv: Path, flags: tuple[str, ...], shell: dict[str, str]) -> list[dict[str, Any]]:
    drop = ("VIRTUAL_ENV", "CONDA_PREFIX", *_VERDICT_VARIABLES)
    env = {k: v for k, v in os.environ.items() if k not in drop} | shell
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "compataudit",
            "check",
            "--env",
            str(venv),
            "--no-smoke",
            "--format",
            "json",
            *flags,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    findings: list[dict[str, Any]] = json.loads(done.stdout)["findings"]
    return findings


def _shell_variable(command: str, shell: dict[str, str]) -> bool:
    """``export NAME=VALUE`` / ``unset NAME`` as the user's shell would apply them."""
    words = shlex.split(command)
    if words[0] == "export" and len(words) == 2 and "=" in words[1]:
        name, value = words[1].split("=", 1)
        shell[name] = value
        return True
    if words[0] == "unset" and len(words) == 2:
        shell.pop(words[1], None)
        return True
    return False


def _local(command: str, indexes: dict[str, str]) -> str:
    """The command with PyTorch's index URLs pointed at the local copies."""

    def swap(match: re.Match[str]) -> str:
        key = f"pytorch/{match.group(1)}"
        assert key in indexes, f"the fix asks for an index the test does not serve: {match.group(0)}"
        return indexes[key]

    return re.sub(re.escape(PYTORCH_INDEX) + r"([\w.]+)/?", swap, command)


def _acted_on(output: str, name: str, installer: str) -> bool:
    """The installer says it installed or removed ``name`` (and pip never that it kept it)."""
    pattern = name.replace("-", "[-_]")
    if installer.startswith("uv"):
        return re.search(rf"^ [+~-] {pattern}==", output, re.MULTILINE | re.IGNORECASE) is not None
    if re.search(rf"Requirement already satisfied: {pattern}[=<>!~ (]", output, re.IGNORECASE):
        return False
    done = rf"^\s*Successfully (installed|uninstalled) .*\b{pattern}-\d"
    return re.search(done, output, re.MULTILINE | re.IGNORECASE) is not None


_PROJECT = """[project]
name = "broken-stack"
version = "0"
requires-python = ">=3.10"
dependencies = [{deps}]
"""


def _stage(case: Case, installer: str, tmp: Path, pypi: str) -> tuple[Path, Path, dict[str, str]]:
    """The broken stack installed: (venv, folder the fix runs in, the installer's environment).

    A venv gets the wheels with ``uv pip install --no-deps``; a uv project (``uv.lock`` beside
    ``.venv``) pins them as its dependencies and ``uv sync`` locks and installs them.
    """
    assert UV is not None
    broken = tmp / "broken"
    broken.mkdir()
    for wheel in case.broken:
        build_wheel(wheel, broken)
    if installer == "uv-project":
        project = tmp / "project"
        project.mkdir()
        deps = ", ".join(f'"{w.name}=={w.version}"' for w in case.broken)
        (project / "pyproject.toml").write_text(_PROJECT.format(deps=deps))
        venv = project / ".venv"
        env = _installer_env(venv, tmp, pypi) | {"UV_FIND_LINKS": str(broken)}
        del env["VIRTUAL_ENV"]
        done = subprocess.run(
            [UV, "sync", "-q", "--python", sys.executable],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return venv, project, env
    venv = _make_venv(tmp / "venv", installer)
    env = _installer_env(venv, tmp, pypi)
    wheels = [str(p) for p in broken.iterdir()]
    python = str(venv / "bin" / "python")
    subprocess.run(
        [UV, "pip", "install", "-q", "--no-deps", "--no-index", "--python", python, *wheels],
        check=True,
        env=env,
    )
    return venv, tmp, env


@pytest.mark.skipif(UV is None, reason="uv is not installed (dependency group 'test')")
@pytest.mark.parametrize(
    ("case", "installer"),
    [
        pytest.param(case, installer, id=f"{case.id}-{installer}")
        for case in CASES
        for installer in ("pip", "uv", "uv-project")
        if installer != "uv-project" or case.in_project
    ],
)
def test_fix_cures(case: Case, installer: str, indexes: dict[str, str], tmp_path: Path) -> None:
    if case.needs_no_driver and shutil.which("nvidia-smi"):
        pytest.skip("this machine has an NVIDIA driver: DRV003 cannot be staged")
    venv, cwd, env = _stage(case, installer, tmp_path, indexes["pypi"])
    if case.damage:
        case.damage(_site(venv))

    flags = case.flags
    if case.config:
        (tmp_path / "policy.toml").write_text(f"[tool.compataudit]\n{case.config}\n")
        flags = (*flags, "--config", str(tmp_path / "policy.toml"))
    shell = dict(case.shell)
    before = _audit(venv, flags, shell)
    target = [f for f in before if f["code"] == case.code]
    assert target, f"{case.code} was not raised: {[f['code'] for f in before]}"
    fix = target[0]["fix"]
    assert fix, f"{case.code} carries no fix"
    _prose, commands = split_commands(fix)
    assert commands, f"no command in the fix: {fix!r}"
    first_words = ("pip", "rm") if installer == "pip" else ("uv", "rm")
    output = ""
    for command in commands:
        if _shell_variable(command, shell):
            continue
        assert command.split()[0] in first_words, f"{installer} venv, yet the fix says {command!r}"
        done = subprocess.run(
            ["bash", "-c", _local(command, indexes)],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{command!r} failed:\n{done.stdout}\n{done.stderr}"
        output += done.stdout + done.stderr
    assert not case.component or _acted_on(output, case.component, installer), (
        f"{installer} left {case.component} as it was:\n{output}"
    )

    after = _audit(venv, flags, shell)
    cured = [f for f in after if f["code"] == case.code and f["title"] == target[0]["title"]]
    assert not cured, f"{case.code} is still there after {fix!r}: {cured[0]['title']}"
    was = {(f["code"], f["title"]) for f in before}
    new_errors = [
        f"{f['code']} {f['title']}"
        for f in after
        if f["severity"] == "error" and (f["code"], f["title"]) not in was
    ]
    assert not new_errors, f"{fix!r} brought new errors: {new_errors}"
    if case.code.startswith(("DRV", "ARC")):  # the build picked runs on this driver without a warning
        assert not [
            f for f in after if f["code"].startswith(("DRV", "ARC")) and case.component in f["components"]
        ]
