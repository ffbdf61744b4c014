"""Conda packages: the ``conda-meta/*.json`` records of a prefix, and what their build strings say.

A conda environment installs torch as ``pytorch`` (channel ``pytorch`` or
``conda-forge``) and its CUDA libraries as conda packages (``pytorch-cuda``,
``cudatoolkit``, ``cuda-version``, ``cuda-runtime``, ``cudnn``) instead of
nvidia-* wheels. The CUDA and cuDNN a framework was built with are in the
build string: ``py3.11_cuda12.1_cudnn8.9.2_0`` (pytorch channel),
``cuda120_py311h…`` / ``cuda126_generic_py311_h…`` (conda-forge),
``cpu_py311h…`` / ``py3.10_cpu_0`` for CPU builds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from compataudit.distributions import CONDA_CUDA
from compataudit.files import read_regular
from compataudit.model import BuildInfo, Environment, Package, ProbeStatus

# conda name -> the distribution name the checks know
FRAMEWORKS = {
    "pytorch": "torch",
    "torchvision": "torchvision",
    "torchaudio": "torchaudio",
    "tensorflow": "tensorflow",
    "tensorflow-gpu": "tensorflow",
    "keras": "keras",
    "tf-keras": "tf-keras",
    "jax": "jax",
    "jaxlib": "jaxlib",
    "numpy": "numpy",
    "protobuf": "protobuf",
    "ml_dtypes": "ml-dtypes",
    "ml-dtypes": "ml-dtypes",
    "triton": "triton",
    "xformers": "xformers",
}
# which framework a conda package's build string describes
_BUILD_OF = {
    "pytorch": "torch",
    "tensorflow": "tensorflow",
    "tensorflow-base": "tensorflow",
    "jaxlib": "jaxlib",
}

_CUDA_DOTTED = re.compile(r"(?:^|_)cuda(\d+)\.(\d+)")  # py3.11_cuda12.1_cudnn8.9.2_0
_CUDA_PACKED = re.compile(r"(?:^|_)(?:gpu_)?cuda(\d{2})(\d)(?=_|py|$)")  # cuda120_py311h…, gpu_cuda118py311h…
_CUDNN = re.compile(r"(?:^|_)cudnn(\d+(?:\.\d+)*)")
_CPU = re.compile(r"(?:^|_)cpu(?:_|$)")


@dataclass(frozen=True)
class CondaRecord:
    """One installed conda package (one ``conda-meta/*.json``)."""

    name: str
    version: str
    build: str
    channel: str | None
    source: str  # the record file


def channel_name(channel: object) -> str | None:
    """``https://conda.anaconda.org/conda-forge/linux-64`` -> ``conda-forge``; names stay names."""
    if not isinstance(channel, str) or not channel.strip():
        return None
    text = channel.strip().rstrip("/")
    if "://" not in text:
        return text
    parts = [p for p in text.split("://", 1)[1].split("/")[1:] if p]
    subdirs = ("linux-64", "linux-aarch64", "linux-ppc64le", "osx-64", "osx-arm64", "win-64", "noarch")
    while parts and (parts[-1] in subdirs or parts[-1].endswith((".conda", ".tar.bz2"))):
        parts.pop()
    if parts and parts[0] == "label":  # anaconda.org/<channel>/label/<label>
        parts = parts[:1]
    return "/".join(parts) or text


def build_facts(conda_name: str, version: str, build: str, source: str) -> BuildInfo | None:
    """What a framework's conda build string says it was built for; None when it says nothing."""
    framework = _BUILD_OF.get(conda_name)
    if framework is None or not build:
        return None
    cuda = None
    dotted = _CUDA_DOTTED.search(build)
    packed = _CUDA_PACKED.search(build)
    if dotted:
        cuda = f"{dotted.group(1)}.{dotted.group(2)}"
    elif packed:
        cuda = f"{int(packed.group(1))}.{packed.group(2)}"
    cudnn = _CUDNN.search(build)
    if cuda is None and not _CPU.search(build):
        return None  # e.g. an older conda-forge build string with no variant in it
    return BuildInfo(
        framework=framework,
        distribution=FRAMEWORKS.get(conda_name) or framework,
        version=version,
        cuda=cuda,
        cudnn=cudnn.group(1) if cudnn else None,
        is_cuda_build=cuda is not None,
        source=source,
    )


def _is_wanted(filename: str) -> bool:
    """Whether ``<name>-<version>-<build>.json`` is a package the audit reads."""
    for name in (*FRAMEWORKS, *_BUILD_OF, *CONDA_CUDA, "python"):
        rest = filename[len(name) + 1 :] if filename.startswith(name + "-") else ""
        if rest[:1].isdigit():
            return True
    return False


def read_conda_meta(prefix: str | Path) -> list[CondaRecord]:
    """The readable records of ``prefix/conda-meta`` for the audited packages (others skipped:
    a record lists every file of its package, and big environments have hundreds)."""
    records = []
    meta = Path(prefix) / "conda-meta"
    try:
        files = sorted(p for p in meta.glob("*.json") if _is_wanted(p.name))
    except OSError:
        return []
    for path in files:
        try:
            data = json.loads(read_regular(path).decode("utf-8", errors="replace"))
        except (OSError, ValueError, RecursionError):  # unreadable, a FIFO, not JSON, too deep
            continue
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            continue
        records.append(
            CondaRecord(
                name=data["name"],
                version=str(data.get("version", "")),
                build=str(data.get("build", "") or data.get("build_string", "")),
                channel=channel_name(data.get("channel")),
                source=str(path),
            )
        )
    return records


def conda_stack(records: list[CondaRecord]) -> tuple[list[Package], list[BuildInfo]]:
    """The audited packages (under their PyPI names) and CUDA packages of ``records``, with builds."""
    packages: list[Package] = []
    builds: list[BuildInfo] = []
    for record in records:
        if record.channel == "pypi":
            continue  # a pip install that conda lists: the dist-info scan already has it
        name = FRAMEWORKS.get(record.name) or (record.name if record.name in CONDA_CUDA else None)
        if name is not None:
            packages.append(
                Package(
                    name=name,
                    version=record.version,
                    location=record.source,
                    channel=record.channel or "conda",
                )
            )
        facts = build_facts(record.name, record.version, record.build, record.source)
        if facts is not None and facts.status is ProbeStatus.OK:
            builds.append(facts)
    return packages, builds


def merge_conda(env: Environment, prefix: str | Path) -> Environment:
    """``env`` with what ``prefix/conda-meta`` adds: channels of the installed frameworks,
    conda-only packages, build facts the wheels' files did not give, conda's cuDNN."""
    packages, builds = conda_stack(read_conda_meta(prefix))
    by_name = {p.name: p for p in env.packages}
    for pkg in packages:
        installed = by_name.get(pkg.name)
        if installed is None:
            by_name[pkg.name] = pkg
        elif _public(installed.version) == _public(pkg.version):
            by_name[pkg.name] = replace(installed, channel=pkg.channel)
        # else: pip replaced conda's package; its dist-info is what runs
    known = {b.framework for b in env.builds if b.status is ProbeStatus.OK and b.is_cuda_build is not None}
    versions = {p.name: p.version for p in by_name.values()}
    extra = tuple(
        b
        for b in builds
        if b.framework not in known and _public(versions.get(b.distribution, "")) == _public(b.version or "")
    )
    toolkit = env.toolkit
    cudnn = next((p.version for p in packages if p.name == "cudnn"), None)
    if cudnn and not toolkit.cudnn_version:
        toolkit = replace(toolkit, cudnn_version=cudnn, cudnn_source=f"conda package cudnn ({prefix})")
    replaced = {b.framework for b in extra}  # e.g. a version.py that could not be read
    return replace(
        env,
        packages=tuple(sorted(by_name.values(), key=lambda p: p.name)),
        builds=tuple(b for b in env.builds if b.framework not in replaced) + extra,
        toolkit=toolkit,
    )


def _public(version: str) -> str:
    return version.split("+", 1)[0]
