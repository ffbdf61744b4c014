"""Files that say what a stack *will be*: requirements, lock files, conda environments, Dockerfiles.

``-r FILE`` accepts any of them. :func:`read_stack_file` detects the kind from
the file's name and content and hands it to one reader module, which returns a
:class:`StackFile`: the exact pins (each with the line that pins it, for SARIF
and GitHub annotations), the requirements on ranges (:class:`Want`, resolved
later as the installer would: :mod:`compataudit.sources.resolve`), plus what the
file fixes about the machine (a Python version, a system CUDA, an NGC release). Readers use real parsers only
(pip-requirements-parser, tomllib, json, yaml), each imported when needed.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from compataudit.errors import InputError
from compataudit.model import BuildInfo


@dataclass(frozen=True)
class Pin:
    """One distribution at one exact version, as a file pins it."""

    name: str  # canonical name
    version: str
    where: str  # "FILE:LINE"
    marker: str | None = None  # PEP 508 marker; evaluated against the audited environment
    channel: str | None = None  # conda channel
    build: BuildInfo | None = None  # what a conda build string says about CUDA / cuDNN


@dataclass(frozen=True)
class Want:
    """A requirement as a file writes it, to be resolved: ``torch>=2.4,<2.6`` at ``req.txt:3``."""

    name: str  # canonical
    specifier: str  # "" for any version; an exact pin is "==2.5.1+cu124"
    where: str
    text: str  # the requirement as written
    extras: tuple[str, ...] = ()
    marker: str | None = None  # evaluated against the audited environment
    variant: str | None = None  # the PyTorch build variant its index serves ("cu126"), if one does
    index_only: bool = True  # that index is the only one (--index-url, uv/Poetry sources), not an extra


@dataclass(frozen=True)
class StackFile:
    """What one ``-r`` file says about the stack it describes."""

    path: str
    kind: str  # a key of KINDS
    pins: tuple[Pin, ...] = ()
    wants: tuple[Want, ...] = ()  # requirements without an exact version
    python: str | None = None  # an exact interpreter version the file fixes ("3.11")
    requires_python: str | None = None  # the range a project admits ([project].requires-python)
    system_cuda: str | None = None  # a CUDA toolkit the (image) system provides
    system_cudnn: str | None = None
    ngc_container: str | None = None  # "pytorch" for an nvcr.io/nvidia/pytorch image
    ngc_release: str | None = None  # "24.07"
    base_where: str | None = None  # "FILE:LINE" of the FROM that names the base image
    notes: tuple[str, ...] = field(default=())


# kind -> module under compataudit.inputs that defines read(path, text) -> StackFile
KINDS = {
    "requirements": "requirements",
    "uv.lock": "locks",
    "pylock": "locks",
    "poetry.lock": "locks",
    "Pipfile.lock": "locks",
    "environment.yml": "conda_env",
    "conda-spec": "conda_env",  # `conda list --export` / `--explicit` files
    "Dockerfile": "dockerfile",
    "pyproject.toml": "pyproject",
}
# Kinds that describe a whole environment on their own (the host's packages are not in it).
STANDALONE = frozenset({"uv.lock", "pylock", "poetry.lock", "Pipfile.lock", "environment.yml", "conda-spec"})

_DOCKER_NAME = re.compile(r"(^|[./_-])(dockerfile|containerfile)([./_-]|$)", re.IGNORECASE)
_PYLOCK_NAME = re.compile(r"^pylock(\.[^.]+)?\.toml$")
# `conda list --export` writes "# platform: linux-64"; `--explicit` writes "@EXPLICIT"
# a line pip rejects but conda reads: `pytorch=1.12.1`, `cudatoolkit=11.3.1=h2bc3f7f_2`
_CONDA_SPEC = re.compile(r"^(# platform: |@EXPLICIT|[A-Za-z0-9_.-]+=\d[^=\s]*(=\S+)?\s*$)", re.MULTILINE)
_PYPROJECT_TABLE = re.compile(
    r"^\[(project|dependency-groups|build-system|tool\.[\w.-]+)\]\s*$", re.MULTILINE
)
_DOCKER_FROM = re.compile(r"^\s*FROM\s+\S", re.IGNORECASE | re.MULTILINE)


def detect_kind(path: str, text: str) -> str:
    """Which reader understands ``path`` (by name first, then by content)."""
    name = Path(path).name
    lowered = name.lower()
    if lowered == "uv.lock":
        return "uv.lock"
    if _PYLOCK_NAME.match(lowered):
        return "pylock"
    if lowered == "poetry.lock":
        return "poetry.lock"
    if lowered == "pipfile.lock":
        return "Pipfile.lock"
    if lowered == "pyproject.toml":
        return "pyproject.toml"
    if _DOCKER_NAME.search(lowered):
        return "Dockerfile"
    if lowered.endswith((".yml", ".yaml")):
        return "environment.yml"
    return _kind_from_content(text)


def _kind_from_content(text: str) -> str:
    head = text.lstrip("\ufeff")[:4000]
    stripped = head.lstrip()
    if stripped.startswith("{") and '"_meta"' in head:
        return "Pipfile.lock"
    if re.search(r"^lock-version\s*=", head, re.MULTILINE):
        return "pylock"
    if _PYPROJECT_TABLE.search(head):
        return "pyproject.toml"
    if re.search(r"^\[\[package\]\]", head, re.MULTILINE):
        if re.search(r"^requires-python\s*=|^revision\s*=", head, re.MULTILINE):
            return "uv.lock"
        return "poetry.lock"
    if re.search(r"^dependencies\s*:", head, re.MULTILINE):
        return "environment.yml"
    if _CONDA_SPEC.search(head):
        return "conda-spec"
    if _DOCKER_FROM.search(head):
        return "Dockerfile"
    return "requirements"


def read_stack_file(path: str, *, extras: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> StackFile:
    """The pins and facts of one ``-r`` file; InputError (one line) when it cannot be read.

    ``extras`` / ``groups`` pick a pyproject.toml's optional dependencies and dependency groups.
    """
    if path == "-":
        raise InputError("-r -: name a file; its kind is told by its name")
    from compataudit.errors import CompatAuditError
    from compataudit.files import read_bytes_input

    try:
        raw = read_bytes_input(path, "-r")
    except CompatAuditError as exc:
        raise InputError(str(exc)) from None
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    kind = detect_kind(path, text)
    module = importlib.import_module(f"{__name__}.{KINDS[kind]}")
    try:
        if kind == "pyproject.toml":
            project: StackFile = module.read(path, text, kind, extras=extras, groups=groups)
            return project
        stack: StackFile = module.read(path, text, kind)
    except RecursionError:
        raise InputError(f"{path}: malformed {kind} file: nested too deeply") from None
    except (TypeError, AttributeError, KeyError, IndexError) as exc:
        # A value of the wrong type where the format has a table, a list or a string.
        raise InputError(f"{path}: malformed {kind} file: {type(exc).__name__}: {exc}") from None
    return stack


_PYTORCH_INDEX = re.compile(
    r"download\.pytorch\.org/whl/(?:(?:nightly|test)/)?(cu\d{2,3}|cpu|rocm\d+(?:\.\d+)*|xpu)(?:/|$)"
)
_TORCH_FAMILY = ("torch", "torchvision", "torchaudio")


def index_variant(urls: list[str]) -> str | None:
    """The torch build variant a PyTorch index URL serves (``…/whl/cu118`` -> ``cu118``)."""
    for url in urls:
        match = _PYTORCH_INDEX.search(url.strip())
        if match:
            return match.group(1)
    return None


def wants_with_variant(wants: list[Want], variant: str | None, *, index_only: bool = True) -> list[Want]:
    """Requirements on torch / torchvision / torchaudio from a PyTorch index get its variant.

    ``index_only``: the PyTorch index is the only index (``--index-url``); as an extra index
    (``--extra-index-url``) pip takes its build only where it has the newest release.
    """
    if variant is None:
        return wants
    from dataclasses import replace

    return [
        replace(w, variant=variant, index_only=index_only) if w.name in _TORCH_FAMILY else w for w in wants
    ]


def with_index_variant(pins: list[Pin], variant: str | None) -> list[Pin]:
    """Pins of torch / torchvision / torchaudio from a PyTorch index get its variant's label.

    pip takes ``torch==2.1.2`` from ``--index-url …/whl/cu118`` (or an extra index: the local
    version sorts higher) as 2.1.2+cu118, not PyPI's default build.
    """
    if variant is None:
        return pins
    from dataclasses import replace

    return [
        replace(p, version=f"{p.version}+{variant}")
        if p.name in _TORCH_FAMILY and "+" not in p.version
        else p
        for p in pins
    ]


def where(path: str, line: int | None) -> str:
    """``FILE:LINE`` (or FILE) as findings and annotations show it."""
    return f"{path}:{line}" if line else path
